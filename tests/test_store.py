"""The schema, migrations and store: migrate-on-open, revisions, pragmas, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from pubdb.errors import DatabaseError
from pubdb.model import Base, Paper
from pubdb.query import FTS_TABLE
from pubdb.store import (
    SCHEMA_HEAD,
    backup_sqlite,
    current_revision,
    database_url,
    head_revision,
    make_engine,
    open_store,
    upgrade,
)


def test_schema_head_constant_is_the_scripts_head():
    assert head_revision() == SCHEMA_HEAD


def test_empty_database_upgrades_to_head(db_path: Path):
    store = open_store(str(db_path))
    try:
        assert current_revision(store.engine) == SCHEMA_HEAD
        tables = set(inspect(store.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        store.dispose()


def test_migrated_schema_equals_models(store):
    with store.engine.connect() as conn:
        # The title search index (FTS5 table and shadow tables, revision 0002) is not a model.
        def include_name(name, type_, parent_names):
            return not (type_ == "table" and name.startswith(FTS_TABLE))

        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_opening_twice_keeps_data(db_path: Path):
    store = open_store(str(db_path))
    with store.transaction() as session:
        session.add(Paper(key="a1", key_folded="a1", entry_type="article", title="T"))
    store.dispose()
    again = open_store(str(db_path))
    with again.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Paper)) == 1
    again.dispose()


def test_transaction_rolls_back_everything_on_error(store):
    with pytest.raises(RuntimeError), store.transaction() as session:
        session.add(Paper(key="a1", key_folded="a1", entry_type="article"))
        session.flush()
        raise RuntimeError("boom")
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Paper)) == 0


def test_sqlite_pragmas(store):
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


def test_database_newer_than_code_is_refused_and_untouched(db_path: Path):
    open_store(str(db_path)).dispose()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff_future'")
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match="newer than this pubdb"):
        open_store(str(db_path))
    assert db_path.read_bytes() == before


def test_database_with_foreign_tables_is_refused(db_path: Path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE somebody_elses (x INTEGER)")
    with pytest.raises(DatabaseError, match="not pubdb's"):
        open_store(str(db_path))


def test_upgrade_at_head_changes_nothing(db_path: Path):
    open_store(str(db_path)).dispose()
    engine = make_engine(database_url(str(db_path)))
    before, after, backup = upgrade(engine)
    engine.dispose()
    assert before == after == SCHEMA_HEAD
    assert backup is None


def test_sqlite_backup_is_a_consistent_copy(db_path: Path):
    store = open_store(str(db_path))
    with store.transaction() as session:
        session.add(Paper(key="a1", key_folded="a1", entry_type="article", title="T"))
    copy = backup_sqlite(store.engine)
    store.dispose()
    assert copy is not None and copy.exists() and copy != db_path
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT key FROM papers").fetchall() == [("a1",)]


def test_missing_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(DatabaseError, match="does not exist"):
        open_store(str(tmp_path / "missing" / "db.sqlite"))


def test_url_and_path_forms():
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert database_url("x.db").startswith("sqlite:////")
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_backup_leaves_no_partial_file(store):
    copy = backup_sqlite(store.engine)
    assert copy is not None
    assert not list(copy.parent.glob("*.part"))
