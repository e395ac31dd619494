"""Text normalisation: LaTeX <-> Unicode, protective braces, folding, keys, DOI/arXiv/pages.

Decisions (the contract other modules rely on):

- ``latex_to_unicode`` decodes what LaTeX would print as text: accents (``{\\"o}``,
  ``\\'{e}``, ``\\c{c}``, ``\\v s``), letters (``\\ss``, ``\\o``, ``\\aa``, ``\\i``),
  escapes (``\\&``, ``\\%``), dashes (``--`` -> U+2013, ``---`` -> U+2014) and text commands
  (``\\emph{x}``, ``\\textbf{x}``, ``{\\em x}`` -> ``x``). Grouping braces are removed.
- ``~`` (a tie) becomes a normal space, and so do ``\\,``, ``\\ `` and ``\\\\``: stored names and
  titles are plain text. ``\\nobreakspace`` is the one spelling that gives U+00A0.
- Quotes: ``\\`\\``` -> "“", ``''`` -> "”", a single backquote -> "‘"; a single ``'`` stays the
  ASCII apostrophe (``O'Brien``, ``Men's``), so ``’`` is written back as ``\\textquoteright{}``.
- Math (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``) is kept verbatim, delimiters included.
- Commands we do not know are kept verbatim with their brace arguments (``\\mathcal{X}``,
  ``\\foo{bar}``). pylatexenc's symbol table is the fallback for argument-less symbol macros
  (``\\langle`` -> "⟨", ``\\alpha`` -> "α"). ``\\textsuperscript{2}`` -> "²" when every character
  has a Unicode superscript (likewise subscripts), else verbatim.
- Whitespace after a control word is eaten only when the command is a letter (``Stra\\ss e`` ->
  "Straße"); ``\\LaTeX is`` keeps its space. Other whitespace is left alone: call
  ``clean_spaces`` to collapse runs and newlines.
- Protection follows BibTeX: a brace group at the top level of a field protects its content
  from case changes unless it starts with a backslash (``{\\"U}ber`` is a "special character",
  not protection). ``protected_words`` lists the decoded protected spans; ``title_bibtex`` is the
  source with only accents and letter commands turned into Unicode (``{\\"U}ber`` -> "Über"),
  everything else - protective braces, ``--``, ``\\&``, math, ``\\emph{}`` - as written, so it is
  still valid BibTeX and decodes to the same Unicode title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

__all__ = [
    "arxiv_id_from",
    "clean_spaces",
    "fold",
    "latex_to_unicode",
    "normalize_doi",
    "normalize_pages",
    "protected_words",
    "strip_braces",
    "title_bibtex",
    "title_key",
    "unicode_to_latex",
]

# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

# Accent commands -> combining mark. One-character names are "control symbols" (\'e), the
# letter names need a brace or a space before their argument (\c{c}, \c c).
_ACCENT_MARKS: dict[str, str] = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
    "t": "\u0361",
    "textcommabelow": "\u0326",
}

# An accent with an empty argument (\~{}) prints the spacing form of the accent.
_SPACING_ACCENTS: dict[str, str] = {
    "'": "\u00b4",
    "`": "`",
    "^": "^",
    '"': "\u00a8",
    "~": "~",
    "=": "\u00af",
    ".": "\u02d9",
    "u": "\u02d8",
    "v": "\u02c7",
    "H": "\u02dd",
    "c": "\u00b8",
    "k": "\u02db",
    "r": "\u02da",
}

# Letters: the whitespace after them is eaten (TeX rules), and title_bibtex decodes them.
_LETTERS: dict[str, str] = {
    "ss": "ß",
    "SS": "SS",
    "i": "ı",
    "j": "ȷ",
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "dj": "đ",
    "DJ": "Đ",
}

# Argument-less text symbols.
_SYMBOLS: dict[str, str] = {
    "textendash": "–",
    "textemdash": "—",
    "textquoteright": "’",
    "textquoteleft": "‘",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "textquotedbl": '"',
    "textquotesingle": "'",
    "quotedblbase": "„",
    "quotesinglbase": "‚",
    "guillemotleft": "«",
    "guillemotright": "»",
    "guilsinglleft": "‹",
    "guilsinglright": "›",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "S": "§",
    "textsection": "§",
    "P": "¶",
    "textparagraph": "¶",
    "pounds": "£",
    "textsterling": "£",
    "euro": "€",
    "texteuro": "€",
    "textyen": "¥",
    "textcent": "¢",
    "textcurrency": "¤",
    "textbrokenbar": "¦",
    "textdegree": "°",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textasciigrave": "`",
    "textasciiacute": "´",
    "textasciidieresis": "¨",
    "textasciimacron": "¯",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textunderscore": "_",
    "textbraceleft": "{",
    "textbraceright": "}",
    "textdollar": "$",
    "textbullet": "•",
    "textperiodcentered": "·",
    "textdagger": "†",
    "textdaggerdbl": "‡",
    "dag": "†",
    "ddag": "‡",
    "textexclamdown": "¡",
    "textquestiondown": "¿",
    "textordfeminine": "ª",
    "textordmasculine": "º",
    "textonesuperior": "¹",
    "texttwosuperior": "²",
    "textthreesuperior": "³",
    "textonequarter": "¼",
    "textonehalf": "½",
    "textthreequarters": "¾",
    "textmu": "µ",
    "textpm": "±",
    "texttimes": "×",
    "textdiv": "÷",
    "textlnot": "¬",
    "nobreakspace": "\u00a0",
    "textvisiblespace": "␣",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2e",
    "TeX": "TeX",
    "BibTeX": "BibTeX",
    "XeTeX": "XeTeX",
    "LuaTeX": "LuaTeX",
    "slash": "/",
    "textslash": "/",
    "relax": "",
    "protect": "",
    "xspace": "",
    "break": "",
    "linebreak": " ",
    "newline": " ",
    "hfill": " ",
    "quad": " ",
    "qquad": " ",
}

# Commands whose single brace argument is the text to print.
_TEXT_ARG: frozenset[str] = frozenset(
    {
        "emph",
        "textit",
        "textbf",
        "textsc",
        "texttt",
        "textrm",
        "textsf",
        "textsl",
        "textup",
        "textmd",
        "textnormal",
        "text",
        "mbox",
        "hbox",
        "fbox",
        "underline",
        "uline",
        "NoCaseChange",
        "nocase",
        "textlatin",
        "foreignlanguage",  # \foreignlanguage{lang}{text}: handled specially below
    }
)

# Font switches: {\em x}, {\bf x} -> x.
_SWITCHES: frozenset[str] = frozenset(
    {
        "em",
        "it",
        "bf",
        "sc",
        "tt",
        "rm",
        "sf",
        "sl",
        "up",
        "itshape",
        "bfseries",
        "scshape",
        "ttfamily",
        "rmfamily",
        "sffamily",
        "slshape",
        "upshape",
        "mdseries",
        "normalfont",
        "tiny",
        "scriptsize",
        "footnotesize",
        "small",
        "normalsize",
        "large",
        "Large",
        "LARGE",
        "huge",
        "Huge",
        "boldmath",
        "unboldmath",
        "noindent",
    }
)

# Commands whose argument is dropped (the BibTeX sort trick \noopsort{a}).
_DROP_ARG: frozenset[str] = frozenset({"noopsort", "SortNoop", "sortnoop", "NOOP", "noop"})

_CASE_ARG = {
    "MakeUppercase": str.upper,
    "uppercase": str.upper,
    "MakeTextUppercase": str.upper,
    "MakeLowercase": str.lower,
    "lowercase": str.lower,
    "MakeTextLowercase": str.lower,
}

_SUPERSCRIPTS = dict(zip("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ", strict=True))
_SUBSCRIPTS = dict(zip("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", strict=True))

# Control symbols (backslash + one non-letter).
_CONTROL_SYMBOLS: dict[str, str] = {
    "&": "&",
    "%": "%",
    "$": "$",
    "#": "#",
    "_": "_",
    "{": "{",
    "}": "}",
    " ": " ",
    "\n": " ",
    "\t": " ",
    "\r": " ",
    "\\": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    ">": " ",
    "!": "",
    "-": "",
    "/": "",
    "@": "",
}

_WHITESPACE = " \t\n\r"
# What makes a string need decoding at all.
_NEEDS_DECODING = re.compile(r"[\\{}$~`]|--|''")
_CONTROL_WORD = re.compile(r"[A-Za-z]+")


# --------------------------------------------------------------------------------------------
# pylatexenc fallback (argument-less symbol macros only; imported lazily)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _pylatexenc_dbs() -> tuple[Any, Any]:
    from pylatexenc import latex2text, latexwalker

    return latexwalker.get_default_latex_context_db(), latex2text.get_default_latex_context_db()


@lru_cache(maxsize=4096)
def _pylatexenc_symbol(name: str) -> str | None:
    """The text pylatexenc gives for an argument-less symbol macro, or None if it has none."""
    walker_db, text_db = _pylatexenc_dbs()
    walker_spec = walker_db.get_macro_spec(name)
    if walker_spec is not None and walker_spec.args_parser.argspec:
        return None  # takes arguments: keep verbatim
    text_spec = text_db.get_macro_spec(name)
    if text_spec is None:
        return None
    repl = getattr(text_spec, "simplify_repl", None)
    if not isinstance(repl, str) or not repl.strip() or "%" in repl or len(repl) > 4:
        return None
    if any(ch.isspace() for ch in repl):
        return None
    return repl


# --------------------------------------------------------------------------------------------
# The decoder
# --------------------------------------------------------------------------------------------


def _match_brace(s: str, p: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``p`` (escapes respected), or -1."""
    depth = 0
    n = len(s)
    i = p
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


