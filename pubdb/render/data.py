"""The plain data that list templates receive, and the builder that groups, sorts and numbers it.

Every formatted list (Markdown, LaTeX, HTML, text, and a user's ``--template FILE``) is a Jinja2
template fed one variable, ``document``, a :class:`ListDocument`::

    document: ListDocument
      .style          "cv" | "plain"
      .numbering      "forward" | "reverse" | "continuous" | "none"
      .group_by       "none" | "year" | "type" | "tag"
      .legend         tuple of str, e.g. ("* student co-author", "† equal contribution"):
                      the marks some entry uses; empty in the plain style
      .groups         tuple of Group
        .key          "all" (no grouping), "2024", "journal", a tag name; "" for leftovers
        .title        heading text: "" (no grouping), "2024", "Journal Articles", a tag's
                      section title ("Papers on Machine Learning and Systems")
        .legend       the legend of this group's marks (templates print it after the list)
        .entries      tuple of Entry, newest first
          .number     int, or None when numbering is "none"
          .key, .entry_type ("inproceedings"), .kind (see below)
          .authors    tuple of AuthorView
            .display  "Zhengchun Liu" (Given von Family, Jr)
            .is_owner, .student, .equal, .corresponding   booleans
            .marks    "*" student, "†" equal contribution, "‡" corresponding ("" in plain)
            .name     the PersonName (.given, .family, .von, .jr, .corporate)
          .authors_truncated   True when the source said "and others" (print "et al.")
          .title      Unicode title; math kept as $...$
          .venue      VenueView or None
            .short "SIGMOD", .name "ACM SIGMOD International Conference on Management of
            Data", .kind, .parent_short "SC" (for XLOOP), .shorthand "XLOOP@SC'21"
          .venue_text   the venue as the source wrote it (journal / booktitle / school ...)
          .venue_display  what the style prints for the venue: cv -> "SIGMOD'24",
                        "Journal Name, Vol. 6, No. 1, pp. 1–30, 2021", "arXiv:2209.01356";
                        plain -> the full venue name and year instead of the shorthand
          .year, .month   int or None
          .volume, .issue (the BibTeX "number" field), .pages, .publisher
          .doi, .arxiv_id, .url
          .link       a safe link for the title: https://doi.org/DOI, else the URL when it is
                      http(s), else the arXiv abstract page; "" when none
          .awards     tuple of str ("Best Paper Award",)
          .tags       tuple of str

``kind`` is one of conference, workshop, journal, preprint, book, thesis, report, other: the
venue's kind when the venue is known, else derived from the entry type (``article`` ->
journal, ``inproceedings`` -> conference, an arXiv-only record -> preprint, ...).

Strings in the document are already escaped for the output format (LaTeX specials, Markdown
punctuation), so a template writes ``{{ entry.title }}`` as it is; HTML templates use Jinja's
autoescaping instead. Plain text gets the strings unchanged.

Ordering inside a group (``order=``): ``"year"`` (the default) is newest year first and, within
one year, the order the records were given in (a stable sort), so records passed in import
order reproduce a CV typed newest-first (tests/golden/cv_expected.md relies on this: a CV's
order inside one year follows no rule in the data). ``"date"`` is newest (year, month) first,
then title, then cite key. Records without a year come last in both; in ``"date"`` a record
without a month comes after the ones of the same year with a month.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pubdb.records import BibRecord, PersonName

KINDS: tuple[str, ...] = (
    "journal",
    "conference",
    "workshop",
    "book",
    "preprint",
    "thesis",
    "report",
    "other",
)
GROUP_BY: tuple[str, ...] = ("none", "year", "type", "tag")
NUMBERING: tuple[str, ...] = ("forward", "reverse", "continuous", "none")
STYLES: tuple[str, ...] = ("cv", "plain")
ORDERS: tuple[str, ...] = ("year", "date")

KIND_TITLES: dict[str, str] = {
    "journal": "Journal Articles",
    "conference": "Conference Papers",
    "workshop": "Workshop Papers",
    "book": "Books and Chapters",
    "preprint": "Preprints",
    "thesis": "Theses",
    "report": "Technical Reports",
    "other": "Other Publications",
}

STUDENT_MARK = "*"
EQUAL_MARK = "†"
CORRESPONDING_MARK = "‡"
LEGEND: tuple[tuple[str, str], ...] = (
    ("student", f"{STUDENT_MARK} student co-author"),
    ("equal", f"{EQUAL_MARK} equal contribution"),
    ("corresponding", f"{CORRESPONDING_MARK} corresponding author"),
)


@dataclass(frozen=True)
class VenueView:
    """A resolved venue: short name, full name, kind, parent's short name, CV shorthand."""

    short: str = ""
    name: str = ""
    kind: str = "other"
    parent_short: str = ""
    shorthand: str = ""


