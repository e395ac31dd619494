"""Annotations that turn a bibliography into a CV: authorship marks, awards and tags.

Plain functions taking a Session and returning frozen dataclasses that say what changed; the
CLI prints them. Nothing here commits: the caller's transaction makes a command all or nothing.

- Marks (``student``, ``equal``, ``corresponding``) live on the authorship, so one person can be
  a student on one paper and not on another. AUTHOR is matched like an ``author:`` query (any
  spelling, accents and case folded), or by 1-based position on one paper. Several matching
  people -> :class:`AmbiguousError` listing them, and nothing changes.
- Awards: one text per paper (compared case-insensitively), with an optional year. The CV
  summary groups awards by text and lists venue shorthands newest first.
- Tags: names compared case-insensitively (the stored spelling wins); no ``,`` or ``;`` in a
  name (BibTeX ``keywords`` splits on them). A tag keeps a section title and an order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from pubdb.authors import person_name
from pubdb.errors import AmbiguousError, InputError, NotFoundError
from pubdb.model import (
    Author,
    Authorship,
    Award,
    Paper,
    Tag,
    Venue,
    paper_tags,
)
from pubdb.names import matches_name_query, parse_name, same_person
from pubdb.owner import owner_author_ids
from pubdb.records import PersonName
from pubdb.textnorm import clean_spaces, fold

__all__ = [
    "MARKS",
    "AwardChange",
    "AwardGroup",
    "AwardListing",
    "AwardRow",
    "MarkChange",
    "MarkResult",
    "TagChange",
    "TagInfo",
    "TagOrderResult",
    "TagTitleChange",
    "add_award",
    "add_tags",
    "list_awards",
    "list_tags",
    "mark_all_papers",
    "mark_paper",
    "order_tags",
    "remove_awards",
    "remove_tags",
    "set_tag_title",
]

MARKS = ("student", "equal", "corresponding")

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Papers and people
# --------------------------------------------------------------------------------------------


def _find_paper(session: Session, key: str) -> Paper:
    """The paper with cite key or alias ``key`` (case-insensitive), or NotFoundError."""
    from pubdb.papers import find_paper

    return find_paper(session, key)


def _query_key(text: str) -> str:
    return " ".join(fold(text).replace(".", " ").replace(",", " ").split())


def _spellings(authorship: Authorship) -> list[PersonName]:
    names = [person_name(authorship.author)]
    if authorship.written_as:
        written = parse_name(authorship.written_as)
        if written != names[0]:
            names.append(written)
    return names


def _exact(query: str, names: Iterable[PersonName]) -> bool:
    """The query is a whole spelling of the name (``Zhengchun Liu``, ``Liu, Zhengchun``)."""
    wanted = _query_key(query)
    for name in names:
        forms = {name.display, name.last_first, f"{name.family}, {name.given}"}
        if wanted in {_query_key(form) for form in forms}:
            return True
    return False


def _matches(query: str, names: Iterable[PersonName]) -> bool:
    return any(matches_name_query(query, name) for name in names)


def _people_matching(session: Session, query: str) -> list[tuple[int, str, PersonName]]:
    """(id, display name, name) of every author of some paper whom ``query`` matches."""
    # Cheap first pass: every query word of two or more letters is inside the folded name
    # (true of every spelling ``matches_name_query`` tries), so most rows never get parsed.
    words = [w for w in _query_key(query).replace("-", " ").split() if len(w) > 1]
    rows = session.execute(
        select(
            Author.id,
            Author.display_name,
            Author.given,
            Author.family,
            Author.von,
            Author.jr,
            Author.is_corporate,
        ).where(Author.id.in_(select(Authorship.author_id)))
    )
    found = []
    for row in rows:
        text = fold(f"{row.given} {row.von} {row.family} {row.jr}")
        if all(w in text for w in words):
            name = PersonName(row.given, row.family, row.von, row.jr, row.is_corporate)
            if matches_name_query(query, name):
                found.append((row.id, row.display_name, name))
    return found


def _pick(query: str, candidates: Sequence[tuple[T, list[PersonName]]]) -> tuple[T | None, list[T]]:
    """(the one candidate ``query`` names, or None; every candidate it matches).

    One match is the one; among several, a query that is the whole spelling of exactly one of
    them ("Ziniu Wu" among the Wus) names it; otherwise the caller reports the ambiguity.
    """
    matched = [(item, names) for item, names in candidates if _matches(query, names)]
    if len(matched) == 1:
        return matched[0][0], [matched[0][0]]
    exact = [item for item, names in matched if _exact(query, names)]
    return (exact[0] if len(exact) == 1 else None), [item for item, _ in matched]


# --------------------------------------------------------------------------------------------
# Marks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkChange:
    """One mark on one authorship, before and after."""

    key: str
    year: int | None
    position: int
    author: str
    mark: str
    before: bool
    after: bool

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class MarkResult:
    """What `mark` did: one row per (authorship, mark), plus papers skipped for lack of a year."""

    author: str
    changes: tuple[MarkChange, ...]
    skipped_no_year: tuple[str, ...] = ()
    others: tuple[str, ...] = ()

    @property
    def changed(self) -> int:
        return sum(1 for change in self.changes if change.changed)


def _check_marks(marks: Sequence[str]) -> list[str]:
    unknown = [m for m in marks if m not in MARKS]
    if unknown:
        raise InputError(f"unknown mark {unknown[0]!r}; marks are {', '.join(MARKS)}")
    if not marks:
        raise InputError(f"name a mark: {', '.join('--' + m for m in MARKS)}")
    return list(dict.fromkeys(marks))


def _apply(
    authorship: Authorship, marks: Sequence[str], clear: bool, owner_ids: set[int]
) -> list[MarkChange]:
    if "student" in marks and not clear and authorship.author_id in owner_ids:
        raise InputError(
            f"{authorship.author.display_name} is the owner; a student mark means the owner's "
            "mentee"
        )
    changes = []
    for mark in marks:
        before = bool(getattr(authorship, mark))
        setattr(authorship, mark, not clear)
        changes.append(
            MarkChange(
                key=authorship.paper.key,
                year=authorship.paper.year,
                position=authorship.position,
                author=authorship.author.display_name,
                mark=mark,
                before=before,
                after=not clear,
            )
        )
    return changes


def _describe_authorship(authorship: Authorship) -> str:
    return f"{authorship.position}. {authorship.author.display_name}"


def mark_paper(
    session: Session, key: str, author: str, marks: Sequence[str], *, clear: bool = False
) -> MarkResult:
    """Set (or with ``clear`` remove) ``marks`` on the authorship of ``author`` in paper ``key``.

    ``author`` is any spelling or part of it (``liu``, ``Liu, Z.``, ``Zhèngchūn``), or the
    1-based position in the author list.
    """
    wanted = _check_marks(marks)
    paper = _find_paper(session, key)
    authorships = list(paper.authorships)
    query = clean_spaces(author)
    if not query:
        raise InputError("empty author name")
    if query.isdigit():
        chosen = next((a for a in authorships if a.position == int(query)), None)
        if chosen is None:
            raise NotFoundError(
                f"{paper.key} has no author {query} (it has {len(authorships)} authors)"
            )
    else:
        picked, matching = _pick(query, [(a, _spellings(a)) for a in authorships])
        if not matching:
            raise NotFoundError(f"no author matching {query!r} in {paper.key}")
        if picked is None:
            raise AmbiguousError(
                f"{query!r} matches {len(matching)} authors of {paper.key}: "
                + "; ".join(_describe_authorship(a) for a in matching)
                + " (give the full name or the position; nothing changed)"
            )
        chosen = picked
    changes = _apply(chosen, wanted, clear, owner_author_ids(session))
    session.flush()
    return MarkResult(author=chosen.author.display_name, changes=tuple(changes))


def mark_all_papers(
    session: Session,
    author: str,
    marks: Sequence[str] = ("student",),
    *,
    clear: bool = False,
    from_year: int | None = None,
    to_year: int | None = None,
) -> MarkResult:
    """Mark ``author`` on every paper they co-authored (optionally within a year range).

    With a range, papers without a year are skipped (and listed in the result).
    """
    wanted = _check_marks(marks)
    if from_year is not None and to_year is not None and from_year > to_year:
        raise InputError(f"--from-year {from_year} is after --to-year {to_year}")
    query = clean_spaces(author)
    if not query:
        raise InputError("empty author name")
    candidates = _people_matching(session, query)
    rows = session.execute(
        select(Authorship.author_id, func.count(func.distinct(Authorship.paper_id)))
        .where(Authorship.author_id.in_([i for i, _, _ in candidates]))
        .group_by(Authorship.author_id)
    )
    counts = {author_id: count for author_id, count in rows}

    def describe(item: tuple[int, str, PersonName]) -> str:
        n = counts.get(item[0], 0)
        return f"{item[1]} ({n} paper{'' if n == 1 else 's'})"

    picked, matching = _pick(query, [(item, [item[2]]) for item in candidates])
    if not matching:
        raise NotFoundError(f"no author matching {query!r} in any paper")
    if picked is None:
        ordered = sorted(matching, key=lambda item: (-counts.get(item[0], 0), item[1]))
        raise AmbiguousError(
            f"{query!r} matches {len(ordered)} authors: "
            + "; ".join(describe(item) for item in ordered)
            + " (give the full name; nothing changed)"
        )
    chosen_id, chosen_display, chosen_name = picked
    # Other records that may be the same person under another spelling ("A. Ali"): say so,
    # but mark only the one named (an initial may be someone else).
    others = [
        describe(item)
        for item in candidates
        if item[0] != chosen_id and same_person(item[2], chosen_name)
    ]
    owner_ids = owner_author_ids(session)
    authorships = session.scalars(
        select(Authorship)
        .join(Paper)
        .where(Authorship.author_id == chosen_id)
        .options(selectinload(Authorship.paper), selectinload(Authorship.author))
        .order_by(Paper.year.desc(), Paper.key, Authorship.position)
    ).all()
    ranged = from_year is not None or to_year is not None
    changes: list[MarkChange] = []
    skipped: list[str] = []
    for authorship in authorships:
        year = authorship.paper.year
        if ranged and year is None:
            skipped.append(authorship.paper.key)
            continue
        if from_year is not None and year is not None and year < from_year:
            continue
        if to_year is not None and year is not None and year > to_year:
            continue
        changes.extend(_apply(authorship, wanted, clear, owner_ids))
    session.flush()
    return MarkResult(
        author=chosen_display,
        changes=tuple(changes),
        skipped_no_year=tuple(skipped),
        others=tuple(others),
    )


# --------------------------------------------------------------------------------------------
# Awards
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardChange:
    """One award added, updated (its year), left as it was, or removed."""

    key: str
    text: str
    year: int | None
    action: str  # "added" | "updated" | "unchanged" | "removed"
    previous_year: int | None = None


@dataclass(frozen=True)
class AwardRow:
    key: str
    text: str
    year: int | None  # the award's year, else the paper's
    venue: str  # shorthand such as XLOOP@SC'21 (the cite key when the paper has no venue)


@dataclass(frozen=True)
class AwardGroup:
    """Awards with the same text: the CV summary line."""

    text: str
    venues: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.venues)

    @property
    def line(self) -> str:
        """``Best Paper Award ×3: XLOOP@SC'21, FGCS'21, MLN'18``."""
        return f"{self.text} \u00d7{self.count}: {', '.join(self.venues)}"


