"""The schema, migrations and store: migrate-on-open, revisions, pragmas, transactions."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    bindparam,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

import pubdb.store as store_module
from pubdb.errors import DatabaseError
from pubdb.model import Base, Paper, Tag
from pubdb.query import FTS_TABLE
from pubdb.store import (
    BULK_WRITE_CACHE_KIB,
    SCHEMA_HEAD,
    BulkInsert,
    BulkStatement,
    DriverQuery,
    backup_sqlite,
    bulk_update,
    bulk_write_cache,
    current_revision,
    database_url,
    deferrable_indexes,
    head_revision,
    insert_row,
    make_engine,
    open_store,
    reserve_ids,
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


def test_core_connection_is_one_transaction(store):
    # Store.connect: what `pubdb list` reads through (no ORM); same commit/rollback rules.
    papers = Paper.__table__
    row = {"key": "a1", "key_folded": "a1", "entry_type": "article"}
    with pytest.raises(RuntimeError), store.connect(write=True) as conn:
        conn.execute(papers.insert(), row)
        raise RuntimeError("boom")
    with store.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(papers)) == 0
    with store.connect(write=True) as conn:
        conn.execute(papers.insert(), row)
    with store.connect() as conn:
        assert conn.scalar(select(papers.c.key)) == "a1"


def test_sqlite_pragmas(store):
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


def test_json_columns_store_what_json_dumps_gives(store, db_path: Path):
    papers = Paper.__table__
    fields = [{}, {"isbn": "978-3", "language": "Español"}, {"list": [1, 2]}]
    with store.connect(write=True) as conn:
        for number, value in enumerate(fields):
            key = f"k{number}"
            row = {"key": key, "key_folded": key, "entry_type": "misc", "fields": value}
            conn.execute(papers.insert(), row)
    with closing(sqlite3.connect(db_path)) as raw:
        stored = [text for (text,) in raw.execute("SELECT fields FROM papers ORDER BY key")]
    assert stored == [json.dumps(value) for value in fields]
    assert store_module._json_dumps({}) == "{}" and store_module._json_dumps([]) == "[]"
    with store.connect() as conn:
        rows = conn.execute(select(papers.c.fields).order_by(papers.c.key))
        assert [row.fields for row in rows] == fields


def test_new_database_gets_the_larger_page_size(db_path: Path):
    open_store(str(db_path)).dispose()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == store_module.SQLITE_PAGE_SIZE
    assert store_module.SQLITE_PAGE_SIZE != 4096  # SQLite's default: the test would prove nothing


def test_existing_database_keeps_its_page_size(db_path: Path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA page_size=4096")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
    engine = store_module.make_engine(store_module.database_url(str(db_path)))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            assert conn.execute(text("PRAGMA page_size")).scalar() == 4096
    finally:
        engine.dispose()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


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


# -- bulk writes straight through the driver (import's BatchWriter) --------------------------

BULK_PAPER = {
    "entry_type": "inproceedings",
    "title": "Gürsoy’s {TomoPy}: a framework",
    "title_bibtex": "Gürsoy’s {TomoPy}: a framework",
    "title_key": "gursoys tomopy a framework",
    "year": 2014,
    "month": None,
    "venue_text": "J. Synchrotron Rad.",
    "volume": "21",
    "number": "",
    "pages": "1188--1193",
    "doi": None,
    "arxiv_id": "1405.4386",
    "authors_truncated": True,
    "fields": {"abbr": "JSR", "note": "ünïcode", "nested": ["a", 1, None]},
}


@pytest.mark.backends
def test_bulk_insert_stores_what_sqlalchemy_stores(store):
    # The driver gets the values itself (JSON serialised, booleans, NULLs, the timestamps the
    # columns' defaults give): a paper written either way reads back the same.
    names = ("key", "key_folded", *BULK_PAPER)
    with store.transaction() as session:
        insert_row(session, Paper, {"key": "core", "key_folded": "core", **BULK_PAPER})
        BulkInsert(Paper.__table__, names).run(
            session.connection(), [("bulk", "bulk", *BULK_PAPER.values())]
        )
    with store.transaction() as session:
        papers = {paper.key: paper for paper in session.scalars(select(Paper))}
    for name in BULK_PAPER:
        assert getattr(papers["bulk"], name) == getattr(papers["core"], name), name
    for stamp in ("created_at", "updated_at"):
        core, bulk = getattr(papers["core"], stamp), getattr(papers["bulk"], stamp)
        assert isinstance(bulk, datetime) and bulk.tzinfo == core.tzinfo
        assert abs(bulk.replace(tzinfo=None) - core.replace(tzinfo=None)) < timedelta(minutes=5)


@pytest.mark.backends
@pytest.mark.parametrize(
    ("rows", "per_statement"),
    [
        pytest.param(7, 3, id="two-statements-and-a-rest"),
        pytest.param(6, 3, id="whole-statements"),
        pytest.param(2, 1000, id="fewer-rows-than-one-statement"),
        pytest.param(5, 1, id="one-row-per-statement"),
    ],
)
def test_bulk_insert_returns_each_rows_id(store, rows, per_statement):
    names = [f"tag{number}" for number in range(rows)]
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with store.transaction() as session:
        inserts = BulkInsert(Tag.__table__, ("name", "title"), rows_per_statement=per_statement)
        ids = inserts.run_returning_ids(session.connection(), [(n, "") for n in names])
        after = insert_row(session, Tag, {"name": "after", "title": ""})
    with store.transaction() as session:
        stored = dict(session.execute(select(Tag.id, Tag.name)).all())
    assert [stored[tag_id] for tag_id in ids] == names
    assert ids == sorted(ids) and after > ids[-1]
    if store.engine.dialect.name == "sqlite":
        # Rows go in multi-row VALUES statements, rows_per_statement at most per statement.
        widest = max(sql.count("), (") + 1 for sql in statements if "INSERT INTO tags" in sql)
        assert widest == min(rows, per_statement)


def test_bulk_insert_uses_few_distinct_statements(store):
    # SQLite keeps every distinct statement prepared (a multi-row one is large): the rows that
    # do not fill a whole statement go in groups of powers of two, not one statement each.
    statements: set[str] = set()
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.add(a[2]))
    inserts = BulkInsert(Tag.__table__, ("name", "title"), rows_per_statement=16)
    with store.transaction() as session:
        for count in range(1, 40):
            inserts.run(session.connection(), [(f"t{count}-{n}", "") for n in range(count)])
        assert session.scalar(select(func.count()).select_from(Tag)) == sum(range(1, 40))
    widths = {sql.count("), (") + 1 for sql in statements if sql.startswith("INSERT INTO tags")}
    assert widths == {16, 8, 4, 2, 1}


@pytest.mark.backends
@pytest.mark.parametrize("unique", [None, "name"], ids=["by-order", "by-unique-column"])
def test_bulk_insert_without_reserved_ids_uses_returning(store, monkeypatch, unique):
    # Where a database gives no safe way to reserve ids, RETURNING (the portable path).
    monkeypatch.setattr(store_module, "reserve_ids", lambda *args: None)
    names = ["b", "a", "c"]
    with store.transaction() as session:
        inserts = BulkInsert(Tag.__table__, ("name", "title"), rows_per_statement=2)
        ids = inserts.run_returning_ids(
            session.connection(), [(n, "") for n in names], unique=unique
        )
        stored = dict(session.execute(select(Tag.id, Tag.name)).all())
    assert [stored[tag_id] for tag_id in ids] == names


@pytest.mark.backends
def test_reserved_ids_are_never_handed_out_again(store):
    with store.transaction() as session:
        conn = session.connection()
        first = insert_row(session, Tag, {"name": "first", "title": ""})
        reserved = reserve_ids(conn, Tag.__table__, 3)
        assert reserved is not None and len(reserved) == 3
        assert reserved == sorted(set(reserved)) and reserved[0] > first
        BulkInsert(Tag.__table__, ("id", "name", "title")).run(
            conn, [(tag_id, f"t{tag_id}", "") for tag_id in reserved]
        )
        assert insert_row(session, Tag, {"name": "next", "title": ""}) > reserved[-1]


@pytest.mark.backends
def test_bulk_update_sets_columns_and_the_update_stamp(store):
    with store.transaction() as session:
        ids = [
            insert_row(session, Paper, {"key": k, "key_folded": k, "entry_type": "misc"})
            for k in ("a", "b", "c")
        ]
        created = dict(session.execute(select(Paper.id, Paper.updated_at)).all())
        update = bulk_update(Paper.__table__, ("title", "fields"))
        update.run(session.connection(), [(ids[0], "A", {"x": 1}), (ids[2], "C", {})])
    with store.transaction() as session:
        rows = {row.id: row for row in session.execute(select(Paper)).scalars()}
    assert [(rows[i].title, rows[i].fields) for i in ids] == [("A", {"x": 1}), ("", {}), ("C", {})]
    assert rows[ids[0]].updated_at >= created[ids[0]]
    assert rows[ids[1]].updated_at == created[ids[1]]


def test_bulk_statement_refuses_defaults_it_would_compute_per_row():
    # A column default SQLAlchemy evaluates per row (here created_at) must be given instead.
    from sqlalchemy import insert
    from sqlalchemy.dialects import sqlite

    statement = BulkStatement(insert(Paper.__table__).values(key=bindparam("k")), ["k"])
    with pytest.raises(ValueError, match="defaults"):
        statement._for(sqlite.dialect())


def test_bulk_write_cache_is_raised_then_restored(store):
    with store.engine.connect() as conn:
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        with bulk_write_cache(conn):
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -BULK_WRITE_CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == before


def _indexes(conn) -> dict[str, tuple[str, str]]:
    """Every index SQLite has: name -> (table, statement; None for a constraint's own)."""
    rows = conn.exec_driver_sql("SELECT name, tbl_name, sql FROM sqlite_master WHERE type='index'")
    return {name: (table, sql) for name, table, sql in rows}


def test_deferred_indexes_are_dropped_then_built_again_as_they_were(store):
    with store.engine.connect() as conn:
        before = _indexes(conn)
    with store.transaction() as session:
        conn = session.connection()
        with deferrable_indexes(conn, ["papers", "authorships"]) as indexes:
            assert not indexes.deferred
            indexes.defer()
            indexes.defer()  # once is enough
            assert indexes.deferred
            during = _indexes(conn)
            # The plain indexes of those two tables are gone; UNIQUE ones (and the
            # constraints' own) and every other table's stay.
            gone = {
                name
                for name, (table, sql) in before.items()
                if table in ("papers", "authorships") and sql and "UNIQUE" not in sql
            }
            assert {"ix_papers_doi", "ix_papers_venue_year", "ix_authorships_author_id"} <= gone
            assert set(during) == set(before) - gone
            conn.exec_driver_sql("SELECT count(*) FROM papers WHERE doi = 'x'")  # still works
        assert not indexes.deferred
    with store.engine.connect() as conn:
        assert _indexes(conn) == before


def _fts_triggers(conn) -> dict[str, str]:
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%papers_fts%'"
    )
    return dict(rows.all())