@dataclass(frozen=True)
class AuthorView:
    """One author as a list prints it: display name, owner flag and authorship marks."""

    display: str
    is_owner: bool = False
    student: bool = False
    equal: bool = False
    corresponding: bool = False
    marks: str = ""
    name: PersonName = field(default_factory=PersonName)


@dataclass(frozen=True)
class Entry:
    """One numbered item of a list (see the module docstring for every field)."""

    number: int | None
    key: str
    entry_type: str
    kind: str
    authors: tuple[AuthorView, ...]
    authors_truncated: bool
    title: str
    venue: VenueView | None
    venue_text: str
    venue_display: str
    year: int | None
    month: int | None
    volume: str
    issue: str
    pages: str
    publisher: str
    doi: str
    arxiv_id: str
    url: str
    link: str
    awards: tuple[str, ...]
    tags: tuple[str, ...]
    source: RenderRecord | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Group:
    """A titled section of the list (one tag, one year, one kind, or everything)."""

    key: str
    title: str
    entries: tuple[Entry, ...]
    legend: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListDocument:
    """What every list template receives as ``document``."""

    groups: tuple[Group, ...]
    legend: tuple[str, ...]
    style: str
    numbering: str
    group_by: str = "none"

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every entry of every group, in document order."""
        return tuple(entry for group in self.groups for entry in group.entries)


@dataclass(frozen=True)
class RenderRecord:
    """The input of :func:`build_document`: a record, its resolved venue, who the owner is.

    ``owner`` holds one flag per position of ``record.authors`` (missing positions are not the
    owner). The database adapter fills ``venue`` (with ``shorthand`` from
    ``pubdb.venues.shorthand``) and ``owner``; tests build them by hand.
    """

    record: BibRecord
    venue: VenueView | None = None
    owner: tuple[bool, ...] = ()

    @classmethod
    def of(
        cls,
        record: BibRecord,
        *,
        venue: VenueView | None = None,
        is_owner: Callable[[PersonName], bool] | None = None,
    ) -> RenderRecord:
        """Wrap ``record``, marking as owner every author for whom ``is_owner`` is true."""
        flags = tuple(bool(is_owner and is_owner(a.name)) for a in record.authors)
        return cls(record=record, venue=venue, owner=flags)


def build_document(
    records: Sequence[RenderRecord],
    *,
    group_by: str = "none",
    numbering: str = "forward",
    tag_titles: Mapping[str, str] | None = None,
    tag_order: Sequence[str] = (),
    style: str = "cv",
    order: str = "year",
) -> ListDocument:
    """Group, sort and number ``records`` into the document the templates receive.

    ``group_by="tag"`` makes one section per tag in ``tag_order``, then per other tag that has
    a title in ``tag_titles`` (alphabetically); when both are empty, one per tag present. Each
    record goes into the first section it belongs to (so it is listed once); records in none
    of them end in a last "Other Publications" group. Numbering restarts per group unless
    ``numbering="continuous"``; ``"reverse"`` counts down to 1 in each group. ``order`` is
    ``"year"`` (stable: input order inside a year) or ``"date"`` (see the module docstring).
    """
    _check("group_by", group_by, GROUP_BY)
    _check("numbering", numbering, NUMBERING)
    _check("style", style, STYLES)
    _check("order", order, ORDERS)
    titles = dict(tag_titles or {})
    buckets = _group(records, group_by, titles, tag_order)
    groups: list[Group] = []
    counter = 0
    used: set[str] = set()
    for key, title, members in buckets:
        ordered = sorted(members, key=_year_key if order == "year" else _date_key)
        entries = []
        group_marks: set[str] = set()
        for index, item in enumerate(ordered):
            if numbering == "forward":
                number: int | None = index + 1
            elif numbering == "reverse":
                number = len(ordered) - index
            elif numbering == "continuous":
                number = counter + index + 1
            else:
                number = None
            entry = _entry(item, number, style)
            entries.append(entry)
            group_marks.update(
                mark for mark, _ in LEGEND if any(getattr(a, mark) for a in entry.authors)
            )
        counter += len(ordered)
        used |= group_marks
        groups.append(
            Group(key=key, title=title, entries=tuple(entries), legend=_legend(group_marks, style))
        )
    legend = _legend(used, style)
    return ListDocument(
        groups=tuple(groups),
        legend=legend,
        style=style,
        numbering=numbering,
        group_by=group_by,
    )


def classify(entry_type: str, venue: VenueView | None, venue_text: str, arxiv_id: str) -> str:
    """The list kind of a record: the venue's kind if known, else one from the entry type."""
    if venue is not None and venue.kind in KINDS and venue.kind != "other":
        return venue.kind
    kind = entry_type.lower()
    text = venue_text.casefold()
    looks_arxiv = "arxiv" in text or text.startswith("corr")
    if kind == "article":
        return "preprint" if looks_arxiv or (arxiv_id and not text) else "journal"
    if kind in ("inproceedings", "conference"):
        return "conference"
    if kind in ("book", "inbook", "incollection", "booklet", "proceedings", "collection"):
        return "book"
    if kind in ("phdthesis", "mastersthesis", "thesis"):
        return "thesis"
    if kind in ("techreport", "report"):
        return "report"
    if looks_arxiv or arxiv_id or kind == "preprint":
        return "preprint"
    return "other"


