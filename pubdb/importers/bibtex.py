"""Read a .bib file into normalised ``BibRecord``s and a list of problems: ``read_bibtex``.

Nothing the file holds is silently lost: every entry-like block (``@type{...}`` or
``@type(...)`` other than ``@string``/``@preamble``/``@comment``) ends as exactly one record or
exactly one ``ReadProblem`` with severity ``error`` and kind ``entry`` (see ``failed``), so

    entry_count == len(records) + len(failed)            (the accounting rule)

Warnings say what was changed or guessed on the way and never count as failures.

The pipeline, in this order (each step needs the one before it):

1. Bytes -> text (``_bibtex_text``): UTF-8 with or without BOM, else the encoding the file
   declares, else cp1252, else Latin-1, with a warning naming the encoding; ``encoding=``
   overrides. Binary data, and text without any ``@`` block that is more than blank or
   ``%`` comment lines, raise ``InputError`` (one line: path and what is wrong).
2. Split (``_bibtex_split``): plain entries by a fast scanner, every other block by
   bibtexparser's splitter (``parse_string(..., parse_stack=[])``), which is the reference: the
   two give the same blocks (``splitter="bibtexparser"`` uses it alone). None of bibtexparser's
   middlewares run: its string resolver does not evaluate ``#``, its LaTeX decoder costs
   ~3 ms an entry and decodes author lists before they are split (``{Barnes and Noble}``
   would break), and its duplicate checks compare keys case-sensitively. Large texts are cut
   into chunks at lines that start with ``@type{`` - where bibtexparser itself always starts
   a new block, so the result does not depend on the cut - and worker processes run steps
   2-6 and 9-11 (all that one entry needs) on chunks while this process runs steps 7, 8 and
   12 (what needs the whole file) on the chunks before (``_ChunkReader``). Entries with a
   ``crossref`` wait for step 8 and take steps 9-11 here, at the end. ``stream_bibtex``
   hands out each chunk's records as soon as they are final (in file order: an entry with
   a ``crossref`` or without a key holds back the rest until the end), so a caller stores
   them while the workers read on; ``read_bibtex`` collects them.
3. Unwrap what bibtexparser set aside: ``DuplicateFieldKeyBlock`` and
   ``DuplicateBlockKeyBlock`` go back to their entries (steps 6 and 7 decide, with BibTeX's
   rules); a ``ParsingFailedBlock`` becomes an error with its line and reason.
4. ``@string``: evaluated in file order (a value may use earlier macros and ``#``); a
   redefinition applies from its line on (warning).
5. Field names lower-cased (BibTeX ignores their case); values evaluated: delimiters removed,
   macros and ``#`` resolved, ``jan``..``dec`` built in, whitespace runs collapsed. This comes
   before 6 (``Title`` and ``title`` are the same field) and before 8 (the parent's values).
6. Repeated field: the first value wins, as in BibTeX; a different later value is kept as
   ``<name>_2`` (``_3``...), an identical one dropped; a warning either way.
7. Repeated key (case-insensitive, as BibTeX compares them): the first entry wins, as in
   BibTeX and biber; each later one is an error "duplicate key ... (first at line N)" carrying
   its raw text (``ReadProblem.raw``), so a caller can still show or import it.
8. ``crossref``: a child gets every parent field it lacks (the parent's ``title`` as its
   ``booktitle``), except fields that describe only the parent itself (``_NOT_INHERITED``);
   order in the file does not matter, chains are followed, the ``crossref`` field is kept.
   This precedes 9-11 so inherited values are parsed and decoded like the child's own.
9. Month and year to int (``_bibtex_values``; odd values also kept as text in ``fields``).
10. Names split, then decoded (``names.parse_name_list``); marks from ``author+an``.
11. Field decoding, only for the fields that are stored as text (``_bibtex_record``):
    ``textnorm.latex_to_unicode`` is cached, so repeated venues cost nothing.
12. Entries without a key get ``{family}{year}{firstword}`` (lower-case ASCII, ``a``, ``b``...
    appended on a clash with any key of the file), with a warning.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import re
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ExplicitComment,
    ImplicitComment,
    ParsingFailedBlock,
    Preamble,
    String,
)

from pubdb.errors import InputError
from pubdb.records import BibRecord, SourceRef, sharing_names
from pubdb.textnorm import fold

from ._bibtex_record import normalise_entry
from ._bibtex_split import (
    LINE_BLOCK_START,
    Blocks,
    FastEntry,
    split_bibtexparser,
    split_fast,
)
from ._bibtex_text import decode_bytes
from ._bibtex_values import StringTable, collapse, evaluate

__all__ = ["BibtexReadResult", "BibtexStream", "ReadProblem", "read_bibtex", "stream_bibtex"]

# bibtexparser logs each block it cannot parse; those become ReadProblems here instead.
_splitter_log = logging.getLogger("bibtexparser.splitter")
_splitter_log.addHandler(logging.NullHandler())
_splitter_log.propagate = False

STDIN_LABEL = "<stdin>"
# bibtexparser takes any block type starting with "string" as a @string (likewise below).
_STRING_START = re.compile(r"@string\w*[ \t]*[{(]", re.IGNORECASE)
_BLOCK_TYPE = re.compile(r"^\s*@\s*(\w*)\s*[{(]\s*([^,\s{}()=\"]*)")
_CHUNK_CHARS = 1 << 19
_PARALLEL_MIN_CHARS = 1 << 21
_MAX_WORKERS = 4

_NOT_INHERITED = frozenset(
    {
        "crossref", "xref", "ids", "title", "shorttitle", "subtitle", "titleaddon",
        "doi", "url", "urldate", "eprint", "eprinttype", "archiveprefix", "primaryclass",
        "pages", "abstract", "note", "keywords", "award", "award_name", "selected", "file",
        "annote", "annotation", "pdf", "preview", "bibtex_show", "html", "code", "slides",
    }
)  # fmt: skip
_REPEAT_SUFFIX = re.compile(r"_\d+$")
# BibTeX ends a cite key at white space; a control character in one is never meant.
_BAD_KEY = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
# What a one-line problem message may not hold (line breaks, terminal escapes).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_KEY_STOPWORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "from", "at", "by"}
)
_KEY_WORD = re.compile(r"[a-z0-9]+")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ReadProblem:
    """Something about the input a user should know: where, which entry, what happened.

    ``kind`` says what the problem is about: ``entry``, ``string``, ``preamble``, ``comment``
    or ``file``. An ``error`` of kind ``entry`` means that entry is not among the records
    (``raw`` then holds its text); every other problem leaves the records complete.
    """

    path: str
    line: int | None
    key: str
    reason: str
    severity: Severity = "warning"
    kind: str = "entry"
    raw: str = ""

    def __post_init__(self) -> None:
        # Messages are one line each and hold no terminal escapes, whatever the file holds.
        for name in ("key", "reason"):
            value = getattr(self, name)
            if _UNPRINTABLE.search(value):
                object.__setattr__(self, name, _printable(value))

    @property
    def fails_entry(self) -> bool:
        return self.severity == "error" and self.kind == "entry"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        key = f"[{self.key}] " if self.key else ""
        return f"{where}: {self.severity}: {key}{self.reason}"


def _printable(text: str) -> str:
    """``text`` with line breaks and control characters written as escapes (``\\n``)."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass
