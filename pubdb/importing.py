"""`pubdb import`: read .bib files, find each record's duplicate, store, and report.

One call is one transaction (the caller's session). Records are stored as the reader hands
them out (``importers.bibtex.stream_bibtex``): for a large file its worker processes read the
rest meanwhile, and work out what each record needs alone (:func:`prepare_record`: digest,
length checks, dedup item). In file order, for every record:

1. an entry already imported byte for byte (same raw text) is *unchanged*: nothing happens;
2. its venue is resolved (cached per text), then dedup looks for the same paper among the
   database and the records imported so far (:class:`pubdb.dedup.DedupIndex`);
3. a sure duplicate is merged (``--on-duplicate merge``: the most complete value per field,
   the other cite key kept as an alias, the entry kept as a source), skipped (``skip``) or
   imported apart (``keep``); a possible duplicate is imported apart and reported;
4. otherwise it becomes a new paper; a cite key already used by a different paper gets a
   deterministic ``-2``, ``-3``... suffix, and the report says so.

Writes go through :class:`pubdb.paperio.BatchWriter`: new papers, merges and their rows are
kept in memory and written ``batch_size`` papers at a time with one executemany per table
(straight through the driver, SQLite with a larger page cache meanwhile, and for a file as
large as the database its secondary indexes built once at the end: ``DEFER_INDEXES_MIN_ENTRIES``).
Every lookup (cite keys, raw-entry digests, the dedup index, authors, venues and their aliases)
is loaded once and kept current in memory, so the result does not depend on where the batches
fall.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pubdb.authors import AuthorResolver
from pubdb.dedup import (
    DedupIndex,
    DedupItem,
    choose_survivor,
    incoming_item,
    item_from_record,
    item_with_venue,
)
from pubdb.errors import InputError
from pubdb.importers.bibtex import BibtexStream, ReadProblem, stream_bibtex
from pubdb.merge import merge_records
from pubdb.model import Author, CiteKeyAlias, ImportBatch, Paper, PaperSource
from pubdb.paperio import BATCH_SIZE, BatchWriter
from pubdb.records import BibRecord, fold_cite_key
from pubdb.store import DeferredIndexes, bulk_write_cache, deferrable_indexes, insert_row
from pubdb.venue_service import flush_aliases, resolve_ref
from pubdb.venues import VenueMatch, default_registry

OnDuplicate = Literal["merge", "skip", "keep"]

# A file of at least this many entries has every stored author read at once before its
# first record instead of one query per family name and initial (a 100k-entry file spent
# ~0.15 s on such queries for its first 2000 records).
PRELOAD_AUTHORS_MIN = 2000
# A file of at least this many entries, and at least as many as the papers stored, is imported
# with the secondary indexes of the tables below built once at the end instead of kept current
# row by row (``store.DeferredIndexes``), from its first full batch of writes on (a re-import
# writes nothing): building costs about what keeping 60% of the rows current does, so it pays
# off once the import brings more rows than the tables hold.
DEFER_INDEXES_MIN_ENTRIES = 5000
BULK_TABLES = (
    "papers",
    "authorships",
    "editorships",
    "awards",
    "paper_tags",
    "cite_key_aliases",
    "paper_sources",
)


@dataclass(frozen=True)
class ImportInput:
    """A file to import; ``text`` (decoded) or ``data`` (bytes, encoding detected like a file)
    give the content instead of reading ``path`` (standard input: ``path`` is ``-``)."""

    path: str
    text: str | None = None
    data: bytes | None = None


@dataclass(frozen=True)
class MergedEntry:
    key: str
    into: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PossibleDuplicate:
    key: str
    other: str
    score: float
    reasons: tuple[str, ...]


@dataclass
class FileReport:
    """What happened to one file's entries; ``entries`` = the sum of the outcome lists."""

    path: str
    encoding: str = "utf-8"
    entries: int = 0
    added: list[str] = field(default_factory=list)
    merged: list[MergedEntry] = field(default_factory=list)
    skipped: list[MergedEntry] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[ReadProblem] = field(default_factory=list)
    warnings: list[ReadProblem] = field(default_factory=list)
    possible: list[PossibleDuplicate] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def accounted(self) -> int:
        return (
            len(self.added)
            + len(self.merged)
            + len(self.skipped)
            + len(self.unchanged)
            + len(self.failed)
        )


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    def total(self, outcome: str) -> int:
        return sum(len(getattr(report, outcome)) for report in self.files)


# (path, characters read so far, characters in all) after each part of a file is stored.
ProgressCallback = Callable[[str, int, int], None]