# Deeper brace nesting than this is flattened before decoding, and longer chains of accents
# (``\'\'\'e``) are kept verbatim: the decoder recurses once per level, and real data never
# nests more than a handful of levels, so a hostile 10,000-level value cannot exhaust the stack.
MAX_NESTING = 50
# A run of more than MAX_NESTING accent commands, kept verbatim in one step (linear time).
_ACCENT_SYMBOLS = re.escape("".join(name for name in _ACCENT_MARKS if not name.isalpha()))
_ACCENT_WORDS = "|".join(name for name in _ACCENT_MARKS if name.isalpha())
_ACCENT_COMMAND = rf"\\(?:[{_ACCENT_SYMBOLS}]|(?:{_ACCENT_WORDS})(?![A-Za-z]))[ \t\n\r]*"
_ACCENT_RUN = re.compile(rf"(?:{_ACCENT_COMMAND}){{{MAX_NESTING + 1},}}")


def _limit_nesting(s: str) -> str:
    """``s`` with each brace nested deeper than ``MAX_NESTING`` replaced by an empty group
    (``{}``: it still ends a command name, ``\\emph{x`` must not become ``\\emphx``)."""
    if s.count("{") <= MAX_NESTING:
        return s
    out: list[str] = []
    depth = 0
    start = i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
            if depth > MAX_NESTING:
                out.append(s[start:i] + "{}")
                start = i + 1
        elif c == "}" and depth:
            if depth > MAX_NESTING:
                out.append(s[start:i] + "{}")
                start = i + 1
            depth -= 1
        i += 1
    if not out:
        return s
    out.append(s[start:])
    return "".join(out)


