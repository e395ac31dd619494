"""Engine, migrate-on-open and one session (one transaction) per command.

The same code serves SQLite (the embedded default) and PostgreSQL (``postgresql+psycopg://``,
the ``pubdb[postgres]`` extra). The dialect-specific SQL lives here and nowhere else:

- ``_on_sqlite_connect``: foreign keys, WAL, busy timeout; pysqlite's own transaction handling
  is switched off so that ``_on_begin`` emits the BEGIN itself.
- ``_on_begin``: the database-wide write lock a write transaction takes first thing, so that
  concurrent writers (two ``pubdb import`` at once on a shared database) run one after the
  other and each sees what the other committed: SQLite ``BEGIN IMMEDIATE`` (a deferred BEGIN
  lets two writers deadlock on the lock upgrade, which no busy timeout resolves), PostgreSQL
  ``pg_advisory_xact_lock`` (released at commit or rollback). Readers never wait.
- ``reset_id_sequences``: PostgreSQL's id sequences after rows were inserted with their ids
  (``pubdb db copy``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, insert, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from pubdb.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest Alembic revision this code knows. Opening a database already at this revision
# skips loading Alembic entirely (start-up time); tests check it equals the scripts' head.
SCHEMA_HEAD = "0003"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long a write transaction waits for another writer to finish before giving up.
WRITE_LOCK_TIMEOUT_S = 600.0
# The PostgreSQL advisory lock every pubdb writer takes (per database: the lock includes the
# database's oid). Any constant works as long as every pubdb version uses the same one.
PG_WRITE_LOCK_KEY = 0x70756264_62000001
# Connection execution option that marks a write transaction (see ``_on_begin``).
_WRITE = "pubdb_write"


def migrations_dir() -> Path:
    """The Alembic scripts: packaged in the wheel, or the repository's top-level folder."""
    packaged = Path(__file__).parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "migrations"


def database_url(location: str) -> str:
    """A plain path means SQLite; anything with ``://`` is a SQLAlchemy URL."""
    if "://" in location:
        return location
    return f"sqlite:///{Path(location).expanduser().resolve()}"


def describe(url: str) -> str:
    """The location to show a person: the file for SQLite, the URL without password else."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def _on_sqlite_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # pysqlite would BEGIN (deferred) on its own before the first write; ``_on_begin`` does it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Connection) -> None:
    """BEGIN IMMEDIATE, waiting for another writer for up to ``WRITE_LOCK_TIMEOUT_S``.

    Each attempt already waits ``SQLITE_BUSY_TIMEOUT_MS`` in SQLite's busy handler.
    """
    deadline = time.monotonic() + WRITE_LOCK_TIMEOUT_S
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise DatabaseError(
                        f"{describe(str(conn.engine.url))}: another pubdb has been writing "
                        f"for over {WRITE_LOCK_TIMEOUT_S:.0f} s; try again later"
                    ) from exc
    finally:
        cursor.close()


def _on_begin(conn: Connection) -> None:
    """Start a transaction the dialect's way; a write transaction takes the write lock."""
    write = bool(conn.get_execution_options().get(_WRITE))
    dialect = conn.dialect.name
    if dialect == "sqlite":
        if write:
            _sqlite_begin_immediate(conn)
        else:
            conn.exec_driver_sql("BEGIN")
    elif dialect == "postgresql" and write:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK_KEY})")


def reset_id_sequences(connection: Connection | Session, tables: Any) -> None:
    """After inserting rows with explicit ids: make the next generated id follow the largest.

    PostgreSQL's serial columns take ids from a sequence that explicit inserts do not advance;
    SQLite needs nothing (an INTEGER PRIMARY KEY continues from the largest id).
    """
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name != "postgresql":
        return
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) "
                f"FROM {table.name}"
            ),
            {"table": table.name, "column": column.name},
        )


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout; every engine
    gets the write lock of ``_on_begin``."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                folder = Path(database).parent
                if not folder.is_dir():
                    raise DatabaseError(f"{database}: folder {folder} does not exist")
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _on_sqlite_connect)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        event.listen(engine, "begin", _on_begin)
        return engine
    except ImportError as exc:
        hint = "; pip install 'pubdb[postgres]'" if url.startswith("postgresql") else ""
        raise DatabaseError(f"{describe(url)}: cannot open database ({exc}{hint})") from exc
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseError(f"{url}: cannot open database ({exc})") from exc


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None for a database pubdb never touched."""
    with engine.connect() as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations_dir()))
    head = script.get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations_dir()))
    return {rev.revision for rev in script.walk_revisions()}


def backup_sqlite(engine: Engine) -> Path | None:
    """Copy a SQLite file aside before a schema change; returns the copy's path."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    source = Path(database)
    if not source.exists() or source.stat().st_size == 0:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    backup = source.with_name(f"{source.name}.{stamp}.bak")
    # Written under a temporary name and renamed when complete, so a file named like a backup
    # is always a whole one, even if pubdb is killed during the copy.
    partial = backup.with_name(backup.name + ".part")
    # The sqlite3 backup API copies a consistent snapshot, WAL content included.
    import sqlite3

    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
        partial.replace(backup)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    return backup