def raw_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _column_limits() -> dict[str, int]:
    return {
        name: column.type.length
        for name, column in Paper.__table__.columns.items()
        if getattr(column.type, "length", None)
    }


_PAPER_LIMITS = _column_limits()
_NAME_LIMITS = {
    name: column.type.length
    for name, column in Author.__table__.columns.items()
    if name in ("given", "family", "von", "jr") and getattr(column.type, "length", None)
}
# The record's values that go to length-limited papers columns (same names on both).
_VALUE_LIMITS = {
    name: _PAPER_LIMITS[name]
    for name in ("key", "volume", "number", "pages", "edition", "doi", "arxiv_id")
    if name in _PAPER_LIMITS
}
_values_of = attrgetter(*_VALUE_LIMITS)
_parts_of = attrgetter(*_NAME_LIMITS)
# No value this long or shorter is too long: the one test nearly every record needs.
_ALWAYS_FITS = min(*_VALUE_LIMITS.values(), *_NAME_LIMITS.values())


def overlong_value(record: BibRecord) -> str | None:
    """Why the record cannot be stored as it is, when a value exceeds its column's length.

    SQLite ignores VARCHAR lengths but PostgreSQL enforces them; checking here keeps the two
    backends alike and turns what would abort the whole import into one failed entry.
    """
    if max(map(len, _values_of(record))) > _ALWAYS_FITS:
        for name, limit in _VALUE_LIMITS.items():
            value = getattr(record, name)
            if len(value) > limit:
                return f"{name} is {len(value)} characters long (at most {limit}); not imported"
    for name in (*(a.name for a in record.authors), *record.editors):
        if max(map(len, _parts_of(name))) > _ALWAYS_FITS:
            for part, limit in _NAME_LIMITS.items():
                value = getattr(name, part)
                if len(value) > limit:
                    return (
                        f"a name's {part} part is {len(value)} characters long "
                        f"(at most {limit}); not imported"
                    )
    return None