def _apply_accent(mark: str, base: str, spacing: str) -> str:
    if not base:
        return spacing
    first = base[0]
    if first == "ı":
        first = "i"
    elif first == "ȷ":
        first = "j"
    return unicodedata.normalize("NFC", first + mark) + base[1:]


class _Decoder:
    """One pass over a LaTeX string. ``bibtex`` mode decodes only accents and letters."""

    __slots__ = ("bibtex", "closed", "n", "protected", "s")

    def __init__(self, s: str, *, bibtex: bool = False, collect: bool = False) -> None:
        s = _limit_nesting(s)
        self.s = s
        self.n = len(s)
        self.bibtex = bibtex
        self.protected: list[str] | None = [] if collect else None
        self.closed = False  # did the last run() end at its closing brace?

    def run(self, i: int, depth: int) -> tuple[str, int]:
        """Decode from ``i`` to the ``}`` closing this level (or the end): (text, next index)."""
        s, n, bib = self.s, self.n, self.bibtex
        out: list[str] = []
        search = _NEEDS_DECODING.search
        while i < n:
            m = search(s, i)
            if m is None:
                out.append(s[i:])
                i = n
                break
            j = m.start()
            if j > i:
                out.append(s[i:j])
            c = s[j]
            if c == "}":
                if depth:
                    self.closed = True
                    return "".join(out), j + 1
                i = j + 1  # a stray closing brace is dropped
                if bib and i < n and out and out[-1] and out[-1][-1] == s[i] and s[i] in "-'`":
                    out.append("{}")  # ... without letting "-}-" become an en dash
                continue
            if c == "{":
                piece, i = self._group(j, depth)
            elif c == "\\":
                piece, i = self._command(j, depth)
            elif c == "$":
                piece, i = self._dollar_math(j)
            elif bib:
                piece, i = m.group(), m.end()
            elif c == "~":
                piece, i = " ", j + 1
            elif c == "-":
                k = j
                while k < n and s[k] == "-":
                    k += 1
                run = k - j
                piece = "—" * (run // 3) + ("", "-", "–")[run % 3]
                i = k
            elif c == "'":
                piece, i = "”", j + 2
            else:  # backquote
                if s.startswith("``", j):
                    piece, i = "“", j + 2
                else:
                    piece, i = "‘", j + 1
            out.append(piece)
        self.closed = False
        return "".join(out), i

    # -- groups ------------------------------------------------------------------------------

    def _group(self, j: int, depth: int) -> tuple[str, int]:
        s = self.s
        starts_with_command = j + 1 < self.n and s[j + 1] == "\\"
        special = depth == 0 and starts_with_command  # BibTeX's "special character"
        inner, end = self.run(j + 1, depth + 1)
        if self.bibtex:
            if starts_with_command and not any(ch in inner for ch in "\\{}$"):
                return inner, end  # {\"U} -> Ü: a decoded special character needs no braces
            if special and not inner.startswith("\\"):
                # {\"Uber \& Co}: converting the accent would turn it into protection.
                return (s[j:end] if self.closed else s[j:end] + "}"), end
            return "{" + inner + "}", end  # (an unclosed group is closed)
        if depth == 0 and not special and self.protected is not None:
            word = " ".join(inner.split())
            if word:
                self.protected.append(word)
        return inner, end

    def _arg_groups_bibtex(self, k: int, depth: int, count: int) -> tuple[str, int]:
        """In bibtex mode: the ``count`` brace arguments after a command, braces kept."""
        out: list[str] = []
        s, n = self.s, self.n
        for index in range(count):
            if index:
                k = self._skip_ws(k)
            if k >= n or s[k] != "{":
                break
            inner, k = self.run(k + 1, depth + 1)
            out.append("{" + inner + "}")  # (an unclosed group is closed)
        return "".join(out), k

    def _raw_with_args(self, j: int, k: int) -> tuple[str, int]:
        """A command kept verbatim together with its ``[...]`` and ``{...}`` arguments."""
        s, n = self.s, self.n
        while k < n:
            if s[k] == "{":
                close = _match_brace(s, k)
                if close < 0:
                    k = n
                    break
                k = close + 1
            elif s[k] == "[":
                close = s.find("]", k)
                if close < 0:
                    break
                k = close + 1
            else:
                break
        return s[j:k], k

    # -- math --------------------------------------------------------------------------------

    def _dollar_math(self, j: int) -> tuple[str, int]:
        s = self.s
        if s.startswith("$$", j):
            close = s.find("$$", j + 2)
            if close >= 0:
                return s[j : close + 2], close + 2
        p = j + 1
        while True:
            close = s.find("$", p)
            if close < 0:
                return "$", j + 1  # unbalanced: a literal dollar
            if s[close - 1] != "\\":
                return s[j : close + 1], close + 1
            p = close + 1

    def _paren_math(self, j: int, closer: str) -> tuple[str, int]:
        close = self.s.find(closer, j + 2)
        if close < 0:
            return self.s[j : j + 2], j + 2
        return self.s[j : close + 2], close + 2

    # -- commands ----------------------------------------------------------------------------

    def _skip_ws(self, k: int) -> int:
        s, n = self.s, self.n
        while k < n and s[k] in _WHITESPACE:
            k += 1
        return k

    def _command(self, j: int, depth: int) -> tuple[str, int]:
        s, n, bib = self.s, self.n, self.bibtex
        if j + 1 >= n:
            return "\\", n
        c = s[j + 1]
        if not ("a" <= c <= "z" or "A" <= c <= "Z"):
            k = j + 2
            if c in _ACCENT_MARKS:
                return self._accent(j, k, c)
            if c == "(":
                return self._paren_math(j, "\\)")
            if c == "[":
                return self._paren_math(j, "\\]")
            if bib:
                return s[j:k], k
            repl = _CONTROL_SYMBOLS.get(c)
            if repl is None:
                return s[j:k], k
            return repl, k
        m = _CONTROL_WORD.match(s, j + 1)
        assert m is not None
        name, k = m.group(), m.end()
        if name in _ACCENT_MARKS:
            return self._accent(j, k, name)
        letter = _LETTERS.get(name)
        if letter is not None:
            return letter, self._skip_ws(k)
        if bib:
            if name in _TEXT_ARG or name in _CASE_ARG:
                count = 2 if name == "foreignlanguage" else 1
                args, end = self._arg_groups_bibtex(self._skip_ws(k), depth, count)
                return (s[j:k] + args, end) if args else (s[j:k], k)
            if name in _SYMBOLS or name in _SWITCHES:
                return s[j:k], k
            return self._raw_with_args(j, k)
        symbol = _SYMBOLS.get(name)
        if symbol is not None:
            return symbol, k
        if name in _SWITCHES:
            return "", self._skip_ws(k)
        if name in _TEXT_ARG or name in _CASE_ARG or name in _DROP_ARG:
            return self._text_command(j, k, name, depth)
        if name in ("url", "path", "nolinkurl"):
            p = self._skip_ws(k)
            if p < n and s[p] == "{":
                close = _match_brace(s, p)
                if close > 0:
                    return s[p + 1 : close], close + 1
            return s[j:k], k
        if name in ("textsuperscript", "textsubscript"):
            return self._script(j, k, _SUPERSCRIPTS if name == "textsuperscript" else _SUBSCRIPTS)
        fallback = _pylatexenc_symbol(name)
        if fallback is not None:
            return fallback, k
        return self._raw_with_args(j, k)

    def _text_command(self, j: int, k: int, name: str, depth: int) -> tuple[str, int]:
        s, n = self.s, self.n
        p = self._skip_ws(k)
        if name == "foreignlanguage" and p < n and s[p] == "{":  # drop the language argument
            close = _match_brace(s, p)
            if close < 0:
                return s[j:], n
            p = self._skip_ws(close + 1)
        if p >= n or s[p] != "{":
            return "", k  # \emph x: the next character is printed as usual
        inner, end = self.run(p + 1, depth + 1)
        if name in _DROP_ARG:
            return "", end
        change = _CASE_ARG.get(name)
        return (change(inner) if change else inner), end

    def _script(self, j: int, k: int, table: dict[str, str]) -> tuple[str, int]:
        s = self.s
        p = self._skip_ws(k)
        if p < self.n and s[p] == "{":
            close = _match_brace(s, p)
            if close > 0:
                content = s[p + 1 : close].strip()
                if content and all(ch in table for ch in content):
                    return "".join(table[ch] for ch in content), close + 1
        return self._raw_with_args(j, k)

    def _accent(self, j: int, k: int, name: str, chain: int = 0) -> tuple[str, int]:
        """``\\'e``, ``\\'{e}``, ``\\' e``, ``\\'\\i``, ``\\c{c}``, ``\\c c``, ``\\~{}`` -> text.

        ``chain``: how many accents this one is inside (``\\'\\^e``); see ``MAX_NESTING``.
        """
        s, n = self.s, self.n
        mark = _ACCENT_MARKS[name]
        spacing = _SPACING_ACCENTS.get(name, "")
        p = self._skip_ws(k)
        if p >= n or s[p] == "}":
            if self.bibtex:
                return s[j:k], k
            return spacing, p
        c = s[p]
        if c == "{":
            close = _match_brace(s, p)
            if close < 0:
                return s[j:k], k
            base = latex_to_unicode(s[p + 1 : close])
            if "\\" in base or "{" in base:
                return s[j:k], k  # not something we can put an accent on
            if self.bibtex and not (len(base) == 1 and base.isalpha()):
                return s[j : close + 1], close + 1  # title_bibtex only decodes accented letters
            return _apply_accent(mark, base, spacing), close + 1
        if c == "\\":
            m = _CONTROL_WORD.match(s, p + 1)
            if m is not None and m.group() in _LETTERS:
                base = _LETTERS[m.group()]
                return _apply_accent(mark, base, spacing), self._skip_ws(m.end())
            inner_name = m.group() if m is not None else s[p + 1 : p + 2]
            if chain == 0:
                run = _ACCENT_RUN.match(s, j)
                if run is not None:
                    return run.group(), run.end()
            if inner_name in _ACCENT_MARKS and chain < MAX_NESTING:  # \'\^e: accent on accent
                inner, end = self._accent(p, p + 1 + len(inner_name), inner_name, chain + 1)
                if inner[:1].isalpha():
                    return _apply_accent(mark, inner, spacing), end
            return s[j:k], k
        # A plain character (TeX skips spaces before an argument: "\' e" is "é").
        if self.bibtex and not c.isalpha():
            return s[j : p + 1], p + 1
        return _apply_accent(mark, c, spacing), p + 1


def _decode(text: str) -> str:
    return _Decoder(text).run(0, 0)[0]


_decode_cached = lru_cache(maxsize=1 << 17)(_decode)


def latex_to_unicode(text: str) -> str:
    """Decode a LaTeX/BibTeX value to Unicode text (see the module docstring for the rules)."""
    # ``_NEEDS_DECODING`` as substring tests (several times faster than the search); a text
    # whose only LaTeX is braces just loses them (the decoder drops every grouping brace,
    # balanced or not, and would change nothing else).
    if "\\" in text or "$" in text or "~" in text or "`" in text or "--" in text or "''" in text:
        return _decode_cached(text)
    if "{" in text or "}" in text:
        return text.replace("{", "").replace("}", "")
    return text


@lru_cache(maxsize=1 << 14)
def _title_parts(title_latex: str) -> tuple[str, tuple[str, ...]]:
    decoder = _Decoder(title_latex, collect=True)
    text = decoder.run(0, 0)[0]
    return text, tuple(decoder.protected or ())


def protected_words(title_latex: str) -> list[str]:
    """The spans the source protected with top-level braces, decoded: ``{TomoGAN}`` -> TomoGAN."""
    if "{" not in title_latex:
        return []
    return list(_title_parts(title_latex)[1])


def title_bibtex(title_latex: str) -> str:
    """The title with accents and letters as Unicode but braces, math and markup kept.

    ``{TomoGAN}: {\\"U}ber {X-Ray}`` -> ``{TomoGAN}: Über {X-Ray}``; the result is still BibTeX
    (``\\&`` stays escaped, ``--`` stays ``--``) and decodes to the same Unicode title.
    """
    if "\\" not in title_latex:
        return title_latex
    return _Decoder(title_latex, bibtex=True).run(0, 0)[0]


# --------------------------------------------------------------------------------------------
# Unicode -> LaTeX
# --------------------------------------------------------------------------------------------

# Characters LaTeX treats specially, as text commands (also used by the LaTeX list export).
LATEX_SPECIALS: dict[str, str] = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "`": r"\textasciigrave{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}

_CHAR_TO_LATEX: dict[str, str] = {
    "–": "--",
    "—": "---",
    "“": "``",
    "”": "''",
    "‘": "`",
    "’": r"\textquoteright{}",
    "\u00a0": r"\nobreakspace{}",
    "\u00b4": r"\'{}",
    "\u00a8": r"\"{}",
    "\u00af": r"\={}",
    "\u00b8": r"\c{}",
}
for _name, _char in _LETTERS.items():
    if len(_char) == 1:
        _CHAR_TO_LATEX.setdefault(_char, "{\\" + _name + "}")
_PREFERRED_SYMBOL_NAMES = (
    "textcopyright",
    "textregistered",
    "texttrademark",
    "S",
    "P",
    "pounds",
    "texteuro",
    "textyen",
    "textcent",
    "textcurrency",
    "textbrokenbar",
    "textdegree",
    "ldots",
    "guillemotleft",
    "guillemotright",
    "guilsinglleft",
    "guilsinglright",
    "quotedblbase",
    "quotesinglbase",
    "textbullet",
    "textperiodcentered",
    "textdagger",
    "textdaggerdbl",
    "textexclamdown",
    "textquestiondown",
    "textordfeminine",
    "textordmasculine",
    "textonesuperior",
    "texttwosuperior",
    "textthreesuperior",
    "textonequarter",
    "textonehalf",
    "textthreequarters",
    "textmu",
    "textpm",
    "texttimes",
    "textdiv",
    "textlnot",
)
for _name in _PREFERRED_SYMBOL_NAMES:
    _CHAR_TO_LATEX.setdefault(_SYMBOLS[_name], "\\" + _name + "{}")
_MARK_TO_ACCENT: dict[str, str] = {mark: name for name, mark in _ACCENT_MARKS.items()}


def _char_to_latex(ch: str) -> str | None:
    """LaTeX for one non-ASCII character, or None when it has no lossless text spelling."""
    known = _CHAR_TO_LATEX.get(ch)
    if known is not None:
        return known
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) < 2 or unicodedata.normalize("NFC", decomposed) != ch:
        return None
    base, marks = decomposed[0], decomposed[1:]
    if base.isascii() and base.isalpha():
        inner = base
    elif base in _CHAR_TO_LATEX and _CHAR_TO_LATEX[base].startswith("{\\"):
        inner = _CHAR_TO_LATEX[base]
    else:
        return None
    for index, mark in enumerate(marks):
        accent = _MARK_TO_ACCENT.get(mark)
        if accent is None:
            return None
        if len(accent) == 1 and not accent.isalpha() and index == 0 and len(inner) == 1:
            inner = "\\" + accent + inner
        else:
            inner = "\\" + accent + "{" + inner + "}"
    return "{" + inner + "}"


