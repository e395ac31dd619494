"""The database schema as SQLAlchemy Core tables (SPEC section 2), defined once.

The ORM classes in :mod:`pubdb.model` map onto these tables (``__table__``); read paths that
need no objects (`pubdb list`) query them directly and never load ``sqlalchemy.orm``, which
keeps the process start-up short. ``metadata`` is ``pubdb.model.Base.metadata``.

Changing anything here needs a new Alembic revision in ``migrations/versions``; a test checks
that the migrated schema and these tables agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

__all__ = [
    "NAMING_CONVENTION",
    "RELATION_KINDS",
    "VENUE_KINDS",
    "author_variants",
    "authors",
    "authorships",
    "awards",
    "cite_key_aliases",
    "editorships",
    "import_batches",
    "metadata",
    "owner",
    "owner_variants",
    "paper_relations",
    "paper_sources",
    "paper_tags",
    "papers",
    "tags",
    "utcnow",
    "venue_aliases",
    "venues",
]

# Named constraints let Alembic's batch mode on SQLite (and plain ALTER elsewhere) find and
# change them later; unnamed ones get engine-specific names nobody can refer to.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

VENUE_KINDS = ("conference", "journal", "workshop", "preprint", "book", "thesis", "report", "other")
RELATION_KINDS = ("preprint-of", "extended-version-of", "merged-into", "not-duplicate")


def utcnow() -> datetime:
    return datetime.now(UTC)


metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _text(name: str, length: int | None = None, **kw: Any) -> Column[str]:
    """A NOT NULL text column: ``VARCHAR(length)``, or ``TEXT`` without a length."""
    return Column(name, String(length) if length else Text(), nullable=False, **kw)


def _flag(name: str) -> Column[bool]:
    return Column(name, Boolean, nullable=False, default=False)


def _stamp(name: str, **kw: Any) -> Column[datetime]:
    return Column(name, DateTime(timezone=True), nullable=False, default=utcnow, **kw)


def _ref(
    name: str, target: str, *, ondelete: str | None = None, nullable: bool = False, **kw: Any
) -> Column[int]:
    """An integer foreign key to ``target`` ("table.id"), NOT NULL unless ``nullable``."""
    return Column(name, Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, **kw)


papers = Table(
    "papers",
    metadata,
    _id(),
    # The cite key; older keys live in cite_key_aliases.
    _text("key", 250, unique=True),
    # BibTeX compares keys case-insensitively, so lookups and uniqueness use the folded key.
    _text("key_folded", 250, unique=True),
    _text("entry_type", 40, index=True),
    _text("title", default=""),
    # The title with the source's protective braces, decoded to Unicode ("{TomoGAN}: ...").
    _text("title_bibtex", default=""),
    # Normalised title (folded, no punctuation) for duplicate blocking and title search (its
    # FTS5 table on SQLite, LIKE elsewhere: no B-tree index would serve either).
    _text("title_key", 500, default=""),
    Column("year", Integer, index=True),
    Column("month", Integer),
    # Indexed as the first column of ix_papers_venue_year (below), which serves lookups by
    # venue alone too.
    _ref("venue_id", "venues.id", nullable=True, ondelete="SET NULL"),
    # The booktitle/journal text as the source wrote it (decoded), kept for re-resolution.
    _text("venue_text", default=""),
    _text("volume", 100, default=""),
    _text("number", 100, default=""),
    _text("pages", 100, default=""),
    _text("publisher", default=""),
    _text("series", default=""),
    _text("edition", 100, default=""),
    Column("doi", String(250), index=True),
    Column("arxiv_id", String(100), index=True),
    _text("url", default=""),
    _text("abstract", default=""),
    _text("note", default=""),
    # Author lists cut short with "and others": rendered "et al.".
    _flag("authors_truncated"),
    # Every other BibTeX field, verbatim: nothing an import read is dropped.
    Column("fields", JSON, nullable=False, default=dict),
    _stamp("created_at"),
    _stamp("updated_at", onupdate=utcnow),
    # `venue:X year:Y`, the most common CV query, answered from one index.
    Index("ix_papers_venue_year", "venue_id", "year"),
)

# A person (or a corporate author) once, however many spellings the imports used.
authors = Table(
    "authors",
    metadata,
    _id(),
    _text("given", 250, default=""),
    _text("family", 250, default=""),
    _text("von", 100, default=""),
    _text("jr", 100, default=""),
    _flag("is_corporate"),
    _text("display_name", 500),
    # Folded "family|first-initial": finds candidate same-person records.
    _text("match_key", 300, index=True),
    # Folded family name: author: queries.
    _text("family_key", 250, index=True),
)

# A spelling of an author seen in some source ("Foster, I. T.").
author_variants = Table(
    "author_variants",
    metadata,
    _id(),
    _ref("author_id", "authors.id", ondelete="CASCADE"),
    _text("name", 500),
    _text("folded", 500, index=True),
    UniqueConstraint("author_id", "name"),
)

# An author in a paper's author list; marks belong here, not to the person.
authorships = Table(
    "authorships",
    metadata,
    _ref("paper_id", "papers.id", ondelete="CASCADE", primary_key=True),
    Column("position", Integer, primary_key=True),
    _ref("author_id", "authors.id", index=True),
    # The spelling this paper's source used ("I. T. Foster"), when it differs from the author's.
    _text("written_as", 500, default=""),
    _flag("student"),
    _flag("equal"),
    _flag("corresponding"),
    # `student:` finds the few marked authorships without reading all of them: an index of
    # those alone (partial), which an import of 100k entries builds in no time.
    Index(
        "ix_authorships_student",
        "paper_id",
        sqlite_where=text("student = 1"),
        postgresql_where=text("student"),
    ),
)

# An editor of a paper's proceedings or book.
editorships = Table(
    "editorships",
    metadata,
    _ref("paper_id", "papers.id", ondelete="CASCADE", primary_key=True),
    Column("position", Integer, primary_key=True),
    _ref("author_id", "authors.id", index=True),
)

# A conference, journal, workshop, preprint server...; workshops have a parent.
venues = Table(
    "venues",
    metadata,
    _id(),
    _text("short", 100),
    # Folded short name: unique, so "sigmod" and "SIGMOD" are one venue.
    _text("short_key", 100, unique=True),
    _text("name", default=""),
    _text("kind", 20, default="other"),
    _ref("parent_id", "venues.id", nullable=True, ondelete="SET NULL", index=True),
    # True when the venue came from the shipped registry rather than from the user or a file.
    _flag("from_registry"),
)

# A text that means a venue ("Proc. VLDB Endow." means VLDB), folded for lookup.
venue_aliases = Table(
    "venue_aliases",
    metadata,
    _id(),
    _ref("venue_id", "venues.id", ondelete="CASCADE", index=True),
    _text("text"),
    _text("text_key", 500, unique=True),
    # True for aliases the user set by hand (`venue alias`); they win over the registry.
    _flag("by_user"),
)

awards = Table(
    "awards",
    metadata,
    _id(),
    _ref("paper_id", "papers.id", ondelete="CASCADE", index=True),
    _text("text", 500),
    Column("year", Integer),
    UniqueConstraint("paper_id", "text"),
)

# A category; ``title`` is its section heading in a grouped export, ``position`` its order.
tags = Table(
    "tags",
    metadata,
    _id(),
    _text("name", 200, unique=True),
    _text("title", default=""),
    Column("position", Integer),
)

paper_tags = Table(
    "paper_tags",
    metadata,
    Column("paper_id", ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# A cite key a paper had before (a merged duplicate's key, a renamed key).
cite_key_aliases = Table(
    "cite_key_aliases",
    metadata,
    _id(),
    _ref("paper_id", "papers.id", ondelete="CASCADE", index=True),
    _text("key", 250),
    _text("key_folded", 250, unique=True),
)

# The person whose CV this is. One row.
owner = Table(
    "owner",
    metadata,
    _id(),
    _ref("author_id", "authors.id", unique=True),
)

# An extra spelling the owner publishes under ("Z. Liu"), matched like a name.
owner_variants = Table(
    "owner_variants",
    metadata,
    _id(),
    _ref("owner_id", "owner.id", ondelete="CASCADE"),
    _text("name", 500),
    UniqueConstraint("owner_id", "name"),
)

# One file read by one `pubdb import` run.
import_batches = Table(
    "import_batches",
    metadata,
    _id(),
    _text("path"),
    _text("sha256", 64, index=True),
    _text("encoding", 40, default="utf-8"),
    _stamp("imported_at"),
    # added / merged / skipped / failed counts, as the report printed them.
    Column("counts", JSON, nullable=False, default=dict),
    Column("preamble", JSON, nullable=False, default=list),
    Column("comments", JSON, nullable=False, default=list),
)

# A raw entry an import read for a paper: provenance, disagreement record, unmerge input.
paper_sources = Table(
    "paper_sources",
    metadata,
    _id(),
    _ref("paper_id", "papers.id", ondelete="CASCADE", index=True),
    _ref("batch_id", "import_batches.id", nullable=True, ondelete="SET NULL", index=True),
    _text("cite_key", 250),
    Column("line", Integer),
    _text("raw", default=""),
    # Hash of the raw entry: re-importing the same entry adds and changes nothing.
    _text("raw_sha256", 64, index=True),
    # The key of the paper this entry was first imported as, when it was merged into another.
    Column("merged_from_key", String(250)),
    _stamp("created_at"),
)

# A link between two papers: preprint-of, extended-version-of, merged-into, not-duplicate.
paper_relations = Table(
    "paper_relations",
    metadata,
    _id(),
    _ref("from_paper_id", "papers.id", ondelete="CASCADE"),
    _ref("to_paper_id", "papers.id", ondelete="CASCADE"),
    _text("kind", 40),
    _text("note", default=""),
    UniqueConstraint("from_paper_id", "to_paper_id", "kind"),
    Index("ix_paper_relations_to", "to_paper_id"),
)
