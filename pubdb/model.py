"""The database schema as SQLAlchemy 2.0 typed ORM classes (SPEC section 2).

Each class maps onto its Core table in :mod:`pubdb.tables` (``__table__``: declarative with an
imperative table), where the columns, indexes and constraints are defined once; the
``Mapped[...]`` annotations here type the column attributes, and the relationships live here.
Code that only reads rows can use the tables without loading ``sqlalchemy.orm``.

Changing the schema needs a new Alembic revision in ``migrations/versions``; a test checks
that the migrated schema and ``Base.metadata`` agree, and another that every annotation here
matches a column of the table (name and nullability).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from pubdb import tables
from pubdb.tables import NAMING_CONVENTION, RELATION_KINDS, VENUE_KINDS, paper_tags, utcnow

__all__ = [
    "NAMING_CONVENTION",
    "RELATION_KINDS",
    "VENUE_KINDS",
    "Author",
    "AuthorVariant",
    "Authorship",
    "Award",
    "Base",
    "CiteKeyAlias",
    "Editorship",
    "ImportBatch",
    "Owner",
    "OwnerVariant",
    "Paper",
    "PaperRelation",
    "PaperSource",
    "Tag",
    "Venue",
    "VenueAlias",
    "paper_tags",
    "utcnow",
]


class Base(DeclarativeBase):
    metadata = tables.metadata


class Paper(Base):
    """One publication. ``key`` is its cite key; older keys live in ``CiteKeyAlias``."""

    __table__ = tables.papers

    id: Mapped[int]
    key: Mapped[str]
    key_folded: Mapped[str]
    entry_type: Mapped[str]
    title: Mapped[str]
    title_bibtex: Mapped[str]
    title_key: Mapped[str]
    year: Mapped[int | None]
    month: Mapped[int | None]
    venue_id: Mapped[int | None]
    venue_text: Mapped[str]
    volume: Mapped[str]
    number: Mapped[str]
    pages: Mapped[str]
    publisher: Mapped[str]
    series: Mapped[str]
    edition: Mapped[str]
    doi: Mapped[str | None]
    arxiv_id: Mapped[str | None]
    url: Mapped[str]
    abstract: Mapped[str]
    note: Mapped[str]
    authors_truncated: Mapped[bool]
    fields: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

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

    __table__ = tables.authors

    id: Mapped[int]
    given: Mapped[str]
    family: Mapped[str]
    von: Mapped[str]
    jr: Mapped[str]
    is_corporate: Mapped[bool]
    display_name: Mapped[str]
    match_key: Mapped[str]
    family_key: Mapped[str]

    variants: Mapped[list[AuthorVariant]] = relationship(
        back_populates="author", cascade="all, delete-orphan"
    )
    authorships: Mapped[list[Authorship]] = relationship(back_populates="author")


class AuthorVariant(Base):
    """A spelling of an author seen in some source ("Foster, I. T.")."""

    __table__ = tables.author_variants

    id: Mapped[int]
    author_id: Mapped[int]
    name: Mapped[str]
    folded: Mapped[str]

    author: Mapped[Author] = relationship(back_populates="variants")


class Authorship(Base):
    """An author in a paper's author list; marks belong here, not to the person."""

    __table__ = tables.authorships

    paper_id: Mapped[int]
    position: Mapped[int]
    author_id: Mapped[int]
    written_as: Mapped[str]
    student: Mapped[bool]
    equal: Mapped[bool]
    corresponding: Mapped[bool]

    paper: Mapped[Paper] = relationship(back_populates="authorships")
    author: Mapped[Author] = relationship(back_populates="authorships")


class Editorship(Base):
    """An editor of a paper's proceedings or book."""

    __table__ = tables.editorships

    paper_id: Mapped[int]
    position: Mapped[int]
    author_id: Mapped[int]

    paper: Mapped[Paper] = relationship(back_populates="editorships")
    author: Mapped[Author] = relationship()


