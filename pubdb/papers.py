"""Reading papers: run a query, rows for `list`'s table, and the full plain record of a paper.

Everything returned is plain data (dataclasses, dicts of str/int/bool/list), so the CLI renders
it without a live session. ``search`` runs one select built by :mod:`pubdb.query`;
``search_rows`` runs that select for the columns a table shows (one query, plus one for the
authors); ``paper_rows`` reads the same rows for given ids; ``paper_details`` /
``paper_records`` give the whole record (`show`, ``list --format json``).

Everything here but ``find_paper`` (which returns the ORM object, for commands that change
the paper) uses only SQLAlchemy Core on the tables of :mod:`pubdb.tables` and takes a Core
``Connection`` (``Store.connect``) or an ORM ``Session`` alike: `pubdb list` and `pubdb show`
load no ``sqlalchemy.orm`` for it.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import Select, or_, select
from sqlalchemy.engine import Connection

from pubdb.errors import NotFoundError
from pubdb.query import Query, apply_sort, build_select, fts_available, parse_query
from pubdb.records import fold_cite_key
from pubdb.tables import (
    authors,
    authorships,
    awards,
    cite_key_aliases,
    editorships,
    import_batches,
    paper_relations,
    paper_sources,
    paper_tags,
    papers,
    tags,
    venues,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from pubdb.model import Paper

    # What the Core read functions take: a Connection (`list`) or a Session (everyone else).
    Db: TypeAlias = Connection | Session

__all__ = [
    "AuthorCell",
    "PaperRow",
    "find_paper",
    "find_paper_id",
    "owner_ids",
    "paper_details",
    "paper_records",
    "paper_rows",
    "people_named",
    "search",
    "search_rows",
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


# Per-transaction memo of a Connection (a Session keeps it in its ``info``).
_MEMO: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _memo(db: Db) -> dict[str, Any]:
    """A dict that lives as long as ``db``'s transaction (a Session: as long as the session)."""
    if not isinstance(db, Connection):
        return db.info
    transaction = db.get_transaction()
    return {} if transaction is None else _MEMO.setdefault(transaction, {})


def owner_ids(db: Db) -> set[int]:
    """The author records that are the owner (see :func:`pubdb.owner.owner_author_ids`)."""
    memo = _memo(db)
    cached = memo.get("pubdb.owner_ids")
    if cached is None:
        from pubdb.owner import owner_author_ids

        cached = memo["pubdb.owner_ids"] = frozenset(owner_author_ids(db))
    return set(cached)


def _dialect_name(db: Db) -> str:
    return (db if isinstance(db, Connection) else db.get_bind()).dialect.name


def _filtered(db: Db, query: Query | Sequence[str]) -> Select[Any]:
    """``build_select`` for ``query`` on this database: the FTS table is looked up only when
    the query searches titles, the owner's records only when it asks for the owner."""
    if not isinstance(query, Query):
        query = parse_query(query)
    dialect = _dialect_name(db)
    titles = dialect == "sqlite" and any(t.field == "title" for t in query)
    return build_select(
        query,
        dialect_name=dialect,
        fts=fts_available(db) if titles else None,
        owner_ids=owner_ids(db) if any(t.field == "owner" for t in query) else None,
        author_resolver=lambda value: people_named(db, value),
    )


def search(
    db: Db,
    query: Query | Sequence[str],
    *,
    sort: str = "-year",
    limit: int | None = None,
) -> list[tuple[int, str]]:
    """(id, cite key) of the papers matching ``query``, in ``sort`` order, at most ``limit``.

    Raises ``QueryError`` for a malformed query.
    """
    statement = _filtered(db, query).with_only_columns(papers.c.id, papers.c.key)
    statement = apply_sort(statement, sort)
    if limit is not None:
        statement = statement.limit(limit)
    return [(row[0], row[1]) for row in db.execute(statement)]