class _VenueCache:
    """Resolves each distinct venue text once per import (resolution is the slow part).

    The alias rows resolution adds wait in memory until :meth:`flush`.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str, str, str], tuple[int | None, str, str]] = {}
        # The record asked about last and its answer: the importer and then the writer ask
        # about the same record.
        self._last: tuple[BibRecord | None, tuple[int | None, str, str]] = (None, (None, "", ""))

    def lookup(
        self, record: BibRecord, registry_match: VenueMatch | None = None
    ) -> tuple[int | None, str, str]:
        """(venue id, short name, kind) for the record's venue, creating the venue if new;
        ``registry_match``: what the shipped registry makes of the record's venue text, when
        a worker process worked it out (prepare_record)."""
        last, found = self._last
        if record is last:
            return found
        key = (record.venue_text, record.venue_hint, record.entry_type)
        cached = self._cache.get(key)
        if cached is None:
            entry_type = record.entry_type.lower()
            if registry_match is not None:
                default_registry().remember(record.venue_text, entry_type, registry_match)
            venue = resolve_ref(
                self.session, record.venue_text, hint=record.venue_hint, entry_type=entry_type
            )
            cached = (venue.id, venue.short, venue.kind) if venue is not None else (None, "", "")
            self._cache[key] = cached
        self._last = (record, cached)
        return cached

    def flush(self) -> None:
        flush_aliases(self.session)

    def venue_short(self, record: BibRecord) -> tuple[int | None, str]:
        venue_id, short, _ = self.lookup(record)
        return venue_id, short


class Importer:
    """Imports records into one session; keeps the lookups that make bulk imports fast.

    Papers are named by the writer's refs (a stored paper's id, or ``BatchWriter.new_ref``
    for a paper this import adds); the dedup index and the cite-key maps use them.
    """

    def __init__(
        self,
        session: Session,
        *,
        on_duplicate: OnDuplicate = "merge",
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.session = session
        self.on_duplicate = on_duplicate
        self.authors = AuthorResolver(session, deferred=True)
        self.venues = _VenueCache(session)
        self.writer = BatchWriter(
            session, self.authors, self.venues.venue_short, batch_size=batch_size
        )
        self._known_raw: set[str] | None = None
        self._taken_keys: dict[str, int] | None = None
        self._index: DedupIndex | None = None
        self._keys_by_id: dict[int, str] = {}
        self._authors_preloaded = False
        # Deferred before the next full batch is written (set per file: import_stream).
        self.defer_indexes: DeferredIndexes | None = None

    # -- lookups, loaded once --------------------------------------------------------------

    def stored_digests(self) -> set[str]:
        """The sha256 of every raw entry stored, those this import added included (kept
        current: the same set as it grows)."""
        if self._known_raw is None:
            self._known_raw = set(self.session.scalars(select(PaperSource.raw_sha256)))
        return self._known_raw

    def _raw_seen(self, digest: str) -> bool:
        return digest in self.stored_digests()

    def _keys(self) -> dict[str, int]:
        if self._taken_keys is None:
            keys = dict(self.session.execute(select(Paper.key_folded, Paper.id)).all())
            keys.update(
                self.session.execute(select(CiteKeyAlias.key_folded, CiteKeyAlias.paper_id)).all()
            )
            self._taken_keys = keys
            self._keys_by_id = dict(self.session.execute(select(Paper.id, Paper.key)).all())
        return self._taken_keys

    def _key_of(self, ref: int) -> str:
        self._keys()
        return self._keys_by_id[ref]

    def _dedup_index(self) -> DedupIndex:
        if self._index is None:
            from pubdb.dedup_service import load_items

            self._index = DedupIndex(load_items(self.session))
        return self._index

    def stored_papers(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Paper)) or 0

    def preload_authors(self) -> None:
        """Read every stored author now (worth it for a large import)."""
        if not self._authors_preloaded:
            self.authors.preload_all()
            self._authors_preloaded = True

    def _prefetch_merge_targets(self, records: Sequence[tuple[BibRecord, Any]]) -> None:
        """Read back at once the written papers the reader's next records share a DOI,
        arXiv id or title with: the papers their merges will read (each alone would cost
        a few queries; 100k entries with 5% duplicates spent ~0.6 s on them)."""
        items = [prepared[2] for _, prepared in records if prepared is not None and prepared[2]]
        if items:  # none when every entry is stored already: no need to load the index
            self.writer.prefetch(int(ref) for ref in self._dedup_index().exact_matches(items))

    # -- one record --------------------------------------------------------------------------

    def _item(self, ref: int | str, record: BibRecord) -> DedupItem:
        _, short, kind = self.venues.lookup(record)
        return item_from_record(ref, record, venue_short=short, venue_kind=kind)

    def _free_key(self, key: str) -> str:
        taken = self._keys()
        if fold_cite_key(key) not in taken:
            return key
        suffix = 2
        while fold_cite_key(f"{key}-{suffix}") in taken:
            suffix += 1
        return f"{key}-{suffix}"

    def import_record(
        self,
        record: BibRecord,
        batch_id: int,
        report: FileReport,
        prepared: PreparedRecord | None = None,
    ) -> None:
        """Import one record; ``prepared``: :func:`prepare_record` of it, when made already
        (by the reader's worker processes)."""
        digest, too_long, incoming, venue = (
            prepared if prepared is not None else prepare_record(record)
        )
        if not digest:
            digest = raw_digest(repr(record))
        source = record.source
        if self._raw_seen(digest):
            report.unchanged.append(record.key)
            return
        if too_long is not None:
            report.failed.append(
                ReadProblem(
                    path=source.path if source else report.path,
                    line=source.line if source else None,
                    key=record.key,
                    reason=too_long,
                    severity="error",
                )
            )
            return
        _, short, kind = self.venues.lookup(record, venue)
        assert incoming is not None  # made for every record whose values fit
        item = item_with_venue(incoming, record, short, kind)
        found = self._dedup_index().best_match(item)
        if found is not None:
            other, decision = found
            if decision.verdict == "same" and self.on_duplicate != "keep":
                into = self._key_of(int(other.id))
                entry = MergedEntry(record.key, into, decision.reasons)
                if self.on_duplicate == "skip":
                    report.skipped.append(entry)
                    return
                key_after = self._merge_into(int(other.id), record, item, other, batch_id, digest)
                report.merged.append(MergedEntry(record.key, key_after, decision.reasons))
                self._flush_if_full()
                return
            if decision.verdict in ("same", "possible"):
                report.possible.append(
                    PossibleDuplicate(
                        record.key,
                        self._key_of(int(other.id)),
                        decision.score,
                        decision.reasons,
                    )
                )
        key = self._free_key(record.key)
        if key != record.key:
            report.renamed.append((record.key, key))
        ref = self.writer.new_ref()
        self.writer.add(ref, record, key, normalised_title=item.title_key)
        self._remember(ref, key, [key])
        self._add_source(ref, record, batch_id, digest, merged_from=None)
        # The incoming item becomes the paper's: only the index holds it from here on.
        object.__setattr__(item, "id", ref)
        self._dedup_index().add(item)
        report.added.append(key)
        self._flush_if_full()

    def _flush_if_full(self) -> None:
        if self.writer.full:
            if self.defer_indexes is not None:
                self.defer_indexes.defer()
            self.writer.flush()

    def _remember(self, ref: int, key: str, keys: Sequence[str]) -> None:
        taken = self._keys()
        for each in keys:
            taken[fold_cite_key(each)] = ref
        self._keys_by_id[ref] = key

    def _merge_into(
        self,
        ref: int,
        record: BibRecord,
        item: DedupItem,
        existing_item: DedupItem,
        batch_id: int,
        digest: str,
    ) -> str:
        """Merge ``record`` into paper ``ref``; returns the paper's key afterwards."""
        stored = self.writer.record(ref)
        incoming_wins = choose_survivor(existing_item, item) is item
        keep, other = (record, stored) if incoming_wins else (stored, record)
        merged = merge_records(keep, other).record
        key = stored.key
        taken = self._keys()
        takes_over = existing_item.is_preprint and not item.is_preprint
        if takes_over and fold_cite_key(record.key) not in taken:
            # A published version arriving after its preprint takes over the record: its key
            # becomes the paper's, and the preprint's key an alias.
            key = record.key
        self.writer.replace(ref, merged, key)
        # The other keys become aliases unless some paper or alias has them already (the
        # paper's old key is free again when the incoming key took over).
        aliases = [stored.key] if key != stored.key else []
        if record.key != key and fold_cite_key(record.key) not in taken:
            aliases.append(record.key)
        self.writer.add_aliases(ref, aliases)
        self._remember(ref, key, [stored.key, record.key])
        self._add_source(ref, record, batch_id, digest, merged_from=record.key)
        index = self._dedup_index()
        index.discard(ref)
        index.add(self._item(ref, merged))
        return key

    def _add_source(
        self,
        ref: int,
        record: BibRecord,
        batch_id: int,
        digest: str,
        merged_from: str | None,
    ) -> None:
        source = record.source
        # The columns of paperio.SOURCE_COLUMNS.
        self.writer.add_source(
            ref,
            (
                batch_id,
                record.key,
                source.line if source else None,
                source.raw if source else "",
                digest,
                merged_from,
            ),
        )
        if self._known_raw is not None:
            self._known_raw.add(digest)

    # -- a whole file ------------------------------------------------------------------------

    def import_stream(
        self,
        stream: BibtexStream,
        batches: Iterable[tuple[list[tuple[BibRecord, Any]], int]],
        data_digest: str,
        *,
        tags: Sequence[str] = (),
        progress: ProgressCallback | None = None,
        indexes: DeferredIndexes | None = None,
    ) -> FileReport:
        """Import one file's records as the reader hands them out (``batches`` of
        ``stream``), so that storing overlaps reading; ``tags`` go on every record.

        ``indexes``: deferred from the first full batch of writes on when the file has at
        least ``DEFER_INDEXES_MIN_ENTRIES`` entries and as many as the papers stored."""
        entries = stream.max_entries
        large = entries >= DEFER_INDEXES_MIN_ENTRIES and entries >= self.stored_papers()
        self.defer_indexes = indexes if large else None
        report = FileReport(path=stream.path, encoding=stream.encoding)
        batch_id = insert_row(
            self.session,
            ImportBatch,
            {
                "path": stream.path,
                "sha256": data_digest,
                "encoding": stream.encoding,
                "preamble": [],
                "comments": [],
                "counts": {},
            },
        )
        if entries >= PRELOAD_AUTHORS_MIN:
            self.preload_authors()
        for records, position in batches:
            self._prefetch_merge_targets(records)
            for record, prepared in records:
                if tags:
                    record.tags = tuple(dict.fromkeys((*record.tags, *tags)))
                self.import_record(record, batch_id, report, prepared)
            if progress is not None:
                progress(stream.path, position, stream.size)
        self.writer.flush()
        self.venues.flush()
        result = stream.result()
        report.entries = result.entry_count
        # The reader's failures first (file order), then those found on storing.
        report.failed[:0] = result.failed
        report.warnings = [p for p in result.problems if not p.fails_entry]
        counts = {
            "entries": report.entries,
            "added": len(report.added),
            "merged": len(report.merged),
            "skipped": len(report.skipped),
            "unchanged": len(report.unchanged),
            "failed": len(report.failed),
        }
        batch = ImportBatch.__table__
        if counts["unchanged"] == counts["entries"] and counts["entries"]:
            # A re-import of the same file: record nothing, not even the batch.
            self.session.execute(batch.delete().where(batch.c.id == batch_id))
        else:
            self.session.execute(
                batch.update()
                .where(batch.c.id == batch_id)
                .values(
                    counts=counts,
                    preamble=list(result.preamble),
                    comments=list(result.comments),
                )
            )
        return report


# What the reader's worker processes work out for each record (prepare_record): the sha256
# of its raw entry ("" when it has none: the main process digests its repr then, tags
# included), why a value is too long to store (None: it fits) and, when it fits, its dedup
# item before the venue is resolved (dedup.incoming_item), and what the shipped venue
# registry makes of its venue text (None: no text, or nothing).
PreparedRecord = tuple[str, "str | None", "DedupItem | None", "VenueMatch | None"]


# The digests of the raw entries stored already (Importer.stored_digests) while a file is
# read: prepare_record leaves out what only a new entry needs (its dedup item and venue) for
# an entry stored as it is, which the importer skips (a re-import). Worker processes see the
# set as it was when they were forked; the importer checks every digest itself in any case.
_stored_digests: Container[str] = frozenset()


def prepare_record(record: BibRecord) -> PreparedRecord:
    """The record-local part of importing ``record`` (runs in worker processes: it reads
    nothing but the record and ``_stored_digests``)."""
    source = record.source
    raw = source.raw if source else ""
    digest = raw_digest(raw) if raw else ""
    if digest and digest in _stored_digests:
        return digest, None, None, None
    too_long = overlong_value(record)
    item = incoming_item(record) if too_long is None else None
    venue = (
        default_registry().resolve(record.venue_text, record.entry_type.lower())
        if record.venue_text
        else None
    )
    return digest, too_long, item, venue


def open_input(item: ImportInput, encoding: str | None) -> tuple[BibtexStream, str]:
    """Start reading one input; returns the stream and the sha256 of its bytes."""
    from pathlib import Path

    if item.text is not None:
        digest = hashlib.sha256(item.text.encode("utf-8")).hexdigest()
        source: str | bytes = item.text
    else:
        data = item.data
        if data is None:
            path = Path(item.path)
            if path.is_dir():
                raise InputError("is a folder, not a .bib file", path=item.path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read ({exc.strerror or exc})", path=item.path) from exc
        # One read: the digest and the reader get the same bytes.
        digest = hashlib.sha256(data).hexdigest()
        source = data
    stream = stream_bibtex(item.path, text=source, encoding=encoding, prepare=prepare_record)
    return stream, digest


def import_files(
    session: Session,
    inputs: Sequence[ImportInput],
    *,
    tags: Sequence[str] = (),
    on_duplicate: OnDuplicate = "merge",
    encoding: str | None = None,
    strict: bool = False,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
) -> ImportReport:
    """Import every input into ``session`` (the caller commits or rolls back).

    ``batch_size``: papers kept in memory between writes (the result does not depend on it).
    ``dry_run``: the caller rolls back whatever happens, so indexes dropped for a large file
    are left to the rollback instead of being built again (~1 s at 100k entries).
    """
    importer = Importer(session, on_duplicate=on_duplicate, batch_size=batch_size)
    report = ImportReport()
    # The import builds millions of long-lived objects (records, dedup items, lookups) and
    # hardly any reference cycles: the collector's full passes over them cost ~10% of the
    # run for nothing. Reference counting still frees everything acyclic as it goes.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        conn = session.connection()
        with (
            bulk_write_cache(conn),
            deferrable_indexes(conn, BULK_TABLES, rollback=dry_run) as indexes,
        ):
            for item in inputs:
                report.files.append(
                    _import_input(importer, item, tags, encoding, strict, progress, indexes)
                )
    finally:
        if gc_was_enabled:
            gc.enable()
    return report


def _import_input(
    importer: Importer,
    item: ImportInput,
    tags: Sequence[str],
    encoding: str | None,
    strict: bool,
    progress: ProgressCallback | None,
    indexes: DeferredIndexes,
) -> FileReport:
    """Read one input and import its records while it is read (``--strict``: after it is
    read, and only when no entry failed)."""
    global _stored_digests
    stream, digest = open_input(item, encoding)
    _stored_digests = importer.stored_digests()
    batches = stream.batches()
    try:
        if strict:
            read = list(batches)
            failed = stream.result().failed
            if failed:
                first = failed[0]
                more = len(failed) - 1
                suffix = f" (and {more} more failed entries)" if more else ""
                raise InputError(
                    f"{first.reason}{suffix}; --strict: nothing imported",
                    path=first.path,
                    line=first.line,
                )
            return importer.import_stream(
                stream, read, digest, tags=tags, progress=progress, indexes=indexes
            )
        return importer.import_stream(
            stream, batches, digest, tags=tags, progress=progress, indexes=indexes
        )
    finally:
        batches.close()  # stops the reader's worker processes if the import failed
        _stored_digests = frozenset()
