"""Papers in and out of the database as ``BibRecord``s: the one place that maps the two.

Import writes records with :class:`BatchWriter` (in memory, then in batches); merge, unmerge
and dedup write with :class:`PaperWriter` (at once); show, export and merges read them back with
:func:`record_from_paper`, so a stored paper and the record it came from say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload

from pubdb.authors import AuthorResolver, person_name
from pubdb.model import (
    Author,
    Authorship,
    Award,
    CiteKeyAlias,
    Editorship,
    Paper,
    PaperSource,
    Tag,
    Venue,
    paper_tags,
)
from pubdb.records import AuthorEntry, BibRecord, PersonName, fold_cite_key
from pubdb.store import BulkInsert, DriverQuery, bulk_update, insert_row, insert_rows
from pubdb.textnorm import title_key

VenueLookup = Callable[[BibRecord], "int | None"]
# (venue id, venue short name) of a record's venue: what BatchWriter stores and reads back.
VenueShortLookup = Callable[[BibRecord], "tuple[int | None, str]"]

# Batch size of BatchWriter: big enough that per-statement costs vanish and that a merge
# often finds its paper still in memory (not read back), small enough that the rows held do
# not raise the peak. 100k entries (benchmarks/import.py): 2,000 took ~0.4 s longer than 5,000
# at the same peak RSS (440 MB); 20,000 added 37 MB and the import waited for the reader
# after each long write.
BATCH_SIZE = 5000
# Ids per "DELETE ... WHERE paper_id IN (...)" (well under every backend's parameter limit).
_IN_CHUNK = 500


# The papers columns a record fills (everything but id, key and timestamps), in the order
# of paper_values.
PAPER_COLUMNS = (
    "entry_type", "title", "title_bibtex", "title_key", "year", "month", "venue_id",
    "venue_text", "volume", "number", "pages", "publisher", "series", "edition", "doi",
    "arxiv_id", "url", "abstract", "note", "authors_truncated", "fields",
)  # fmt: skip


def paper_values(
    record: BibRecord, venue_id: int | None, *, normalised_title: str | None = None
) -> tuple[Any, ...]:
    """The values of the PAPER_COLUMNS a record fills, in that order (an import builds one
    per entry: a tuple, not a dict, saves 100k entries ~0.2 s).

    ``normalised_title``: ``title_key(record.title)`` when the caller has it already.
    """
    if normalised_title is None:
        normalised_title = title_key(record.title) if record.title else ""
    return (
        record.entry_type.lower(),
        record.title,
        record.title_bibtex or record.title,
        normalised_title[:500],
        record.year,
        record.month,
        venue_id,
        record.venue_text,
        record.volume,
        record.number,
        record.pages,
        record.publisher,
        record.series,
        record.edition,
        record.doi or None,
        record.arxiv_id or None,
        record.url,
        record.abstract,
        record.note,
        record.authors_truncated,
        # The venue hint is derived from a field that stays here, so it needs no column.
        dict(record.fields),
    )


def paper_columns(
    record: BibRecord, venue_id: int | None, *, normalised_title: str | None = None
) -> dict[str, Any]:
    """:func:`paper_values` by column name."""
    values = paper_values(record, venue_id, normalised_title=normalised_title)
    return dict(zip(PAPER_COLUMNS, values, strict=True))


class _Tags:
    """Tag ids by name (case-insensitive; the stored spelling wins), created on first use."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._ids: dict[str, int] | None = None
        self.names: dict[int, str] = {}

    def _load(self) -> dict[str, int]:
        if self._ids is None:
            self._ids = {}
            for tag_id, tag_name in self.session.execute(select(Tag.id, Tag.name)):
                self._ids[tag_name.casefold()] = tag_id
                self.names[tag_id] = tag_name
        return self._ids

    def id(self, name: str) -> int:
        ids = self._load()
        found = ids.get(name.casefold())
        if found is None:
            found = insert_row(self.session, Tag, {"name": name, "title": ""})
            ids[name.casefold()] = found
            self.names[found] = name
        return found

    def name(self, tag_id: int) -> str:
        self._load()
        return self.names[tag_id]