def people_named(db: Db, value: str) -> set[int]:
    """Ids of the authors a typed full name can be: same family name and first initial
    (``authors.match_key``), and compatible given names (``names.same_person``)."""
    from pubdb.names import name_match_key, parse_name, same_person
    from pubdb.records import PersonName

    a = authors.c
    wanted = parse_name(value)
    rows = db.execute(
        select(a.id, a.given, a.family, a.von, a.jr, a.is_corporate).where(
            a.match_key == name_match_key(wanted)
        )
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


def _with_row_columns(statement: Select[Any]) -> Select[Any]:
    """A papers select reduced to what a table row shows: the paper's columns, its venue's
    short name and kind, and the parent venue's short name (venues joined as aliases, so the
    ``venue:`` subqueries on ``venues`` stay uncorrelated)."""
    venue = venues.alias()
    parent = venues.alias()
    p = papers.c
    return (
        statement.with_only_columns(
            p.id,
            p.key,
            p.year,
            p.title,
            p.venue_text,
            p.authors_truncated,
            venue.c.short,
            venue.c.kind,
            parent.c.short,
        )
        .join(venue, p.venue_id == venue.c.id, isouter=True)
        .join(parent, venue.c.parent_id == parent.c.id, isouter=True)
    )


def _author_cells(db: Db, ids: Sequence[int]) -> dict[int, list[AuthorCell]]:
    """Each paper's authors in order, as table cells (the owner's marked)."""
    cells: dict[int, list[AuthorCell]] = defaultdict(list)
    if not ids:
        return cells
    owners = owner_ids(db)
    by, a = authorships.c, authors.c
    statement = (
        select(
            by.paper_id,
            by.author_id,
            by.student,
            by.equal,
            by.corresponding,
            a.given,
            a.von,
            a.family,
            a.is_corporate,
            a.display_name,
        )
        .join(authors, by.author_id == a.id)
        .order_by(by.paper_id, by.position)
    )
    for chunk in _chunks(ids):
        # Unpacked as tuples: attribute access on a Row costs ~1 us, 10x over a big list.
        for row in db.execute(statement.where(by.paper_id.in_(chunk))):
            paper_id, author_id, student, equal, corresponding, *name, display = row
            cells[paper_id].append(
                AuthorCell(
                    name=display,
                    short=_short_name(*name),
                    owner=author_id in owners,
                    student=student,
                    equal=equal,
                    corresponding=corresponding,
                )
            )
    return cells


def _paper_row(row: Any, cells: dict[int, list[AuthorCell]]) -> PaperRow:
    paper_id, key, year, title, venue_text, truncated, short, kind, parent = row
    return PaperRow(
        id=paper_id,
        key=key,
        year=year,
        venue=venue_shorthand(short, kind, year, parent) if short is not None else venue_text,
        title=title,
        authors=tuple(cells.get(paper_id, ())),
        et_al=truncated,
    )


def search_rows(
    db: Db,
    query: Query | Sequence[str],
    *,
    sort: str = "-year",
    limit: int | None = None,
) -> list[PaperRow]:
    """Table rows of the papers matching ``query``, in ``sort`` order, at most ``limit``:
    what ``paper_rows(db, [id for id, _ in search(...)])`` gives, in one query for the papers
    and one for their authors (per 500 papers).

    Raises ``QueryError`` for a malformed query.
    """
    statement = apply_sort(_with_row_columns(_filtered(db, query)), sort)
    if limit is not None:
        statement = statement.limit(limit)
    rows = db.execute(statement).all()
    cells = _author_cells(db, [row[0] for row in rows])
    return [_paper_row(row, cells) for row in rows]


def paper_rows(db: Db, ids: Sequence[int]) -> list[PaperRow]:
    """Table rows for these papers, in the order of ``ids``."""
    statement = _with_row_columns(select(papers))
    found: dict[int, Any] = {}
    for chunk in _chunks(ids):
        found.update((row[0], row) for row in db.execute(statement.where(papers.c.id.in_(chunk))))
    cells = _author_cells(db, ids)
    return [_paper_row(found[paper_id], cells) for paper_id in ids]


def find_paper_id(db: Db, key: str) -> int:
    """The id of the paper whose cite key or any former key is ``key`` (case-insensitive);
    its own key wins over another paper's former key."""
    folded = fold_cite_key(key.strip())
    paper_id = db.scalar(select(papers.c.id).where(papers.c.key_folded == folded))
    if paper_id is None:
        aliases = cite_key_aliases.c
        paper_id = db.scalar(select(aliases.paper_id).where(aliases.key_folded == folded))
    if paper_id is None:
        raise NotFoundError(f"no paper with key {key!r} (search: pubdb list WORD...)")
    return paper_id


def find_paper(session: Session, key: str) -> Paper:
    """The paper (ORM object) whose cite key or any former key is ``key`` (case-insensitive)."""
    from pubdb.model import Paper

    return session.get_one(Paper, find_paper_id(session, key))


def _relations(db: Db, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Related versions of each paper, read from both ends of ``paper_relations``."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    r = paper_relations.c
    this = papers.alias()
    other = papers.alias()
    statement = (
        select(r.from_paper_id, r.kind, r.note, this.c.id, other.c.key, other.c.title, other.c.year)
        .join(this, or_(this.c.id == r.from_paper_id, this.c.id == r.to_paper_id))
        .join(
            other,
            or_(
                (this.c.id == r.from_paper_id) & (other.c.id == r.to_paper_id),
                (this.c.id == r.to_paper_id) & (other.c.id == r.from_paper_id),
            ),
        )
        .order_by(r.id)
    )
    for chunk in _chunks(ids):
        rows = db.execute(statement.where(this.c.id.in_(chunk)))
        for from_id, kind, note, paper_id, key, title, year in rows:
            found[paper_id].append(
                {
                    "relation": kind if from_id == paper_id else _INVERSE.get(kind, kind),
                    "key": key,
                    "title": title,
                    "year": year,
                    "note": note,
                }
            )
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _grouped(db: Db, ids: Sequence[int], statement: Select[Any]) -> dict[int, list[Any]]:
    """The rows of ``statement`` (its first column a paper id, filtered here) by paper, in
    the statement's order."""
    found: dict[int, list[Any]] = defaultdict(list)
    for chunk in _chunks(ids):
        for row in db.execute(statement.where(statement.selected_columns[0].in_(chunk))):
            found[row[0]].append(row)
    return found


def paper_records(db: Db, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Every stored fact about these papers as plain data (``list --format json``), in the
    order of ``ids``: one query per part (paper and venue, aliases, authors, editors, awards,
    tags, sources, related versions) for every 500 papers."""
    if not ids:
        return []
    venue, parent = venues.alias(), venues.alias()
    by, a, ed = authorships.c, authors.c, editorships.c
    src, batch = paper_sources.c, import_batches.c
    parts = {
        "paper": select(
            papers,
            venue.c.short.label("venue_short"),
            venue.c.name.label("venue_name"),
            venue.c.kind.label("venue_kind"),
            parent.c.short.label("parent_short"),
        )
        .join(venue, papers.c.venue_id == venue.c.id, isouter=True)
        .join(parent, venue.c.parent_id == parent.c.id, isouter=True),
        "aliases": select(cite_key_aliases.c.paper_id, cite_key_aliases.c.key),
        "authors": select(
            by.paper_id,
            by.author_id,
            by.written_as,
            by.student,
            by.equal,
            by.corresponding,
            a.display_name,
            a.given,
            a.von,
            a.family,
            a.jr,
            a.is_corporate,
        )
        .join(authors, by.author_id == a.id)
        .order_by(by.paper_id, by.position),
        "editors": select(ed.paper_id, a.display_name)
        .join(authors, ed.author_id == a.id)
        .order_by(ed.paper_id, ed.position),
        "awards": select(awards.c.paper_id, awards.c.text, awards.c.year).order_by(awards.c.id),
        "tags": select(paper_tags.c.paper_id, tags.c.name).join(
            tags, paper_tags.c.tag_id == tags.c.id
        ),
        "sources": select(
            src.paper_id,
            batch.id.label("batch_id"),
            batch.path,
            batch.imported_at,
            src.line,
            src.cite_key,
            src.merged_from_key,
            src.created_at,
        )
        .join(import_batches, src.batch_id == batch.id, isouter=True)
        .order_by(src.id),
    }
    rows = {name: _grouped(db, ids, statement) for name, statement in parts.items()}
    owners = owner_ids(db)
    related = _relations(db, ids)
    return [
        _record({name: found[paper_id] for name, found in rows.items()}, owners, related[paper_id])
        for paper_id in ids
    ]


def _record(
    rows: dict[str, list[Any]], owners: set[int], related: list[dict[str, Any]]
) -> dict[str, Any]:
    """One paper's record from its rows of each part (see ``paper_records``)."""
    (paper,) = rows["paper"]
    venue = None
    if paper.venue_short is not None:
        venue = {
            "short": paper.venue_short,
            "name": paper.venue_name,
            "kind": paper.venue_kind,
            "parent": paper.parent_short,
            "shorthand": venue_shorthand(
                paper.venue_short, paper.venue_kind, paper.year, paper.parent_short
            ),
        }
    return {
        "key": paper.key,
        "aliases": sorted((row.key for row in rows["aliases"]), key=str.casefold),
        "type": paper.entry_type,
        "title": paper.title,
        "title_bibtex": paper.title_bibtex,
        "authors": [
            {
                "name": row.display_name,
                "given": row.given,
                "von": row.von,
                "family": row.family,
                "jr": row.jr,
                "corporate": row.is_corporate,
                "written_as": row.written_as,
                "owner": row.author_id in owners,
                "student": row.student,
                "equal": row.equal,
                "corresponding": row.corresponding,
            }
            for row in rows["authors"]
        ],
        "authors_truncated": paper.authors_truncated,
        "editors": [{"name": row.display_name} for row in rows["editors"]],
        "year": paper.year,
        "month": paper.month,
        "venue": venue,
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
        "awards": [{"text": row.text, "year": row.year} for row in rows["awards"]],
        "tags": sorted(row.name for row in rows["tags"]),
        "related": related,
        "sources": [
            {
                "file": row.path if row.batch_id is not None else None,
                "line": row.line,
                "cite_key": row.cite_key,
                "merged_from_key": row.merged_from_key,
                "imported_at": _iso(
                    row.imported_at if row.batch_id is not None else row.created_at
                ),
            }
            for row in rows["sources"]
        ],
        "created_at": _iso(paper.created_at),
        "updated_at": _iso(paper.updated_at),
    }


def paper_details(db: Db, paper_id: int) -> dict[str, Any]:
    """Every stored fact about one paper as plain data (what `show` prints)."""
    return paper_records(db, [paper_id])[0]