def unicode_to_latex(text: str, *, escape_specials: bool = True) -> str:
    """ASCII LaTeX for Unicode text: ``é`` -> ``{\\'e}``, ``&`` -> ``\\&``, ``–`` -> ``--``.

    ``latex_to_unicode(unicode_to_latex(s)) == s`` for any text whose characters have a LaTeX
    spelling; characters without one (CJK, most symbols) are left as they are.
    ``escape_specials=False`` converts only non-ASCII characters, for text that is already
    LaTeX (``title_bibtex`` values).
    """
    if text.isascii() and not escape_specials:
        return text
    out: list[str] = []
    last = ""
    last_converted = False
    for ch in text:
        if ch.isascii():
            piece = LATEX_SPECIALS.get(ch, ch) if escape_specials else ch
            converted = escape_specials
        else:
            piece = _char_to_latex(ch) or ch
            converted = True
        # Keep TeX ligatures from forming across pieces: "-"+"-", "'"+"'", "`"+"`".
        if (converted or last_converted) and piece[0] == last and last in "-'`":
            out.append("{}")
        out.append(piece)
        last = piece[-1]
        last_converted = converted
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Braces, folding, keys
# --------------------------------------------------------------------------------------------

_UNESCAPED_BRACE = re.compile(r"(?<!\\)[{}]")