def fallback_shorthand(venue: VenueView | None, year: int | None) -> str:
    """``SHORT'YY`` or ``SHORT@PARENT'YY`` when the adapter gave no shorthand."""
    if venue is None or not venue.short:
        return ""
    text = f"{venue.short}@{venue.parent_short}" if venue.parent_short else venue.short
    return f"{text}'{year % 100:02d}" if year is not None else text


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


def _group(
    records: Sequence[RenderRecord],
    group_by: str,
    titles: dict[str, str],
    tag_order: Sequence[str],
) -> list[tuple[str, str, list[RenderRecord]]]:
    if group_by == "none":
        return [("all", "", list(records))]
    if group_by == "year":
        by_year: dict[int | None, list[RenderRecord]] = {}
        for item in records:
            by_year.setdefault(item.record.year, []).append(item)
        years = sorted((y for y in by_year if y is not None), reverse=True)
        out = [(str(y), str(y), by_year[y]) for y in years]
        if None in by_year:
            out.append(("undated", "Undated", by_year[None]))
        return out
    if group_by == "type":
        kinds = {id(r): _kind(r) for r in records}
        out = []
        for kind in KINDS:
            members = [r for r in records if kinds[id(r)] == kind]
            if members:
                out.append((kind, KIND_TITLES[kind], members))
        return out
    sections = list(dict.fromkeys(tag_order))
    sections += sorted(t for t in titles if t not in sections)
    if not sections:
        sections = sorted({t for r in records for t in r.record.tags})
    placed: dict[str, list[RenderRecord]] = {tag: [] for tag in sections}
    rest: list[RenderRecord] = []
    for item in records:
        home = next((tag for tag in sections if tag in item.record.tags), None)
        (placed[home] if home is not None else rest).append(item)
    out = [(tag, titles.get(tag) or tag, members) for tag, members in placed.items() if members]
    if rest:
        out.append(("", KIND_TITLES["other"], rest))
    return out


def _legend(marks: set[str], style: str) -> tuple[str, ...]:
    return tuple(text for mark, text in LEGEND if mark in marks) if style == "cv" else ()


def _year_key(item: RenderRecord) -> tuple[Any, ...]:
    year = item.record.year
    return (year is None, -(year or 0))


def _date_key(item: RenderRecord) -> tuple[Any, ...]:
    r = item.record
    return (
        r.year is None,
        -(r.year or 0),
        -(r.month or 0),
        _clean(r.title).casefold(),
        r.key,
    )


def _kind(item: RenderRecord) -> str:
    r = item.record
    return classify(r.entry_type, item.venue, r.venue_text, r.arxiv_id)


def _clean(text: str) -> str:
    """One line with single spaces: no data string may start a new line in any format."""
    return " ".join(text.split())


def _marks(student: bool, equal: bool, corresponding: bool) -> str:
    return (
        (STUDENT_MARK if student else "")
        + (EQUAL_MARK if equal else "")
        + (CORRESPONDING_MARK if corresponding else "")
    )


