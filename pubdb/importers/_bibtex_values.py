"""BibTeX value expressions: ``@string`` macros, ``#`` concatenation, months and years.

A field's raw value as bibtexparser's splitter returns it (``{...}``, ``"..."``, a number, a
macro name, or parts joined by ``#``) is evaluated here to the text BibTeX would see: the
delimiters go, inner braces stay (they still mean something to LaTeX), macros are replaced
by their ``@string`` value (names compare case-insensitively, as in BibTeX), the built-in month
macros ``jan`` ... ``dec`` give ``January`` ... ``December`` unless the file redefines them,
and runs of whitespace (line breaks included) become one space, as BibTeX reads them.
"""

from __future__ import annotations

import re
from functools import lru_cache

MONTH_MACROS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}
_MONTH_NUMBERS = {name: i for i, name in enumerate(MONTH_MACROS, start=1)}
_MONTH_NUMBERS.update({full.lower(): i for i, full in enumerate(MONTH_MACROS.values(), 1)})
_MONTH_NUMBERS["sept"] = 9


def braced_pattern(depth: int) -> str:
    """A regex for one ``{...}`` group with up to ``depth`` nested groups, braces read as
    bibtexparser's splitter reads them: a brace right after a backslash is not a brace."""
    plain = r"[^{}\\]++|\\++[^\\]"  # a backslash run escapes the character after it
    group = r"\{(?:" + plain + r")*+\}"
    for _ in range(depth):
        group = r"\{(?:" + plain + "|" + group + r")*+\}"
    return group


_WS = re.compile(r"[ \t\r\n]+")
# The splitter's convention: a brace or quote directly after a backslash is escaped.
_BRACE = re.compile(r"(?<!\\)[{}]")
_BRACE_OR_QUOTE = re.compile(r'(?<!\\)[{}"]')
_ATOM = re.compile(r'[^\s#{}"]+')
# Matches a value that is one brace group exactly when ``_closing_brace(raw, 0)`` is its end
# (up to 6 nested groups; deeper ones take the loop).
_ONE_GROUP = re.compile(braced_pattern(6))
_WORD = re.compile(r"[a-z]+")
_YEAR4 = re.compile(r"(?<!\d)(\d{4})(?!\d)")


_WORDS_MAX = 4096


class StringTable:
    """``@string`` definitions in file order; a lookup sees the definition in force at a line.

    BibTeX reads the file top to bottom, so a redefinition applies from its line on. A use
    before any definition gets the first definition (BibTeX would call the macro undefined;
    resolving it loses nothing and is what the author meant).
    """

    def __init__(self) -> None:
        self._defs: dict[str, list[tuple[int, str]]] = {}
        self.spelling: dict[str, str] = {}
        # ``evaluate_word``'s answers (cleared by ``define``).
        self._words: dict[str, tuple[str, str] | None] = {}

    def __bool__(self) -> bool:
        return bool(self._defs)

    def define(self, name: str, line: int, value: str) -> int | None:
        """Add a definition; return the line of an earlier definition of the same name."""
        folded = name.lower()
        defs = self._defs.setdefault(folded, [])
        previous = defs[-1][0] if defs else None
        defs.append((line, value))
        defs.sort(key=lambda item: item[0])
        self.spelling.setdefault(folded, name)
        self._words.clear()
        return previous

    def lookup(self, name: str, line: int) -> str | None:
        defs = self._defs.get(name.lower())
        if not defs:
            return None
        value = defs[0][1]
        for def_line, def_value in defs:
            if def_line > line:
                break
            value = def_value
        return value

    def evaluate_word(self, word: str) -> tuple[str, str] | None:
        """``evaluate(word, self, line)`` for a stripped value that is one macro name: (text,
        issue or ""), whatever the line; None if it is not one name or its value depends on
        the line (the name is redefined)."""
        known = self._words.get(word, False)
        if known is False:
            folded = word.lower()
            defs = self._defs.get(folded)
            if _ATOM.fullmatch(word) is None or word.isdigit() or (defs and len(defs) > 1):
                known = None
            else:
                value = defs[0][1] if defs else MONTH_MACROS.get(folded)
                issue = ""
                if value is None:
                    issue = f"undefined @string macro {word!r}; kept as text"
                    value = word
                known = (collapse(value), issue)
            if len(self._words) >= _WORDS_MAX:
                self._words.clear()
            self._words[word] = known
        return known

    def final(self) -> dict[str, str]:
        """Each macro (as first written) -> its last value (outer spaces stripped)."""
        return {self.spelling[name]: defs[-1][1].strip() for name, defs in self._defs.items()}