class BibtexReadResult:
    """What one .bib file held: records, problems, and the file-level blocks.

    ``entry_count`` counts every entry-like block in the file, read or not; it always equals
    ``len(records) + len(failed)``. ``strings`` maps each ``@string`` name (as first written)
    to its last value; ``preamble`` and ``comments`` are in file order (``comments`` holds
    ``@comment`` bodies and the free text between entries).
    """

    path: str
    records: list[BibRecord]
    problems: list[ReadProblem]
    preamble: list[str]
    comments: list[str]
    strings: dict[str, str]
    encoding: str
    entry_count: int

    @property
    def failed(self) -> list[ReadProblem]:
        """One error per entry that is not among the records."""
        return [problem for problem in self.problems if problem.fails_entry]

    @property
    def errors(self) -> list[ReadProblem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[ReadProblem]:
        return [problem for problem in self.problems if problem.severity == "warning"]


# --------------------------------------------------------------------------------------------
# Chunks
# --------------------------------------------------------------------------------------------


class _Chunk(NamedTuple):
    start: int
    end: int
    line: int  # lines before ``start``
    lookahead: str  # the next chunk's ``@type{`` (see ``split_fast``), "" for the last chunk


def _chunk_bounds(text: str) -> list[_Chunk]:
    """Chunks of about ``_CHUNK_CHARS``, cut only where a line starts with ``@type{``."""
    bounds: list[_Chunk] = []
    start, line, size = 0, 0, len(text)
    while start < size:
        match = LINE_BLOCK_START.search(text, start + _CHUNK_CHARS)
        end = match.start() if match else size
        bounds.append(_Chunk(start, end, line, match.group() if match else ""))
        line += text.count("\n", start, end)
        start = end
    return bounds


# --------------------------------------------------------------------------------------------
# Per-chunk processing (runs in worker processes for large files)
# --------------------------------------------------------------------------------------------


# Items of a chunk's result: plain tuples, so they cross process boundaries cheaply.
_ENTRY, _FAILED, _PREAMBLE, _COMMENT = range(4)


class _Job(NamedTuple):
    """What every chunk of one file is processed with."""

    path: str
    strings: StringTable
    fast: bool  # split with ``split_fast`` (else bibtexparser alone)
    prepare: Prepare | None = None  # see ``stream_bibtex``


# An entry's normalised form: (record, warnings, failure, prepared); failure is "" or why it
# failed; prepared is what ``_Job.prepare`` made of the record (None when not yet made).
_Outcome = tuple[BibRecord | None, list[str], str, Any]
# A caller's work on each record, done where the record is made (see ``stream_bibtex``).
Prepare = Callable[[BibRecord], Any]


def _block_kind(raw: str) -> tuple[str, str]:
    """(kind, key) guessed from a block's raw text: kind is entry/string/preamble/comment."""
    match = _BLOCK_TYPE.match(raw or "")
    if not match:
        return "entry", ""
    kind = match.group(1).lower()
    for special in ("string", "preamble", "comment"):
        if kind.startswith(special):
            return special, ""
    return "entry", match.group(2)


def _failure_reason(error: Exception) -> str:
    reason = getattr(error, "abort_reason", None) or getattr(error, "message", None)
    if not reason:
        reason = f"{type(error).__name__}: {error}"
    return "cannot parse: " + collapse(str(reason)).replace("`", "'")


def _entry_parts(block: Entry | FastEntry) -> tuple[str, str, str, list[tuple[str, str]]]:
    """(entry type, key, raw, [(field name, raw value)]) of either splitter's entry."""
    if isinstance(block, FastEntry):
        return block.entry_type, block.key, block.raw, block.fields
    fields = [(bib_field.key, bib_field.value) for bib_field in block.fields]
    return block.entry_type.lower(), block.key.strip(), block.raw or "", fields


# Field name as written -> as stored: the few names of a file are lowered once (and shared).
_FIELD_NAMES: dict[str, str] = {}
_FIELD_NAMES_MAX = 4096


def _evaluate_fields(
    raw_fields: list[tuple[str, str]], line: int, strings: StringTable, warn: Callable[[str], None]
) -> dict[str, str]:
    """Steps 5 and 6: lower-case names, evaluated values, repeated fields resolved."""
    fields: dict[str, str] = {}
    for raw_name, raw_value in raw_fields:
        name = _FIELD_NAMES.get(raw_name)
        if name is None:
            name = " ".join(raw_name.split()).lower()  # ("key with spaces" is kept)
            if len(_FIELD_NAMES) < _FIELD_NAMES_MAX:
                _FIELD_NAMES[raw_name] = name
        value, issues = evaluate(raw_value, strings, line)
        for issue in issues:
            warn(f"field {name or '?'}: {issue}")
        if not name:
            warn(f"a value without a field name was ignored: {value!r}")
            continue
        if name not in fields:
            fields[name] = value
        elif fields[name] == value:
            warn(f"field {name} repeated with the same value; one kept")
        else:
            number = 2
            while f"{name}_{number}" in fields:
                number += 1
            fields[f"{name}_{number}"] = value
            warn(f"field {name} repeated: the first value is used, the later one kept as "
                 f"{name}_{number}")  # fmt: skip
    return fields


def _normalised(
    path: str,
    line: int,
    key: str,
    entry_type: str,
    raw: str,
    fields: dict[str, str],
    prepare: Prepare | None = None,
) -> _Outcome:
    """Steps 9-11 for one entry (``normalise_entry``); an exception fails the entry alone.

    ``prepare`` runs on the record when its key is final (an entry without a key gets one
    only once the whole file is read).
    """
    warnings: list[str] = []
    try:
        source = SourceRef(path, line, raw)
        record = normalise_entry(key, entry_type, fields, source, warnings.append)
    except Exception as exc:  # one odd entry must not abort the file
        return None, warnings, f"cannot normalise entry ({type(exc).__name__}: {exc})", None
    prepared = prepare(record) if prepare is not None and key else None
    return record, warnings, "", prepared


def _split_chunk(
    text: str, line_offset: int, lookahead: str, job: _Job, blocks: Blocks | None = None
) -> tuple[list[tuple], int]:
    """Steps 2, 3, 5, 6 and, for entries without ``crossref``, 9-11 for one chunk (worker
    processes run this for large files; ``blocks``: the chunk already split).

    Returns the chunk's items in file order and how many ``@`` blocks it had.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()  # many small objects and no cycles: the collector would only cost time
    try:
        if blocks is None:
            blocks = (split_fast if job.fast else split_bibtexparser)(text, lookahead)
        items: list[tuple] = []
        count = 0
        for block, block_line in blocks:
            line = block_line + line_offset + 1
            if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
                block = block.ignore_error_block
            if not isinstance(block, ImplicitComment):
                count += 1
            if isinstance(block, FastEntry | Entry):
                entry_type, key, raw, raw_fields = _entry_parts(block)
                if _BAD_KEY.search(key):
                    reason = (f"cite key {key!r} contains a space or a control character; "
                              "BibTeX cannot cite it")  # fmt: skip
                    items.append((_FAILED, line, key, "entry", reason, raw))
                    continue
                issues: list[str] = []
                fields = _evaluate_fields(raw_fields, line, job.strings, issues.append)
                outcome = None  # crossref: normalised once the whole file is read
                if "crossref" not in fields:
                    outcome = _normalised(job.path, line, key, entry_type, raw, fields, job.prepare)
                    fields = None
                items.append((_ENTRY, line, key, entry_type, raw, fields, issues, outcome))
            elif isinstance(block, ParsingFailedBlock):
                kind, key = _block_kind(block.raw or "")
                reason = _failure_reason(block.error)
                items.append((_FAILED, line, key, kind, reason, block.raw or ""))
            elif isinstance(block, Preamble):
                value, issues = evaluate(block.value, job.strings, line)
                items.append((_PREAMBLE, line, value, issues))
            elif isinstance(block, ExplicitComment | ImplicitComment) and block.comment.strip():
                items.append((_COMMENT, line, block.comment))
            # String blocks were read before the chunks (``_read_strings``).
        return items, count
    finally:
        if gc_was_enabled:
            gc.enable()


def _split_chunk_pickled(text: str, line_offset: int, lookahead: str, job: _Job) -> bytes:
    """``_split_chunk`` in a worker process, its result pickled there: the reader unpickles
    it when it takes the chunk, in its own thread. Left to the pool, the unpickling runs in
    the pool's thread, which then takes turns with the import for Python's lock."""
    return pickle.dumps(
        _split_chunk(text, line_offset, lookahead, job), protocol=pickle.HIGHEST_PROTOCOL
    )


# --------------------------------------------------------------------------------------------
# Whole-file steps: strings, duplicate keys, crossref, normalising, generated keys
# --------------------------------------------------------------------------------------------


def _read_strings(
    chunks: list[tuple[Blocks, int]], path: str, problems: list[ReadProblem]
) -> StringTable:
    table = StringTable()
    for blocks, line_offset in chunks:
        for block, block_line in blocks:
            if isinstance(block, DuplicateBlockKeyBlock):
                block = block.ignore_error_block
            if not isinstance(block, String):
                continue
            line = block_line + line_offset + 1
            name = block.key.strip()
            value, issues = evaluate(block.value, table, line, strip=False)
            for issue in issues:
                problems.append(ReadProblem(path, line, name, f"@string: {issue}", kind="string"))
            previous = table.define(name, line, value)
            if previous is not None:
                problems.append(ReadProblem(
                    path, line, name,
                    f"@string {name} redefined (first at line {previous}); "
                    "the new value applies from here on", kind="string",
                ))  # fmt: skip
    return table


@dataclass(slots=True)
class _Slot:
    """One accepted entry on its way to a record (``fields`` kept only while needed; one per
    entry of the file stays until its end, so without an instance dict)."""

    line: int
    key: str
    entry_type: str
    raw: str
    fields: dict[str, str] | None
    problems: list[ReadProblem]
    record: BibRecord | None = None
    failed: ReadProblem | None = None
    prepared: Any = None


class _Assembler:
    """Consumes chunk items in file order: steps 7-12 and the file-level lists."""

    def __init__(
        self,
        path: str,
        strings: StringTable,
        problems: list[ReadProblem],
        prepare: Prepare | None = None,
    ) -> None:
        self.path = path
        self.strings = strings
        self.problems = problems
        self.prepare = prepare
        self.slots: list[_Slot] = []
        self.released = 0  # slots before this one were handed out (``release``)
        self.by_key: dict[str, _Slot] = {}
        self.deferred: list[_Slot] = []
        self.preamble: list[str] = []
        self.comments: list[str] = []
        self.entry_count = 0
        self.blocks = 0
        self._parent_cache: dict[int, dict[str, str]] = {}
        self._cycle: list[str] | None = None

    def feed(self, items: list[tuple], blocks: int) -> None:
        self.blocks += blocks
        path = self.path
        for item in items:
            tag = item[0]
            if tag == _ENTRY:
                self._entry(*item[1:])
            elif tag == _FAILED:
                _tag, line, key, kind, reason, raw = item
                severity: Severity = "warning" if kind == "comment" else "error"
                self.problems.append(ReadProblem(path, line, key, reason, severity, kind, raw))
                if kind == "entry":
                    self.entry_count += 1
            elif tag == _PREAMBLE:
                _tag, line, value, issues = item
                self.preamble.append(value)
                self.problems.extend(
                    ReadProblem(path, line, "", f"@preamble: {issue}", kind="preamble")
                    for issue in issues
                )
            else:
                self.comments.append(item[2])

    def _entry(self, line, key, entry_type, raw, fields, issues, outcome) -> None:
        self.entry_count += 1
        folded = key.lower()
        if key:
            first = self.by_key.get(folded)
            if first is not None:
                same = "".join(first.raw.split()) == "".join(raw.split())
                spelled = "" if first.key == key else f" as {first.key!r}"
                self.problems.append(ReadProblem(
                    self.path, line, key,
                    f"duplicate key {key!r} (first at line {first.line}{spelled}"
                    f"{', identical entry' if same else ''}); this entry was not imported",
                    "error", raw=raw,
                ))  # fmt: skip
                return
        # Most entries have nothing to report (no list built for them, here and below: the
        # reader of a 100k-entry import runs this for each).
        problems = [ReadProblem(self.path, line, key, issue) for issue in issues] if issues else []
        slot = _Slot(line, key, entry_type, raw, fields, problems)
        if key:
            self.by_key[folded] = slot
        self.slots.append(slot)
        if outcome is None:  # it has a crossref (``_split_chunk``)
            self.deferred.append(slot)
        else:
            self._take(slot, outcome)

    def _take(self, slot: _Slot, outcome: _Outcome) -> None:
        record, warnings, failure, slot.prepared = outcome
        if warnings:
            slot.problems.extend(ReadProblem(self.path, slot.line, slot.key, w) for w in warnings)
        if failure:
            slot.failed = ReadProblem(
                self.path, slot.line, slot.key, failure, "error", raw=slot.raw
            )
        slot.record = record
        slot.fields = None

    def _fields_of(
        self, slot: _Slot, stack: tuple[str, ...]
    ) -> tuple[dict[str, str], dict[str, str]]:
        """A crossref target's own evaluated fields, and those plus what it inherits itself."""
        if slot.fields is not None:
            return slot.fields, self._inherit(slot, stack)
        cached = self._parent_cache.get(id(slot))
        if cached is None:
            cached = {}
            for block, _line in split_bibtexparser(slot.raw):
                if isinstance(block, DuplicateFieldKeyBlock):
                    block = block.ignore_error_block
                if isinstance(block, Entry):
                    raw_fields = _entry_parts(block)[3]
                    cached = _evaluate_fields(raw_fields, slot.line, self.strings, _ignore)
                    break
            self._parent_cache[id(slot)] = cached
        return cached, cached

    def _inherit(self, slot: _Slot, stack: tuple[str, ...] = ()) -> dict[str, str]:
        """Step 8: the child's fields plus what it inherits through ``crossref``.

        ``stack`` holds the children being resolved above this one (to stop at cycles); only
        the outermost call reports, so each child gets at most one warning.
        """
        fields = slot.fields or {}
        target = fields.get("crossref", "").strip()
        parent = self.by_key.get(target.lower())
        if not stack:
            self._cycle = None
        if parent is None:
            if not stack:
                slot.problems.append(ReadProblem(
                    self.path, slot.line, slot.key,
                    f"crossref {target!r} is not an entry of this file; nothing inherited",
                ))  # fmt: skip
            return fields
        if parent is slot or slot.key.lower() in stack:
            self._cycle = self._cycle or [*stack, slot.key.lower()]
            if parent is slot:
                self._cycle.append(slot.key.lower())
            self._report_cycle(slot, stack)
            return fields
        own, inherited = self._fields_of(parent, (*stack, slot.key.lower()))
        merged = dict(fields)
        if not merged.get("booktitle"):
            booktitle = own.get("booktitle") or own.get("title") or inherited.get("booktitle")
            if booktitle:
                merged["booktitle"] = booktitle
        for name, value in inherited.items():
            if (
                name not in merged
                and name not in _NOT_INHERITED
                and not name.endswith("+an")
                and not _REPEAT_SUFFIX.search(name)
            ):
                merged[name] = value
        self._report_cycle(slot, stack)
        return merged

    def _report_cycle(self, slot: _Slot, stack: tuple[str, ...]) -> None:
        if not stack and self._cycle:
            chain = " -> ".join(self._cycle)
            slot.problems.append(ReadProblem(
                self.path, slot.line, slot.key,
                f"crossref cycle ({chain}); inherited up to where it repeats",
            ))  # fmt: skip

    def release(self) -> list[tuple[BibRecord, Any]]:
        """The records that are final, in file order, from the first not released yet up to
        the first that is not: an entry with a crossref (resolved at ``finish``, when every
        parent is known) or without a key (generated at ``finish``, clear of every key in the
        file) holds back itself and everything after it."""
        slots = self.slots
        start = end = self.released
        while end < len(slots):
            slot = slots[end]
            if slot.failed is None and (slot.record is None or not slot.key):
                break
            end += 1
        self.released = end
        return self._hand_out(slots[start:end])

    def finish(self) -> list[tuple[BibRecord, Any]]:
        """The records not released yet, every one now final (with what ``prepare`` made)."""
        resolved = [(slot, self._inherit(slot)) for slot in self.deferred]
        for slot, fields in resolved:
            self._take(slot, _normalised(
                self.path, slot.line, slot.key, slot.entry_type, slot.raw, fields, self.prepare
            ))  # fmt: skip
        taken = set(self.by_key)
        rest = self.slots[self.released :]
        self.released = len(self.slots)
        for slot in rest:
            record = slot.record
            if slot.failed is None and record is not None and not record.key:
                record.key = _generated_key(record, taken)
                slot.problems.append(ReadProblem(
                    self.path, slot.line, record.key,
                    f"entry has no cite key; generated {record.key!r}",
                ))  # fmt: skip
                taken.add(record.key.lower())
        return self._hand_out(rest)

    def _hand_out(self, slots: list[_Slot]) -> list[tuple[BibRecord, Any]]:
        records: list[tuple[BibRecord, Any]] = []
        prepare = self.prepare
        for slot in slots:
            if slot.failed is not None:
                self.problems.append(slot.failed)
                continue
            if slot.problems:
                self.problems.extend(slot.problems)
            record = slot.record
            assert record is not None
            prepared = slot.prepared
            if prepared is None and prepare is not None:
                prepared = prepare(record)
            records.append((record, prepared))
            # Only the raw text stays: a later crossref or duplicate key may need it.
            slot.record = slot.prepared = None
        return records


def _ignore(_reason: str) -> None:
    """A ``warn`` for values read again (the entry's own reading reported them)."""


def _generated_key(record: BibRecord, taken: set[str]) -> str:
    person = record.authors[0].name if record.authors else None
    if person is None and record.editors:
        person = record.editors[0]
    family = "".join(_KEY_WORD.findall(fold(person.family))) if person else ""
    words = [w for w in _KEY_WORD.findall(fold(record.title)) if w not in _KEY_STOPWORDS]
    base = f"{family or 'anon'}{record.year or ''}{words[0] if words else ''}"
    key, suffix = base, 0
    while key in taken:
        key = base + (chr(ord("a") + suffix) if suffix < 26 else str(suffix))
        suffix += 1
    return key


def _process_count(workers: int | None, size: int) -> int:
    """Processes to use, this one included: ``workers``, else one per CPU for large texts."""
    if workers is not None:
        return max(1, workers)
    if size < _PARALLEL_MIN_CHARS:
        return 1
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    return max(1, min(available, _MAX_WORKERS))


def _start_pool(count: int) -> ProcessPoolExecutor | None:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    try:
        # Forked from a parent whose collector is off (read_bibtex): switch it back on.
        pool = ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=gc.enable)
    except (OSError, ValueError, NotImplementedError):  # no processes here: work in this one
        return None
    _widen_pipes(pool)
    return pool