def _entry(item: RenderRecord, number: int | None, style: str) -> Entry:
    from pubdb.render.escape import safe_link

    r = item.record
    authors = []
    for position, author in enumerate(r.authors):
        owner = position < len(item.owner) and item.owner[position]
        authors.append(
            AuthorView(
                display=_clean(author.name.display),
                is_owner=owner,
                student=author.student,
                equal=author.equal,
                corresponding=author.corresponding,
                marks=(
                    _marks(author.student, author.equal, author.corresponding)
                    if style == "cv"
                    else ""
                ),
                name=author.name,
            )
        )
    kind = _kind(item)
    return Entry(
        number=number,
        key=r.key,
        entry_type=r.entry_type.lower(),
        kind=kind,
        authors=tuple(authors),
        authors_truncated=r.authors_truncated,
        title=_clean(r.title),
        venue=item.venue,
        venue_text=_clean(r.venue_text),
        venue_display=_venue_display(item, kind, style),
        year=r.year,
        month=r.month,
        volume=_clean(r.volume),
        issue=_clean(r.number),
        pages=_clean(r.pages).replace("---", "—").replace("--", "–"),
        publisher=_clean(r.publisher),
        doi=_clean(r.doi),
        arxiv_id=_clean(r.arxiv_id),
        url=_clean(r.url),
        link=safe_link(doi=r.doi, url=r.url, arxiv_id=r.arxiv_id),
        awards=tuple(_clean(a) for a in r.awards if a.strip()),
        tags=tuple(r.tags),
        source=item,
    )


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _pages(pages: str) -> str:
    """``pp. 387–400`` for a range, ``p. 7059`` for one page or article number."""
    pages = _clean(pages).replace("---", "—").replace("--", "–")
    if not pages:
        return ""
    return f"pp. {pages}" if any(c in pages for c in "-–—,") else f"p. {pages}"


_VENUE_FIELDS = ("school", "institution", "howpublished", "organization")


def _field_venue(record: BibRecord) -> str:
    """Theses, reports and misc entries name their venue in a field the importer keeps raw."""
    for name in _VENUE_FIELDS:
        value = record.fields.get(name, "")
        if value.strip():
            from pubdb.textnorm import latex_to_unicode

            return _clean(latex_to_unicode(value))
    return ""


def _with_year(text: str, year: int | None) -> str:
    if year is None or str(year) in text:
        return text
    return _join(text, str(year))


def _venue_display(item: RenderRecord, kind: str, style: str) -> str:
    r = item.record
    venue = item.venue
    year = r.year
    text = _clean(r.venue_text) or _field_venue(r)
    name = _clean(venue.name) if venue and venue.name else ""
    volume = f"Vol. {_clean(r.volume)}" if r.volume.strip() else ""
    number = f"No. {_clean(r.number)}" if r.number.strip() else ""
    pages = _pages(r.pages)
    year_text = str(year) if year is not None else ""
    entry_type = r.entry_type.lower()
    if kind in ("conference", "workshop"):
        if style == "cv":
            shorthand = (venue.shorthand if venue else "") or fallback_shorthand(venue, year)
            if shorthand:
                return _clean(shorthand)
        return _with_year(name or text or (venue.short if venue else ""), year)
    if kind == "journal":
        return _join(name or text, volume, number, pages, year_text)
    if kind == "preprint":
        if r.arxiv_id.strip():
            arxiv = f"arXiv:{_clean(r.arxiv_id)}"
            return arxiv if style == "cv" else _join(arxiv, year_text)
        return _with_year(text or name or "Preprint", year)
    if kind == "thesis":
        label = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis"}.get(entry_type, "")
        return _join(label, text or name, year_text)
    if kind == "report":
        label = f"Technical Report {_clean(r.number)}" if r.number.strip() else ""
        return _join(text or name, label, year_text)
    if kind == "book":
        where = text or name
        if where and entry_type in ("inbook", "incollection"):
            where = f"In {where}"
        return _join(where, _clean(r.publisher), pages if style == "plain" else "", year_text)
    return _with_year(_join(text or name, _clean(r.publisher)), year)


T = TypeVar("T")


def map_strings(
    value: T, convert: Callable[[str], str] | None, keep: frozenset[str] = frozenset()
) -> T:
    """A copy of a document (or any part of it) with every string passed through ``convert``.

    Fields named in ``keep`` are copied unchanged; ``convert=None`` changes no string. The
    ``source`` back-reference is dropped, so a template never reaches unconverted data.
    """
    if isinstance(value, str):
        return convert(value) if convert is not None else value  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(map_strings(v, convert, keep) for v in value)  # type: ignore[return-value]
    names = _field_names(type(value))
    if names is None:
        return value
    changes = {
        name: (
            None
            if name == "source"
            else getattr(value, name)
            if name in keep
            else map_strings(getattr(value, name), convert, keep)
        )
        for name in names
    }
    return type(value)(**changes)  # type: ignore[return-value]


@functools.cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """The init fields of a dataclass type (None for anything else)."""
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)