class Venue(Base):
    """A conference, journal, workshop, preprint server...; workshops have a parent."""

    __table__ = tables.venues

    id: Mapped[int]
    short: Mapped[str]
    short_key: Mapped[str]
    name: Mapped[str]
    kind: Mapped[str]
    parent_id: Mapped[int | None]
    from_registry: Mapped[bool]

    parent: Mapped[Venue | None] = relationship(
        remote_side=[tables.venues.c.id], back_populates="children"
    )
    children: Mapped[list[Venue]] = relationship(back_populates="parent")
    aliases: Mapped[list[VenueAlias]] = relationship(
        back_populates="venue", cascade="all, delete-orphan"
    )
    papers: Mapped[list[Paper]] = relationship(back_populates="venue")


class VenueAlias(Base):
    """A text that means a venue ("Proc. VLDB Endow." means VLDB), folded for lookup."""

    __table__ = tables.venue_aliases

    id: Mapped[int]
    venue_id: Mapped[int]
    text: Mapped[str]
    text_key: Mapped[str]
    by_user: Mapped[bool]

    venue: Mapped[Venue] = relationship(back_populates="aliases")


class Award(Base):
    __table__ = tables.awards

    id: Mapped[int]
    paper_id: Mapped[int]
    text: Mapped[str]
    year: Mapped[int | None]

    paper: Mapped[Paper] = relationship(back_populates="awards")


class Tag(Base):
    """A category; ``title`` is its section heading in a grouped export, ``position`` its order."""

    __table__ = tables.tags

    id: Mapped[int]
    name: Mapped[str]
    title: Mapped[str]
    position: Mapped[int | None]

    papers: Mapped[list[Paper]] = relationship(secondary=paper_tags, back_populates="tags")


class CiteKeyAlias(Base):
    """A cite key a paper had before (a merged duplicate's key, a renamed key)."""

    __table__ = tables.cite_key_aliases

    id: Mapped[int]
    paper_id: Mapped[int]
    key: Mapped[str]
    key_folded: Mapped[str]

    paper: Mapped[Paper] = relationship(back_populates="aliases")


class Owner(Base):
    """The person whose CV this is. One row."""

    __table__ = tables.owner

    id: Mapped[int]
    author_id: Mapped[int]

    author: Mapped[Author] = relationship()
    variants: Mapped[list[OwnerVariant]] = relationship(
        back_populates="owner", cascade="all, delete-orphan"
    )


class OwnerVariant(Base):
    """An extra spelling the owner publishes under ("Z. Liu"), matched like a name."""

    __table__ = tables.owner_variants

    id: Mapped[int]
    owner_id: Mapped[int]
    name: Mapped[str]

    owner: Mapped[Owner] = relationship(back_populates="variants")


class ImportBatch(Base):
    """One file read by one `pubdb import` run."""

    __table__ = tables.import_batches

    id: Mapped[int]
    path: Mapped[str]
    sha256: Mapped[str]
    encoding: Mapped[str]
    imported_at: Mapped[datetime]
    counts: Mapped[dict[str, Any]]
    preamble: Mapped[list[Any]]
    comments: Mapped[list[Any]]

    sources: Mapped[list[PaperSource]] = relationship(back_populates="batch")


class PaperSource(Base):
    """A raw entry an import read for a paper: provenance, disagreement record, unmerge input."""

    __table__ = tables.paper_sources

    id: Mapped[int]
    paper_id: Mapped[int]
    batch_id: Mapped[int | None]
    cite_key: Mapped[str]
    line: Mapped[int | None]
    raw: Mapped[str]
    raw_sha256: Mapped[str]
    merged_from_key: Mapped[str | None]
    created_at: Mapped[datetime]

    paper: Mapped[Paper] = relationship(back_populates="sources")
    batch: Mapped[ImportBatch | None] = relationship(back_populates="sources")


class PaperRelation(Base):
    """A link between two papers: preprint-of, extended-version-of, merged-into, not-duplicate."""

    __table__ = tables.paper_relations

    id: Mapped[int]
    from_paper_id: Mapped[int]
    to_paper_id: Mapped[int]
    kind: Mapped[str]
    note: Mapped[str]