# The size asked for the pool's pipes (Linux lets any process have pipes this large).
_PIPE_BYTES = 1 << 20


def _widen_pipes(pool: ProcessPoolExecutor) -> None:
    """Make the pipes that carry chunks to the workers and results back hold a whole chunk
    (~0.5 MB) or most of a result (~1.5 MB) where the system allows it (Linux).

    Through a default pipe (64 KiB) a message goes piece by piece, and the pool's threads
    that move it take Python's lock again for every piece: while the import keeps the lock
    busy, each take can wait up to the switch interval (5 ms). 100k entries, measured: the
    worker sat idle 1.8 s waiting for chunks and the import 2.8 s for results; with 1 MiB
    pipes 0.7 s and 1.8 s, and the import took 0.8-1.5 s less.
    """
    try:
        import fcntl

        set_size = fcntl.F_SETPIPE_SZ  # type: ignore[attr-defined]
        # The executor's own queues: private, so any surprise leaves the pipes as they are.
        ends = (pool._call_queue._writer, pool._result_queue._writer)  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return
    for end in ends:
        # Above this system's limit: the pipe stays as it was.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            fcntl.fcntl(end.fileno(), set_size, _PIPE_BYTES)


# The caller counts as quick (and this process reads a chunk itself while it waits) only when
# its last few batches all were: an import stores its records a batch at a time, and the
# batches between two writes are quick ones. Judged by one batch, 100k entries had this
# process read a chunk in the second batch (0.15 s) while the worker's was nearly done.
_CALLER_BATCHES = 4