def upgrade(engine: Engine) -> tuple[str | None, str, Path | None]:
    """Bring the database to head. Returns (revision before, revision after, backup path)."""
    from alembic import command

    before = current_revision(engine)
    _check_known(engine, before)
    head = head_revision()
    if before == head:
        return before, head, None
    backup = backup_sqlite(engine) if before is not None else None
    config = alembic_config(engine)
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            # Under the write lock, look again: another pubdb may have created or upgraded
            # the database while this one waited (two commands started on a new database).
            now = _revision(conn)
            _check_known(engine, now)
            if now == head:
                return head, head, backup
            if now is None and set(inspect(conn).get_table_names()) - {"alembic_version"}:
                raise DatabaseError(
                    f"{describe(str(engine.url))}: holds tables that are not pubdb's; "
                    "use another database"
                )
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    return before, head, backup


def _check_known(engine: Engine, revision: str | None) -> None:
    if revision is not None and revision not in known_revisions():
        raise DatabaseError(
            f"{describe(str(engine.url))}: schema revision {revision} is newer than this pubdb "
            "knows; upgrade pubdb (the database was not touched)"
        )


class Store:
    """An open, migrated database; hand out one transaction per command."""

    def __init__(self, engine: Engine, backup: Path | None = None) -> None:
        self.engine = engine
        # The copy taken when opening upgraded the schema (SQLite), for the command to report.
        self.backup = backup

    @property
    def location(self) -> str:
        return describe(str(self.engine.url))

    @contextmanager
    def transaction(self, *, rollback: bool = False, write: bool = True) -> Iterator[Session]:
        """A session whose work commits on success and rolls back entirely on any error.

        ``write=True`` (the default: every command that changes data) first takes the
        database-wide write lock (see ``_on_begin``), waiting for another writer to finish;
        commands that only read pass ``write=False`` and never wait. ``rollback=True`` (a dry
        run) does all the work and then throws it away.
        """
        session = Session(self.engine, expire_on_commit=False)
        try:
            session.begin()
            session.connection(execution_options={_WRITE: write})
            yield session
            if rollback:
                session.rollback()
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(location: str, *, migrate: bool = True) -> Store:
    """Open (creating or upgrading to head) the database at a path or URL."""
    engine = make_engine(database_url(location))
    backup = None
    try:
        revision = current_revision(engine)
        if revision != SCHEMA_HEAD and migrate:
            _, _, backup = upgrade(engine)
        elif revision != SCHEMA_HEAD:
            raise DatabaseError(
                f"{describe(str(engine.url))}: schema is at {revision}, pubdb needs "
                f"{SCHEMA_HEAD}; run `pubdb db upgrade`"
            )
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        raise DatabaseError(
            f"{describe(str(engine.url))}: cannot open database ({reason})"
        ) from exc
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, backup)


def insert_row(session: Session | Connection, model: Any, row: dict[str, Any]) -> int:
    """Insert one row with Core (the ORM's bulk path costs ~4x per row) and return its id.

    The values travel as parameters, not in the statement, so the compiled statement is
    cached across calls (building ``insert().values(**row)`` per row was the slow part).
    """
    table = model.__table__
    return session.execute(insert(table).returning(table.c.id), row).scalar_one()


def insert_rows(session: Session | Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one Core executemany (every row has the same keys)."""
    if rows:
        session.execute(insert(getattr(table, "__table__", table)), rows)


def insert_returning_ids(
    session: Session | Connection,
    model: Any,
    rows: list[dict[str, Any]],
    *,
    unique: str | None = None,
) -> list[int]:
    """Insert many rows (same keys) and return their ids in the order of ``rows``.

    Portable ``INSERT ... RETURNING`` through SQLAlchemy's "insertmanyvalues" (SQLite >= 3.35,
    PostgreSQL, ...). ``unique`` names a column whose values are unique among the rows: each
    id is then matched to its row by that value, and the rows go in multi-row statements. Without
    it ``sort_by_parameter_order`` ties ids to rows, which SQLite can only do one row per
    statement (about twice the time for a wide table such as ``papers``).
    """
    if not rows:
        return []
    table = getattr(model, "__table__", model)
    if unique is None:
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.execute(stmt, rows).scalars())
    stmt = insert(table).returning(table.c.id, table.c[unique])
    by_value = {value: row_id for row_id, value in session.execute(stmt, rows)}
    return [by_value[row[unique]] for row in rows]
