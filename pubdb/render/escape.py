"""Escaping data for the list formats: LaTeX (an allow-list kept), Markdown, links.

LaTeX (docs/latex-allowlist.md says the same for users): data never reaches a LaTeX document
as code unless it is on one of three allow-lists; everything else is escaped character by
character, so ``\\input``, ``\\write18``, ``\\catcode``, ``\\def``, ``^^`` codes and the
rest print as text.

- Math (``$O(n \\log n)$``) passes through when it is made of plain symbols and the math
  commands in ``MATH_COMMANDS``; anything else in it (another command, ``^^``, ``%``, ``#``,
  ``&``, a control character, unbalanced braces) makes the whole segment ordinary text.
- Text styles of a title's source (``\\emph{x}``, ``{\\em x}``; ``TEXT_STYLE_COMMANDS`` and
  ``TEXT_STYLE_SWITCHES``) are kept by ``latex_title``; their arguments follow the same rules.
- Accents and special letters are decoded to Unicode on import; the LaTeX written for them
  (``{\\"u}``) comes from pylatexenc's table, not from the data.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from urllib.parse import quote, urlsplit

from pubdb.textnorm import LATEX_SPECIALS

# `$`, then a non-space, up to the next `$` that follows a non-space and is not followed by a
# digit (pandoc's rule), so "$12M and $3M" is money, not math.
_MATH = re.compile(r"(?<!\\)\$(?=[^\s$])((?:\\.|[^$\\])*?)(?<=[^\s\\])\$(?!\d)")

# Control characters mean something to TeX (^^L is \\par, ^^? is invalid): none is printed.
_CONTROL_CHARS = {c: "" for c in [*range(0x20), *range(0x7F, 0xA0)]}
_CONTROL_CHARS.update({ord("\t"): " ", ord("\n"): " ", ord("\r"): " ", 0x0B: " ", 0x0C: " "})
_LATEX_TABLE = str.maketrans({**_CONTROL_CHARS, **{ord(k): v for k, v in LATEX_SPECIALS.items()}})

MATH_COMMANDS = frozenset(
    """
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu
    xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta
    Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
    times cdot cdots ldots dots vdots ddots le leq ge geq ne neq approx sim simeq cong equiv
    pm mp div ast star circ bullet infty partial nabla sum prod coprod int iint oint in ni
    notin subset subseteq supset supseteq cup cap bigcup bigcap setminus emptyset varnothing
    forall exists nexists neg lnot land lor wedge vee oplus otimes odot to gets rightarrow
    leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow mapsto implies iff uparrow
    downarrow log ln lg exp sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh min
    max lim liminf limsup sup inf det arg deg dim ker gcd Pr mod bmod pmod
    mathrm mathbf mathit mathcal mathsf mathtt mathbb mathfrak boldsymbol operatorname text
    textrm textit textbf textsf texttt emph frac dfrac tfrac sqrt binom left right big Big
    bigg Bigg bigl bigr Bigl Bigr langle rangle lceil rceil lfloor rfloor lvert rvert lVert
    rVert vert Vert mid parallel perp propto ll gg prec succ preceq succeq sqsubseteq
    hat widehat bar overline underline tilde widetilde vec dot ddot check breve acute grave
    prime ell hbar imath jmath Re Im aleph top bot dagger ddagger quad qquad dots
    colon lesssim gtrsim subsetneq supsetneq longrightarrow Longrightarrow longleftarrow
    hookrightarrow nearrow searrow triangle nmid models vdash varkappa overrightarrow
    overbrace underbrace mathring displaystyle textstyle scriptstyle mathnormal lbrace rbrace
    cdotp ldotp
    """.split()  # noqa: SIM905
)
_HAS_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MATH_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_MATH_SYMBOL_COMMANDS = frozenset(",;:! {}|\\")


def split_math(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_math, segment) pieces; math segments keep their ``$`` delimiters."""
    pieces: list[tuple[bool, str]] = []
    last = 0
    for match in _MATH.finditer(text):
        if match.start() > last:
            pieces.append((False, text[last : match.start()]))
        pieces.append((True, match.group(0)))
        last = match.end()
    if last < len(text):
        pieces.append((False, text[last:]))
    return pieces


def is_harmless_math(segment: str) -> bool:
    """True when a ``$...$`` segment can be copied into LaTeX as it is."""
    inner = segment[1:-1]
    if any(c in inner for c in "%#&$") or "^^" in inner or _HAS_CONTROL.search(inner):
        return False
    depth = 0
    index, size = 0, len(inner)
    while index < size:
        char = inner[index]
        if char == "\\":
            index += 2  # a control symbol (\\{, \\\\) is one token: its character is no brace
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
        index += 1
    if depth:
        return False
    delimiters = 0
    for match in _MATH_COMMAND.finditer(inner):
        name = match.group(1)
        if name.isalpha():
            if name not in MATH_COMMANDS:
                return False
            delimiters += (name == "left") - (name == "right")
        elif name not in _MATH_SYMBOL_COMMANDS:
            return False
    return delimiters == 0  # an unpaired \left stops pdflatex


@cache
def _encoder():  # type: ignore[no-untyped-def]
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    return UnicodeToLatexEncoder(
        non_ascii_only=True,
        replacement_latex_protection="braces-all",
        unknown_char_policy="keep",
        unknown_char_warning=False,
    )


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _latex_non_ascii(text: str) -> str:
    return _NON_ASCII.sub(lambda m: _encoder().unicode_to_latex(m.group(0)), text)