# Chunks in flight per worker process. An import takes records unevenly (a batch written,
# merges): with 2 the worker often sat idle with both done while the import was busy, and the
# import then waited for the next chunk (100k entries: 2.9 s waiting, against 0.7 s with 4).
_IN_FLIGHT = 4


class _ChunkReader:
    """Processes the text in chunks (with worker processes when large), fed in file order.

    Worker processes run ``_split_chunk`` (split, evaluate, normalise, ``prepare``: all that
    one entry needs) on the chunks ahead while this process feeds chunk i to the assembler
    (duplicate keys, crossref, generated keys: what needs the whole file) and hands out the
    records that are final; whenever the next chunk is not ready it processes one from the
    end of the queue itself, so the work balances on any number of CPUs and whatever the
    caller does with the records between chunks - unless the caller took more than half as
    long over one of its last batches (``_CALLER_BATCHES``) as a chunk takes to read here:
    then the workers keep ahead of it on their own, and a result still on its way from a
    worker is worth the wait (reading a whole chunk here instead would hold up the caller,
    an import storing records). At most ``_IN_FLIGHT * workers`` chunks are in flight, so
    memory stays bounded. Without processes (or if one dies) it all runs here.
    """

    def __init__(
        self,
        text: str,
        path: str,
        workers: int | None,
        fast: bool,
        problems: list[ReadProblem],
        prepare: Prepare | None,
    ) -> None:
        self.text = text
        self.bounds = _chunk_bounds(text)
        split = split_fast if fast else split_bibtexparser
        self.presplit = {
            index: split(text[chunk.start : chunk.end], chunk.lookahead)
            for index, chunk in enumerate(self.bounds)
            if _STRING_START.search(text, chunk.start, chunk.end)
        }
        strings = _read_strings(
            [(self.presplit[i], self.bounds[i].line) for i in sorted(self.presplit)],
            path,
            problems,
        )
        self.job = _Job(path, strings, fast, prepare)
        self.assembler = _Assembler(path, strings, problems, prepare)
        self.workers = _process_count(workers, len(text)) - 1

    def _process_here(self, index: int) -> tuple[list[tuple], int]:
        chunk = self.bounds[index]
        return _split_chunk(
            self.text[chunk.start : chunk.end],
            chunk.line,
            chunk.lookahead,
            self.job,
            self.presplit.get(index),
        )

    def _timed_here(self, index: int) -> tuple[tuple[list[tuple], int], float]:
        """``_process_here`` and the seconds it took per character."""
        started = time.perf_counter()
        result = self._process_here(index)
        size = self.bounds[index].end - self.bounds[index].start
        return result, (time.perf_counter() - started) / max(1, size)

    def __iter__(self) -> Iterator[tuple[list[tuple[BibRecord, Any]], int]]:
        """After each chunk: the records it made final and the characters read so far; last
        the records that waited for the whole file (crossref, generated keys)."""
        bounds, text, assembler = self.bounds, self.text, self.assembler
        pending = deque(i for i in range(len(bounds)) if i not in self.presplit)
        count = self.workers
        pool = _start_pool(count) if count > 0 and len(pending) > 2 else None
        futures: dict[int, Future] = {}
        done: dict[int, tuple[list[tuple], int]] = {}
        # Seconds the caller spent on its last batches; seconds per character of reading here.
        caller_times: deque[float] = deque(maxlen=_CALLER_BATCHES)
        caller_seconds, read_rate = 0.0, 0.0
        try:
            for index in range(len(bounds)):
                while pool is not None and len(futures) < _IN_FLIGHT * count and pending:
                    ahead = pending.popleft()
                    chunk = bounds[ahead]
                    futures[ahead] = pool.submit(
                        _split_chunk_pickled,
                        text[chunk.start : chunk.end],
                        chunk.line,
                        chunk.lookahead,
                        self.job,
                    )
                future = futures.pop(index, None)
                if future is not None:
                    size = bounds[index].end - bounds[index].start
                    while (
                        (not read_rate or 2 * caller_seconds <= read_rate * size)
                        and not future.done()
                        and pending
                    ):
                        stolen = pending.pop()
                        done[stolen], read_rate = self._timed_here(stolen)
                    try:
                        done[index] = pickle.loads(future.result())
                    except BrokenProcessPool:  # a worker died: finish in this process
                        pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[union-attr]
                        pending.extendleft(sorted(futures, reverse=True))
                        pool, futures = None, {}
                if index not in done:
                    if index in pending:
                        pending.remove(index)
                    done[index], read_rate = self._timed_here(index)
                assembler.feed(*done.pop(index))
                handed_out = time.perf_counter()
                yield assembler.release(), bounds[index].end
                caller_times.append(time.perf_counter() - handed_out)
                caller_seconds = max(caller_times)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        if not assembler.blocks and text.strip() and not _only_comment_lines(text):
            raise InputError("not a BibTeX file (no @entry found)", path=self.job.path)
        yield assembler.finish(), len(text)


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------