def _title_search(conn, word: str) -> list[int]:
    found = conn.exec_driver_sql("SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (word,))
    return sorted(found.scalars())


def test_deferred_full_text_index_is_rebuilt_with_what_changed_meanwhile(store, monkeypatch):
    # The triggers keeping papers_fts current are dropped with the indexes; at the end the
    # FTS table is filled again (here two papers per statement), so papers inserted, changed
    # and deleted meanwhile are found as the triggers would have left them.
    import pubdb.store

    monkeypatch.setattr(pubdb.store, "_FULL_TEXT_STEP", 2)
    with store.transaction() as session:
        for key, title in (("kept", "kept alpha"), ("changed", "beta"), ("gone", "gamma")):
            session.add(
                Paper(key=key, key_folded=key, entry_type="article", title=title, title_key=title)
            )
    with store.engine.connect() as conn:
        triggers = _fts_triggers(conn)
    assert set(triggers) == {"papers_fts_ai", "papers_fts_ad", "papers_fts_au"}
    with store.transaction() as session:
        conn = session.connection()
        with deferrable_indexes(conn, ["papers"]) as indexes:
            indexes.defer()
            assert _fts_triggers(conn) == {}
            session.add(
                Paper(key="new", key_folded="new", entry_type="article", title_key="new alpha")
            )
            session.flush()
            conn.exec_driver_sql("UPDATE papers SET title_key = 'delta' WHERE key = 'changed'")
            conn.exec_driver_sql("DELETE FROM papers WHERE key = 'gone'")
        assert _fts_triggers(conn) == triggers
    with store.engine.connect() as conn:
        ids = dict(conn.exec_driver_sql("SELECT key, id FROM papers").all())
        assert _title_search(conn, "alpha") == sorted([ids["kept"], ids["new"]])
        assert _title_search(conn, "delta") == [ids["changed"]]
        assert _title_search(conn, "beta") == _title_search(conn, "gamma") == []
        conn.exec_driver_sql("INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")


def test_deferred_indexes_come_back_with_the_rollback_after_an_error(store):
    with store.engine.connect() as conn:
        before = _indexes(conn)
    with (
        pytest.raises(RuntimeError),
        store.transaction() as session,
        deferrable_indexes(session.connection(), ["papers"]) as indexes,
    ):
        indexes.defer()
        raise RuntimeError("the import failed")
    with store.engine.connect() as conn:
        assert _indexes(conn) == before


@pytest.mark.backends
def test_indexes_are_deferred_on_sqlite_only(store):
    # PostgreSQL's DROP INDEX would lock the table against readers until the commit.
    names = {index["name"] for index in inspect(store.engine).get_indexes("papers")}
    with store.transaction() as session:
        conn = session.connection()
        with deferrable_indexes(conn, ["papers"]) as indexes:
            indexes.defer()
            assert indexes.deferred == (conn.dialect.name == "sqlite")
    assert {index["name"] for index in inspect(store.engine).get_indexes("papers")} == names


@pytest.mark.backends
def test_driver_query_reads_what_sqlalchemy_reads(store):
    papers = Paper.__table__
    query = select(papers.c.key, *(papers.c[name] for name in BULK_PAPER), papers.c.created_at)
    with store.transaction() as session:
        insert_row(session, Paper, {"key": "k", "key_folded": "k", **BULK_PAPER})
        conn = session.connection()
        expected = [tuple(row) for row in conn.execute(query)]
        by_id = DriverQuery(query.where(papers.c.key == bindparam("key")))
        assert by_id.rows(conn, {"key": "k"}) == expected
        assert by_id.rows(conn, {"key": "nothing"}) == []


@pytest.mark.backends
def test_driver_query_raises_sqlalchemys_errors(store):
    missing = Table("not_there", MetaData(), Column("id", Integer))
    with pytest.raises(DBAPIError), store.transaction() as session:
        DriverQuery(select(missing.c.id)).rows(session.connection(), {})


@pytest.mark.parametrize(
    "url",
    ["sqlite:///:memory:", "postgresql+psycopg2://user:p%40ss%25word@localhost/db"],
    ids=["sqlite-memory", "password-with-percent"],
)
def test_alembic_config_keeps_percent_signs(url):
    # configparser interpolates "%": unescaped, these URLs raised a traceback on open.
    from types import SimpleNamespace

    from sqlalchemy.engine import make_url

    from pubdb.store import alembic_config

    engine = SimpleNamespace(url=make_url(url))
    stored = alembic_config(engine).get_main_option("sqlalchemy.url")
    assert stored == engine.url.render_as_string(hide_password=False)


def test_in_memory_database_opens_and_imports():
    from pubdb.importing import ImportInput, import_files
    from pubdb.model import Paper
    from pubdb.store import open_store

    store = open_store("sqlite:///:memory:")
    try:
        with store.transaction() as session:
            example = Path(__file__).resolve().parents[1] / "bib" / "publications.bib"
            report = import_files(session, [ImportInput(str(example))])
            stored = session.scalar(select(func.count()).select_from(Paper))
        assert stored == len(report.files[0].added) > 0
    finally:
        store.dispose()
