"""Indexes for `venue:X year:Y` and `student:` queries.

Plain CREATE INDEX, not batch mode: a batch rebuild of ``papers`` on SQLite would drop the
full-text triggers of revision 0002.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 13:07:38
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_papers_venue_year", "papers", ["venue_id", "year"], unique=False)
    op.create_index(
        "ix_authorships_student_paper", "authorships", ["student", "paper_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_authorships_student_paper", table_name="authorships")
    op.drop_index("ix_papers_venue_year", table_name="papers")