def _read_source(source: str | Path, label: str) -> bytes:
    if str(source) == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except IsADirectoryError:
        raise InputError("is a directory, not a .bib file", path=label) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or exc})", path=label) from None


def _only_comment_lines(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("%") for line in text.splitlines())


class BibtexStream:
    """A .bib file being read, its records handed out as they are ready (``batches``), so a
    caller can store the first ones while worker processes still read the rest.

    ``size`` is the text's length in characters (the positions ``batches`` reports go up to
    it). Once ``batches`` is exhausted, ``result`` gives what the file held besides records.
    """

    def __init__(
        self, path: str, encoding: str, reader: _ChunkReader, problems: list[ReadProblem]
    ) -> None:
        self.path = path
        self.encoding = encoding
        self.size = len(reader.text)
        self._reader = reader
        self._problems = problems
        self._done = False

    @property
    def max_entries(self) -> int:
        """At most this many entries: every entry starts with an ``@``."""
        return self._reader.text.count("@")

    def batches(self) -> Iterator[tuple[list[tuple[BibRecord, Any]], int]]:
        """Lists of (record, what ``prepare`` made of it or None) in file order, each with
        how many characters of the text are read so far. Raises ``InputError`` at the end
        for text that holds no ``@`` block at all."""
        # Names from the worker processes are shared as the reader unpickles their results.
        with sharing_names():
            yield from self._reader
        self._done = True

    def result(self, records: list[BibRecord] | None = None) -> BibtexReadResult:
        """Problems, @preamble, @comment, @string and counts (``records``: to put in it)."""
        if not self._done:
            raise RuntimeError("BibtexStream.result() before its batches were all read")
        assembler = self._reader.assembler
        problems = sorted(self._problems, key=lambda problem: problem.line or 0)
        return BibtexReadResult(
            path=self.path,
            records=records if records is not None else [],
            problems=problems,
            preamble=assembler.preamble,
            comments=assembler.comments,
            strings=assembler.strings.final(),
            encoding=self.encoding,
            entry_count=assembler.entry_count,
        )


