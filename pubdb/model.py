"""The database schema as SQLAlchemy 2.0 typed ORM classes (SPEC section 2).

Changing anything here needs a new Alembic revision in ``migrations/versions``; a test checks
that the migrated schema and these models agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


paper_tags = Table(
    "paper_tags",
    Base.metadata,
    Column("paper_id", ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Paper(Base):
    """One publication. ``key`` is its cite key; older keys live in ``CiteKeyAlias``."""

    __tablename__ = "papers"
    # `venue:X year:Y`, the most common CV query, answered from one index.
    __table_args__ = (Index("ix_papers_venue_year", "venue_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(250), unique=True)
    # BibTeX compares keys case-insensitively, so lookups and uniqueness use the folded key.
    key_folded: Mapped[str] = mapped_column(String(250), unique=True)
    entry_type: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    # The title with the source's protective braces, decoded to Unicode ("{TomoGAN}: ...").
    title_bibtex: Mapped[str] = mapped_column(Text, default="")
    # Normalised title (folded, no punctuation) for duplicate blocking and exact lookups.
    title_key: Mapped[str] = mapped_column(String(500), default="", index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    month: Mapped[int | None] = mapped_column(Integer)
    venue_id: Mapped[int | None] = mapped_column(
        ForeignKey("venues.id", ondelete="SET NULL"), index=True
    )
    # The booktitle/journal text as the source wrote it (decoded), kept for re-resolution.
    venue_text: Mapped[str] = mapped_column(Text, default="")
    volume: Mapped[str] = mapped_column(String(100), default="")
    number: Mapped[str] = mapped_column(String(100), default="")
    pages: Mapped[str] = mapped_column(String(100), default="")
    publisher: Mapped[str] = mapped_column(Text, default="")
    series: Mapped[str] = mapped_column(Text, default="")
    edition: Mapped[str] = mapped_column(String(100), default="")
    doi: Mapped[str | None] = mapped_column(String(250), index=True)
    arxiv_id: Mapped[str | None] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(Text, default="")
    abstract: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # Author lists cut short with "and others": rendered "et al.".
    authors_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every other BibTeX field, verbatim: nothing an import read is dropped.
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    venue: Mapped[Venue | None] = relationship(back_populates="papers")
    authorships: Mapped[list[Authorship]] = relationship(
        back_populates="paper", cascade="all, delete-orphan", order_by="Authorship.position"
    )
    editorships: Mapped[list[Editorship]] = relationship(
        back_populates="paper", cascade="all, delete-orphan", order_by="Editorship.position"
    )
    awards: Mapped[list[Award]] = relationship(back_populates="paper", cascade="all, delete-orphan")
    tags: Mapped[list[Tag]] = relationship(secondary=paper_tags, back_populates="papers")
    aliases: Mapped[list[CiteKeyAlias]] = relationship(
        back_populates="paper", cascade="all, delete-orphan"
    )
    sources: Mapped[list[PaperSource]] = relationship(
        back_populates="paper", cascade="all, delete-orphan", order_by="PaperSource.id"
    )


class Author(Base):
    """A person (or a corporate author) once, however many spellings the imports used."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    given: Mapped[str] = mapped_column(String(250), default="")
    family: Mapped[str] = mapped_column(String(250), default="")
    von: Mapped[str] = mapped_column(String(100), default="")
    jr: Mapped[str] = mapped_column(String(100), default="")
    is_corporate: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str] = mapped_column(String(500))
    # Folded "family|first-initial": finds candidate same-person records.
    match_key: Mapped[str] = mapped_column(String(300), index=True)
    # Folded family name: author: queries.
    family_key: Mapped[str] = mapped_column(String(250), index=True)

    variants: Mapped[list[AuthorVariant]] = relationship(
        back_populates="author", cascade="all, delete-orphan"
    )
    authorships: Mapped[list[Authorship]] = relationship(back_populates="author")


