"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 12:21:27.238105
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("given", sa.String(length=250), nullable=False),
        sa.Column("family", sa.String(length=250), nullable=False),
        sa.Column("von", sa.String(length=100), nullable=False),
        sa.Column("jr", sa.String(length=100), nullable=False),
        sa.Column("is_corporate", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.String(length=500), nullable=False),
        sa.Column("match_key", sa.String(length=300), nullable=False),
        sa.Column("family_key", sa.String(length=250), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
    )
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authors_family_key"), ["family_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_authors_match_key"), ["match_key"], unique=False)

    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("encoding", sa.String(length=40), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("preamble", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batches_sha256"), ["sha256"], unique=False)

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("short", sa.String(length=100), nullable=False),
        sa.Column("short_key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("from_registry", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["venues.id"],
            name=op.f("fk_venues_parent_id_venues"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
        sa.UniqueConstraint("short_key", name=op.f("uq_venues_short_key")),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venues_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "author_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("folded", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_author_variants_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_variants")),
        sa.UniqueConstraint("author_id", "name", name=op.f("uq_author_variants_author_id")),
    )
    with op.batch_alter_table("author_variants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_variants_folded"), ["folded"], unique=False)

    op.create_table(
        "owner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_owner_author_id_authors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner")),
        sa.UniqueConstraint("author_id", name=op.f("uq_owner_author_id")),
    )
    op.create_table(
        "papers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("key_folded", sa.String(length=250), nullable=False),
        sa.Column("entry_type", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_bibtex", sa.Text(), nullable=False),
        sa.Column("title_key", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("venue_text", sa.Text(), nullable=False),
        sa.Column("volume", sa.String(length=100), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("pages", sa.String(length=100), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("series", sa.Text(), nullable=False),
        sa.Column("edition", sa.String(length=100), nullable=False),
        sa.Column("doi", sa.String(length=250), nullable=True),
        sa.Column("arxiv_id", sa.String(length=100), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("authors_truncated", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_papers_venue_id_venues"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_papers")),
        sa.UniqueConstraint("key", name=op.f("uq_papers_key")),
        sa.UniqueConstraint("key_folded", name=op.f("uq_papers_key_folded")),
    )
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_papers_arxiv_id"), ["arxiv_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_papers_doi"), ["doi"], unique=False)
        batch_op.create_index(batch_op.f("ix_papers_entry_type"), ["entry_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_papers_title_key"), ["title_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_papers_venue_id"), ["venue_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_papers_year"), ["year"], unique=False)

    op.create_table(
        "venue_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_key", sa.String(length=500), nullable=False),
        sa.Column("by_user", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_venue_aliases_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_aliases")),
        sa.UniqueConstraint("text_key", name=op.f("uq_venue_aliases_text_key")),
    )
    with op.batch_alter_table("venue_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_aliases_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "authorships",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("written_as", sa.String(length=500), nullable=False),
        sa.Column("student", sa.Boolean(), nullable=False),
        sa.Column("equal", sa.Boolean(), nullable=False),
        sa.Column("corresponding", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_authorships_author_id_authors")
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_authorships_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paper_id", "position", name=op.f("pk_authorships")),
    )
    with op.batch_alter_table("authorships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authorships_author_id"), ["author_id"], unique=False)

    op.create_table(
        "awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f("fk_awards_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_awards")),
        sa.UniqueConstraint("paper_id", "text", name=op.f("uq_awards_paper_id")),
    )
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_awards_paper_id"), ["paper_id"], unique=False)

    op.create_table(
        "cite_key_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("key_folded", sa.String(length=250), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_cite_key_aliases_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cite_key_aliases")),
        sa.UniqueConstraint("key_folded", name=op.f("uq_cite_key_aliases_key_folded")),
    )
    with op.batch_alter_table("cite_key_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cite_key_aliases_paper_id"), ["paper_id"], unique=False
        )

    op.create_table(
        "editorships",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_editorships_author_id_authors")
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_editorships_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paper_id", "position", name=op.f("pk_editorships")),
    )
    with op.batch_alter_table("editorships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_editorships_author_id"), ["author_id"], unique=False)

    op.create_table(
        "owner_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["owner.id"],
            name=op.f("fk_owner_variants_owner_id_owner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_variants")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_owner_variants_owner_id")),
    )
    op.create_table(
        "paper_relations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_paper_id", sa.Integer(), nullable=False),
        sa.Column("to_paper_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_paper_id"],
            ["papers.id"],
            name=op.f("fk_paper_relations_from_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_paper_id"],
            ["papers.id"],
            name=op.f("fk_paper_relations_to_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_relations")),
        sa.UniqueConstraint(
            "from_paper_id", "to_paper_id", "kind", name=op.f("uq_paper_relations_from_paper_id")
        ),
    )
    with op.batch_alter_table("paper_relations", schema=None) as batch_op:
        batch_op.create_index("ix_paper_relations_to", ["to_paper_id"], unique=False)

    op.create_table(
        "paper_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("cite_key", sa.String(length=250), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("merged_from_key", sa.String(length=250), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_paper_sources_batch_id_import_batches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_paper_sources_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_sources")),
    )
    with op.batch_alter_table("paper_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_sources_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_paper_sources_paper_id"), ["paper_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_paper_sources_raw_sha256"), ["raw_sha256"], unique=False
        )

    op.create_table(
        "paper_tags",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_paper_tags_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_paper_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", "tag_id", name=op.f("pk_paper_tags")),
    )
    with op.batch_alter_table("paper_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_tags_tag_id"), ["tag_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("paper_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_tags_tag_id"))

    op.drop_table("paper_tags")
    with op.batch_alter_table("paper_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_sources_raw_sha256"))
        batch_op.drop_index(batch_op.f("ix_paper_sources_paper_id"))
        batch_op.drop_index(batch_op.f("ix_paper_sources_batch_id"))

    op.drop_table("paper_sources")
    with op.batch_alter_table("paper_relations", schema=None) as batch_op:
        batch_op.drop_index("ix_paper_relations_to")

    op.drop_table("paper_relations")
    op.drop_table("owner_variants")
    with op.batch_alter_table("editorships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_editorships_author_id"))

    op.drop_table("editorships")
    with op.batch_alter_table("cite_key_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cite_key_aliases_paper_id"))

    op.drop_table("cite_key_aliases")
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_awards_paper_id"))

    op.drop_table("awards")
    with op.batch_alter_table("authorships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorships_author_id"))

    op.drop_table("authorships")
    with op.batch_alter_table("venue_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_aliases_venue_id"))

    op.drop_table("venue_aliases")
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_papers_year"))
        batch_op.drop_index(batch_op.f("ix_papers_venue_id"))
        batch_op.drop_index(batch_op.f("ix_papers_title_key"))
        batch_op.drop_index(batch_op.f("ix_papers_entry_type"))
        batch_op.drop_index(batch_op.f("ix_papers_doi"))
        batch_op.drop_index(batch_op.f("ix_papers_arxiv_id"))

    op.drop_table("papers")
    op.drop_table("owner")
    with op.batch_alter_table("author_variants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_variants_folded"))

    op.drop_table("author_variants")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venues_parent_id"))

    op.drop_table("venues")
    op.drop_table("tags")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_sha256"))

    op.drop_table("import_batches")
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authors_match_key"))
        batch_op.drop_index(batch_op.f("ix_authors_family_key"))

    op.drop_table("authors")