def stream_bibtex(
    source: str | Path,
    *,
    text: str | bytes | None = None,
    encoding: str | None = None,
    workers: int | None = None,
    splitter: Literal["fast", "bibtexparser"] = "fast",
    prepare: Prepare | None = None,
) -> BibtexStream:
    """Start reading one .bib file; arguments and errors as :func:`read_bibtex`.

    ``prepare`` (a module-level function, so worker processes can run it) is called once
    per record when the record is final, where it is made: in a worker process for most
    records of a large file. Its result travels with the record (pickled from a worker).
    """
    if splitter not in ("fast", "bibtexparser"):
        raise ValueError(f"splitter must be 'fast' or 'bibtexparser', not {splitter!r}")
    label = STDIN_LABEL if str(source) == "-" else str(source)
    problems: list[ReadProblem] = []
    if isinstance(text, str):
        content = text.removeprefix("\ufeff")
        used_encoding = encoding or "utf-8"
        if "\x00" in content[:65536]:
            raise InputError("not a BibTeX file (binary data)", path=label)
    else:
        data = text if isinstance(text, bytes) else _read_source(source, label)
        decoded = decode_bytes(data, label, encoding)
        del data, text  # the bytes are not needed any more: free them before the big part
        content, used_encoding = decoded.text, decoded.encoding
        if decoded.warning:
            problems.append(
                ReadProblem(label, decoded.warning_line, "", decoded.warning, kind="file")
            )
    reader = _ChunkReader(content, label, workers, splitter == "fast", problems, prepare)
    return BibtexStream(label, used_encoding, reader, problems)