@dataclass(frozen=True)
class AwardListing:
    rows: tuple[AwardRow, ...]
    groups: tuple[AwardGroup, ...]


def _award_text(text: str) -> str:
    cleaned = clean_spaces(text)
    if not cleaned:
        raise InputError("empty award text")
    if ";" in cleaned:
        raise InputError(f"award text {text!r} has a ';' (BibTeX award fields split on it)")
    return cleaned


def _check_year(year: int | None) -> int | None:
    if year is not None and not 1000 <= year <= 9999:
        raise InputError(f"year {year} is not a four-digit year")
    return year


def add_award(session: Session, key: str, text: str, year: int | None = None) -> AwardChange:
    """Give paper ``key`` the award ``text``; an existing award of that text gets ``year``."""
    cleaned = _award_text(text)
    _check_year(year)
    paper = _find_paper(session, key)
    for award in paper.awards:
        if fold(award.text) == fold(cleaned):
            if year is not None and award.year != year:
                previous = award.year
                award.year = year
                session.flush()
                return AwardChange(paper.key, award.text, year, "updated", previous)
            return AwardChange(paper.key, award.text, award.year, "unchanged", award.year)
    paper.awards.append(Award(text=cleaned, year=year))
    session.flush()
    return AwardChange(paper.key, cleaned, year, "added")


