"""Engine, migrate-on-open and one session (one transaction) per command.

The same code serves SQLite (the embedded default) and PostgreSQL (``postgresql+psycopg://``,
the ``pubdb[postgres]`` extra). The dialect-specific SQL lives here and nowhere else:

- ``_on_sqlite_connect``: foreign keys, WAL, busy timeout, a new database's page size;
  pysqlite's own transaction handling is switched off so that ``_on_begin`` emits the BEGIN
  itself.
- ``_on_begin``: the database-wide write lock a write transaction takes first thing, so that
  concurrent writers (two ``pubdb import`` at once on a shared database) run one after the
  other and each sees what the other committed: SQLite ``BEGIN IMMEDIATE`` (a deferred BEGIN
  lets two writers deadlock on the lock upgrade, which no busy timeout resolves), PostgreSQL
  ``pg_advisory_xact_lock`` (released at commit or rollback). Readers never wait.
- ``reset_id_sequences``: PostgreSQL's id sequences after rows were inserted with their ids
  (``pubdb db copy``).
- At the bottom, bulk writes for an import: ``reserve_ids`` (ids a bulk insert gives its rows
  itself: after the largest on SQLite, from the id sequence on PostgreSQL), multi-row VALUES
  on SQLite (``BulkStatement.run``), ``bulk_write_cache`` (SQLite's page cache),
  ``deferrable_indexes`` (SQLite's secondary indexes built once after a large bulk write).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from pubdb.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

    # sqlalchemy.orm loads on first use: `pubdb list` reads through Core (``Store.connect``).
    from sqlalchemy.orm import Session

# The newest Alembic revision this code knows. Opening a database already at this revision
# skips loading Alembic entirely (start-up time); tests check it equals the scripts' head.
SCHEMA_HEAD = "0005"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# The page size of a new SQLite database (an existing one keeps its own: WAL fixes it). With
# SQLite's default 4096 an import of 100k entries took 0.2-0.3 s longer (fewer, larger pages:
# fewer B-tree splits and levels); 16384 gave the same as 8192.
SQLITE_PAGE_SIZE = 8192
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
    # Before the journal mode: setting WAL writes the header of a new database file.
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
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
    bind = connection if isinstance(connection, Connection) else connection.get_bind()
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


def _json_dumps(value: Any) -> str:
    """``json.dumps`` for JSON columns, with the value of nearly every paper (no fields
    beyond the columns) ready-made: serialising 100k empty dicts took an import ~0.1 s."""
    if type(value) is dict and not value:
        return "{}"
    return json.dumps(value)


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
            engine = create_engine(
                url,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                json_serializer=_json_dumps,
            )
            event.listen(engine, "connect", _on_sqlite_connect)
        else:
            engine = create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps)
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
    url = engine.url.render_as_string(hide_password=False)
    # The option goes through configparser's interpolation: "%" (":memory:" is written
    # "%3Amemory%3A", a password may hold "%40") is written "%%" to stay a "%".
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
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
        from sqlalchemy.orm import Session

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

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[Connection]:
        """A Core connection in one transaction (committed on success, rolled back on any
        error), for commands that need no ORM objects: it never loads ``sqlalchemy.orm``.
        Reads by default; ``write=True`` takes the write lock as ``transaction`` does."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: write})
            with conn.begin():
                yield conn

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


# --------------------------------------------------------------------------------------------
# Bulk writes straight through the driver (an import's thousands of rows per statement)
# --------------------------------------------------------------------------------------------


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int] | None:
    """``count`` ids for new rows of ``table`` that the caller inserts with explicit ids, in
    ascending order; None where there is no safe way (insert without ids, use RETURNING).

    SQLite: the ids after the largest stored one, which are the ids SQLite would give the rows
    itself (an INTEGER PRIMARY KEY without AUTOINCREMENT). Safe inside a transaction: SQLite has
    one writer at a time, and a transaction that read the largest id cannot write any more once
    another writer committed after that read (SQLite refuses the write), so no id is handed
    out twice. PostgreSQL: values drawn from the id column's sequence in one query; the
    largest id + 1 would not be safe there (another writer, or a sequence already past it),
    but a sequence never hands out a value twice.
    """
    column = table.autoincrement_column
    if column is None or count <= 0:
        return None if column is None else []
    dialect = conn.dialect.name
    if dialect == "sqlite" and not table.dialect_kwargs.get("sqlite_autoincrement"):
        highest = conn.execute(select(func.max(column))).scalar() or 0
        return list(range(highest + 1, highest + 1 + count))
    if dialect == "postgresql":
        drawn = conn.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, :column)) "
                "FROM generate_series(1, :count)"
            ),
            {"table": table.name, "column": column.name, "count": count},
        ).scalars()
        return sorted(drawn)
    return None


