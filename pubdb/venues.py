"""Venue registry, resolution of a paper's venue from booktitle/journal text, and CV shorthand.

A paper's venue is resolved in this order (``resolve_venue``):

1. an explicit hint (al-folio ``abbr``, biblatex ``shortjournal``/``eventtitle``, a ``venue``
   field): ``SIGMOD``, ``XLOOP@SC``, ``VLDB'24``; a hint the registry does not know still names
   the venue;
2. the user's aliases (``alias_key(text)`` -> short name);
3. the registry: the whole text, then the text with "Proceedings of the", years, ordinals,
   locations and dates removed, then its comma/dash parts, then the registry's patterns;
4. an acronym in the text (``(SIGMOD '24)``, ``{CCGrid} 2023``, ``SIGMOD/PODS 2024``,
   ``HPDC '22:``, ``SC21``, ``AI-Science@HPDC 2018``, ``XLOOP workshop at SC21``) checked against
   the registry. An acronym counts only where exports put one (next to a year, in parentheses,
   around ``@``/``at``, alone in its comma part), so a city in South Carolina is not SC;
5. otherwise a new venue from the cleaned text (its own acronym as the short name when it has
   one).

When steps 3 and 4 find several venues in one text, a workshop beats the conference it is held
with (``XLOOP workshop at SC21`` is XLOOP, parent SC), and a conference beats the journal or
book series that printed it (``ICCS 2015 ... Procedia Computer Science`` is ICCS). A text that
says "workshop" but names only a conference (``Workshop on Data at SC21``) is a new workshop
whose parent is that conference, never the conference itself.

Results are cached per distinct text, so an import of 100k entries resolves each venue string
once.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pubdb.errors import PubdbError
from pubdb.textnorm import clean_spaces, fold, latex_to_unicode

__all__ = [
    "KINDS",
    "MatchSource",
    "VenueInfo",
    "VenueMatch",
    "VenueRegistry",
    "VenueRegistryError",
    "alias_key",
    "alias_keys",
    "builtin_venues",
    "clean_venue_text",
    "default_registry",
    "infer_kind",
    "load_registry",
    "read_registry_file",
    "resolve_venue",
    "shorthand",
    "validate_venues",
]


class _LazyPattern:
    """A module-level regular expression compiled on first use.

    Importing this module then costs little (``shorthand`` and ``alias_key`` are on `pubdb
    list`'s start-up path) while venue resolution still gets plain compiled patterns: the first
    call stores the compiled pattern's methods on the instance, where later lookups find them
    before the class's, so there is no per-call indirection.
    """

    _METHODS = ("sub", "search", "match", "fullmatch", "finditer", "findall", "split")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def _compile(self) -> re.Pattern[str]:
        compiled = re.compile(self.pattern, self.flags)
        for name in self._METHODS:
            setattr(self, name, getattr(compiled, name))
        return compiled

    def sub(self, *args: Any, **kwargs: Any) -> Any:
        return self._compile().sub(*args, **kwargs)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        return self._compile().search(*args, **kwargs)

    def match(self, *args: Any, **kwargs: Any) -> Any:
        return self._compile().match(*args, **kwargs)

    def fullmatch(self, *args: Any, **kwargs: Any) -> Any:
        return self._compile().fullmatch(*args, **kwargs)

    def finditer(self, *args: Any, **kwargs: Any) -> Any:
        return self._compile().finditer(*args, **kwargs)

    def findall(self, *args: Any, **kwargs: Any) -> Any:
        return self._compile().findall(*args, **kwargs)

    def split(self, *args: Any, **kwargs: Any) -> Any:
        return self._compile().split(*args, **kwargs)


KINDS: tuple[str, ...] = (
    "conference",
    "journal",
    "workshop",
    "preprint",
    "book",
    "thesis",
    "report",
    "other",
)

MatchSource = Literal["hint", "alias", "registry", "acronym", "cleaned"]

# When one text names several venues: a workshop beats the conference it is held with, a
# conference beats the journal/series that printed its proceedings.
_KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
_KIND_RANK.update({"workshop": 0, "conference": 1, "journal": 2})

_ENTRY_FIELDS = frozenset(
    {"short", "name", "kind", "parent", "area", "aliases", "acronyms", "patterns", "ambiguous"}
)


class VenueRegistryError(PubdbError):
    """A registry file or user entry is malformed (unknown kind, duplicate short, bad parent...)."""


@dataclass(frozen=True)
class VenueInfo:
    """One registry venue. ``parent`` is the short name of the venue a workshop is held with."""

    short: str
    name: str
    kind: str
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    area: str = ""
    ambiguous: bool = False


@dataclass(frozen=True)
class VenueMatch:
    """What ``resolve_venue`` found. ``source`` says which step decided:

    ``hint`` (explicit abbr/venue field), ``alias`` (the user's aliases), ``registry`` (a registry
    name, alias or pattern), ``acronym`` (a registry acronym in the text), ``cleaned`` (not a
    known venue: a new one named from the cleaned text). ``parent`` is the short name of the
    conference a workshop is held with (from the text when it says, else from the registry).
    ``known`` is true when ``short`` is a registry venue.
    """

    short: str
    name: str
    kind: str
    parent: str | None
    source: MatchSource
    matched_text: str
    known: bool = False

    def shorthand(self, year: int | None) -> str:
        """``SIGMOD'24``, ``XLOOP@SC'21``; journals and preprints give the short name."""
        return shorthand(self.short, self.kind, year, self.parent)


# ============================================================================================
# Text normalisation
# ============================================================================================

_MATH_DEBRIS = _LazyPattern(r"[${}^\\]")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "′": "'"})


@functools.lru_cache(maxsize=1 << 16)
def _plain(text: str) -> str:
    """Display text: LaTeX decoded, braces and math debris gone, quotes ASCII, one space."""
    if not text:
        return ""
    decoded = latex_to_unicode(text) if ("\\" in text or "{" in text or "--" in text) else text
    decoded = _MATH_DEBRIS.sub("", decoded).translate(_QUOTES)
    return clean_spaces(decoded)


_EXPAND = {
    "int": "international",
    "intl": "international",
    "internat": "international",
    "conf": "conference",
    "symp": "symposium",
    "proc": "proceedings",
    "procs": "proceedings",
    "trans": "transactions",
    "j": "journal",
    "jour": "journal",
    "wksp": "workshop",
    "wkshp": "workshop",
    "workshops": "workshop",
}
_STOPWORDS = frozenset({"the", "of", "on", "in", "and", "for", "at", "to"})
_ORG_WORDS = frozenset(
    {"ieee", "acm", "usenix", "ifip", "siam", "eai", "iacr", "cvf", "rsj", "spec", "isoc"}
)
_LOOSE_DROP = _ORG_WORDS | {"international", "annual"}
_INTL_RE = _LazyPattern(r"\bint'?l\b\.?")
_E_PREFIX_RE = _LazyPattern(r"\be-(?=[a-z])")
_NON_WORD_RE = _LazyPattern(r"[\W_]+")
# Every ASCII character ``[\W_]`` matches, as a space: for ASCII text ``translate`` then
# ``split`` gives the words ``_NON_WORD_RE.sub(" ", text).split()`` gives, without a regex.
_ASCII_NON_WORD_TO_SPACE = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not (c.isascii() and c.isalnum())}
)


def _tokens(text: str) -> list[str]:
    r"""The runs of letters and digits in ``text`` (``[\W_]+`` splits them)."""
    if text.isascii():
        return text.translate(_ASCII_NON_WORD_TO_SPACE).split()
    return _NON_WORD_RE.sub(" ", text).split()


@functools.lru_cache(maxsize=1 << 16)
def _words(plain: str) -> tuple[str, ...]:
    s = fold(plain).replace("&", " and ")
    if "intl" in s or "int'l" in s:  # the only texts _INTL_RE can match
        s = _INTL_RE.sub("international ", s)
    if "e-" in s:
        s = _E_PREFIX_RE.sub("e", s)
    return tuple(w for w in (_EXPAND.get(t, t) for t in _tokens(s)) if w not in _STOPWORDS)


def alias_key(text: str) -> str:
    """The lookup key of a venue text: folded, punctuation and "the/of/on/in/and/for/at/to"
    gone, ``Proc.``/``Int'l``/``Conf.``/``Trans.``/``J.`` spelled out. Store user aliases under
    this key so ``resolve_venue(..., user_aliases=...)`` finds them."""
    return " ".join(_words(_plain(text)))


def _loose_key(words: tuple[str, ...]) -> str:
    """Organisation words and "international"/"annual" dropped; '' when too little is left
    (fewer than three words is too generic to match loosely: "Big Data")."""
    rest = [w for w in words if w not in _LOOSE_DROP]
    return " ".join(rest) if len(rest) >= 3 else ""


def _norm(plain: str) -> str:
    """The text patterns are searched in: folded, & -> and, every punctuation run one space."""
    return " ".join(_tokens(fold(plain).replace("&", " and ")))


# ============================================================================================
# Cleaning: "Proceedings of the 27th ..., HPDC 2018, Tempe, AZ, USA, June 11-15, 2018" -> name
# ============================================================================================

_YEAR = r"(?:\d{4}|\d{2})(?!\d)"
_YEAR_RE = _LazyPattern(r"(?<![\w'])(?:19|20)\d{2}(?!\d)")
_DASH_YEAR_RE = _LazyPattern(r"\b([A-Z][\w&+]*[A-Z])-(?:\d{4}|\d{2})(?!\d)")
_APOS_YEAR_RE = _LazyPattern(r"\s*'\s*(?:\d{4}|\d{2})(?!\d)")
_ORDINAL_RE = _LazyPattern(r"\b\d+\s*(?:st|nd|rd|th)\b", re.IGNORECASE)
_UNITS = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
_WORD_ORDINAL_RE = _LazyPattern(
    rf"\b(?:(?:twenty|thirty|forty|fifty|sixty)[-\s]?(?:{_UNITS})|{_UNITS}|tenth|eleventh|twelfth"
    r"|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth"
    r"|thirtieth|fortieth|fiftieth|sixtieth)\b",
    re.IGNORECASE,
)
# "SC '21: ", "SC20: ", "SIGMOD/PODS '24: ", "HPDC '22: " in front of the proceedings title.
_EVENT_PREFIX_RE = _LazyPattern(
    r"^\s*[A-Za-z][\w&+/@-]*(?:\s+[A-Z][\w&+/@-]*)?\s*'?\s*(?:\d{4}|\d{2})\s*:\s+"
)
_LEADING_RE = _LazyPattern(
    r"^(?:in\s*:\s*|in\s+(?=proc)|the\s+|(?:(?:companion|adjunct|supplemental)\s+)?"
    r"(?:proceedings|proc\.?)\s*(?:of\s+)?(?:the\s+)?|(?:companion|adjunct|extended\s+abstracts)"
    r"\s+(?:proceedings\s+)?of\s+(?:the\s+)?)",
    re.IGNORECASE,
)
_PAREN_RE = _LazyPattern(r"\([^()]*\)")
_DIGIT_RE = _LazyPattern(r"\d")
_AT_TOKEN_RE = _LazyPattern(r"\s*@\s*[\w&+/-]+(?:\s*'?\s*(?:\d{4}|\d{2})(?!\d))?")
_AT_PARENT_RE = _LazyPattern(
    r"\s+(?:at|co-?located\s+with|in\s+conjunction\s+with|held\s+(?:in\s+conjunction\s+)?with)"
    r"\s+(?:the\s+)?([A-Za-z][\w&+/-]*)(?:\s*'?\s*(?:\d{4}|\d{2})(?!\d))?\s*$",
    re.IGNORECASE,
)
_VOLUME_RE = _LazyPattern(
    r"\b(?:vol(?:ume)?\.?|no\.?|number|issue|pp\.?|pages?|part)\s*[\dIVX]+(?:\s*[-–—]\s*\d+)?\b.*$",
    re.IGNORECASE,
)
_TRAILING_NUMBER_RE = _LazyPattern(r"\s+\d+(?:\s*[:,]\s*\d+(?:\s*[-–—]\s*\d+)?)?\s*$")
_TRAILING_GENERIC_RE = _LazyPattern(
    r"\s+[-–—:]\s+(?:(?:ieee|acm|eai|ifip|international|annual|joint|the)\s+)*"
    r"(?:conference|workshop|symposium)(?:\s+proceedings)?\s*$",
    re.IGNORECASE,
)
_EDGE_PUNCT = " ,;:-–—/'."
_EDGE_PUNCT_RIGHT = " ,;:-–—/'"

_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE_SEGMENT_RE = _LazyPattern(
    rf"^(?:[\d\s\-–—/.]*\b(?:{_MONTH})\b\.?[\d\s\-–—/.,]*(?:(?:{_MONTH})\b\.?[\d\s\-–—/.,]*)?|[\d\s\-–—/.()]+)$",
    re.IGNORECASE,
)
_JUNK_SEGMENT_RE = _LazyPattern(
    r"^(?:revised\s+selected\s+papers|selected\s+papers|proceedings|proc\.?|part\s+[ivx\d]+"
    r"|(?:vol(?:ume)?\.?|no\.?|number|issue|pp\.?|pages?)\s*[\dIVX].*|companion(?:\s+volume)?"
    r"|short\s+papers|long\s+papers|extended\s+abstracts|posters?)\.?$",
    re.IGNORECASE,
)
_COUNTRY_CODES = frozenset({"usa", "us", "uk", "uae", "prc", "eu"})
_COUNTRY_WORDS = (
    "usa|u\\.s\\.a\\.|uk|united states|united kingdom|england|scotland|ireland|canada|mexico"
    "|brazil|chile|argentina|colombia|peru|china|japan|korea|taiwan|hong kong|singapore|india"
    "|thailand|vietnam|malaysia|indonesia|australia|new zealand|germany|france|italy|spain"
    "|portugal|netherlands|belgium|luxembourg|switzerland|austria|sweden|norway|denmark|finland"
    "|iceland|poland|czech republic|czechia|hungary|romania|greece|turkey|cyprus|israel|egypt"
    "|morocco|south africa|uae|united arab emirates|qatar|saudi arabia|russia|estonia|croatia"
    "|serbia|slovenia|malta"
)
_LOCATION_END_RE = _LazyPattern(rf"(?:^|\s)(?:{_COUNTRY_WORDS})\.?$", re.IGNORECASE)
_VIRTUAL_RE = _LazyPattern(r"^(?:virtual|online|hybrid)(?:\s+(?:event|conference|only))?\b", re.I)
_CS_WORDS = frozenset(
    [
        "conference",
        "workshop",
        "workshops",
        "symposium",
        "computing",
        "computer",
        "computers",
        "computation",
        "computational",
        "data",
        "systems",
        "system",
        "networking",
        "networks",
        "network",
        "analysis",
        "science",
        "sciences",
        "engineering",
        "processing",
        "learning",
        "intelligence",
        "software",
        "storage",
        "analytics",
        "information",
        "management",
        "international",
        "annual",
        "ieee",
        "acm",
        "journal",
        "transactions",
        "letters",
        "proceedings",
        "technology",
        "technologies",
        "applications",
        "research",
        "design",
        "theory",
        "algorithms",
        "programming",
        "languages",
        "machine",
        "security",
        "privacy",
        "performance",
        "modeling",
        "simulation",
        "parallel",
        "distributed",
        "cloud",
        "grid",
        "vision",
        "image",
        "graphics",
        "web",
    ]
)

_ACRONYM_TOKEN = r"[A-Za-z0-9][\w&+/@.'-]*"
_ACRONYM_SEGMENT_RE = _LazyPattern(
    rf"^(?:the\s+)?({_ACRONYM_TOKEN})(?:\s+(?:conference|workshops?|symposium|companion))?"
    rf"\s*'?\s*{_YEAR}",
    re.IGNORECASE,
)
_ACRONYMS_ONLY_RE = _LazyPattern(
    rf"^(?:{_ACRONYM_TOKEN})(?:[\s/]+{_ACRONYM_TOKEN})*(?:\s+(?:conference|workshops?))?$"
)


_LOWER_UPPER_RE = _LazyPattern(r"[a-z][A-Z]")


@functools.lru_cache(maxsize=1 << 16)
def _acronym_like(token: str) -> bool:
    """``SIGMOD``, ``CCGrid``, ``eScience``, ``AI4S``, ``3DV`` — not ``Networking`` or ``Data``."""
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return False
    uppers = sum(1 for c in letters if c.isupper())
    if uppers >= 2:
        return True
    if _LOWER_UPPER_RE.search(token):
        return True
    return uppers >= 1 and any(c.isdigit() for c in token)


@functools.cache
def _separator_re(seps: str) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(seps)}]")


@functools.cache
def _paren_or_separator_re(seps: str) -> re.Pattern[str]:
    return re.compile(f"[(){re.escape(seps)}]")


def _split_top(text: str, seps: str = ",;") -> list[tuple[int, str]]:
    """Split on separators outside parentheses; each part with its start offset."""
    parts: list[tuple[int, str]] = []
    if "(" not in text:
        start = 0
        for m in _separator_re(seps).finditer(text):
            parts.append((start, text[start : m.start()]))
            start = m.end()
        parts.append((start, text[start:]))
        return parts
    depth = 0
    start = 0
    for m in _paren_or_separator_re(seps).finditer(text):  # the characters that matter
        i, ch = m.start(), m.group()
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch in seps and depth == 0:
            parts.append((start, text[start:i]))
            start = i + 1
    parts.append((start, text[start:]))
    return parts


def _strip_leading(s: str) -> str:
    # Each pattern is tried at the start only (and only when the first character can begin a
    # match: the case-insensitive ones look at ASCII text only), and what it matches is cut off.
    while True:
        before = s
        s = s.lstrip(_EDGE_PUNCT).rstrip(_EDGE_PUNCT_RIGHT)
        m = _YEAR_RE.match(s) if s.startswith(("19", "20")) else None
        s = s[m.end() :].strip() if m else s.strip()
        ascii = s.isascii()
        m = _LEADING_RE.match(s) if not ascii or s[:1].lower() in _LEADING_FIRST else None
        if m:
            s = s[m.end() :]
        m = _ORDINAL_RE.match(s) if s[:1].isdecimal() else None
        if m:
            s = s[m.end() :]
        m = _WORD_ORDINAL_RE.match(s) if not ascii or s[:1].lower() in _ORDINAL_FIRST else None
        if m:
            s = s[m.end() :]
        if s == before:
            return s


# The letters matches of _LEADING_RE ("in", "the", "companion", "adjunct", "supplemental",
# "proceedings", "extended") and of _WORD_ORDINAL_RE begin with.
_LEADING_FIRST = "itcaspe"
_ORDINAL_FIRST = "tfsen"


def _at_parent_sub(m: re.Match[str]) -> str:
    return "" if _acronym_like(m.group(1)) else m.group(0)


@functools.lru_cache(maxsize=1 << 15)
def _clean_segment(seg: str) -> str:
    s = seg
    if "(" in s or ")" in s:
        while _PAREN_RE.search(s):
            s = _PAREN_RE.sub(" ", s)
        s = s.replace("(", " ").replace(")", " ")
    if "@" in s:
        s = _AT_TOKEN_RE.sub("", s)
    # ASCII text (the usual case) lets cheap substring tests skip the patterns that cannot
    # match; any other text goes through every pattern.
    ascii = seg.isascii()
    if not ascii or _may_name_parent(s):
        s = _AT_PARENT_RE.sub(_at_parent_sub, s)
    has_digit = _DIGIT_RE.search(s) is not None
    if has_digit:  # each of these needs a digit, and the literal its test asks for
        if "'" in s:
            s = _APOS_YEAR_RE.sub("", s)
        if "-" in s:
            s = _DASH_YEAR_RE.sub(r"\1", s)
        if "19" in s or "20" in s:
            s = _YEAR_RE.sub("", s)
        if not ascii or _may_have_ordinal(s):
            s = _ORDINAL_RE.sub("", s)
    words = _ascii_words(s) if ascii else []
    if not ascii or not _ORDINAL_WORDS.isdisjoint(words):
        s = _WORD_ORDINAL_RE.sub("", s)
        words = _ascii_words(s) if ascii else []
    if has_digit and (not ascii or any(w.startswith(_VOLUME_WORDS) for w in words)):
        s = _VOLUME_RE.sub("", s)
    s = clean_spaces(s)
    s = _strip_leading(s)
    if has_digit and _may_end_in_number(s):
        s = _TRAILING_NUMBER_RE.sub("", s)
    if ":" in s or "-" in s or "–" in s or "—" in s:
        s = _TRAILING_GENERIC_RE.sub("", s)
    return clean_spaces(s).lstrip(_EDGE_PUNCT).rstrip(_EDGE_PUNCT_RIGHT)


def _may_name_parent(ascii_text: str) -> bool:
    """False when ``_AT_PARENT_RE`` cannot match the ASCII text: every match has the word "at"
    between spaces or "with" ("co-located with", "held with", "in conjunction with")."""
    low = ascii_text.lower()
    return "with" in low or "at" in low.split()


def _ascii_words(ascii_text: str) -> list[str]:
    """The lower-case runs of letters and digits of an ASCII text."""
    return ascii_text.lower().translate(_ASCII_NON_WORD_TO_SPACE).split()


def _may_have_ordinal(ascii_text: str) -> bool:
    """False when ``_ORDINAL_RE`` ("27th", "1 st") cannot match the ASCII text."""
    low = ascii_text.lower()
    return "th" in low or "st" in low or "nd" in low or "rd" in low


# A match of _WORD_ORDINAL_RE is one of these words, or "twenty-first"/"twenty first" (whose
# second word is one of them).
_ORDINAL_UNITS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                  "ninth")  # fmt: skip
_ORDINAL_WORDS = frozenset(
    [*_ORDINAL_UNITS, "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
     "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth", "thirtieth", "fortieth",
     "fiftieth", "sixtieth",
     *(tens + unit for tens in ("twenty", "thirty", "forty", "fifty", "sixty")
       for unit in _ORDINAL_UNITS)]
)  # fmt: skip


# A match of _VOLUME_RE begins a word with one of these ("vol. 3", "No. 2", "pp. 1-9").
_VOLUME_WORDS = ("vol", "no", "number", "issue", "pp", "page", "part")


def _may_end_in_number(text: str) -> bool:
    """False when ``_TRAILING_NUMBER_RE`` cannot match: its matches end the text with a digit
    and begin with white space then a digit."""
    return text.rstrip()[-1:].isdecimal() and any(w[:1].isdecimal() for w in text.split())


@functools.lru_cache(maxsize=1 << 15)
def _stop_kind(seg: str) -> str:
    """Why a later comma part ends the name: 'acronym', 'date', 'location', 'junk' or ''."""
    s = seg.strip()
    if not s:
        return ""
    if _DATE_SEGMENT_RE.match(s):
        return "date"
    if _JUNK_SEGMENT_RE.match(s):
        return "junk"
    if _VIRTUAL_RE.match(s) or _LOCATION_END_RE.search(s):
        return "location"
    m = _ACRONYM_SEGMENT_RE.match(s)
    if m and _acronym_like(m.group(1)):
        return "acronym"
    if _ACRONYMS_ONLY_RE.match(s) and all(
        _acronym_like(t) for t in re.split(r"[\s/]+", s) if t.lower() not in _KW_WORDS
    ):
        return "location" if re.fullmatch(r"[A-Z]{2}", s) else "acronym"
    return ""


_KW_WORDS = frozenset({"conference", "workshop", "workshops"})


def _city_like(seg: str) -> bool:
    words = seg.split()
    if not 1 <= len(words) <= 3:
        return False
    return not any(fold(w).strip(".") in _CS_WORDS for w in words)


def _fewer_than_three_words(piece: str) -> bool:
    """True when ``_words(_clean_segment(piece))`` has fewer than three words for sure: an ASCII
    piece with fewer than three runs of letters and digits. Cleaning only cuts text out (or puts
    a space for a parenthesis), which never makes more runs, and the cleaned text folds without
    LaTeX decoding (none of ``\\{}$~```, and too few ``-``/``'`` to make ``--``/``''``)."""
    return (
        piece.isascii()
        and len(piece.translate(_ASCII_NON_WORD_TO_SPACE).split()) < 3
        and piece.count("-") < 2
        and piece.count("'") < 2
        and not _LATEX_CHAR_RE.search(piece)
    )


_LATEX_CHAR_RE = _LazyPattern(r"[\\{}$~`]")


@functools.lru_cache(maxsize=1 << 16)
def _without_event_prefix(plain: str) -> str:
    """``plain`` without an ``SC '21: `` prefix (the pattern is anchored at the start)."""
    m = _EVENT_PREFIX_RE.match(plain)
    return plain[m.end() :] if m else plain


@functools.lru_cache(maxsize=1 << 16)
def clean_venue_text(text: str) -> str:
    """The venue's name without the event details exports add.

    LaTeX/braces, "Proceedings of the", "Companion of the", an ``SC '21:`` prefix, years,
    ordinals, parenthesised acronyms, volume/pages, and the trailing acronym-year, location and
    date parts are removed::

        Proceedings of the 27th International Symposium on High-Performance Parallel and
        Distributed Computing, HPDC 2018, Tempe, AZ, USA, June 11-15, 2018
        -> International Symposium on High-Performance Parallel and Distributed Computing
    """
    plain = _plain(text)
    if not plain:
        return ""
    s = _without_event_prefix(plain)
    kept: list[str] = []
    for _, raw in _split_top(s):
        seg = raw.strip()
        if not seg:
            continue
        if kept:
            why = _stop_kind(seg)
            if why:
                if why == "location" and len(kept) > 1 and _city_like(kept[-1]):
                    kept.pop()
                break
        cleaned = _clean_segment(seg)
        if not cleaned or _JUNK_SEGMENT_RE.match(cleaned):
            continue
        kept.append(cleaned)
    return ", ".join(kept)


# ============================================================================================
# Kinds and shorthand
# ============================================================================================

_PREPRINT_RE = _LazyPattern(r"\b(?:arxiv|biorxiv|medrxiv|chemrxiv|techrxiv|preprint|e-?prints?)\b")
_WORKSHOP_RE = _LazyPattern(r"\bworkshops?\b")
_WORKSHOP_ANYCASE_RE = _LazyPattern(r"\s*\bworkshops?\b", re.IGNORECASE)
_CORR_RE = _LazyPattern(r"^corr\b")
_THESIS_RE = _LazyPattern(r"\b(?:thesis|dissertation)\b")
_REPORT_RE = _LazyPattern(r"\b(?:technical report|tech\. rep|report)\b")
_JOURNAL_RE = _LazyPattern(r"\b(?:journal|transactions|letters|review|magazine|bulletin|annals)\b")
_CONFERENCE_RE = _LazyPattern(
    r"\b(?:conference|symposium|proceedings|congress|colloquium|meeting)\b"
)


def infer_kind(text: str, entry_type: str = "") -> str:
    """The kind of an unknown venue from its text and the BibTeX entry type."""
    f = fold(_plain(text))
    et = entry_type.strip().lower()
    if _PREPRINT_RE.search(f) or _CORR_RE.match(f):
        return "preprint"
    if _WORKSHOP_RE.search(f) and et != "article":
        return "workshop"
    if et == "article":
        return "journal"
    if et in {"inproceedings", "conference", "proceedings"}:
        return "conference"
    if et in {"book", "inbook", "incollection", "booklet", "collection", "mvbook", "bookinbook"}:
        return "book"
    if et in {"phdthesis", "mastersthesis", "thesis"}:
        return "thesis"
    if et in {"techreport", "report"}:
        return "report"
    if _THESIS_RE.search(f):
        return "thesis"
    if _REPORT_RE.search(f):
        return "report"
    if _JOURNAL_RE.search(f):
        return "journal"
    if _CONFERENCE_RE.search(f):
        return "conference"
    return "other"


def shorthand(short: str, kind: str, year: int | None, parent_short: str | None = None) -> str:
    """The CV form: ``SIGMOD'24``, ``XLOOP@SC'21``, ``AI-Science@HPDC'18``.

    Conferences and workshops get ``'YY``; a workshop is prefixed to its parent unless its short
    name already starts with it (``SC-W'23``, ``IPDPSW'19``). Every other kind returns the short
    name unchanged (templates decide how journals print).
    """
    if kind not in ("conference", "workshop"):
        return short
    base = short
    if (
        kind == "workshop"
        and parent_short
        and "@" not in short
        and not short.casefold().startswith(parent_short.casefold())
    ):
        base = f"{short}@{parent_short}"
    return base if year is None else f"{base}'{year % 100:02d}"


# ============================================================================================
# Registry files
# ============================================================================================


def _as_tuple(value: Any, what: str, short: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise VenueRegistryError(f"venue {short!r}: {what} must be a list of strings")


def _entry_to_info(entry: Mapping[str, Any]) -> VenueInfo:
    short = str(entry.get("short", "")).strip()
    unknown = set(entry) - _ENTRY_FIELDS
    if unknown:
        raise VenueRegistryError(
            f"venue {short or '?'!r}: unknown field(s) {', '.join(sorted(unknown))}"
        )
    parent = entry.get("parent")
    return VenueInfo(
        short=short,
        name=str(entry.get("name", "")).strip(),
        kind=str(entry.get("kind", "")).strip().lower(),
        parent=str(parent).strip() or None if parent else None,
        aliases=_as_tuple(entry.get("aliases"), "aliases", short),
        acronyms=_as_tuple(entry.get("acronyms"), "acronyms", short),
        patterns=_as_tuple(entry.get("patterns"), "patterns", short),
        area=str(entry.get("area", "") or "").strip(),
        ambiguous=bool(entry.get("ambiguous", False)),
    )


def _entries_from_data(data: Any, origin: str) -> list[Mapping[str, Any]]:
    if isinstance(data, Mapping):
        data = data.get("venue", data.get("venues"))
    if not isinstance(data, list) or not all(isinstance(e, Mapping) for e in data):
        raise VenueRegistryError(f"{origin}: expected a list of venue tables ([[venue]])")
    return list(data)


def read_registry_file(path: str | Path) -> list[VenueInfo]:
    """Read a registry file: TOML (``[[venue]]`` tables) or JSON (a list of venue objects, or
    ``{"venue": [...]}``)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise VenueRegistryError(f"{p}: cannot read venue registry ({exc.strerror})") from exc
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(raw.decode("utf-8"))
        else:
            import tomllib

            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise VenueRegistryError(f"{p}: not a valid venue registry: {exc}") from exc
    return [_entry_to_info(e) for e in _entries_from_data(data, str(p))]


@functools.cache
def builtin_venues() -> tuple[VenueInfo, ...]:
    """The venues shipped in ``pubdb/data/venues.toml``."""
    import tomllib

    text = resources.files("pubdb").joinpath("data/venues.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return tuple(_entry_to_info(e) for e in _entries_from_data(data, "pubdb/data/venues.toml"))


def _merge(base: Iterable[VenueInfo], extra: Iterable[VenueInfo]) -> list[VenueInfo]:
    """User entries: a new short adds a venue; a known short updates the fields it gives and
    adds its aliases, acronyms and patterns to the shipped ones."""
    merged: dict[str, VenueInfo] = {v.short.casefold(): v for v in base}
    for e in extra:
        key = e.short.casefold()
        old = merged.get(key)
        if old is None:
            merged[key] = e
            continue
        merged[key] = replace(
            old,
            name=e.name or old.name,
            kind=e.kind or old.kind,
            parent=e.parent if e.parent is not None else old.parent,
            aliases=tuple(dict.fromkeys(old.aliases + e.aliases)),
            acronyms=tuple(dict.fromkeys(old.acronyms + e.acronyms)),
            patterns=tuple(dict.fromkeys(old.patterns + e.patterns)),
            area=e.area or old.area,
            ambiguous=e.ambiguous or old.ambiguous,
        )
    return list(merged.values())


def _acronym_forms(v: VenueInfo) -> list[str]:
    forms = list(v.acronyms)
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9&+/-]*", v.short) and _acronym_like(v.short):
        forms += [v.short, v.short.upper()]
    return list(dict.fromkeys(forms))


def validate_venues(venues: Iterable[VenueInfo]) -> list[str]:
    """Problems in a list of venues (empty when it is a valid registry): missing fields,
    unknown kinds, duplicate short names, parents that do not exist, patterns that do not
    compile, an alias or acronym claimed by two venues."""
    venues = list(venues)
    problems: list[str] = []
    shorts: dict[str, str] = {}
    for v in venues:
        if not v.short:
            problems.append(f"a venue has no short name (name {v.name!r})")
            continue
        if not v.name:
            problems.append(f"venue {v.short!r}: no name")
        if v.kind not in KINDS:
            problems.append(f"venue {v.short!r}: kind {v.kind!r} is not one of {', '.join(KINDS)}")
        if v.short.casefold() in shorts:
            problems.append(f"venue {v.short!r}: short name used twice")
        shorts[v.short.casefold()] = v.short
        for p in v.patterns:
            try:
                re.compile(p)
            except re.error as exc:
                problems.append(f"venue {v.short!r}: pattern {p!r} does not compile ({exc})")
    for v in venues:
        if v.parent is not None:
            if v.parent.casefold() not in shorts:
                problems.append(f"venue {v.short!r}: parent {v.parent!r} is not a known venue")
            elif v.parent.casefold() == v.short.casefold():
                problems.append(f"venue {v.short!r}: is its own parent")
    owners: dict[str, str] = {}
    acronyms: dict[str, str] = {}
    for v in venues:
        for text in (v.short, v.name, *v.aliases):
            key = alias_key(text)
            if not key:
                continue
            other = owners.setdefault(key, v.short)
            if other.casefold() != v.short.casefold():
                problems.append(f"alias {text!r} of {v.short!r} already means {other!r}")
        for form in _acronym_forms(v):
            other = acronyms.setdefault(form, v.short)
            if other.casefold() != v.short.casefold():
                problems.append(f"acronym {form!r} of {v.short!r} already means {other!r}")
    return problems


# ============================================================================================
# The registry and resolution
# ============================================================================================


class _Cand(NamedTuple):  # a tuple: made for every venue named in every text resolved
    info: VenueInfo
    strength: int  # 0 cleaned whole text, 1 a comma/dash part, 2 a pattern, 3 an acronym
    pos: int
    role: str  # "main" or "parent" (named as the event a workshop is held at)
    text: str
    covers_workshop: bool = False  # the matched text itself says "workshop"


_SLASH_DASH_RE = _LazyPattern(r"[/-]")
_SPACED_DASH_RE = _LazyPattern(r"\s[-–—]\s")
_TOKEN_RE = _LazyPattern(r"(?<![\w&+/-])[A-Za-z0-9](?:[A-Za-z0-9&+/-]*[A-Za-z0-9+])?")
_GLUED_YEAR_RE = _LazyPattern(r"(.*[A-Za-z])'?((?:19|20)?\d{2})")
_YEAR_AFTER_RE = _LazyPattern(r"\s*'?\s*(?:\d{4}|\d{2})(?![\d])")
_PAREN_BEFORE_RE = _LazyPattern(r"\(\s*$")
_PAREN_AFTER_RE = _LazyPattern(r"\s*(?:'?\s*(?:\d{4}|\d{2}))?\s*\)")
_AT_AFTER_RE = _LazyPattern(r"\s*@")
_AT_BEFORE_RE = _LazyPattern(
    r"(?:@|\b(?:at|co-?located\s+with|in\s+conjunction\s+with|held\s+with))\s*(?:the\s+)?$",
    re.IGNORECASE,
)
_KW_AFTER_RE = _LazyPattern(
    r"\s*(?:'?\s*(?:\d{4}|\d{2}))?\s+(workshops?|conference|companion)\b", re.I
)
_FILLER = _ORG_WORDS | {
    "proceedings",
    "proc",
    "of",
    "the",
    "in",
    "conference",
    "conf",
    "companion",
    "international",
    "annual",
}
_SEGMENT_SEPS = ",;:()"


# What makes ``textnorm.fold`` decode LaTeX before folding (its ``_NEEDS_DECODING``); text
# without any of it folds as ASCII text does: lower case, one space.
_FOLD_DECODES_RE = _LazyPattern(r"[\\{}$~`]|--|''")
# The words _ORDINAL_RE may remove ("1 st"); every other word of letters stays.
_ORDINAL_ENDINGS = frozenset({"st", "nd", "rd", "th"})


_AT_BEFORE_ENDS = ("@", "at", "with")  # the ends of _AT_BEFORE_RE's words


def _names_parent_before(before: str) -> bool:
    """``_AT_BEFORE_RE`` matches: ``before`` ends with "@", "at", "co-located with"... (and
    perhaps "the"). An ASCII text that does not end so, ignoring case, spaces and one "the", is
    answered without the pattern."""
    if before.isascii():
        t = before.rstrip().lower()
        if not t.endswith(_AT_BEFORE_ENDS) and not (
            t.endswith("the") and t[:-3].rstrip().endswith(_AT_BEFORE_ENDS)
        ):
            return False
    return _AT_BEFORE_RE.search(before) is not None


def _filler_only(text: str) -> bool:
    """True when every word of ``text`` is filler ("proceedings of the", "IEEE"), a number, a
    year or an ordinal."""
    if text.isascii() and not _FOLD_DECODES_RE.search(text):
        # A word of letters no pattern below touches and that is not filler answers at once
        # (removed years and ordinals leave a space, so it stays a word of its own).
        for w in text.translate(_ASCII_NON_WORD_TO_SPACE).split():
            if w.isalpha():
                w = w.lower()
                if w not in _FILLER and w not in _ORDINAL_ENDINGS:
                    return False
    s = text
    if _DIGIT_RE.search(s):  # years, 'YY and ordinals all have a digit
        s = _APOS_YEAR_RE.sub(" ", s)
        s = _YEAR_RE.sub(" ", s)
        s = _ORDINAL_RE.sub(" ", s)
    return all(w in _FILLER or w.isdigit() for w in _tokens(fold(s)))


_SEGMENT_SEP_RE = _LazyPattern(f"[{re.escape(_SEGMENT_SEPS)}]")
_UP_TO_LAST_SEP_RE = _LazyPattern(f".*[{re.escape(_SEGMENT_SEPS)}]", re.DOTALL)


def _segment_around(plain: str, start: int, end: int) -> tuple[str, str]:
    """The text between ``plain[start:end]`` and the separators (``,;:()``) either side."""
    m = _UP_TO_LAST_SEP_RE.match(plain, 0, start)
    lo = m.end() if m else 0
    m = _SEGMENT_SEP_RE.search(plain, end)
    hi = m.start() if m else len(plain)
    return plain[lo:start], plain[end:hi]


def _required_literal(pattern: str) -> str | None:
    """The longest literal run (lower-case letters, digits, spaces) outside any group that every
    match of ``pattern`` contains; None when there is none worth testing for."""
    runs: list[str] = []
    run = ""
    depth = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            runs.append(run)
            run = ""
            i += 2
            continue
        if ch == "[":
            runs.append(run)
            run = ""
            close = pattern.find("]", i + 2)
            i = len(pattern) if close < 0 else close + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return None
        elif ch in "?*{" and depth == 0:
            run = run[:-1]
            runs.append(run)
            run = ""
        elif depth == 0 and (ch.islower() or ch.isdigit() or ch == " "):
            run += ch
            i += 1
            continue
        runs.append(run)
        run = ""
        i += 1
    runs.append(run)
    best = max((r.strip() for r in runs), key=len, default="")
    return best if len(best) >= 3 else None


def _strip_year(text: str) -> str:
    s = re.sub(r"\s*'?\s*(?:\d{4}|\d{2})$", "", text.strip())
    return s.strip() or text.strip()


class VenueRegistry:
    """The venues pubdb knows, indexed for resolution. Build with ``load_registry``."""

    def __init__(self, venues: Iterable[VenueInfo]) -> None:
        self._venues = tuple(venues)
        problems = validate_venues(self._venues)
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise VenueRegistryError("invalid venue registry: " + "; ".join(problems[:3]) + more)
        self._by_short = {v.short.casefold(): v for v in self._venues}
        exact: dict[str, VenueInfo] = {}
        cleaned: dict[str, set[str]] = {}
        loose: dict[str, set[str]] = {}
        for v in self._venues:
            for text in (v.short, v.name, *v.aliases):
                exact[alias_key(text)] = v
                words = _words(clean_venue_text(text))
                if len(words) >= 2:
                    cleaned.setdefault(" ".join(words), set()).add(v.short)
                lk = _loose_key(words)
                if lk:
                    loose.setdefault(lk, set()).add(v.short)
        exact.pop("", None)
        self._exact = exact
        self._cleaned = {
            k: self._by_short[next(iter(s)).casefold()] for k, s in cleaned.items() if len(s) == 1
        }
        self._loose = {
            k: self._by_short[next(iter(s)).casefold()] for k, s in loose.items() if len(s) == 1
        }
        self._acronyms: dict[str, VenueInfo] = {}
        self._ambiguous: set[str] = set()
        self._hint_index: dict[str, VenueInfo] = {}
        for v in self._venues:
            for form in _acronym_forms(v):
                self._acronyms[form] = v
                if v.ambiguous or len(form) <= 2:
                    self._ambiguous.add(form)
            for form in (v.short, *_acronym_forms(v)):
                self._hint_index.setdefault(form.casefold(), v)
        # Each pattern with a literal its matches must contain: a substring test skips the
        # regular expression for the texts (most of them) that cannot match.
        self._patterns = [
            (v, re.compile(p), _required_literal(p)) for v in self._venues for p in v.patterns
        ]
        self._resolve_cached = functools.lru_cache(maxsize=1 << 17)(self._resolve_uncached)
        # What another process resolved already (remember): an import's worker processes
        # resolve the venue texts they read, so the main process need not.
        self._remembered: dict[tuple[str, str], VenueMatch] = {}
        self._resolve_hint = functools.lru_cache(maxsize=1 << 14)(self._resolve_hint_uncached)
        self._piece_match = functools.lru_cache(maxsize=1 << 16)(self._piece_match_uncached)
        self._acronym_lookup = functools.lru_cache(maxsize=1 << 16)(self._acronym_lookup_uncached)

    # -- the collection ----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._venues)

    def __iter__(self) -> Iterator[VenueInfo]:
        return iter(self._venues)

    def __contains__(self, short: object) -> bool:
        return isinstance(short, str) and short.casefold() in self._by_short

    @property
    def venues(self) -> tuple[VenueInfo, ...]:
        return self._venues

    def get(self, short: str) -> VenueInfo | None:
        """The venue with this short name (case-insensitive), or None."""
        return self._by_short.get(short.strip().casefold())

    def lookup(self, text: str) -> VenueInfo | None:
        """A venue named exactly by ``text``: its short name, an acronym spelling, its full name
        or an alias (after normalisation and cleaning); no acronym search inside the text."""
        plain = _plain(text)
        if not plain:
            return None
        return self._hint_index.get(_strip_year(plain).casefold()) or self._by_alias(plain)

    def cache_info(self) -> functools._CacheInfo:
        """Hit/miss counts of the per-text resolution cache."""
        return self._resolve_cached.cache_info()  # type: ignore[attr-defined]

    # -- alias lookups -----------------------------------------------------------------------

    def _by_alias(self, plain: str) -> VenueInfo | None:
        info = self._exact.get(" ".join(_words(plain)))
        if info:
            return info
        words = _words(clean_venue_text(plain))
        key = " ".join(words)
        return self._exact.get(key) or self._cleaned.get(key) or self._loose.get(_loose_key(words))

    def _match(
        self, info: VenueInfo, source: MatchSource, matched: str, parent: str | None = None
    ) -> VenueMatch:
        if info.kind != "workshop" or parent is None or parent.casefold() == info.short.casefold():
            parent = info.parent
        return VenueMatch(info.short, info.name, info.kind, parent, source, matched, True)

    # -- resolution --------------------------------------------------------------------------

    def resolve(self, text: str, entry_type: str = "") -> VenueMatch | None:
        """Resolve one venue text (registry, acronym, cleaned); cached per (text, entry_type)."""
        remembered = self._remembered.get((text, entry_type))
        if remembered is not None:
            return remembered
        return self._resolve_cached(text, entry_type)

    def remember(self, text: str, entry_type: str, match: VenueMatch) -> None:
        """Take ``match`` as what :meth:`resolve` gives for ``(text, entry_type)``: it is
        what this registry's ``resolve`` gave in another process (a worker forked from this
        one, with the same registry)."""
        self._remembered[(text, entry_type)] = match

    def _resolve_uncached(self, text: str, entry_type: str = "") -> VenueMatch | None:
        """:meth:`resolve`'s work for a text it has not seen."""
        plain = _plain(text)
        if not plain:
            return None
        info = self._exact.get(" ".join(_words(plain)))
        if info is not None:
            return self._match(info, "registry", plain)
        return self._choose(self._candidates(plain), plain, entry_type)

    def _candidates(self, plain: str) -> list[_Cand]:
        cands: list[_Cand] = []
        cleaned = clean_venue_text(plain)
        if cleaned:
            words = _words(cleaned)
            key = " ".join(words)
            info = (
                self._exact.get(key) or self._cleaned.get(key) or self._loose.get(_loose_key(words))
            )
            if info is not None:
                ws = bool(_WORKSHOP_RE.search(fold(cleaned)))
                cands.append(_Cand(info, 0, 0, "main", cleaned, ws))
        body = _without_event_prefix(plain)
        offset = len(plain) - len(body)
        piece_match = self._piece_match
        for start, seg in _split_top(body, ",;:"):
            # the part, each tail after a spaced dash, and the head before the first one
            pieces = [(start, seg)]
            if "-" in seg or "–" in seg or "—" in seg:
                dashes = list(_SPACED_DASH_RE.finditer(seg))
                pieces += [(start + m.end(), seg[m.end() :]) for m in dashes]
                if dashes:
                    pieces.append((start, seg[: dashes[0].start()]))
            for pos, piece in pieces:
                found = piece_match(piece)
                if found is not None:
                    cands.append(_Cand(found[0], 1, offset + pos, "main", piece.strip(), found[1]))
        norm = _norm(plain)
        for info, rx, literal in self._patterns:
            if literal is None or literal in norm:
                m = rx.search(norm)
                if m:
                    ws = bool(_WORKSHOP_RE.search(m.group(0)))
                    cands.append(_Cand(info, 2, m.start(), "main", m.group(0), ws))
        known = {id(c.info) for c in cands}  # all "main" so far, and stronger than an acronym
        cands.extend(self._acronym_candidates(plain, known))
        return cands

    def _piece_match_uncached(self, piece: str) -> tuple[VenueInfo, bool] | None:
        """The venue a comma/dash part of a text names (three words at least), and whether the
        part says "workshop"; cached per part, as parts repeat across texts."""
        if _fewer_than_three_words(piece):
            return None
        words = _words(_clean_segment(piece))
        if len(words) < 3:
            return None
        key = " ".join(words)
        info = self._exact.get(key) or self._cleaned.get(key) or self._loose.get(_loose_key(words))
        if info is None:
            return None
        return info, bool(_WORKSHOP_RE.search(fold(piece)))

    def _acronym_lookup_uncached(self, token: str) -> tuple[VenueInfo, str, bool] | None:
        """The venue an acronym token names (``SIGMOD``, ``SC21``, ``SIGMOD/PODS``): (venue,
        the form found, whether a year was glued to it). Cached per token: the words of venue
        texts repeat."""
        info = self._acronyms.get(token)
        if info is not None:
            return info, token, False
        m = _GLUED_YEAR_RE.fullmatch(token) if token[-1].isdigit() else None
        if m:
            info = self._acronyms.get(m.group(1))
            if info is not None:
                return info, m.group(1), True
        if "/" in token or "-" in token:
            for part in _SLASH_DASH_RE.split(token):
                info = self._acronyms.get(part)
                if info is not None and part != token:
                    return info, part, False
        return None

    def _acronym_candidates(self, plain: str, known: Set[int] = frozenset()) -> list[_Cand]:
        """The registry acronyms ``plain`` names where exports put one. ``known``: the ids of
        the venues already found as "main" candidates by a stronger step; an acronym naming one
        of them as "main" too is left out, since ``_choose`` would never pick it (it ranks
        after the stronger candidate of the same venue and adds nothing else)."""
        out: list[_Cand] = []
        for m in _TOKEN_RE.finditer(plain):
            found = self._acronym_lookup(m.group(0))
            if found is None:
                continue
            info, form, glued = found
            start, end = m.span()
            before, after = plain[:start], plain[end:]
            at_left = bool(_AT_AFTER_RE.match(after))
            at_right = _names_parent_before(before)
            kw = _KW_AFTER_RE.match(after)
            parent = (at_right and not at_left) or bool(
                kw and kw.group(1).lower().startswith("workshop") and info.kind != "workshop"
            )
            if not parent and id(info) in known:
                continue
            year = glued or bool(_YEAR_AFTER_RE.match(after))
            paren = bool(_PAREN_BEFORE_RE.search(before) and _PAREN_AFTER_RE.match(after))
            # the rest of the text is only filler ("Proceedings of the ... SIGMOD"): asked last,
            # as it is the dearest test
            strong = year or paren or at_left or at_right or _filler_only(before + " " + after)
            weak = False
            if not strong and not (form in self._ambiguous or info.ambiguous):
                seg_before, seg_after = _segment_around(plain, start, end)
                weak = bool(kw) or _filler_only(seg_before + " " + seg_after)
            if not (strong or weak):
                continue
            out.append(_Cand(info, 3, start, "parent" if parent else "main", m.group(0)))
        return out

    def _choose(self, cands: list[_Cand], plain: str, entry_type: str) -> VenueMatch | None:
        parents = [c for c in cands if c.role == "parent" and c.info.kind != "workshop"]
        parent_c = min(parents, key=lambda c: (c.strength, c.pos), default=None)
        mains = [c for c in cands if c.role == "main"]
        workshops = [c for c in mains if c.info.kind == "workshop"]
        if workshops:
            best = min(workshops, key=lambda c: (c.strength, c.pos))
            source: MatchSource = "acronym" if best.strength == 3 else "registry"
            parent = parent_c.info.short if parent_c else None
            return self._match(best.info, source, best.text, parent)
        pool = mains or parents
        if not pool:
            return self._new_venue(plain, entry_type)
        best = min(pool, key=lambda c: (_KIND_RANK.get(c.info.kind, 9), c.strength, c.pos))
        if (
            best.info.kind == "conference"
            and _WORKSHOP_RE.search(fold(plain))
            and not any(c.covers_workshop for c in cands if c.info is best.info)
        ):
            return self._new_venue(plain, entry_type, parent=best.info.short, kind="workshop")
        source = "acronym" if best.strength == 3 else "registry"
        return self._match(best.info, source, best.text)

    def _unknown_acronym(self, plain: str) -> tuple[str, str | None]:
        """An acronym the text gives for itself that the registry does not know, and the
        parent it names with ``X@PARENT`` / ``at PARENT`` (known or not)."""
        own: str | None = None
        parent: str | None = None
        for m in _TOKEN_RE.finditer(plain):
            token = m.group(0)
            if not _acronym_like(token) or fold(token) in _ORG_WORDS:
                continue
            start, end = m.span()
            before, after = plain[:start], plain[end:]
            base = _GLUED_YEAR_RE.fullmatch(token)
            name = base.group(1) if base and not self._acronyms.get(token) else token
            if _names_parent_before(before):
                if parent is None:
                    found = self._acronym_lookup(token)
                    parent = found[0].short if found else name
                continue
            if self._acronym_lookup(token) is not None:
                continue
            paren = _PAREN_BEFORE_RE.search(before) and _PAREN_AFTER_RE.match(after)
            at_left = _AT_AFTER_RE.match(after)
            seg_before, _ = _segment_around(plain, start, end)
            seg_start = not seg_before.strip() and (base or _YEAR_AFTER_RE.match(after))
            if own is None and (paren or at_left or seg_start) and fold(name) not in _COUNTRY_CODES:
                own = name
        return own or "", parent

    def _new_venue(
        self,
        plain: str,
        entry_type: str,
        *,
        parent: str | None = None,
        kind: str | None = None,
    ) -> VenueMatch | None:
        name = clean_venue_text(plain)
        own, text_parent = self._unknown_acronym(plain)
        short = own or name
        if not short:
            return None
        kind = kind or infer_kind(plain, entry_type)
        if kind == "workshop" and parent is None:
            parent = text_parent
            if parent is None and name:
                # "... Distributed Computing Systems Workshops (ICDCSW)" -> ICDCS
                base = _WORKSHOP_ANYCASE_RE.sub("", name)
                info = self._by_alias(base) if base.strip() != name.strip() else None
                parent = info.short if info is not None and info.kind == "conference" else None
        if kind != "workshop":
            parent = None
        return VenueMatch(short, name or short, kind, parent, "cleaned", plain)

    def _resolve_hint_uncached(self, hint: str, text: str, entry_type: str) -> VenueMatch | None:
        h = _plain(hint)
        if not h:
            return None
        at = re.fullmatch(r"(.+?)\s*@\s*(.+)", h)
        if at:
            left, right = _strip_year(at.group(1)), _strip_year(at.group(2))
            linfo, rinfo = self.lookup(left), self.lookup(right)
            parent = rinfo.short if rinfo is not None else right
            if linfo is not None:
                return self._match(linfo, "hint", hint, parent)
            name = clean_venue_text(text) if text else ""
            return VenueMatch(left, name or left, "workshop", parent, "hint", hint)
        info = self.lookup(h)
        if info is not None:
            return self._match(info, "hint", hint)
        found = self.resolve(h, entry_type)
        if found is not None and found.known:
            return replace(found, source="hint", matched_text=hint)
        short = _strip_year(h)
        from_text = self.resolve(text, entry_type) if text.strip() else None
        if from_text is not None and not from_text.known:
            return VenueMatch(short, from_text.name, from_text.kind, from_text.parent, "hint", hint)
        kind = infer_kind(text or h, entry_type)
        name = clean_venue_text(text) if text.strip() else ""
        return VenueMatch(short, name or short, kind, None, "hint", hint)

    def resolve_hint(self, hint: str, text: str = "", entry_type: str = "") -> VenueMatch | None:
        """Resolve an explicit hint (``abbr``, ``shortjournal``); the text names it when the
        registry does not know the hint. Cached."""
        return self._resolve_hint(hint, text, entry_type)

    def resolve_user_alias(
        self, text: str, user_aliases: Mapping[str, str], entry_type: str = ""
    ) -> VenueMatch | None:
        """The user's alias for ``text`` (keys are ``alias_key`` values, or folded text)."""
        for key in alias_keys(text):
            short = user_aliases.get(key)
            if not short:
                continue
            info = self.get(short)
            if info is not None:
                return self._match(info, "alias", text)
            return VenueMatch(
                short, short, infer_kind(text, entry_type), None, "alias", text, False
            )
        return None


@functools.lru_cache(maxsize=1 << 16)
def alias_keys(text: str) -> tuple[str, ...]:
    """Every key a user alias for ``text`` may be stored under: ``alias_key`` of the text, of
    the cleaned text (no years, locations, "Proceedings of the"), and the folded text. A paper
    whose venue text has one of these keys is named by that alias."""
    plain = _plain(text)
    keys = (alias_key(plain), " ".join(_words(clean_venue_text(plain))), fold(plain))
    return tuple(k for k in dict.fromkeys(keys) if k)


# ============================================================================================
# Public entry points
# ============================================================================================


@functools.cache
def default_registry() -> VenueRegistry:
    """The shipped registry (loaded once)."""
    return VenueRegistry(builtin_venues())


def load_registry(
    extra: str | Path | Iterable[Mapping[str, Any] | VenueInfo] | None = None,
    *,
    builtin: bool = True,
) -> VenueRegistry:
    """A registry: the shipped venues (unless ``builtin=False``) merged with ``extra`` — a
    registry file path (TOML or JSON) or a list of entry dicts/``VenueInfo``. An extra entry
    with a shipped short name updates that venue; aliases are added, not replaced."""
    if extra is None:
        return default_registry() if builtin else VenueRegistry(())
    if isinstance(extra, str | Path):
        entries = read_registry_file(extra)
    else:
        entries = [e if isinstance(e, VenueInfo) else _entry_to_info(e) for e in extra]
    return VenueRegistry(_merge(builtin_venues() if builtin else (), entries))


def resolve_venue(
    text: str,
    *,
    hint: str = "",
    entry_type: str = "",
    user_aliases: Mapping[str, str] | None = None,
    registry: VenueRegistry | None = None,
) -> VenueMatch | None:
    """Resolve a paper's venue: hint, then user aliases, then the registry and acronyms in the
    text, else a new venue from the cleaned text. None when there is nothing to resolve."""
    reg = registry if registry is not None else default_registry()
    if hint and hint.strip():
        found = reg.resolve_hint(hint, text or "", entry_type)
        if found is not None:
            return found
    if not text:
        return None
    if user_aliases:
        found = reg.resolve_user_alias(text, user_aliases, entry_type)
        if found is not None:
            return found
    return reg.resolve(text, entry_type)