def remove_awards(session: Session, key: str, text: str | None = None) -> list[AwardChange]:
    """Remove award ``text`` from paper ``key`` (every award of the paper when ``text`` is None).

    ``text`` may be a part of the award's text when only one award contains it.
    """
    paper = _find_paper(session, key)
    awards = sorted(paper.awards, key=lambda a: a.id)
    if text is not None:
        wanted = fold(clean_spaces(text))
        chosen = [a for a in awards if fold(a.text) == wanted] or [
            a for a in awards if wanted and wanted in fold(a.text)
        ]
        if not chosen:
            known = "; ".join(a.text for a in awards) or "none"
            raise NotFoundError(f"{paper.key} has no award {text!r} (its awards: {known})")
        if len(chosen) > 1:
            raise AmbiguousError(
                f"{text!r} matches {len(chosen)} awards of {paper.key}: "
                + "; ".join(a.text for a in chosen)
                + " (give the full text; nothing changed)"
            )
        awards = chosen
    changes = [AwardChange(paper.key, a.text, a.year, "removed") for a in awards]
    for award in awards:
        paper.awards.remove(award)
    session.flush()
    return changes


_YEAR = re.compile(r"\b(19|20)\d\d\b")


def _group_key(text: str) -> str:
    """Awards that read the same once case, a year and punctuation are set aside."""
    return " ".join(re.sub(r"[^\w\s]", " ", _YEAR.sub(" ", fold(text))).split())


