"""`pubdb import`: read .bib files, find each record's duplicate, store, and report.

One call is one transaction (the caller's session). For every record read:

1. an entry already imported byte for byte (same raw text) is *unchanged*: nothing happens;
2. its venue is resolved (cached per text), then dedup looks for the same paper among the
   database and the records imported so far (:class:`pubdb.dedup.DedupIndex`);
3. a sure duplicate is merged (``--on-duplicate merge``: the most complete value per field,
   the other cite key kept as an alias, the entry kept as a source), skipped (``skip``) or
   imported apart (``keep``); a possible duplicate is imported apart and reported;
4. otherwise it becomes a new paper; a cite key already used by a different paper gets a
   deterministic ``-2``, ``-3``... suffix, and the report says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pubdb.authors import AuthorResolver
from pubdb.dedup import DedupIndex, DedupItem, choose_survivor, item_from_record
from pubdb.errors import InputError
from pubdb.importers.bibtex import BibtexReadResult, ReadProblem, read_bibtex
from pubdb.merge import merge_records
from pubdb.model import CiteKeyAlias, ImportBatch, Paper, PaperSource
from pubdb.paperio import (
    PaperWriter,
    fold_key,
    load_papers,
    record_from_paper,
)
from pubdb.records import BibRecord
from pubdb.store import insert_row, insert_rows

OnDuplicate = Literal["merge", "skip", "keep"]


@dataclass(frozen=True)
class ImportInput:
    """A file to import; ``text`` is set for standard input (``path`` is then ``-``)."""

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


ProgressCallback = Callable[[int], None]


def raw_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class _VenueCache:
    """Resolves each distinct venue text once per import (resolution is the slow part)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str, str, str], tuple[int | None, str, str]] = {}

    def lookup(self, record: BibRecord) -> tuple[int | None, str, str]:
        """(venue id, short name, kind) for the record's venue, creating the venue if new."""
        key = (record.venue_text, record.venue_hint, record.entry_type.lower())
        found = self._cache.get(key)
        if found is None:
            from pubdb.venue_service import resolve_or_create

            venue = resolve_or_create(
                self.session, record.venue_text, hint=record.venue_hint, entry_type=key[2]
            )
            found = (venue.id, venue.short, venue.kind) if venue is not None else (None, "", "")
            self._cache[key] = found
        return found

    def venue_id(self, record: BibRecord) -> int | None:
        return self.lookup(record)[0]