def strip_braces(text: str) -> str:
    """Remove every unescaped ``{`` and ``}`` (commands and ``\\{`` are left alone)."""
    if "{" not in text and "}" not in text:
        return text
    return _UNESCAPED_BRACE.sub("", text)


_FOLD_EXTRA = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ı": "i",
        "ȷ": "j",
        "ħ": "h",
        "ŧ": "t",
        "ŀ": "l",
        "ŋ": "n",
    }
)


@lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    text = latex_to_unicode(text)
    folded = text.casefold()
    if not folded.isascii():
        folded = folded.translate(_FOLD_EXTRA)
        folded = "".join(
            ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch)
        )
    return " ".join(folded.split())


def fold(text: str) -> str:
    """Case- and accent-insensitive form: casefold, NFKD without marks, ß -> ss, ø -> o, one space.

    LaTeX in the input is decoded first, so ``G{\\"u}rsoy``, ``Gürsoy`` and ``GURSOY`` all fold to
    ``gursoy``.
    """
    return _fold(text)


_APOSTROPHES = re.compile(r"['’‘ʼ`]")
_NON_WORD = re.compile(r"[\W_]+")
_LEADING_ARTICLES = frozenset({"the", "a", "an"})


def title_key(title: str) -> str:
    """Title for dedup and search: folded; LaTeX, braces, punctuation gone; no leading article."""
    folded = fold(strip_braces(latex_to_unicode(title)))
    folded = _APOSTROPHES.sub("", folded)
    words = _NON_WORD.sub(" ", folded).split()
    if len(words) > 1 and words[0] in _LEADING_ARTICLES:
        words = words[1:]
    return " ".join(words)


