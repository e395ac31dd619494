"""Papers in and out of the database as ``BibRecord``s: the one place that maps the two.

Import writes records with :class:`PaperWriter`; merge, unmerge, show and export read them back
with :func:`record_from_paper`, so a stored paper and the record it came from say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from pubdb.authors import AuthorResolver, person_name
from pubdb.model import Authorship, Award, CiteKeyAlias, Editorship, Paper, Tag, paper_tags
from pubdb.records import AuthorEntry, BibRecord
from pubdb.store import insert_row, insert_rows
from pubdb.textnorm import title_key

VenueLookup = Callable[[BibRecord], "int | None"]


def fold_key(key: str) -> str:
    """BibTeX compares cite keys case-insensitively."""
    return key.casefold()


def paper_columns(record: BibRecord, venue_id: int | None) -> dict[str, Any]:
    """The Paper columns a record fills (everything but id, key and timestamps)."""
    return {
        "entry_type": record.entry_type.lower(),
        "title": record.title,
        "title_bibtex": record.title_bibtex or record.title,
        "title_key": title_key(record.title)[:500] if record.title else "",
        "year": record.year,
        "month": record.month,
        "venue_id": venue_id,
        "venue_text": record.venue_text,
        "volume": record.volume,
        "number": record.number,
        "pages": record.pages,
        "publisher": record.publisher,
        "series": record.series,
        "edition": record.edition,
        "doi": record.doi or None,
        "arxiv_id": record.arxiv_id or None,
        "url": record.url,
        "abstract": record.abstract,
        "note": record.note,
        "authors_truncated": record.authors_truncated,
        "fields": _stored_fields(record),
    }


def _stored_fields(record: BibRecord) -> dict[str, Any]:
    # The venue hint is derived from a field that stays in ``fields``, so it needs no column.
    return dict(record.fields)


class PaperWriter:
    """Writes records as papers inside one session, with Core inserts (bulk import speed)."""

    def __init__(self, session: Session, authors: AuthorResolver, venue_of: VenueLookup) -> None:
        self.session = session
        self.authors = authors
        self.venue_of = venue_of
        self._tag_ids: dict[str, int] | None = None

    def tag_id(self, name: str) -> int:
        """The tag's id, creating it; names compare case-insensitively, the stored one wins."""
        if self._tag_ids is None:
            self._tag_ids = {
                tag_name.casefold(): tag_id
                for tag_id, tag_name in self.session.execute(select(Tag.id, Tag.name))
            }
        found = self._tag_ids.get(name.casefold())
        if found is None:
            found = insert_row(self.session, Tag, {"name": name, "title": ""})
            self._tag_ids[name.casefold()] = found
        return found

    def insert(self, record: BibRecord, key: str) -> int:
        """A new paper for ``record`` under cite key ``key``; returns its id."""
        columns = paper_columns(record, self.venue_of(record))
        paper_id = insert_row(
            self.session, Paper, {"key": key, "key_folded": fold_key(key), **columns}
        )
        self._write_children(paper_id, record)
        return paper_id

    def replace(self, paper_id: int, record: BibRecord) -> None:
        """Rewrite a paper's values and lists from a (merged) record; its key stays."""
        columns = paper_columns(record, self.venue_of(record))
        self.session.execute(update(Paper).where(Paper.id == paper_id).values(**columns))
        self.session.execute(delete(Authorship).where(Authorship.paper_id == paper_id))
        self.session.execute(delete(Editorship).where(Editorship.paper_id == paper_id))
        self.session.execute(delete(Award).where(Award.paper_id == paper_id))
        self.session.execute(delete(paper_tags).where(paper_tags.c.paper_id == paper_id))
        self._write_children(paper_id, record)

    def _write_children(self, paper_id: int, record: BibRecord) -> None:
        authorships = [
            {
                "paper_id": paper_id,
                "position": position,
                "author_id": self.authors.resolve(entry.name),
                "written_as": entry.name.last_first,
                "student": entry.student,
                "equal": entry.equal,
                "corresponding": entry.corresponding,
            }
            for position, entry in enumerate(record.authors, start=1)
        ]
        insert_rows(self.session, Authorship, authorships)
        editorships = [
            {"paper_id": paper_id, "position": position, "author_id": self.authors.resolve(name)}
            for position, name in enumerate(record.editors, start=1)
        ]
        insert_rows(self.session, Editorship, editorships)
        awards = list(dict.fromkeys(text for text in record.awards if text))
        insert_rows(self.session, Award, [{"paper_id": paper_id, "text": t} for t in awards])
        tag_ids = list(dict.fromkeys(self.tag_id(tag) for tag in record.tags if tag))
        insert_rows(
            self.session, paper_tags, [{"paper_id": paper_id, "tag_id": t} for t in tag_ids]
        )

    def add_aliases(self, paper_id: int, keys: Iterable[str]) -> list[str]:
        """Keep old cite keys pointing at the paper; returns the keys that were new."""
        added = []
        for key in keys:
            folded = fold_key(key)
            taken = self.session.scalar(
                select(Paper.id).where(Paper.key_folded == folded)
            ) or self.session.scalar(
                select(CiteKeyAlias.paper_id).where(CiteKeyAlias.key_folded == folded)
            )
            if taken is None:
                insert_rows(
                    self.session,
                    CiteKeyAlias,
                    [{"paper_id": paper_id, "key": key, "key_folded": folded}],
                )
                added.append(key)
        return added

    def finish(self) -> None:
        self.authors.flush()


