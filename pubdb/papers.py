"""Reading papers: run a query, rows for `list`'s table, and the full plain record of a paper.

Everything returned is plain data (dataclasses, dicts of str/int/bool/list), so the CLI renders
it without a live session. ``search`` runs one select built by :mod:`pubdb.query`;
``paper_rows`` reads just the columns a table shows with a few Core queries (fast for
thousands of rows); ``paper_details`` / ``paper_records`` give the whole record (`show`,
``list --format json``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from pubdb.errors import NotFoundError
from pubdb.model import (
    Author,
    Authorship,
    CiteKeyAlias,
    Editorship,
    Paper,
    PaperRelation,
    PaperSource,
    Venue,
)
from pubdb.query import Query, apply_sort, build_select, fts_available, parse_query
from pubdb.records import fold_cite_key

__all__ = [
    "AuthorCell",
    "PaperRow",
    "find_paper",
    "owner_ids",
    "paper_details",
    "paper_records",
    "paper_rows",
    "people_named",
    "search",
    "venue_shorthand",
]

# Rows are read back by id in chunks: SQLite allows 32766 bound parameters, others fewer.
_CHUNK = 500

# How a relation reads from the other paper's side.
_INVERSE = {
    "preprint-of": "has-preprint",
    "extended-version-of": "has-extended-version",
    "merged-into": "merged-from",
    "not-duplicate": "not-duplicate",
}


@dataclass(frozen=True)
class AuthorCell:
    """An author as a table row shows it: ``short`` is ``I. Foster`` (corporate: the name)."""

    name: str
    short: str
    owner: bool = False
    student: bool = False
    equal: bool = False
    corresponding: bool = False


@dataclass(frozen=True)
class PaperRow:
    """One line of `pubdb list`: key, year, venue shorthand (or the venue as written)..."""

    id: int
    key: str
    year: int | None
    venue: str
    title: str
    authors: tuple[AuthorCell, ...]
    et_al: bool = False


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def owner_ids(session: Session) -> set[int]:
    """The author records that are the owner (see :func:`pubdb.owner.owner_author_ids`)."""
    cached = session.info.get("pubdb.owner_ids")
    if cached is None:
        from pubdb.owner import owner_author_ids

        cached = frozenset(owner_author_ids(session))
        session.info["pubdb.owner_ids"] = cached
    return set(cached)


def search(
    session: Session,
    query: Query | Sequence[str],
    *,
    sort: str = "-year",
    limit: int | None = None,
) -> list[tuple[int, str]]:
    """(id, cite key) of the papers matching ``query``, in ``sort`` order, at most ``limit``.

    Raises ``QueryError`` for a malformed query.
    """
    if not isinstance(query, Query):
        query = parse_query(query)
    dialect = session.get_bind().dialect.name
    owners = owner_ids(session) if any(t.field == "owner" for t in query) else None
    statement = build_select(
        query,
        dialect_name=dialect,
        fts=fts_available(session),
        owner_ids=owners,
        author_resolver=lambda value: people_named(session, value),
    )
    statement = apply_sort(statement.with_only_columns(Paper.id, Paper.key), sort)
    if limit is not None:
        statement = statement.limit(limit)
    return [(row[0], row[1]) for row in session.execute(statement)]


def people_named(session: Session, value: str) -> set[int]:
    """Ids of the authors a typed full name can be: same family name and first initial
    (``authors.match_key``), and compatible given names (``names.same_person``)."""
    from pubdb.names import name_match_key, parse_name, same_person
    from pubdb.records import PersonName

    wanted = parse_name(value)
    rows = session.execute(
        select(
            Author.id, Author.given, Author.family, Author.von, Author.jr, Author.is_corporate
        ).where(Author.match_key == name_match_key(wanted))
    )
    return {
        row.id
        for row in rows
        if same_person(PersonName(row.given, row.family, row.von, row.jr, row.is_corporate), wanted)
    }


def venue_shorthand(short: str, kind: str, year: int | None, parent_short: str | None) -> str:
    """``SIGMOD'24``, ``XLOOP@SC'21``... as :func:`pubdb.venues.shorthand` writes it."""
    from pubdb.venues import shorthand

    return shorthand(short, kind, year, parent_short)


def _short_name(given: str, von: str, family: str, corporate: bool) -> str:
    if corporate:
        return family
    surname = f"{von} {family}".strip()
    first = given.split()[0] if given.split() else ""
    return f"{first[0]}. {surname}" if first else surname


def paper_rows(session: Session, ids: Sequence[int]) -> list[PaperRow]:
    """Table rows for these papers, in the order of ``ids``."""
    owners = owner_ids(session) if ids else set()
    parent = aliased(Venue)
    papers: dict[int, Any] = {}
    authors: dict[int, list[AuthorCell]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = session.execute(
            select(
                Paper.id,
                Paper.key,
                Paper.year,
                Paper.title,
                Paper.venue_text,
                Paper.authors_truncated,
                Venue.short,
                Venue.kind,
                parent.short,
            )
            .join(Venue, Paper.venue_id == Venue.id, isouter=True)
            .join(parent, Venue.parent_id == parent.id, isouter=True)
            .where(Paper.id.in_(chunk))
        )
        papers.update((row[0], row) for row in rows)
        people = session.execute(
            select(
                Authorship.paper_id,
                Authorship.author_id,
                Authorship.student,
                Authorship.equal,
                Authorship.corresponding,
                Author.given,
                Author.von,
                Author.family,
                Author.is_corporate,
                Author.display_name,
            )
            .join(Author, Authorship.author_id == Author.id)
            .where(Authorship.paper_id.in_(chunk))
            .order_by(Authorship.paper_id, Authorship.position)
        )
        for p in people:
            authors[p.paper_id].append(
                AuthorCell(
                    name=p.display_name,
                    short=_short_name(p.given, p.von, p.family, p.is_corporate),
                    owner=p.author_id in owners,
                    student=p.student,
                    equal=p.equal,
                    corresponding=p.corresponding,
                )
            )
    result = []
    for paper_id in ids:
        row = papers[paper_id]
        venue = (
            venue_shorthand(row[6], row[7], row.year, row[8])
            if row[6] is not None
            else row.venue_text
        )
        result.append(
            PaperRow(
                id=paper_id,
                key=row.key,
                year=row.year,
                venue=venue,
                title=row.title,
                authors=tuple(authors[paper_id]),
                et_al=row.authors_truncated,
            )
        )
    return result


def find_paper(session: Session, key: str) -> Paper:
    """The paper whose cite key or any former key is ``key`` (case-insensitive)."""
    folded = fold_cite_key(key.strip())
    paper = session.scalars(select(Paper).where(Paper.key_folded == folded)).first()
    if paper is None:
        paper = session.scalars(
            select(Paper).join(CiteKeyAlias).where(CiteKeyAlias.key_folded == folded)
        ).first()
    if paper is None:
        raise NotFoundError(f"no paper with key {key!r} (search: pubdb list WORD...)")
    return paper


def _load_options() -> list[Any]:
    return [
        selectinload(Paper.authorships).joinedload(Authorship.author),
        selectinload(Paper.editorships).joinedload(Editorship.author),
        joinedload(Paper.venue).joinedload(Venue.parent),
        selectinload(Paper.awards),
        selectinload(Paper.tags),
        selectinload(Paper.aliases),
        selectinload(Paper.sources).joinedload(PaperSource.batch),
    ]


def _relations(session: Session, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Related versions of each paper, read from both ends of ``paper_relations``."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    this = aliased(Paper)
    other = aliased(Paper)
    for chunk in _chunks(ids):
        rows = session.execute(
            select(PaperRelation, this.id, other.key, other.title, other.year)
            .join(
                this,
                or_(this.id == PaperRelation.from_paper_id, this.id == PaperRelation.to_paper_id),
            )
            .join(
                other,
                or_(
                    (this.id == PaperRelation.from_paper_id)
                    & (other.id == PaperRelation.to_paper_id),
                    (this.id == PaperRelation.to_paper_id)
                    & (other.id == PaperRelation.from_paper_id),
                ),
            )
            .where(this.id.in_(chunk))
            .order_by(PaperRelation.id)
        )
        for relation, paper_id, key, title, year in rows:
            outgoing = relation.from_paper_id == paper_id
            found[paper_id].append(
                {
                    "relation": relation.kind
                    if outgoing
                    else _INVERSE.get(relation.kind, relation.kind),
                    "key": key,
                    "title": title,
                    "year": year,
                    "note": relation.note,
                }
            )
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _details(paper: Paper, owners: set[int], related: list[dict[str, Any]]) -> dict[str, Any]:
    venue = paper.venue
    venue_record = None
    if venue is not None:
        parent = venue.parent.short if venue.parent is not None else None
        venue_record = {
            "short": venue.short,
            "name": venue.name,
            "kind": venue.kind,
            "parent": parent,
            "shorthand": venue_shorthand(venue.short, venue.kind, paper.year, parent),
        }
    return {
        "key": paper.key,
        "aliases": sorted((alias.key for alias in paper.aliases), key=str.casefold),
        "type": paper.entry_type,
        "title": paper.title,
        "title_bibtex": paper.title_bibtex,
        "authors": [
            {
                "name": a.author.display_name,
                "given": a.author.given,
                "von": a.author.von,
                "family": a.author.family,
                "jr": a.author.jr,
                "corporate": a.author.is_corporate,
                "written_as": a.written_as,
                "owner": a.author_id in owners,
                "student": a.student,
                "equal": a.equal,
                "corresponding": a.corresponding,
            }
            for a in paper.authorships
        ],
        "authors_truncated": paper.authors_truncated,
        "editors": [{"name": e.author.display_name} for e in paper.editorships],
        "year": paper.year,
        "month": paper.month,
        "venue": venue_record,
        "venue_text": paper.venue_text,
        "volume": paper.volume,
        "number": paper.number,
        "pages": paper.pages,
        "publisher": paper.publisher,
        "series": paper.series,
        "edition": paper.edition,
        "doi": paper.doi,
        "arxiv_id": paper.arxiv_id,
        "url": paper.url,
        "abstract": paper.abstract,
        "note": paper.note,
        "fields": dict(paper.fields or {}),
        "awards": [
            {"text": award.text, "year": award.year}
            for award in sorted(paper.awards, key=lambda award: award.id)
        ],
        "tags": sorted(tag.name for tag in paper.tags),
        "related": related,
        "sources": [
            {
                "file": source.batch.path if source.batch is not None else None,
                "line": source.line,
                "cite_key": source.cite_key,
                "merged_from_key": source.merged_from_key,
                "imported_at": _iso(
                    source.batch.imported_at if source.batch is not None else source.created_at
                ),
            }
            for source in paper.sources
        ],
        "created_at": _iso(paper.created_at),
        "updated_at": _iso(paper.updated_at),
    }


def paper_details(session: Session, paper: Paper) -> dict[str, Any]:
    """Every stored fact about one paper as plain data (what `show` prints)."""
    related = _relations(session, [paper.id])
    return _details(paper, owner_ids(session), related.get(paper.id, []))


def paper_records(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """``paper_details`` for many papers (``list --format json``), in the order of ``ids``."""
    if not ids:
        return []
    owners = owner_ids(session)
    related = _relations(session, ids)
    loaded: dict[int, Paper] = {}
    for chunk in _chunks(ids):
        statement = select(Paper).where(Paper.id.in_(chunk)).options(*_load_options())
        loaded.update((paper.id, paper) for paper in session.scalars(statement))
    return [_details(loaded[i], owners, related.get(i, [])) for i in ids]