class AuthorVariant(Base):
    """A spelling of an author seen in some source ("Foster, I. T.")."""

    __tablename__ = "author_variants"
    __table_args__ = (UniqueConstraint("author_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(500))
    folded: Mapped[str] = mapped_column(String(500), index=True)

    author: Mapped[Author] = relationship(back_populates="variants")


class Authorship(Base):
    """An author in a paper's author list; marks belong here, not to the person."""

    __tablename__ = "authorships"
    # `student:` finds the few marked authorships without reading all of them.
    __table_args__ = (Index("ix_authorships_student_paper", "student", "paper_id"),)

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)
    # The spelling this paper's source used ("I. T. Foster"), when it differs from the author's.
    written_as: Mapped[str] = mapped_column(String(500), default="")
    student: Mapped[bool] = mapped_column(Boolean, default=False)
    equal: Mapped[bool] = mapped_column(Boolean, default=False)
    corresponding: Mapped[bool] = mapped_column(Boolean, default=False)

    paper: Mapped[Paper] = relationship(back_populates="authorships")
    author: Mapped[Author] = relationship(back_populates="authorships")


class Editorship(Base):
    """An editor of a paper's proceedings or book."""

    __tablename__ = "editorships"

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)

    paper: Mapped[Paper] = relationship(back_populates="editorships")
    author: Mapped[Author] = relationship()


class Venue(Base):
    """A conference, journal, workshop, preprint server...; workshops have a parent."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    short: Mapped[str] = mapped_column(String(100))
    # Folded short name: unique, so "sigmod" and "SIGMOD" are one venue.
    short_key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="other")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("venues.id", ondelete="SET NULL"), index=True
    )
    # True when the venue came from the shipped registry rather than from the user or a file.
    from_registry: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[Venue | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Venue]] = relationship(back_populates="parent")
    aliases: Mapped[list[VenueAlias]] = relationship(
        back_populates="venue", cascade="all, delete-orphan"
    )
    papers: Mapped[list[Paper]] = relationship(back_populates="venue")


class VenueAlias(Base):
    """A text that means a venue ("Proc. VLDB Endow." means VLDB), folded for lookup."""

    __tablename__ = "venue_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    text_key: Mapped[str] = mapped_column(String(500), unique=True)
    # True for aliases the user set by hand (`venue alias`); they win over the registry.
    by_user: Mapped[bool] = mapped_column(Boolean, default=False)

    venue: Mapped[Venue] = relationship(back_populates="aliases")


class Award(Base):
    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("paper_id", "text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)

    paper: Mapped[Paper] = relationship(back_populates="awards")


class Tag(Base):
    """A category; ``title`` is its section heading in a grouped export, ``position`` its order."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int | None] = mapped_column(Integer)

    papers: Mapped[list[Paper]] = relationship(secondary=paper_tags, back_populates="tags")


class CiteKeyAlias(Base):
    """A cite key a paper had before (a merged duplicate's key, a renamed key)."""

    __tablename__ = "cite_key_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(250))
    key_folded: Mapped[str] = mapped_column(String(250), unique=True)

    paper: Mapped[Paper] = relationship(back_populates="aliases")


class Owner(Base):
    """The person whose CV this is. One row."""

    __tablename__ = "owner"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), unique=True)

    author: Mapped[Author] = relationship()
    variants: Mapped[list[OwnerVariant]] = relationship(
        back_populates="owner", cascade="all, delete-orphan"
    )


class OwnerVariant(Base):
    """An extra spelling the owner publishes under ("Z. Liu"), matched like a name."""

    __tablename__ = "owner_variants"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(500))

    owner: Mapped[Owner] = relationship(back_populates="variants")


class ImportBatch(Base):
    """One file read by one `pubdb import` run."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    encoding: Mapped[str] = mapped_column(String(40), default="utf-8")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # added / merged / skipped / failed counts, as the report printed them.
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    preamble: Mapped[list[Any]] = mapped_column(default=list)
    comments: Mapped[list[Any]] = mapped_column(default=list)

    sources: Mapped[list[PaperSource]] = relationship(back_populates="batch")


class PaperSource(Base):
    """A raw entry an import read for a paper: provenance, disagreement record, unmerge input."""

    __tablename__ = "paper_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    cite_key: Mapped[str] = mapped_column(String(250))
    line: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[str] = mapped_column(Text, default="")
    # Hash of the raw entry: re-importing the same entry adds and changes nothing.
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The key of the paper this entry was first imported as, when it was merged into another.
    merged_from_key: Mapped[str | None] = mapped_column(String(250))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    paper: Mapped[Paper] = relationship(back_populates="sources")
    batch: Mapped[ImportBatch | None] = relationship(back_populates="sources")


class PaperRelation(Base):
    """A link between two papers: preprint-of, extended-version-of, merged-into, not-duplicate."""

    __tablename__ = "paper_relations"
    __table_args__ = (
        UniqueConstraint("from_paper_id", "to_paper_id", "kind"),
        Index("ix_paper_relations_to", "to_paper_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    to_paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