# An authorship or editorship row without its paper id: a tuple of these columns.
_AUTHORSHIP_KEYS = ("position", "author_id", "written_as", "student", "equal", "corresponding")
_EDITORSHIP_KEYS = ("position", "author_id")
_AUTHOR_ID = 1  # where the author id is in both


def _child_rows(
    record: BibRecord,
    resolve: Callable[[PersonName], tuple[int, str]],
    tag_id: Callable[[str], int],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[str], list[int]]:
    """(authorships, editorships, award texts, tag ids) of a record, without paper ids
    (authorships and editorships as tuples of ``_AUTHORSHIP_KEYS`` / ``_EDITORSHIP_KEYS``).

    ``resolve`` gives a name's author id and its ``written_as`` (``last_first``). Authors are
    resolved in list order, then editors, then tags: the order decides which person an
    ambiguous spelling becomes, so both writers keep it.
    """
    authorships = [
        (position, *resolve(entry.name), entry.student, entry.equal, entry.corresponding)
        for position, entry in enumerate(record.authors, start=1)
    ]
    # Most records have no editors and no awards (each empty list built the long way cost
    # 100k records ~0.04 s).
    editorships = (
        [(position, resolve(name)[0]) for position, name in enumerate(record.editors, start=1)]
        if record.editors
        else []
    )
    awards = list(dict.fromkeys(text for text in record.awards if text)) if record.awards else []
    tag_ids = list(dict.fromkeys(tag_id(tag) for tag in record.tags if tag)) if record.tags else []
    return authorships, editorships, awards, tag_ids


def _with_paper(
    rows: Iterable[tuple[Any, ...]], keys: Sequence[str], paper_id: int
) -> list[dict[str, Any]]:
    return [{"paper_id": paper_id, **dict(zip(keys, row, strict=True))} for row in rows]


