"""Duplicates in the database: the dedup view of stored papers, read with Core for speed."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from pubdb.dedup import DedupItem
from pubdb.model import Author, Authorship, Paper, Venue
from pubdb.textnorm import fold


def load_items(session: Session, paper_ids: set[int] | None = None) -> list[DedupItem]:
    """A :class:`DedupItem` per stored paper (or per paper in ``paper_ids``)."""
    author_keys: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(Authorship.paper_id, Author.match_key)
        .join(Author, Author.id == Authorship.author_id)
        .order_by(Authorship.paper_id, Authorship.position)
    )
    for paper_id, match_key in rows:
        author_keys[paper_id].append(match_key)
    stmt = select(
        Paper.id,
        Paper.key,
        Paper.title_key,
        Paper.title,
        Paper.year,
        Paper.doi,
        Paper.arxiv_id,
        Paper.entry_type,
        Paper.authors_truncated,
        Paper.pages,
        Paper.volume,
        Paper.number,
        Venue.short,
        Venue.kind,
        Paper.venue_text,
    ).outerjoin(Venue, Venue.id == Paper.venue_id)
    items = []
    for row in session.execute(stmt):
        if paper_ids is not None and row.id not in paper_ids:
            continue
        items.append(
            DedupItem(
                id=row.id,
                key=row.key,
                title_key=row.title_key,
                title=row.title,
                year=row.year,
                doi=row.doi or "",
                arxiv_id=row.arxiv_id or "",
                entry_type=row.entry_type,
                venue=fold(row.short or row.venue_text or ""),
                venue_kind=row.kind or "",
                author_keys=tuple(author_keys.get(row.id, ())),
                authors_truncated=row.authors_truncated,
                pages=row.pages,
                volume=row.volume,
                number=row.number,
            )
        )
    return items
