"""Drop ix_papers_title_key: no query looks titles up in it.

Title words are searched through the FTS5 table of revision 0002 on SQLite and with
``LIKE '% word%'`` on PostgreSQL, which no B-tree index serves; dedup reads every title key at
once. Sorting a list by title sorts the selected rows instead. The index cost every insert
(~7 MB and ~0.1 s per 100k papers). Plain DROP INDEX, not batch mode: a batch rebuild of
``papers`` on SQLite would drop the full-text triggers of revision 0002.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 01:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_papers_title_key", table_name="papers")


def downgrade() -> None:
    op.create_index("ix_papers_title_key", "papers", ["title_key"], unique=False)