class PaperWriter:
    """Writes records as papers inside one session at once, with Core statements.

    For a few papers (merge, unmerge, dedup --merge); an import uses :class:`BatchWriter`.
    """

    def __init__(self, session: Session, authors: AuthorResolver, venue_of: VenueLookup) -> None:
        self.session = session
        self.authors = authors
        self.venue_of = venue_of
        self._tags = _Tags(session)

    def tag_id(self, name: str) -> int:
        """The tag's id, creating it; names compare case-insensitively, the stored one wins."""
        return self._tags.id(name)

    def insert(self, record: BibRecord, key: str) -> int:
        """A new paper for ``record`` under cite key ``key``; returns its id."""
        columns = paper_columns(record, self.venue_of(record))
        paper_id = insert_row(
            self.session, Paper, {"key": key, "key_folded": fold_cite_key(key), **columns}
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

    def _resolve(self, name: PersonName) -> tuple[int, str]:
        return self.authors.resolve(name), name.last_first

    def _write_children(self, paper_id: int, record: BibRecord) -> None:
        authorships, editorships, awards, tag_ids = _child_rows(record, self._resolve, self.tag_id)
        if self.authors.deferred:  # provisional author ids: write the new authors first
            self.authors.flush()
            real_id = self.authors.real_id
            authorships = [(p, real_id(a), *rest) for p, a, *rest in authorships]
            editorships = [(p, real_id(a)) for p, a in editorships]
        insert_rows(self.session, Authorship, _with_paper(authorships, _AUTHORSHIP_KEYS, paper_id))
        insert_rows(self.session, Editorship, _with_paper(editorships, _EDITORSHIP_KEYS, paper_id))
        insert_rows(self.session, Award, [{"paper_id": paper_id, "text": t} for t in awards])
        insert_rows(
            self.session, paper_tags, [{"paper_id": paper_id, "tag_id": t} for t in tag_ids]
        )

    def add_aliases(self, paper_id: int, keys: Iterable[str]) -> list[str]:
        """Keep old cite keys pointing at the paper; returns the keys that were new."""
        added = []
        for key in keys:
            folded = fold_cite_key(key)
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


@dataclass(eq=False)
class _Pending:
    """A paper :class:`BatchWriter` holds: new (``paper_id`` None), or a stored one rewritten.

    ``values`` (of PAPER_COLUMNS) None: only aliases or sources were added (the paper itself
    is unchanged).
    ``authorships``/``editorships`` are rows of ``_child_rows``; their author ids may be the
    resolver's provisional ones.
    """

    paper_id: int | None
    key: str
    values: tuple[Any, ...] | None = None
    venue_short: str = ""
    authorships: list[tuple[Any, ...]] = field(default_factory=list)
    editorships: list[tuple[Any, ...]] = field(default_factory=list)
    awards: list[str] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    # Names of the authors as stored, for a paper read back from the database.
    stored_names: dict[int, PersonName] = field(default_factory=dict)


# A paper_sources row as BatchWriter.add_source takes it: a tuple of these columns.
SOURCE_COLUMNS = ("batch_id", "cite_key", "line", "raw", "raw_sha256", "merged_from_key")


class _Statements:
    """The statements :class:`BatchWriter` writes with (each compiled once per database)."""

    def __init__(self) -> None:
        self.papers = BulkInsert(Paper.__table__, ("key", "key_folded", *PAPER_COLUMNS))
        self.rewrite = bulk_update(Paper.__table__, ("key", "key_folded", *PAPER_COLUMNS))
        self.authorships = BulkInsert(Authorship.__table__, ("paper_id", *_AUTHORSHIP_KEYS))
        self.editorships = BulkInsert(Editorship.__table__, ("paper_id", *_EDITORSHIP_KEYS))
        self.awards = BulkInsert(Award.__table__, ("paper_id", "text"))
        self.tags = BulkInsert(paper_tags, ("paper_id", "tag_id"))
        self.aliases = BulkInsert(CiteKeyAlias.__table__, ("paper_id", "key", "key_folded"))
        self.sources = BulkInsert(PaperSource.__table__, ("paper_id", *SOURCE_COLUMNS))


class _StoredPaperQueries:
    """The statements that read stored papers back, ``slots`` paper ids at a time (built
    once, compiled once per database, run on the driver's cursor: a large import reads
    thousands of papers back). Every row starts with its paper's id."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._names = tuple(f"paper_id_{number}" for number in range(slots))

        def of_papers(column: Any) -> Any:
            if slots == 1:
                return column == bindparam(self._names[0])
            return column.in_([bindparam(name) for name in self._names])

        table = Paper.__table__
        self.paper = DriverQuery(
            select(table.c.id, table.c.key, *(table.c[name] for name in PAPER_COLUMNS), Venue.short)
            .outerjoin(Venue, Venue.id == table.c.venue_id)
            .where(of_papers(table.c.id))
        )
        # The paper id, the authorship or editorship columns, then the person's name.
        person = (Author.given, Author.family, Author.von, Author.jr, Author.is_corporate)
        authorship = Authorship.__table__.c
        self.authors = DriverQuery(
            select(authorship.paper_id, *(authorship[name] for name in _AUTHORSHIP_KEYS), *person)
            .join(Author, Author.id == authorship.author_id)
            .where(of_papers(authorship.paper_id))
            .order_by(authorship.paper_id, authorship.position)
        )
        self.editors = DriverQuery(
            select(Editorship.paper_id, Editorship.position, Editorship.author_id, *person)
            .join(Author, Author.id == Editorship.author_id)
            .where(of_papers(Editorship.paper_id))
            .order_by(Editorship.paper_id, Editorship.position)
        )
        self.awards = DriverQuery(
            select(Award.paper_id, Award.text)
            .where(of_papers(Award.paper_id))
            .order_by(Award.paper_id, Award.id)
        )
        self.tags = DriverQuery(
            select(paper_tags.c.paper_id, paper_tags.c.tag_id)
            .where(of_papers(paper_tags.c.paper_id))
            .order_by(paper_tags.c.paper_id, paper_tags.c.tag_id)
        )

    def params(self, paper_ids: Sequence[int]) -> dict[str, int]:
        """The parameters for up to ``slots`` ids (the free slots repeat the first id)."""
        padded = [*paper_ids, *[paper_ids[0]] * (self.slots - len(paper_ids))]
        return dict(zip(self._names, padded, strict=True))


# Papers per query when a batch of stored papers is read back at once (BatchWriter.prefetch).
_PREFETCH_SLOTS = 100


class BatchWriter:
    """An import's writes: new papers and rewritten stored ones, kept in memory and written
    in batches with one executemany per table, straight through the driver
    (:class:`pubdb.store.BulkInsert`; ids of new papers from :func:`pubdb.store.reserve_ids`,
    or ``INSERT ... RETURNING`` where the database has no safe way to reserve them).

    Papers are named by a *ref*: a stored paper's id, or for a new paper a number from
    :meth:`new_ref` (above every stored id); :meth:`paper_id` gives the database id once
    written.
    :meth:`record` reads a paper back as :func:`record_from_paper` would, from memory while it
    is pending, so a merge gives the same result whether or not a flush came between.
    The caller flushes (``len(writer) >= batch_size``) and flushes at the end.
    """

    def __init__(
        self,
        session: Session,
        authors: AuthorResolver,
        venue_of: VenueShortLookup,
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.session = session
        self.authors = authors
        self.venue_of = venue_of
        self.batch_size = max(1, batch_size)
        self._tags = _Tags(session)
        self._pending: dict[int, _Pending] = {}
        # Ref of a new paper -> its id once written, where the two differ (ids from RETURNING).
        self._written: dict[int, int] = {}
        self._first_ref: int | None = None  # refs from here on name new papers
        self._next_ref = 0
        self._queries: dict[int, _StoredPaperQueries] = {}  # by slots
        # Stored papers read back ahead of a merge (prefetch), until they become pending.
        self._prefetched: dict[int, _Pending] = {}
        self._statements = _Statements()
        self._spellings: dict[PersonName, tuple[int, str]] = {}
        self._seen_names: dict[int, tuple[PersonName, tuple[int, str]]] = {}
        # Papers this writer wrote, and those of them with editors, awards, tags: reading one
        # back skips the queries for lists it is known not to have (most papers).
        self._mine: set[int] = set()
        self._with: dict[str, set[int]] = {"editors": set(), "awards": set(), "tags": set()}
        self.flushes = 0

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def full(self) -> bool:
        return len(self._pending) >= self.batch_size

    def new_ref(self) -> int:
        """A ref for a new paper: above every stored id, so it names nothing else.

        They count up from the highest stored id, so they usually equal the ids the papers
        get, and whatever orders papers by id (dedup's tie-breaks) sees the same order
        whether or not a paper was written yet.
        """
        if self._first_ref is None:
            highest = self.session.scalar(select(func.max(Paper.id))) or 0
            self._first_ref = self._next_ref = highest + 1
        ref = self._next_ref
        self._next_ref += 1
        return ref

    def paper_id(self, ref: int) -> int | None:
        """The database id of a paper (None while a new one is pending)."""
        if self._first_ref is None or ref < self._first_ref:
            return ref
        pending = self._pending.get(ref)
        if pending is not None and pending.paper_id is None:
            return None
        return self._written.get(ref, ref)

    def _fill(
        self, entry: _Pending, record: BibRecord, key: str, normalised_title: str | None
    ) -> None:
        venue_id, venue_short = self.venue_of(record)
        entry.key = key
        entry.values = paper_values(record, venue_id, normalised_title=normalised_title)
        entry.venue_short = venue_short
        entry.authorships, entry.editorships, entry.awards, entry.tag_ids = _child_rows(
            record, self._resolve, self._tags.id
        )

    def _resolve(self, name: PersonName) -> tuple[int, str]:
        """The author id and ``written_as`` of a spelling, once per spelling: the resolver
        gives a spelling it resolved before the same author again, and an id it made
        provisionally still leads to the author (:meth:`AuthorResolver.real_id`)."""
        # By identity first: records share one PersonName per spelling (the reader makes
        # them so), and hashing its five fields for each of ~4 authors per record cost an
        # import of 100k entries ~0.5 s. The entry holds the name, so its id stays its own;
        # flush empties it, so that names of records long gone are not kept alive.
        seen = self._seen_names.get(id(name))
        if seen is not None:
            return seen[1]
        found = self._spellings.get(name)
        if found is None:
            found = self._spellings[name] = (self.authors.resolve(name), name.last_first)
        self._seen_names[id(name)] = (name, found)
        return found

    def add(
        self, ref: int, record: BibRecord, key: str, *, normalised_title: str | None = None
    ) -> None:
        """A new paper for ``record`` under cite key ``key``, named ``ref`` (:meth:`new_ref`)."""
        entry = self._pending[ref] = _Pending(paper_id=None, key=key)
        self._fill(entry, record, key, normalised_title)

    def replace(self, ref: int, record: BibRecord, key: str) -> None:
        """Rewrite a paper (pending or stored) from a merged record, under cite key ``key``."""
        self._fill(self._entry(ref, key), record, key, None)

    def add_aliases(self, ref: int, keys: Sequence[str]) -> None:
        """Old cite keys pointing at the paper (the caller checked they are free)."""
        self._entry(ref).aliases.extend(keys)

    def add_source(self, ref: int, row: tuple[Any, ...]) -> None:
        """A ``paper_sources`` row for the paper: a tuple of ``SOURCE_COLUMNS``."""
        self._entry(ref).sources.append(row)

    def _entry(self, ref: int, key: str | None = None) -> _Pending:
        """The pending entry of a paper, made for a stored one (``key``: its key if known)."""
        entry = self._pending.get(ref)
        if entry is None:
            paper_id = self.paper_id(ref)
            assert paper_id is not None, "a pending paper is always in _pending"
            if key is None:
                key = self.session.scalar(select(Paper.key).where(Paper.id == paper_id)) or ""
            entry = self._pending[ref] = _Pending(paper_id=paper_id, key=key)
            # From here on this entry says what changes; at its flush the database does.
            self._prefetched.pop(ref, None)
        return entry

    # -- reading back --------------------------------------------------------------------

    def record(self, ref: int) -> BibRecord:
        """The paper as :func:`record_from_paper` gives it, but every author under the best
        spelling seen so far (the stored display name may be behind: it is written at flush).

        From memory while the paper is pending or since :meth:`prefetch` read it, else read
        with a few cached Core queries (the ORM load of :func:`load_papers` costs ~10x as
        much per paper).
        """
        pending = self._pending.get(ref)
        if pending is not None and pending.values is not None:
            return self._view(pending)
        loaded = self._prefetched.get(ref) if pending is None else None
        if loaded is None:
            paper_id = self.paper_id(ref)
            assert paper_id is not None
            loaded = self._load([paper_id])[paper_id]
            if pending is not None:  # a merge changed its key already
                loaded.key = pending.key
        return self._view(loaded)

    def prefetch(self, refs: Iterable[int]) -> None:
        """Read the written papers among ``refs`` back now, with a few queries per hundred
        papers, for :meth:`record` to find (one paper at a time costs ~140 us: 100k entries
        with 5% duplicates spent ~0.6 s reading back). Replaces what an earlier call read."""
        ref_of: dict[int, int] = {}
        for ref in refs:
            paper_id = self.paper_id(ref)
            if paper_id is not None and ref not in self._pending:
                ref_of[paper_id] = ref
        loaded = self._load(list(ref_of), _PREFETCH_SLOTS)
        self._prefetched = {ref_of[paper_id]: entry for paper_id, entry in loaded.items()}

    def _load(self, paper_ids: Sequence[int], slots: int = 1) -> dict[int, _Pending]:
        """Stored papers as :class:`_Pending` entries (not registered as pending), by id,
        ``slots`` ids per query."""
        loaded: dict[int, _Pending] = {}
        if not paper_ids:
            return loaded
        queries = self._queries.get(slots)
        if queries is None:
            queries = self._queries[slots] = _StoredPaperQueries(slots)
        conn = self.session.connection()
        author_width = len(_AUTHORSHIP_KEYS) + 1
        editor_width = len(_EDITORSHIP_KEYS) + 1
        for start in range(0, len(paper_ids), slots):
            chunk = paper_ids[start : start + slots]
            params = queries.params(chunk)
            for paper_id, key, *values, venue_short in queries.paper.rows(conn, params):
                loaded[paper_id] = _Pending(
                    paper_id=paper_id, key=key, values=tuple(values), venue_short=venue_short or ""
                )
            for row in queries.authors.rows(conn, params):
                entry = loaded[row[0]]
                entry.authorships.append(row[1:author_width])
                entry.stored_names[row[1 + _AUTHOR_ID]] = PersonName(*row[author_width:])
            if self._may_have("editors", chunk):
                for row in queries.editors.rows(conn, params):
                    entry = loaded[row[0]]
                    entry.editorships.append(row[1:editor_width])
                    entry.stored_names[row[1 + _AUTHOR_ID]] = PersonName(*row[editor_width:])
            if self._may_have("awards", chunk):
                for paper_id, text in queries.awards.rows(conn, params):
                    loaded[paper_id].awards.append(text)
            if self._may_have("tags", chunk):
                for paper_id, tag_id in queries.tags.rows(conn, params):
                    loaded[paper_id].tag_ids.append(tag_id)
        return loaded

    def _may_have(self, kind: str, paper_ids: Sequence[int]) -> bool:
        """Whether one of the papers may have editors, awards or tags (``kind``): most papers
        this writer wrote are known to have none, and their queries are skipped."""
        mine, with_kind = self._mine, self._with[kind]
        return any(paper_id not in mine or paper_id in with_kind for paper_id in paper_ids)

    def _view(self, entry: _Pending) -> BibRecord:
        """What :func:`record_from_paper` reads back for the paper ``entry`` holds."""
        assert entry.values is not None
        columns = dict(zip(PAPER_COLUMNS, entry.values, strict=True))
        known = self.authors.name_of
        stored = entry.stored_names

        def name_of(author_id: int) -> PersonName:
            return known(author_id) or stored.get(author_id) or PersonName()

        return BibRecord(
            key=entry.key,
            entry_type=columns["entry_type"],
            title=columns["title"],
            title_bibtex=columns["title_bibtex"],
            authors=tuple(
                AuthorEntry(
                    name=name_of(author_id),
                    student=student,
                    equal=equal,
                    corresponding=corresponding,
                )
                for _, author_id, _, student, equal, corresponding in entry.authorships
            ),
            authors_truncated=columns["authors_truncated"],
            editors=tuple(name_of(row[_AUTHOR_ID]) for row in entry.editorships),
            year=columns["year"],
            month=columns["month"],
            venue_text=columns["venue_text"],
            venue_hint=entry.venue_short,
            volume=columns["volume"],
            number=columns["number"],
            pages=columns["pages"],
            publisher=columns["publisher"],
            series=columns["series"],
            edition=columns["edition"],
            doi=columns["doi"] or "",
            arxiv_id=columns["arxiv_id"] or "",
            url=columns["url"],
            abstract=columns["abstract"],
            note=columns["note"],
            awards=tuple(entry.awards),
            tags=tuple(self._tags.name(tag_id) for tag_id in entry.tag_ids),
            fields=dict(columns["fields"] or {}),
        )

    # -- writing -------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything pending (new authors first, then papers, then their rows)."""
        self.authors.flush()
        self._seen_names.clear()
        if not self._pending:
            return
        entries = list(self._pending.values())
        conn = self.session.connection()
        statements = self._statements
        new = [(ref, entry) for ref, entry in self._pending.items() if entry.paper_id is None]
        rewritten = [e for e in entries if e.paper_id is not None and e.values is not None]
        if new:
            rows = [(entry.key, fold_cite_key(entry.key), *entry.values) for _, entry in new]
            ids = statements.papers.run_returning_ids(conn, rows, unique="key_folded")
            for (ref, entry), paper_id in zip(new, ids, strict=True):
                entry.paper_id = paper_id
                if paper_id != ref:
                    self._written[ref] = paper_id
        if rewritten:
            self._rewrite(conn, rewritten)
        real_id = self.authors.real_id
        authorships: list[tuple[Any, ...]] = []
        editorships: list[tuple[Any, ...]] = []
        awards: list[tuple[int, str]] = []
        tags: list[tuple[int, int]] = []
        aliases: list[tuple[int, str, str]] = []
        sources: list[tuple[Any, ...]] = []
        mine = self._mine
        with_editors, with_awards, with_tags = (
            self._with["editors"],
            self._with["awards"],
            self._with["tags"],
        )
        # Once per paper (100k for a large import): the lists most papers do not have (editors,
        # awards, tags, aliases) are only looked at, not iterated (~0.2 s per 100k papers).
        for entry in entries:
            paper_id = entry.paper_id
            assert paper_id is not None
            if entry.values is not None:
                # Provisional (negative) author ids become the stored ones.
                authorships.extend(
                    [
                        (paper_id, p, a if a > 0 else real_id(a), w, s, e, c)
                        for p, a, w, s, e, c in entry.authorships
                    ]
                )
                mine.add(paper_id)
                if entry.editorships:
                    editorships.extend(
                        (paper_id, p, a if a > 0 else real_id(a)) for p, a in entry.editorships
                    )
                    with_editors.add(paper_id)
                else:
                    with_editors.discard(paper_id)
                if entry.awards:
                    awards.extend((paper_id, text) for text in entry.awards)
                    with_awards.add(paper_id)
                else:
                    with_awards.discard(paper_id)
                if entry.tag_ids:
                    tags.extend([(paper_id, tag_id) for tag_id in entry.tag_ids])
                    with_tags.add(paper_id)
                else:
                    with_tags.discard(paper_id)
            if entry.aliases:
                aliases.extend((paper_id, key, fold_cite_key(key)) for key in entry.aliases)
            for row in entry.sources:
                sources.append((paper_id, *row))
        statements.authorships.run(conn, authorships)
        statements.editorships.run(conn, editorships)
        statements.awards.run(conn, awards)
        statements.tags.run(conn, tags)
        statements.aliases.run(conn, aliases)
        statements.sources.run(conn, sources)
        self._pending = {}
        self.flushes += 1

    def _rewrite(self, conn: Connection, entries: list[_Pending]) -> None:
        """Stored papers a merge changed: new values and key, their lists deleted."""
        rows = [
            (entry.paper_id, entry.key, fold_cite_key(entry.key), *entry.values)
            for entry in entries
        ]
        self._statements.rewrite.run(conn, rows)
        ids = [entry.paper_id for entry in entries]
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            for model in (Authorship, Editorship, Award):
                conn.execute(delete(model).where(model.paper_id.in_(chunk)))
            conn.execute(delete(paper_tags).where(paper_tags.c.paper_id.in_(chunk)))


def load_papers(session: Session, ids: Iterable[int]) -> list[Paper]:
    """Papers with everything :func:`record_from_paper` reads, in few queries."""
    wanted = list(ids)
    if not wanted:
        return []
    stmt = (
        select(Paper)
        .where(Paper.id.in_(wanted))
        # Fresh values even for papers this session loaded before a Core UPDATE changed them.
        .execution_options(populate_existing=True)
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