def load_papers(session: Session, ids: Iterable[int]) -> list[Paper]:
    """Papers with everything :func:`record_from_paper` reads, in few queries."""
    wanted = list(ids)
    if not wanted:
        return []
    stmt = (
        select(Paper)
        .where(Paper.id.in_(wanted))
        .options(
            selectinload(Paper.authorships).selectinload(Authorship.author),
            selectinload(Paper.editorships).selectinload(Editorship.author),
            selectinload(Paper.awards),
            selectinload(Paper.tags),
            selectinload(Paper.venue),
        )
    )
    by_id = {paper.id: paper for paper in session.scalars(stmt)}
    return [by_id[paper_id] for paper_id in wanted if paper_id in by_id]


def record_from_paper(paper: Paper, *, written_names: bool = False) -> BibRecord:
    """The record a stored paper stands for (the inverse of :class:`PaperWriter`).

    ``written_names`` uses each authorship's spelling as its source wrote it instead of the
    author's one display name.
    """
    from pubdb.names import parse_name

    authors = []
    for authorship in paper.authorships:
        name = person_name(authorship.author)
        if written_names and authorship.written_as and authorship.written_as != name.display:
            name = parse_name(authorship.written_as)
        authors.append(
            AuthorEntry(
                name=name,
                student=authorship.student,
                equal=authorship.equal,
                corresponding=authorship.corresponding,
            )
        )
    return BibRecord(
        key=paper.key,
        entry_type=paper.entry_type,
        title=paper.title,
        title_bibtex=paper.title_bibtex,
        authors=tuple(authors),
        authors_truncated=paper.authors_truncated,
        editors=tuple(person_name(e.author) for e in paper.editorships),
        year=paper.year,
        month=paper.month,
        venue_text=paper.venue_text,
        venue_hint=paper.venue.short if paper.venue is not None else "",
        volume=paper.volume,
        number=paper.number,
        pages=paper.pages,
        publisher=paper.publisher,
        series=paper.series,
        edition=paper.edition,
        doi=paper.doi or "",
        arxiv_id=paper.arxiv_id or "",
        url=paper.url,
        abstract=paper.abstract,
        note=paper.note,
        awards=tuple(award.text for award in paper.awards),
        tags=tuple(tag.name for tag in paper.tags),
        fields=dict(paper.fields or {}),
    )
