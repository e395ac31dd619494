"""One evaluated BibTeX entry (lower-case field -> text) -> a normalised ``BibRecord``.

What goes where (SPEC section 5; the import report and export rely on it):

- Decoded to Unicode (``textnorm.latex_to_unicode``): title, names, venue text and hint,
  publisher, series, edition, note, abstract, award texts, tags. ``title_bibtex`` keeps the
  title's protective braces (``textnorm.title_bibtex``).
- Names: ``names.parse_name_list`` splits the raw (still LaTeX) list first and decodes the
  parts, so ``{Barnes and Noble}`` stays one corporate name; ``and others`` sets
  ``authors_truncated``. ``author+an = {1=student; 3=equal,corresponding}`` gives marks
  (``highlight`` ignored: the owner decides).
- ``year``/``month``: int; a value that says more than the number (``2021a``, ``May 15--18``)
  or none (``in press``) is also kept as written in ``fields`` (the latter with a warning).
  Without ``year``, biblatex's ``date`` (``2021-05-03``) gives year and month.
- Venue text: ``journal``/``journaltitle`` for articles, ``booktitle`` first for other types.
  Venue hint (derived; its field stays in ``fields``): ``abbr`` (al-folio), ``shortjournal``,
  ``shortbooktitle``, ``eventtitle`` (biblatex), first one present.
- Identifiers: ``doi`` normalised (a DOI in ``url`` is used when there is no ``doi``);
  ``arxiv_id`` from ``eprint``+``archiveprefix``, an arXiv ``journal`` text, an arXiv DOI or an
  arxiv.org URL (``textnorm.arxiv_id_from``); ``eprint``/``archiveprefix`` are dropped from
  ``fields`` when they only restate the arXiv id.
- Awards: ``award_name`` (al-folio's label) if present, else ``award``; split on ``;``. With
  both, ``award`` (al-folio's description) stays in ``fields``.
- Tags: ``keywords`` split on ``,``/``;``, plus ``selected`` when ``selected = {true}``.
- Every other field stays in ``fields`` as evaluated (macros resolved, whitespace collapsed,
  LaTeX untouched) under its lower-case name.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import lru_cache

from pubdb import textnorm
from pubdb.names import parse_name_list
from pubdb.records import AuthorEntry, BibRecord, PersonName, SourceRef

from ._bibtex_values import parse_month, parse_year

# Entry types whose venue is a journal (venue text from journal before booktitle).
_JOURNAL_TYPES = frozenset({"article", "periodical", "suppperiodical", "review"})
_HINT_FIELDS = ("abbr", "shortjournal", "shortbooktitle", "eventtitle")
_TRUE = frozenset({"true", "yes", "1", "y"})
_MARKS = {"student": "student", "equal": "equal", "corresponding": "corresponding"}
_IGNORED_MARKS = frozenset({"highlight"})
_LIST_SPLIT = re.compile(r"\s*[;,]\s*")
_AWARD_SPLIT = re.compile(r"\s*;\s*")
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?")
_DOI_URL = re.compile(r"^\s*(?:https?://)?(?:dx\.)?doi\.org/", re.IGNORECASE)
# Fields where ``arxiv_id_from`` looks; without "arxiv" (or CoRR, DBLP's name) it is skipped.
_ARXIV_FIELDS = frozenset({
    "archiveprefix", "eprinttype", "eprint", "doi", "journal", "journaltitle", "booktitle",
    "note", "howpublished", "publisher", "url", "pdf", "link",
})  # fmt: skip
_URL_ESCAPE = re.compile(r"\\([_%#&~$])")
_URL_WRAPPER = re.compile(r"^\\url\s*\{(.*)\}$", re.DOTALL)


def _decoded(value: str) -> str:
    return textnorm.clean_spaces(textnorm.latex_to_unicode(value)) if value else ""


_decoded_cached = lru_cache(maxsize=4096)(_decoded)


def _decoded_repeated(value: str) -> str:
    """``_decoded`` for values that repeat across entries (venues, publishers): cached, if
    short (a cache of long or one-off values would only hold memory)."""
    if not value:
        return ""
    return _decoded_cached(value) if len(value) <= 256 else _decoded(value)


def _may_name_arxiv(fields: dict[str, str]) -> bool:
    """Whether ``arxiv_id_from`` may find an id: a field it reads mentions arXiv or CoRR."""
    if "eprint" in fields:
        return True
    # One lowered text ("\0" keeps a match from spanning two values).
    text = "\0".join([value for name, value in fields.items() if name in _ARXIV_FIELDS])
    text = text.lower()
    return "arxiv" in text or "corr" in text


def _plain(value: str) -> str:
    return textnorm.clean_spaces(textnorm.strip_braces(value)) if value else ""


_plain_cached = lru_cache(maxsize=4096)(_plain)


def _plain_repeated(value: str) -> str:
    """``_plain`` for values that repeat across entries (volumes, numbers): cached if short."""
    if not value:
        return ""
    return _plain_cached(value) if len(value) <= 64 else _plain(value)


def _clean_url(value: str) -> str:
    value = value.strip()
    if "\\" not in value and "{" not in value and " " not in value:
        return value
    wrapped = _URL_WRAPPER.match(value)
    if wrapped:
        value = wrapped.group(1)
    value = _URL_ESCAPE.sub(r"\1", value).replace("{", "").replace("}", "")
    return "".join(value.split())


# id(name) -> AuthorEntry(name). AuthorEntry is immutable, so one instance per name serves
# every paper without marks. Keyed by identity (``parse_name`` returns one PersonName per
# spelling), as hashing a PersonName costs more than making the entry; the entry holds the
# name, so an id here always belongs to the name it was made for.
_UNMARKED: dict[int, AuthorEntry] = {}
_UNMARKED_MAX = 1 << 16


def _unmarked(name: PersonName) -> AuthorEntry:
    entry = _UNMARKED.get(id(name))
    if entry is None:
        if len(_UNMARKED) >= _UNMARKED_MAX:
            _UNMARKED.clear()
        entry = _UNMARKED[id(name)] = AuthorEntry(name)
    return entry


def _split_list(value: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    if not value:
        return ()
    items = (_decoded(part) for part in pattern.split(value))
    return tuple(dict.fromkeys(item for item in items if item))


def parse_marks(value: str, count: int, warn: Callable[[str], None]) -> dict[int, dict[str, bool]]:
    """``1=student; 3=equal,corresponding`` -> {1: {student: True}, 3: {...}} (1-based)."""
    marks: dict[int, dict[str, bool]] = {}
    for item in value.split(";"):
        item = item.strip()
        if not item:
            continue
        where, sep, what = item.partition("=")
        where = where.strip()
        if not sep or ":" in where:  # biblatex part annotations (`2:family=...`): not marks
            if not sep or not where.split(":")[0].strip().isdigit():
                warn(f"author+an: cannot read {item!r}; ignored")
            continue
        if not where.isdigit():
            warn(f"author+an: {item!r} does not name an author by number; ignored")
            continue
        index = int(where)
        if not 1 <= index <= count:
            warn(f"author+an: author {index} does not exist (the entry has {count}); ignored")
            continue
        for mark in what.split(","):
            mark = mark.strip().lower()
            if mark in _MARKS:
                marks.setdefault(index, {})[_MARKS[mark]] = True
            elif mark and mark not in _IGNORED_MARKS:
                warn(f"author+an: annotation {mark!r} on author {index} is not a pubdb mark")
    return marks


def _names(value: str) -> tuple[list[PersonName], bool]:
    if not value:
        return [], False
    names, truncated = parse_name_list(value)
    return list(names), bool(truncated)


def normalise_entry(
    key: str,
    entry_type: str,
    fields: dict[str, str],
    source: SourceRef,
    warn: Callable[[str], None],
) -> BibRecord:
    """Build the record; ``fields`` is the evaluated entry; ``warn(reason)`` reports issues."""
    rest = dict(fields)
    pop = rest.pop

    title_raw = pop("title", "")
    title = _decoded(title_raw)
    title_bibtex = textnorm.title_bibtex(title_raw) if title_raw else ""

    author_raw = pop("author", "")
    marks_raw = pop("author+an", "")
    if marks_raw:
        names, truncated = _names(author_raw)
        marks = parse_marks(marks_raw, len(names), warn)
        authors = tuple(
            AuthorEntry(name, **marks[position]) if position in marks else _unmarked(name)
            for position, name in enumerate(names, start=1)
        )
    else:
        names, truncated = parse_name_list(author_raw) if author_raw else ([], False)
        authors = tuple(map(_unmarked, names))
    editors, editors_truncated = _names(pop("editor", ""))
    if editors_truncated:
        warn("editor list ends with 'and others'; the et-al is not kept for editors")

    year = month = None
    year_raw = pop("year", "")
    if year_raw:
        year, whole = parse_year(year_raw)
        if not whole:
            rest["year"] = year_raw
        if year is None:
            warn(f"year {year_raw!r} is not a year; kept as text")
    month_raw = pop("month", "")
    if month_raw:
        month, whole = parse_month(month_raw)
        if not whole:
            rest["month"] = month_raw
        if month is None:
            warn(f"month {month_raw!r} is not a month; kept as text")
    date = _DATE.match(rest["date"]) if "date" in rest else None
    if date:
        if year is None and not year_raw:
            year = int(date.group(1))
        if month is None and not month_raw and date.group(2) and 1 <= int(date.group(2)) <= 12:
            month = int(date.group(2))

    order = ("journal", "journaltitle", "booktitle")
    if entry_type not in _JOURNAL_TYPES:
        order = ("booktitle", "journal", "journaltitle")
    venue_text = ""
    for name in order:
        if rest.get(name):
            venue_text = _decoded_repeated(pop(name))
            break
    venue_hint = ""
    for name in _HINT_FIELDS:
        if rest.get(name):
            venue_hint = _decoded_repeated(rest[name])
            break

    doi_raw = pop("doi", "")
    doi = textnorm.normalize_doi(doi_raw) if doi_raw else ""
    if doi_raw and not doi.startswith("10."):
        doi = ""
        rest["doi"] = doi_raw
        warn(f"doi {doi_raw!r} is not a DOI; kept as text")
    url = _clean_url(pop("url", ""))
    if not doi and url and _DOI_URL.match(url):
        doi = textnorm.normalize_doi(url)
        doi = doi if doi.startswith("10.") else ""

    arxiv_id = ""
    if _may_name_arxiv(fields):
        arxiv_id = textnorm.arxiv_id_from(fields) or ""
    if arxiv_id:
        eprint = rest.get("eprint", "")
        prefix = (rest.get("archiveprefix") or rest.get("eprinttype") or "").strip().lower()
        if (
            prefix in ("", "arxiv")
            and textnorm.strip_braces(eprint).strip().lower().removeprefix("arxiv:").strip()
            == arxiv_id.lower()
        ):
            for name in ("eprint", "archiveprefix", "eprinttype"):
                rest.pop(name, None)

    if rest.get("award_name"):
        awards = _split_list(pop("award_name"), _AWARD_SPLIT)
    else:
        awards = _split_list(pop("award", ""), _AWARD_SPLIT)

    tags = _split_list(pop("keywords", ""), _LIST_SPLIT)
    pages = pop("pages", "")
    selected = rest.get("selected")
    if selected and selected.strip().lower() in _TRUE:
        pop("selected")
        if "selected" not in tags:
            tags = (*tags, "selected")

    values = (
        key,
        entry_type,
        title,
        title_bibtex,
        authors,
        truncated,
        tuple(editors),
        year,
        month,
        venue_text,
        venue_hint,
        _plain_repeated(pop("volume", "")),
        _plain_repeated(pop("number", "")),
        textnorm.normalize_pages(pages) if pages else "",
        _decoded_repeated(pop("publisher", "")),
        _decoded_repeated(pop("series", "")),
        _decoded_repeated(pop("edition", "")),
        doi,
        arxiv_id,
        url,
        _decoded(pop("abstract", "")),
        _decoded(pop("note", "")),
        awards,
        tags,
        dict(rest),  # a fresh dict: ``rest`` keeps the room of the popped fields
        source,
    )
    if _POSITIONAL:
        return BibRecord(*values)
    return BibRecord(**dict(zip(_RECORD_FIELDS, values, strict=True)))


# BibRecord's fields in the order ``normalise_entry`` gives them. Passed by position (~1 us
# an entry less than by keyword) while BibRecord's fields start with exactly these.
_RECORD_FIELDS = (
    "key", "entry_type", "title", "title_bibtex", "authors", "authors_truncated", "editors",
    "year", "month", "venue_text", "venue_hint", "volume", "number", "pages", "publisher",
    "series", "edition", "doi", "arxiv_id", "url", "abstract", "note", "awards", "tags",
    "fields", "source",
)  # fmt: skip
_POSITIONAL = (
    tuple(field.name for field in dataclasses.fields(BibRecord))[: len(_RECORD_FIELDS)]
    == _RECORD_FIELDS
)