def latex_escape(text: str) -> str:
    """``text`` as LaTeX source that prints it: specials escaped, non-ASCII as LaTeX macros."""
    text = unicodedata.normalize("NFC", text)
    out = []
    for is_math, segment in split_math(text):
        if is_math and is_harmless_math(segment):
            out.append(_latex_non_ascii(segment))
        else:
            out.append(_latex_non_ascii(segment.translate(_LATEX_TABLE)))
    return "".join(out)


# Text styles a title's source may keep in LaTeX: commands taking one braced argument, and
# declarations that open a brace group ({\em word}). Nothing here reads, writes or redefines.
TEXT_STYLE_COMMANDS = frozenset(
    """
    emph textit textbf textsc texttt textsf textrm textsl textup textmd textnormal underline
    textsuperscript textsubscript
    """.split()  # noqa: SIM905
)
TEXT_STYLE_SWITCHES = frozenset(
    """
    em it bf sc tt sf rm sl itshape bfseries scshape ttfamily sffamily rmfamily slshape
    upshape mdseries normalfont
    """.split()  # noqa: SIM905
)
_STYLE_COMMAND = re.compile(rf"\\({'|'.join(sorted(TEXT_STYLE_COMMANDS))})(?![A-Za-z])\s*\{{")
_STYLE_GROUP = re.compile(rf"\{{\s*\\({'|'.join(sorted(TEXT_STYLE_SWITCHES))})(?![A-Za-z])\s*")
_HAS_STYLE = re.compile(f"{_STYLE_COMMAND.pattern}|{_STYLE_GROUP.pattern}")
_WHITESPACE = re.compile(r"\s+")


def _brace_pairs(text: str) -> dict[int, int]:
    """Each ``{`` that is closed -> the index of its ``}`` (control symbols skipped); one pass."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            stack.append(index)
        elif char == "}" and stack:
            pairs[stack.pop()] = index
        index += 1
    return pairs


def _latex_text(source: str) -> str:
    from pubdb.textnorm import latex_to_unicode

    return latex_escape(_WHITESPACE.sub(" ", latex_to_unicode(source)))


def _styled(source: str, start: int, end: int, depth: int, pairs: dict[int, int]) -> str:
    """``source[start:end]`` as LaTeX: allowed styles kept, the text between them escaped.

    ``depth`` styles enclose it already; deeper than ``textnorm.MAX_NESTING`` is plain text.
    """
    from pubdb.textnorm import MAX_NESTING

    out: list[str] = []
    run = index = start
    while index < end:
        char = source[index]
        if char == "$":
            math = _MATH.match(source, index, end)
            index = math.end() if math else index + 1
            continue
        if char != "\\" and char != "{":
            index += 1
            continue
        found = (_STYLE_COMMAND if char == "\\" else _STYLE_GROUP).match(source, index, end)
        opening = (found.end() - 1 if char == "\\" else index) if found else -1
        close = pairs.get(opening, end)
        if found is None or close >= end or depth >= MAX_NESTING:
            index += 2 if char == "\\" else 1
            continue
        inner = _styled(source, found.end(), close, depth + 1, pairs)
        out.append(_latex_text(source[run:index]))
        name = found.group(1)
        out.append(f"\\{name}{{{inner}}}" if char == "\\" else f"{{\\{name} {inner}}}")
        index = run = close + 1
    out.append(_latex_text(source[run:end]))
    return "".join(out)


def latex_title(source: str, title: str) -> str:
    """A title for a LaTeX list: ``source`` (the record's ``title_bibtex``) with its text styles
    kept when it has any and decodes to ``title``; else ``latex_escape(title)``.

    Only the commands in ``TEXT_STYLE_COMMANDS`` (``\\emph{...}``) and the groups opened by one
    in ``TEXT_STYLE_SWITCHES`` (``{\\em ...}``) are written as commands; the text between them
    is decoded and escaped like any other string (math from the allow-list stays math).
    """
    from pubdb.textnorm import latex_to_unicode

    if not source or not _HAS_STYLE.search(source):
        return latex_escape(title)
    if " ".join(latex_to_unicode(source).split()) != " ".join(title.split()):
        return latex_escape(title)  # a source that no longer matches the title is not used
    source = " ".join(source.split())
    return _styled(source, 0, len(source), 0, _brace_pairs(source))


_MARKDOWN_SPECIALS = "\\`*_[]<>~$|"
_MARKDOWN_TABLE = str.maketrans({c: "\\" + c for c in _MARKDOWN_SPECIALS})


def markdown_escape(text: str) -> str:
    """``text`` as Markdown that prints it (CommonMark backslash escapes; harmless math kept)."""
    out = []
    for is_math, segment in split_math(text):
        if is_math and is_harmless_math(segment) and not any(c in segment for c in "<>`"):
            out.append(segment)
        else:
            out.append(segment.translate(_MARKDOWN_TABLE))
    return "".join(out)


def safe_link(*, doi: str = "", url: str = "", arxiv_id: str = "") -> str:
    """The link a title may carry: DOI, else an http(s) URL, else arXiv; never another scheme."""
    doi = doi.strip()
    if doi:
        return "https://doi.org/" + quote(doi, safe="/:;()._-")
    url = url.strip()
    if url and not any(c.isspace() or ord(c) < 32 for c in url):
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts and parts.scheme.lower() in ("http", "https") and parts.netloc:
            return url
    arxiv_id = arxiv_id.strip()
    if arxiv_id:
        return "https://arxiv.org/abs/" + quote(arxiv_id, safe="/.-")
    return ""
