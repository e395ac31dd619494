"""Drop ix_papers_venue_id: ix_papers_venue_year (venue_id, year) serves lookups by venue.

Every index on ``papers`` costs each insert; this one answered nothing the composite index
(same first column) does not. Plain DROP INDEX, not batch mode: a batch rebuild of ``papers``
on SQLite would drop the full-text triggers of revision 0002.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 21:03:15
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_papers_venue_id", table_name="papers")


def downgrade() -> None:
    op.create_index("ix_papers_venue_id", "papers", ["venue_id"], unique=False)
