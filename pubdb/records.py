"""Plain data the core passes around: parsed names, authors and bibliography records.

Nothing here knows about SQLAlchemy or click, so parsing, names, venues, dedup and rendering
are tested without a database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from operator import attrgetter
from typing import Any


def fold_cite_key(key: str) -> str:
    """A cite key as stored in ``papers.key_folded`` and ``cite_key_aliases.key_folded``:
    BibTeX compares keys case-insensitively."""
    return key.strip().casefold()


@dataclass(frozen=True)
class PersonName:
    """One person's name split the way BibTeX splits it, decoded to Unicode.

    ``corporate`` marks a brace-protected literal name (``{Barnes and Noble}``) that must stay
    whole: it then lives in ``family`` and the other parts are empty.
    """

    given: str = ""
    family: str = ""
    von: str = ""
    jr: str = ""
    corporate: bool = False

    @property
    def display(self) -> str:
        """``Given von Family, Jr`` — the form a CV prints."""
        if self.corporate:
            return self.family
        head = " ".join(part for part in (self.given, self.von, self.family) if part)
        return f"{head}, {self.jr}" if self.jr else head

    @property
    def last_first(self) -> str:
        """``von Family, Jr, Given`` — the BibTeX form that round-trips any split."""
        if self.corporate:
            return "{" + self.family + "}"
        last = " ".join(part for part in (self.von, self.family) if part)
        parts = [last]
        if self.jr:
            parts.append(self.jr)
        if self.given:
            parts.append(self.given)
        return ", ".join(parts)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _unpickled_name, (self.given, self.family, self.von, self.jr, self.corporate)


@dataclass(frozen=True)
class AuthorEntry:
    """An author in one paper's author list, with the marks that belong to that authorship."""

    name: PersonName
    student: bool = False
    equal: bool = False
    corresponding: bool = False

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _unpickled_author, (self.name, self.student, self.equal, self.corresponding)


class _SharedNames:
    """While a reader receives records from its worker processes (:func:`sharing_names`),
    the names it unpickles become one object per distinct name, and author entries one per
    distinct name and marks, as in the process that parsed them (``parse_name`` is cached).

    A pickled chunk of records brings its own copies (~1,600 per 1,000 entries): ~30 MB at
    100k entries, and a name's object no longer stands for its spelling (the importer's
    caches look names up by identity first). Making them shared here, as they are
    unpickled, costs a dict lookup per copy instead of a pass over every record afterwards.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.names: dict[tuple[Any, ...], PersonName] = {}
        self.authors: dict[tuple[Any, ...], AuthorEntry] = {}


_shared = _SharedNames()


@contextmanager
def sharing_names() -> Iterator[None]:
    """Names unpickled in this process (any thread) within the block are shared (see
    :class:`_SharedNames`); the table is emptied when the last such block ends."""
    with _shared.lock:
        _shared.users += 1
    try:
        yield
    finally:
        with _shared.lock:
            _shared.users -= 1
            if not _shared.users:
                _shared.names.clear()
                _shared.authors.clear()


def _unpickled_name(given: str, family: str, von: str, jr: str, corporate: bool) -> PersonName:
    if not _shared.users:
        return PersonName(given, family, von, jr, corporate)
    values = (given, family, von, jr, corporate)
    found = _shared.names.get(values)
    if found is None:
        found = _shared.names.setdefault(values, PersonName(*values))
    return found


def _unpickled_author(
    name: PersonName, student: bool, equal: bool, corresponding: bool
) -> AuthorEntry:
    if not _shared.users:
        return AuthorEntry(name, student, equal, corresponding)
    # By the name's identity: a shared name stays in the table (alive) while it is used.
    key = (id(name), student, equal, corresponding)
    found = _shared.authors.get(key)
    if found is None or found.name is not name:
        found = _shared.authors[key] = AuthorEntry(name, student, equal, corresponding)
    return found


@dataclass(frozen=True)
class SourceRef:
    """Where a record was read: file, 1-based line of its ``@``, and the raw entry text."""

    path: str
    line: int
    raw: str


@dataclass
class BibRecord:
    """One bibliography entry after parsing and normalisation (stored values are Unicode).

    ``fields`` keeps every other BibTeX field verbatim (lower-case names) so that nothing an
    import read is dropped. ``title_bibtex`` is the title with the source's protective braces
    kept (decoded to Unicode), so export can protect the same words.
    """

    key: str
    entry_type: str
    title: str = ""
    title_bibtex: str = ""
    authors: tuple[AuthorEntry, ...] = ()
    authors_truncated: bool = False
    editors: tuple[PersonName, ...] = ()
    year: int | None = None
    month: int | None = None
    venue_text: str = ""
    venue_hint: str = ""
    volume: str = ""
    number: str = ""
    pages: str = ""
    publisher: str = ""
    series: str = ""
    edition: str = ""
    doi: str = ""
    arxiv_id: str = ""
    url: str = ""
    abstract: str = ""
    note: str = ""
    awards: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    source: SourceRef | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as its values, rebuilt by ``__init__``: the reader's worker processes send
        a chunk's records to the importing thread, and the generic path (a dict of the
        attributes, then an update of the new object's) took that thread a third longer
        (100k entries: ~0.6 s against ~0.4 s)."""
        return BibRecord, _record_values(self)


_record_values = attrgetter(*(each.name for each in dataclass_fields(BibRecord)))