def clean_spaces(value: str) -> str:
    """Collapse every run of whitespace (newlines, tabs, doubled spaces) to one space; strip."""
    return " ".join(value.split())


# --------------------------------------------------------------------------------------------
# DOI, arXiv, pages
# --------------------------------------------------------------------------------------------

_DOI_PREFIX = re.compile(
    r"^(?:https?://(?:dx\.|www\.)?doi\.org/|doi\.org/|doi:\s*|urn:doi:)", re.IGNORECASE
)
_DOI_INSIDE = re.compile(r"10\.\d{4,9}/\S+")


# A DOI without spaces, braces, escapes or %-encoding, after at most one of the prefixes
# (only one of them can match): only that prefix, case and trailing punctuation to
# normalise (``\s`` is ``str.isspace``, what ``split`` removes).
_PLAIN_DOI = re.compile(
    r"(?i:https?://(?:dx\.|www\.)?doi\.org/|doi\.org/|doi:|urn:doi:)?(10\.[^\s{}\\%]*)"
)


def normalize_doi(value: str) -> str:
    """Lower case, no ``https://doi.org/``, ``http://dx.doi.org/`` or ``doi:`` prefix, no spaces."""
    plain = _PLAIN_DOI.fullmatch(value)
    if plain is not None:
        return plain.group(1).rstrip(".,;").lower()
    doi = "".join(value.split())
    if not doi:
        return ""
    doi = doi.replace("\\_", "_").replace("\\%", "%").replace("{", "").replace("}", "")
    if "%" in doi:
        doi = unquote(doi)
    previous = None
    while previous != doi:
        previous = doi
        doi = _DOI_PREFIX.sub("", doi)
    if not doi.startswith("10."):
        inside = _DOI_INSIDE.search(doi)
        if inside is not None:
            doi = inside.group()
    return doi.rstrip(".,;").lower()