class Importer:
    """Imports records into one session; keeps the lookups that make bulk imports fast."""

    def __init__(self, session: Session, *, on_duplicate: OnDuplicate = "merge") -> None:
        self.session = session
        self.on_duplicate = on_duplicate
        self.authors = AuthorResolver(session)
        self.venues = _VenueCache(session)
        self.writer = PaperWriter(session, self.authors, self.venues.venue_id)
        self._known_raw: set[str] | None = None
        self._taken_keys: dict[str, int] | None = None
        self._index: DedupIndex | None = None
        self._keys_by_id: dict[int, str] = {}

    # -- lookups, loaded once --------------------------------------------------------------

    def _raw_seen(self, digest: str) -> bool:
        if self._known_raw is None:
            self._known_raw = set(self.session.scalars(select(PaperSource.raw_sha256)))
        return digest in self._known_raw

    def _keys(self) -> dict[str, int]:
        if self._taken_keys is None:
            keys = dict(self.session.execute(select(Paper.key_folded, Paper.id)).all())
            keys.update(
                self.session.execute(select(CiteKeyAlias.key_folded, CiteKeyAlias.paper_id)).all()
            )
            self._taken_keys = keys
            self._keys_by_id = dict(self.session.execute(select(Paper.id, Paper.key)).all())
        return self._taken_keys

    def _key_of(self, paper_id: int) -> str:
        self._keys()
        return self._keys_by_id[paper_id]

    def _dedup_index(self) -> DedupIndex:
        if self._index is None:
            from pubdb.dedup_service import load_items

            self._index = DedupIndex(load_items(self.session))
        return self._index

    # -- one record --------------------------------------------------------------------------

    def _item(self, paper_id: int | str, record: BibRecord) -> DedupItem:
        _, short, kind = self.venues.lookup(record)
        return item_from_record(paper_id, record, venue_short=short, venue_kind=kind)

    def _free_key(self, key: str) -> str:
        taken = self._keys()
        if fold_key(key) not in taken:
            return key
        suffix = 2
        while fold_key(f"{key}-{suffix}") in taken:
            suffix += 1
        return f"{key}-{suffix}"

    def import_record(self, record: BibRecord, batch_id: int, report: FileReport) -> None:
        source = record.source
        raw = source.raw if source else ""
        digest = raw_digest(raw or repr(record))
        if self._raw_seen(digest):
            report.unchanged.append(record.key)
            return
        item = self._item("incoming", record)
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
        paper_id = self.writer.insert(record, key)
        self._remember(paper_id, key, [key])
        self._add_source(paper_id, record, batch_id, digest, merged_from=None)
        self._dedup_index().add(self._item(paper_id, record))
        report.added.append(key)

    def _remember(self, paper_id: int, key: str, keys: Sequence[str]) -> None:
        taken = self._keys()
        for each in keys:
            taken[fold_key(each)] = paper_id
        self._keys_by_id[paper_id] = key

    def _merge_into(
        self,
        paper_id: int,
        record: BibRecord,
        item: DedupItem,
        existing_item: DedupItem,
        batch_id: int,
        digest: str,
    ) -> str:
        """Merge ``record`` into paper ``paper_id``; returns the paper's key afterwards."""
        (paper,) = load_papers(self.session, [paper_id])
        stored = record_from_paper(paper)
        incoming_wins = choose_survivor(existing_item, item) is item
        keep, other = (record, stored) if incoming_wins else (stored, record)
        merged = merge_records(keep, other).record
        key = paper.key
        takes_over = existing_item.is_preprint and not item.is_preprint
        if takes_over and fold_key(record.key) not in self._keys():
            # A published version arriving after its preprint takes over the record: its key
            # becomes the paper's, and the preprint's key an alias.
            key = record.key
            paper.key, paper.key_folded = key, fold_key(key)
            self.session.flush()
        self.writer.replace(paper_id, merged)
        self.writer.add_aliases(paper_id, [k for k in (stored.key, record.key) if k != key])
        self._remember(paper_id, key, [stored.key, record.key])
        self._add_source(paper_id, record, batch_id, digest, merged_from=record.key)
        index = self._dedup_index()
        index.discard(paper_id)
        index.add(self._item(paper_id, merged))
        return key

    def _add_source(
        self,
        paper_id: int,
        record: BibRecord,
        batch_id: int,
        digest: str,
        merged_from: str | None,
    ) -> None:
        source = record.source
        insert_rows(
            self.session,
            PaperSource,
            [
                {
                    "paper_id": paper_id,
                    "batch_id": batch_id,
                    "cite_key": record.key,
                    "line": source.line if source else None,
                    "raw": source.raw if source else "",
                    "raw_sha256": digest,
                    "merged_from_key": merged_from,
                }
            ],
        )
        if self._known_raw is not None:
            self._known_raw.add(digest)

    # -- a whole file ------------------------------------------------------------------------

    def import_result(
        self, result: BibtexReadResult, data_digest: str, progress: ProgressCallback | None = None
    ) -> FileReport:
        report = FileReport(
            path=result.path,
            encoding=result.encoding,
            entries=result.entry_count,
            failed=list(result.failed),
            warnings=[p for p in result.problems if not p.fails_entry],
        )
        batch_id = insert_row(
            self.session,
            ImportBatch,
            {
                "path": result.path,
                "sha256": data_digest,
                "encoding": result.encoding,
                "preamble": list(result.preamble),
                "comments": list(result.comments),
                "counts": {},
            },
        )
        for done, record in enumerate(result.records, start=1):
            self.import_record(record, batch_id, report)
            if progress is not None and done % 500 == 0:
                progress(500)
        self.writer.finish()
        counts = {
            "entries": report.entries,
            "added": len(report.added),
            "merged": len(report.merged),
            "skipped": len(report.skipped),
            "unchanged": len(report.unchanged),
            "failed": len(report.failed),
        }
        if counts["unchanged"] == counts["entries"] and counts["entries"]:
            # A re-import of the same file: record nothing, not even the batch.
            self.session.execute(ImportBatch.__table__.delete().where(ImportBatch.id == batch_id))
        else:
            self.session.execute(
                ImportBatch.__table__.update()
                .where(ImportBatch.id == batch_id)
                .values(counts=counts)
            )
        return report


def read_input(item: ImportInput, encoding: str | None) -> tuple[BibtexReadResult, str]:
    """Read one input; returns the parse result and the sha256 of its bytes."""
    from pathlib import Path

    if item.text is not None:
        data = item.text.encode("utf-8")
        result = read_bibtex(item.path, text=item.text, encoding=encoding)
        return result, hashlib.sha256(data).hexdigest()
    path = Path(item.path)
    if path.is_dir():
        raise InputError("is a folder, not a .bib file", path=item.path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or exc})", path=item.path) from exc
    return read_bibtex(item.path, encoding=encoding), hashlib.sha256(data).hexdigest()


def import_files(
    session: Session,
    inputs: Sequence[ImportInput],
    *,
    tags: Sequence[str] = (),
    on_duplicate: OnDuplicate = "merge",
    encoding: str | None = None,
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import every input into ``session`` (the caller commits or rolls back)."""
    importer = Importer(session, on_duplicate=on_duplicate)
    report = ImportReport()
    for item in inputs:
        result, digest = read_input(item, encoding)
        if strict and result.failed:
            first = result.failed[0]
            more = len(result.failed) - 1
            suffix = f" (and {more} more failed entries)" if more else ""
            raise InputError(
                f"{first.reason}{suffix}; --strict: nothing imported",
                path=first.path,
                line=first.line,
            )
        if tags:
            for record in result.records:
                record.tags = tuple(dict.fromkeys((*record.tags, *tags)))
        report.files.append(importer.import_result(result, digest, progress))
    return report