def _venue_label(paper: Paper) -> str:
    """``XLOOP@SC'21``, ``MLN'18``; journals too get the year (``FGCS'21``), as CVs write it."""
    venue = paper.venue
    if venue is None:
        return paper.key
    from pubdb.venues import shorthand

    parent = venue.parent.short if venue.parent is not None else None
    label = shorthand(venue.short, venue.kind, paper.year, parent)
    if venue.kind not in ("conference", "workshop") and paper.year is not None:
        label = f"{label}'{paper.year % 100:02d}"
    return label


def list_awards(session: Session) -> AwardListing:
    """Every award, newest first, and the CV summary grouped by award text."""
    awards = session.scalars(
        select(Award).options(
            selectinload(Award.paper).selectinload(Paper.venue).selectinload(Venue.parent)
        )
    ).all()

    def newest(award: Award) -> tuple[int, int, str]:
        year = award.year or award.paper.year or 0
        return (-year, -(award.paper.month or 0), award.paper.key_folded)

    ordered = sorted(awards, key=newest)
    rows = tuple(
        AwardRow(a.paper.key, a.text, a.year or a.paper.year, _venue_label(a.paper))
        for a in ordered
    )
    groups: dict[str, list[Award]] = {}
    for award in ordered:
        groups.setdefault(_group_key(award.text) or fold(award.text), []).append(award)
    summary = []
    for members in groups.values():
        # The group's label: its most used spelling without a year ("2021 Best Paper Award").
        labels = [" ".join(_YEAR.sub(" ", m.text).split()) or m.text for m in members]
        label = max(labels, key=lambda text: (labels.count(text), -labels.index(text)))
        summary.append(AwardGroup(label, tuple(_venue_label(m.paper) for m in members)))
    summary.sort(key=lambda g: (-g.count, fold(g.text)))
    return AwardListing(rows=rows, groups=tuple(summary))


# --------------------------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagChange:
    key: str
    tag: str
    changed: bool  # tagged / untagged (False: it already was / was not)
    created: bool = False  # the tag did not exist before
    deleted: bool = False  # the tag had no paper, title or order left and was removed


@dataclass(frozen=True)
class TagInfo:
    name: str
    title: str
    position: int | None
    papers: int


@dataclass(frozen=True)
class TagTitleChange:
    tag: str
    before: str
    after: str


@dataclass(frozen=True)
class TagOrderResult:
    before: tuple[str, ...]  # tags that had a position, in order
    after: tuple[str, ...]


def _tag_name(text: str) -> str:
    cleaned = clean_spaces(text)
    if not cleaned:
        raise InputError("empty tag name")
    if "," in cleaned or ";" in cleaned:
        raise InputError(f"tag {text!r} has a ',' or ';' (BibTeX keywords split on them)")
    return cleaned


