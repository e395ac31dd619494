"""Plain data the core passes around: parsed names, authors and bibliography records.

Nothing here knows about SQLAlchemy or click, so parsing, names, venues, dedup and rendering
are tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class AuthorEntry:
    """An author in one paper's author list, with the marks that belong to that authorship."""

    name: PersonName
    student: bool = False
    equal: bool = False
    corresponding: bool = False


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