def collapse(text: str, strip: bool = True) -> str:
    """Whitespace runs (line breaks included) -> one space; strip the ends unless told not to.

    ``@string`` values are not stripped: ``"Proceedings of the " # conf`` needs its space.
    """
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        text = _WS.sub(" ", text)
    return text.strip() if strip else text


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    for match in _BRACE.finditer(text, start):
        if match.group() == "{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return match.start()
    return -1


def _closing_quote(text: str, start: int) -> int:
    depth = 0
    for match in _BRACE_OR_QUOTE.finditer(text, start + 1):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            return match.start()
    return -1


def evaluate(
    raw: str, strings: StringTable | None, line: int, *, strip: bool = True
) -> tuple[str, list[str]]:
    """Evaluate a raw BibTeX value; return the text and any issues (for warnings).

    ``strip=False`` keeps leading and trailing spaces (for ``@string`` values).

    An undefined macro is kept as its own name (BibTeX would make it empty and warn); a value
    that is not a valid expression is kept verbatim. Either way an issue is returned.
    """
    raw = raw.strip()
    if "#" not in raw and raw:
        first = raw[0]
        if first == "{" and raw[-1] == "}":
            inner = raw[1:-1]
            if (
                ("{" not in inner and "}" not in inner and not inner.endswith("\\"))
                or _ONE_GROUP.fullmatch(raw) is not None
                or _closing_brace(raw, 0) == len(raw) - 1
            ):  # ``collapse``, inlined (the most common value)
                if "\n" in inner or "  " in inner or "\t" in inner or "\r" in inner:
                    inner = _WS.sub(" ", inner)
                return (inner.strip() if strip else inner), []
        if first == '"' and _closing_quote(raw, 0) == len(raw) - 1:
            return collapse(raw[1:-1], strip), []
        if raw.isdigit():
            return raw, []
        if strip and first != "{" and first != '"':  # a macro name, most likely
            known = (_NO_STRINGS if strings is None else strings).evaluate_word(raw)
            if known is not None:
                return known[0], [known[1]] if known[1] else []
    parts: list[str] = []
    issues: list[str] = []
    pos, end = 0, len(raw)
    while True:
        while pos < end and raw[pos].isspace():
            pos += 1
        if pos >= end:
            if parts:  # a trailing `#` with nothing after it
                return collapse(raw), [f"cannot evaluate {raw!r}; kept as written"]
            return "", issues
        char = raw[pos]
        if char == "{":
            close = _closing_brace(raw, pos)
        elif char == '"':
            close = _closing_quote(raw, pos)
        else:
            close = None
        if close is not None:
            if close < 0:
                return collapse(raw), [f"unbalanced value {raw!r}; kept as written"]
            parts.append(raw[pos + 1 : close])
            pos = close + 1
        else:
            atom = _ATOM.match(raw, pos)
            if atom is None:
                return collapse(raw), [f"cannot evaluate {raw!r}; kept as written"]
            name = atom.group()
            pos = atom.end()
            if name.isdigit():
                parts.append(name)
            else:
                value = strings.lookup(name, line) if strings else None
                if value is None:
                    value = MONTH_MACROS.get(name.lower())
                if value is None:
                    issues.append(f"undefined @string macro {name!r}; kept as text")
                    value = name
                parts.append(value)
        while pos < end and raw[pos].isspace():
            pos += 1
        if pos >= end:
            return collapse("".join(parts), strip), issues
        if raw[pos] != "#":
            return collapse(raw), [f"cannot evaluate {raw!r}; kept as written"]
        pos += 1


_NO_STRINGS = StringTable()


def _unbrace(text: str) -> str:
    return text.replace("{", "").replace("}", "").strip()


@lru_cache(maxsize=1024)  # a file has few distinct month and year values
def parse_month(text: str) -> tuple[int | None, bool]:
    """Month number from ``January``/``jan``/``Jan.``/``5``/``{June}``; bool = whole value.

    For a longer value (``May 15--18``) the first month name counts and the bool is False.
    """
    folded = _unbrace(text).lower().rstrip(".").strip()
    number = _MONTH_NUMBERS.get(folded)
    if number is not None:
        return number, True
    if folded.isdigit():
        value = int(folded)
        return (value, True) if 1 <= value <= 12 else (None, False)
    for word in _WORD.findall(folded):
        number = _MONTH_NUMBERS.get(word)
        if number is not None:
            return number, False
    return None, False


@lru_cache(maxsize=1024)
def parse_year(text: str) -> tuple[int | None, bool]:
    """Year from ``2021``/``{2021}``; ``2021a`` gives 2021 with False (not the whole value)."""
    plain = _unbrace(text)
    if len(plain) == 4 and plain.isdigit():
        return int(plain), True
    match = _YEAR4.search(plain)
    if match:
        return int(match.group(1)), False
    return None, False