def read_bibtex(
    source: str | Path,
    *,
    text: str | bytes | None = None,
    encoding: str | None = None,
    workers: int | None = None,
    splitter: Literal["fast", "bibtexparser"] = "fast",
) -> BibtexReadResult:
    """Read one .bib file (``"-"``: standard input) into records and problems.

    ``text`` gives the content instead of reading ``source`` (``source`` then only names it;
    the CLI passes what it read from stdin with ``source="-"``); ``bytes`` go through
    encoding detection like a file, ``str`` is used as is. ``encoding`` overrides detection.
    ``workers``: processes to use, this one included (None: one per CPU, at most 4, for texts
    over 2 MB; 1: no worker processes). ``splitter="bibtexparser"`` splits with bibtexparser
    alone instead of the fast scanner it backs up (``_bibtex_split``): slower, same result
    (the reference the fast path is tested against). The result depends on neither.

    Raises ``InputError`` for an unreadable file, binary data, an encoding that does not fit,
    or text that holds no ``@`` block at all. Everything else is reported in the result.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()  # see _split_chunk; restored before returning
    try:
        stream = stream_bibtex(
            source, text=text, encoding=encoding, workers=workers, splitter=splitter
        )
        records = [record for batch, _ in stream.batches() for record, _ in batch]
        return stream.result(records)
    finally:
        if gc_was_enabled:
            gc.enable()
