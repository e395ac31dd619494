"""title search: SQLite FTS5 table over papers.title_key, kept in sync by triggers

Only on SQLite, and only when the SQLite library has FTS5; elsewhere (and without FTS5)
pubdb.query searches titles with LIKE on papers.title_key, so nothing is created.

The index is an external-content FTS5 table: it stores only the index, reads the text from
``papers.title_key`` (already folded by pubdb.textnorm.title_key: lower case, no accents, no
punctuation) and is kept in step by three triggers. A later revision that rebuilds ``papers``
(Alembic batch mode on SQLite copies and drops the table, which drops its triggers) must
re-create the triggers (``TRIGGERS`` below) and rebuild the index; tests/test_query.py checks
that the index follows inserts, updates and deletes at head.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_TABLE = "papers_fts"  # pubdb.query.FTS_TABLE

CREATE_TABLE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "title_key, content='papers', content_rowid='id', tokenize='unicode61')"
)
TRIGGERS = {
    f"{FTS_TABLE}_ai": f"""
        CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON papers BEGIN
            INSERT INTO {FTS_TABLE}(rowid, title_key) VALUES (new.id, new.title_key);
        END""",
    f"{FTS_TABLE}_ad": f"""
        CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON papers BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title_key)
                VALUES ('delete', old.id, old.title_key);
        END""",
    f"{FTS_TABLE}_au": f"""
        CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF title_key ON papers BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title_key)
                VALUES ('delete', old.id, old.title_key);
            INSERT INTO {FTS_TABLE}(rowid, title_key) VALUES (new.id, new.title_key);
        END""",
}


def _has_fts5() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    options = {row[0] for row in bind.exec_driver_sql("PRAGMA compile_options")}
    return "ENABLE_FTS5" in options


def upgrade() -> None:
    if not _has_fts5():
        return
    op.execute(CREATE_TABLE)
    for statement in TRIGGERS.values():
        op.execute(statement)
    # Index the papers already there (a database upgraded from 0001).
    op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