_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7}"
_ARXIV_EPRINT = re.compile(
    rf"^(?:arxiv:\s*)?(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?$", re.IGNORECASE
)
_ARXIV_IN_TEXT = re.compile(
    rf"arxiv(?:\s+preprint)?[\s:.,]*(?:abs/)?(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?(?!\d)",
    re.IGNORECASE,
)
_ARXIV_VOLUME = re.compile(rf"^(?:abs/)?(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?$", re.I)
_ARXIV_DOI = re.compile(rf"^10\.48550/arxiv\.(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?$")
_ARXIV_URL = re.compile(
    rf"arxiv\.org/(?:abs|pdf|format)/(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?", re.IGNORECASE
)


def _clean_arxiv(found: str) -> str:
    if "/" in found:  # old style: the archive is lower case, the subject class upper case
        archive, number = found.split("/", 1)
        if "." in archive:
            group, subject = archive.split(".", 1)
            archive = f"{group.lower()}.{subject.upper()}"
        else:
            archive = archive.lower()
        return f"{archive}/{number}"
    return found


def arxiv_id_from(fields: Mapping[str, str]) -> str:
    """The arXiv id (no version) an entry names, or ``""``.

    Looks at ``eprint`` with ``archivePrefix``/``eprinttype`` = arXiv (or a bare new-style id),
    arXiv DOIs ``10.48550/arXiv.NNNN.NNNNN``, ``journal = {arXiv preprint arXiv:NNNN.NNNNN}``
    (also booktitle, note, howpublished; ``journal = {CoRR}`` / ``{ArXiv}`` with
    ``volume = {abs/NNNN.NNNNN}``) and arxiv.org ``abs``/``pdf`` URLs.
    """
    lower = {key.lower(): str(value) for key, value in fields.items() if value is not None}
    prefix = (lower.get("archiveprefix") or lower.get("eprinttype") or "").strip().lower()
    eprint = strip_braces(lower.get("eprint", "")).strip()
    if eprint:
        m = _ARXIV_EPRINT.match(eprint)
        if m is not None and prefix in ("arxiv", ""):
            return _clean_arxiv(m.group("id"))
        url_match = _ARXIV_URL.search(eprint)
        if url_match is not None:
            return _clean_arxiv(url_match.group("id"))
    doi = normalize_doi(lower.get("doi", ""))
    if doi:
        m = _ARXIV_DOI.match(doi)
        if m is not None:
            return _clean_arxiv(m.group("id"))
    for key in ("journal", "journaltitle", "booktitle", "note", "howpublished", "publisher"):
        value = lower.get(key)
        if value and "arxiv" in value.lower():
            m = _ARXIV_IN_TEXT.search(strip_braces(value))
            if m is not None:
                return _clean_arxiv(m.group("id"))
    venue = " ".join(lower.get(key, "") for key in ("journal", "journaltitle", "publisher"))
    if re.search(r"\b(?:arxiv|corr)\b", venue, re.IGNORECASE):
        m = _ARXIV_VOLUME.match(strip_braces(lower.get("volume", "")).strip())
        if m is not None:
            return _clean_arxiv(m.group("id"))
    for key in ("url", "pdf", "link", "eprint", "howpublished", "note"):
        value = lower.get(key)
        if value:
            m = _ARXIV_URL.search(value)
            if m is not None:
                return _clean_arxiv(m.group("id"))
    return ""