@dataclass(frozen=True)
class _DriverStatement:
    """A :class:`BulkStatement` compiled for one dialect."""

    sql: str
    positional: bool
    order: tuple[str, ...]  # bind names in the statement's order (when positional)
    processors: dict[str, Callable[[Any], Any]]


class BulkStatement:
    """An INSERT or UPDATE compiled once per dialect and run with the driver's executemany,
    each row a tuple of values for ``names`` (bind parameter names) in that order.

    SQLAlchemy's own executemany builds, checks and processes a parameter dict per row, which
    costs more than the database's own work for the rows of a bulk import; here nothing runs
    per row but the bind processors of the column types that have one for the dialect (JSON
    serialised, SQLite's DATETIME as text), and the statement is the dialect's own (with the
    casts PostgreSQL needs), so the stored values are the ones SQLAlchemy would store. The one
    exception is Boolean: its processor only checks the value and turns it into 0/1 on SQLite,
    which both drivers do themselves for a Python bool, so Boolean values must be bools.

    ``constants``: the other bind parameters, each a function called once per :meth:`run`
    (a column default such as the current time: one value for the rows of one run).
    Use :func:`bulk_insert` and :func:`bulk_update` to make one.
    """

    def __init__(
        self,
        statement: Any,
        names: Sequence[str],
        constants: Mapping[str, Callable[[], Any]] | None = None,
    ) -> None:
        self.statement = statement
        self.names = tuple(names)
        self.constants = dict(constants or {})
        self._compiled: dict[Any, _DriverStatement] = {}

    def _for(self, dialect: Any) -> _DriverStatement:
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            if compiled.insert_prefetch or compiled.update_prefetch:
                # A column default SQLAlchemy would compute per row: give it as a constant.
                raise ValueError(f"bulk statement without values for defaults: {compiled}")
            known = set(self.names) | set(self.constants)
            order = tuple(compiled.positiontup or ()) if compiled.positional else ()
            unknown = (set(order) if compiled.positional else set(compiled.binds)) - known
            if unknown:
                raise ValueError(f"bulk statement: no values for {sorted(unknown)}")
            processors = {}
            for name in known:
                kind = compiled.binds[name].type
                if isinstance(kind, Boolean):
                    continue  # a bool goes to both drivers as it is (see the class docstring)
                process = kind.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    processors[name] = process
            found = _DriverStatement(compiled.string, compiled.positional, order, processors)
            self._compiled[dialect] = found
        return found

    def run(
        self, conn: Connection, rows: Sequence[tuple[Any, ...]], *, rows_per_statement: int = 1
    ) -> None:
        """Execute the statement for every row, in one executemany.

        ``rows_per_statement`` > 1 (an INSERT): on SQLite, that many rows per statement (one
        multi-row VALUES, within SQLite's limit of parameters per statement). What SQLite and
        its driver do per statement then happens once per group of rows: ~30% less time for
        narrow rows such as authorships, ~60% for papers, whose title search trigger makes
        FTS5 write out its pending index at the end of every statement. Elsewhere one row per
        statement (psycopg pipelines an executemany).
        """
        if not rows:
            return
        compiled = self._for(conn.dialect)
        parameters = self._parameters(compiled, rows)
        if rows_per_statement > 1 and conn.dialect.name == "sqlite":
            limit = conn.connection.driver_connection.getlimit(  # type: ignore[union-attr]
                sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
            )
            rows_per_statement = min(rows_per_statement, limit // max(1, len(compiled.order)))
        else:
            rows_per_statement = 1
        if rows_per_statement <= 1:
            conn.exec_driver_sql(compiled.sql, parameters)
            return
        head, values = compiled.sql.rsplit(" VALUES ", 1)
        assert values.count("?") == len(compiled.order), compiled.sql
        # Whole groups of rows_per_statement rows, the rest in groups of 512, 256, ... 1 rows:
        # few distinct statements, as the driver keeps each one prepared (one of 1000 papers
        # rows takes ~2 MB; a statement per remainder size grew the import by 100 MB).
        size, start = rows_per_statement, 0
        while start < len(parameters):
            end = start + (len(parameters) - start) // size * size
            if end > start:
                sql = f"{head} VALUES {', '.join([values] * size)}"
                groups = [
                    tuple(chain.from_iterable(parameters[first : first + size]))
                    for first in range(start, end, size)
                ]
                conn.exec_driver_sql(sql, groups)
                start = end
            size = 1 << ((size - 1).bit_length() - 1) if size > 1 else 1

    def _parameters(self, compiled: _DriverStatement, rows: Sequence[tuple[Any, ...]]) -> list[Any]:
        """The rows as the driver takes them: processed, constants added, in the statement's
        order (tuples) or by name (dicts)."""
        processors = compiled.processors
        process = [(i, processors[n]) for i, n in enumerate(self.names) if n in processors]
        constants = tuple(
            processors[name](make()) if name in processors else make()
            for name, make in self.constants.items()
        )
        names = (*self.names, *self.constants)
        if compiled.positional:
            index = [names.index(name) for name in compiled.order]
            reorder = None if index == list(range(len(names))) else itemgetter(*index)
            if not process and not constants and reorder is None:
                return list(rows)
        shaped: list[Any] = []
        for row in rows:
            if process:
                values = list(row)
                for i, processor in process:
                    values[i] = processor(values[i])
                row = tuple(values)
            if constants:
                row = row + constants
            if not compiled.positional:
                shaped.append(dict(zip(names, row, strict=True)))
            else:
                shaped.append(reorder(row) if reorder is not None else row)
        return shaped


def _default_value(column: Column[Any], default: Any) -> Callable[[], Any]:
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy wraps a no-argument function to take one
    if default.is_scalar:
        return lambda: default.arg
    raise ValueError(f"{column}: a SQL default cannot be a bulk statement's constant")


def _bound_values(
    table: Table, columns: Sequence[str], default_kind: str
) -> tuple[list[str], dict[str, Callable[[], Any]], dict[str, Any]]:
    """Parameter names for ``columns``, the per-run constants for the table's other columns
    that have a Python-side ``default_kind`` ("default" or "onupdate"), and the ``values()``
    mapping binding both."""
    names = [f"p_{name}" for name in columns]
    constants = {
        f"p_{column.name}": _default_value(column, getattr(column, default_kind))
        for column in table.columns
        if column.name not in columns and getattr(column, default_kind) is not None
    }
    values = {name[2:]: bindparam(name) for name in (*names, *constants)}
    return names, constants, values


def bulk_insert(table: Table, columns: Sequence[str]) -> BulkStatement:
    """INSERT of ``columns`` (row values in this order); the table's other columns with a
    Python-side default (timestamps, ...) get it, evaluated once per run."""
    names, constants, values = _bound_values(table, columns, "default")
    # inline: no implicit RETURNING of the new id (PostgreSQL adds one to a plain insert).
    return BulkStatement(insert(table).values(values).inline(), names, constants)


def bulk_update(table: Table, columns: Sequence[str], *, key: str = "id") -> BulkStatement:
    """UPDATE ``columns`` of the row whose ``key`` column has the row's first value (the rest
    are the new values of ``columns`` in order); columns with an ``onupdate`` (``updated_at``)
    get it, evaluated once per run."""
    names, constants, values = _bound_values(table, columns, "onupdate")
    statement = update(table).where(table.c[key] == bindparam("k_key")).values(values)
    return BulkStatement(statement, ["k_key", *names], constants)


class BulkInsert:
    """Rows into one table through :class:`BulkStatement`: every row a tuple of ``columns``;
    ``rows_per_statement`` as :meth:`BulkStatement.run` takes it."""

    def __init__(
        self, table: Table, columns: Sequence[str], *, rows_per_statement: int = 1000
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.rows_per_statement = rows_per_statement
        self._plain = bulk_insert(table, self.columns)
        self._with_id: BulkStatement | None = None

    def run(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        self._plain.run(conn, rows, rows_per_statement=self.rows_per_statement)

    def run_returning_ids(
        self, conn: Connection, rows: Sequence[tuple[Any, ...]], *, unique: str | None = None
    ) -> list[int]:
        """Insert the rows and return their new ids in row order: ids from :func:`reserve_ids`
        where the database allows it, else through :func:`insert_returning_ids` (RETURNING;
        ``unique`` as there)."""
        if not rows:
            return []
        ids = reserve_ids(conn, self.table, len(rows))
        if ids is None:
            dicts = [dict(zip(self.columns, row, strict=True)) for row in rows]
            return insert_returning_ids(conn, self.table, dicts, unique=unique)
        if self._with_id is None:
            id_column = self.table.autoincrement_column
            assert id_column is not None
            self._with_id = bulk_insert(self.table, (id_column.name, *self.columns))
        self._with_id.run(
            conn,
            [(row_id, *row) for row_id, row in zip(ids, rows, strict=True)],
            rows_per_statement=self.rows_per_statement,
        )
        return ids


@dataclass(frozen=True)
class _DriverQuery:
    sql: str
    order: tuple[str, ...] | None  # parameter names when positional
    # (position, processor) of the result columns that have a processor: only those are
    # touched (a stored paper read back for a merge: ~30 us less than passing every value).
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]


class DriverQuery:
    """A small SELECT compiled once per dialect and run on the driver's cursor itself, for a
    query an import runs thousands of times: SQLAlchemy's result machinery costs several
    times what the database spends on a lookup by primary key.

    Rows come back as tuples, each value through its column type's result processor for the
    dialect (JSON parsed, SQLite's 0/1 as bools), so they equal what SQLAlchemy returns.
    Parameter values go to the driver as they are (ids, texts). A driver error is raised as
    SQLAlchemy would raise it (``sqlalchemy.exc.DBAPIError`` subclasses).
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[Any, _DriverQuery] = {}

    def _for(self, dialect: Any) -> _DriverQuery:
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            each = (
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            )
            processors = tuple((at, process) for at, process in enumerate(each) if process)
            found = self._compiled[dialect] = _DriverQuery(compiled.string, order, processors)
        return found

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        compiled = self._for(conn.dialect)
        values = params if compiled.order is None else tuple(params[n] for n in compiled.order)
        dbapi = conn.dialect.loaded_dbapi
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, values)
            rows = cursor.fetchall()
        except dbapi.Error as exc:
            raise DBAPIError.instance(compiled.sql, values, exc, dbapi.Error) from exc
        finally:
            cursor.close()
        processors = compiled.processors
        if not processors:
            return [tuple(row) for row in rows]
        processed = []
        for row in rows:
            values = list(row)
            for at, process in processors:
                values[at] = process(values[at])
            processed.append(tuple(values))
        return processed


# SQLite's page cache during a bulk write: an import's index inserts land all over the
# indexes, and with SQLite's default 2 MB they keep evicting and re-reading pages. Importing
# 100k papers (a 170 MB database), measured (CPU of the import step / peak RSS): 2 MB 27.9 s /
# 480 MB, 32 MB 26.6 s / 512 MB, 64 MB 25.8 s / 549 MB.
BULK_WRITE_CACHE_KIB = 32 * 1024


@contextmanager
def bulk_write_cache(conn: Connection) -> Iterator[None]:
    """A larger page cache for the connection while a bulk write runs (SQLite only; the
    previous size comes back when it ends well: after an error, nothing more is sent to a
    connection that may be unusable). Durability settings stay as they are."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    if before is None or (before < 0 and -before >= BULK_WRITE_CACHE_KIB):
        yield
        return
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_WRITE_CACHE_KIB}")
    yield
    conn.exec_driver_sql(f"PRAGMA cache_size={before}")


# The content table of an FTS5 table and its rowid column, from its CREATE VIRTUAL TABLE
# statement.
_FTS5_CONTENT = re.compile(
    r"USING\s+fts5\s*\(.*\bcontent\s*=\s*'([^']+)'", re.IGNORECASE | re.DOTALL
)
_FTS5_CONTENT_ROWID = re.compile(r"\bcontent_rowid\s*=\s*'([^']+)'", re.IGNORECASE)
# Rows of the content table per statement when an FTS5 table is filled again: FTS5 holds a
# statement's terms in memory and sorts them at its end, which for 100k titles in one
# statement took 1.2 s against 0.2 s in steps of 5,000.
_FULL_TEXT_STEP = 5000


def _rebuild_full_text(conn: Connection, name: str, content: str, rowid: str) -> None:
    """Fill the FTS5 table ``name`` again from its content table (what its 'rebuild' command
    does, in steps of rows)."""
    columns = ", ".join(
        f'"{row[1]}"' for row in conn.exec_driver_sql(f'PRAGMA table_info("{name}")')
    )
    low, high = conn.exec_driver_sql(
        f'SELECT min("{rowid}"), max("{rowid}") FROM "{content}"'
    ).one()
    conn.exec_driver_sql(f'INSERT INTO "{name}"("{name}") VALUES (\'delete-all\')')
    if low is None:
        return
    fill = (
        f'INSERT INTO "{name}"(rowid, {columns}) SELECT "{rowid}", {columns} FROM "{content}" '
        f'WHERE "{rowid}" >= ? AND "{rowid}" < ?'
    )
    for start in range(low, high + 1, _FULL_TEXT_STEP):
        conn.exec_driver_sql(fill, (start, start + _FULL_TEXT_STEP))


class DeferredIndexes:
    """Secondary indexes of some tables, dropped while a large bulk write fills the tables and
    built again at the end (:func:`deferrable_indexes`).

    Keeping an index current costs an insert into its b-tree per row, in random order;
    building it afterwards sorts once. Importing 100k papers into an empty SQLite database
    (``benchmarks/import.py``) spent 1.9 s keeping the papers, authorships and sources
    indexes current against 1.1 s building them at the end. Only SQLite: there the dropped
    indexes are part of the write transaction (a rollback brings them back) and readers keep
    the snapshot they started with, whereas PostgreSQL's DROP INDEX locks the whole table
    against readers until the commit. UNIQUE indexes stay: they enforce something.

    Full-text indexes too: the triggers that keep an FTS5 table over one of the tables
    (``content='papers'``) in step are dropped, and the FTS table is rebuilt from its content
    table at the end. At 100k papers the triggers cost ~1.0 s; filling it again takes 0.2 s.
    """

    def __init__(self, conn: Connection, tables: Sequence[str]) -> None:
        self.conn = conn
        self.tables = tuple(tables)
        self._dropped: list[tuple[str, str]] = []  # (name, CREATE INDEX/TRIGGER statement)
        self._full_text: list[tuple[str, str, str]] = []  # to rebuild: (FTS5, content, rowid)

    @property
    def deferred(self) -> bool:
        return bool(self._dropped)

    def defer(self) -> None:
        """Drop the indexes now (once; nothing on other databases than SQLite)."""
        if self._dropped or self.conn.dialect.name != "sqlite" or not self.tables:
            return
        marks = ", ".join("?" * len(self.tables))
        rows = self.conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name",
            self.tables,
        ).all()
        for name, sql in rows:
            if sql.lstrip().upper().startswith("CREATE UNIQUE"):
                continue
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
            self._dropped.append((name, sql))
        self._defer_full_text()

    def _defer_full_text(self) -> None:
        """Drop the triggers that keep FTS5 tables over the tables current."""
        virtual = self.conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        ).all()
        for name, sql in virtual:
            found = _FTS5_CONTENT.search(sql)
            if found is None or found.group(1) not in self.tables:
                continue
            triggers = self.conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                (found.group(1),),
            ).all()
            syncing = [(trigger, made_by) for trigger, made_by in triggers if name in made_by]
            for trigger, made_by in syncing:
                self.conn.exec_driver_sql(f'DROP TRIGGER "{trigger}"')
                self._dropped.append((trigger, made_by))
            if syncing:
                rowid = _FTS5_CONTENT_ROWID.search(sql)
                self._full_text.append(
                    (name, found.group(1), rowid.group(1) if rowid is not None else "rowid")
                )

    def restore(self) -> None:
        """Build the dropped indexes again, from the statements that made them, and rebuild
        the full-text tables whose triggers were dropped."""
        dropped, self._dropped = self._dropped, []
        full_text, self._full_text = self._full_text, []
        for _, sql in dropped:
            self.conn.exec_driver_sql(sql)
        for name, content, rowid in full_text:
            _rebuild_full_text(self.conn, name, content, rowid)


@contextmanager
def deferrable_indexes(
    conn: Connection, tables: Sequence[str], *, rollback: bool = False
) -> Iterator[DeferredIndexes]:
    """A :class:`DeferredIndexes` for ``tables`` whose indexes, if the caller deferred them,
    are built again when the block ends well. After an error they are not: the caller rolls
    the transaction back, which brings them back as they were. ``rollback=True``: the caller
    rolls back in any case (a dry run), so they are never built here."""
    indexes = DeferredIndexes(conn, tables)
    yield indexes
    if not rollback:
        indexes.restore()