def _tags_by_fold(session: Session) -> dict[str, Tag]:
    return {fold(tag.name): tag for tag in session.scalars(select(Tag).order_by(Tag.id))}


def _existing_tag(session: Session, name: str) -> Tag:
    tag = _tags_by_fold(session).get(fold(_tag_name(name)))
    if tag is None:
        known = ", ".join(sorted(t.name for t in session.scalars(select(Tag)))) or "none"
        raise NotFoundError(f"no tag {name!r} (tags: {known})")
    return tag


def add_tags(session: Session, key: str, names: Sequence[str]) -> list[TagChange]:
    """Tag paper ``key`` with ``names`` (creating tags that do not exist yet)."""
    cleaned = list(dict.fromkeys(_tag_name(n) for n in names))
    paper = _find_paper(session, key)
    known = _tags_by_fold(session)
    on_paper = {fold(t.name) for t in paper.tags}
    changes = []
    for name in cleaned:
        folded = fold(name)
        tag = known.get(folded)
        created = tag is None
        if tag is None:
            tag = Tag(name=name, title="")
            session.add(tag)
            known[folded] = tag
        if folded in on_paper:
            changes.append(TagChange(paper.key, tag.name, changed=False))
            continue
        paper.tags.append(tag)
        on_paper.add(folded)
        changes.append(TagChange(paper.key, tag.name, changed=True, created=created))
    session.flush()
    return changes


def _paper_count(session: Session, tag: Tag) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(paper_tags).where(paper_tags.c.tag_id == tag.id)
        )
        or 0
    )


def remove_tags(session: Session, key: str, names: Sequence[str]) -> list[TagChange]:
    """Untag paper ``key``. A tag left with no paper, no title and no order is deleted."""
    paper = _find_paper(session, key)
    tags = [_existing_tag(session, n) for n in dict.fromkeys(names)]
    changes = []
    for tag in dict.fromkeys(tags):
        if tag not in paper.tags:
            changes.append(TagChange(paper.key, tag.name, changed=False))
            continue
        paper.tags.remove(tag)
        session.flush()
        deleted = False
        if not tag.title and tag.position is None and _paper_count(session, tag) == 0:
            session.delete(tag)
            deleted = True
        changes.append(TagChange(paper.key, tag.name, changed=True, deleted=deleted))
    session.flush()
    return changes


def list_tags(session: Session) -> list[TagInfo]:
    """Every tag with its paper count, in section order (ordered tags first, then by name)."""
    rows = session.execute(select(paper_tags.c.tag_id, func.count()).group_by(paper_tags.c.tag_id))
    counts = {tag_id: count for tag_id, count in rows}
    tags = session.scalars(select(Tag)).all()
    tags = sorted(tags, key=lambda t: (t.position is None, t.position or 0, fold(t.name), t.name))
    return [TagInfo(t.name, t.title, t.position, counts.get(t.id, 0)) for t in tags]


def set_tag_title(session: Session, name: str, title: str) -> TagTitleChange:
    """Set the section heading a grouped export prints for tag ``name`` ("" removes it)."""
    tag = _existing_tag(session, name)
    before = tag.title
    tag.title = clean_spaces(title)
    session.flush()
    return TagTitleChange(tag.name, before, tag.title)


def order_tags(session: Session, names: Sequence[str]) -> TagOrderResult:
    """Make ``names`` the section order (1, 2, ...); other tags lose their place and follow."""
    if not names:
        raise InputError("name the tags in the order their sections should appear")
    tags = [_existing_tag(session, n) for n in names]
    seen: set[int] = set()
    for name, tag in zip(names, tags, strict=True):
        if tag.id in seen:
            raise InputError(f"tag {name!r} is named twice")
        seen.add(tag.id)
    everything = session.scalars(select(Tag)).all()
    before = tuple(
        t.name
        for t in sorted(
            (t for t in everything if t.position is not None), key=lambda t: t.position or 0
        )
    )
    for tag in everything:
        tag.position = None
    session.flush()
    for position, tag in enumerate(tags, start=1):
        tag.position = position
    session.flush()
    return TagOrderResult(before=before, after=tuple(t.name for t in tags))