_PAGE_DASH = re.compile(r"(\s*)(-+|[\u2012-\u2015\u2212]+|[\u2010\u2011])(\s*)")
_PAGE_PREFIX = re.compile(r"^(?:pp?\.|pages?)\s*", re.IGNORECASE)
_SIMPLE_PAGES = re.compile(r"([0-9]+)(?: *-+ *([0-9]+))?")


def normalize_pages(value: str) -> str:
    """``300 - 309``, ``300-309``, ``300–309``, ``pp. 300--309`` -> ``300--309``.

    A lone unspaced hyphen becomes ``--`` only after a digit (``e1-e7`` -> ``e1--e7``); one
    after a letter is part of a page label and kept (``A-12``).
    """
    simple = _SIMPLE_PAGES.fullmatch(value)
    if simple is not None:  # "300", "300-309", "300 - 309", "300--309"
        return value if simple.group(2) is None else f"{simple.group(1)}--{simple.group(2)}"
    if "\\" in value or "{" in value:
        value = latex_to_unicode(value)
    text = _PAGE_PREFIX.sub("", clean_spaces(value))

    def dash(m: re.Match[str]) -> str:
        lead, run, trail = m.groups()
        if run in ("-", "\u2010", "\u2011") and not lead and not trail:
            before = text[m.start() - 1] if m.start() else ""
            after = text[m.end()] if m.end() < len(text) else ""
            if not (before.isdigit() and after.isalnum()):
                return m.group()
        return "--"

    return _PAGE_DASH.sub(dash, text)
