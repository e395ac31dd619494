"""Engine, migrate-on-open and one session (one transaction) per command.

The same code serves SQLite (the embedded default) and any SQLAlchemy URL such as
PostgreSQL: nothing here issues dialect-specific SQL outside ``_on_sqlite_connect``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, insert, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from pubdb.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest Alembic revision this code knows. Opening a database already at this revision
# skips loading Alembic entirely (start-up time); tests check it equals the scripts' head.
SCHEMA_HEAD = "0003"
SQLITE_BUSY_TIMEOUT_MS = 30_000


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
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
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
            return engine
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
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
    # The sqlite3 backup API copies a consistent snapshot, WAL content included.
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(backup) as dst:
        src.backup(dst)
    return backup


def upgrade(engine: Engine) -> tuple[str | None, str, Path | None]:
    """Bring the database to head. Returns (revision before, revision after, backup path)."""
    from alembic import command

    before = current_revision(engine)
    if before is not None and before not in known_revisions():
        raise DatabaseError(
            f"{describe(str(engine.url))}: schema revision {before} is newer than this pubdb "
            "knows; upgrade pubdb (the database was not touched)"
        )
    head = head_revision()
    if before == head:
        return before, head, None
    backup = backup_sqlite(engine) if before is not None else None
    if before is None and _has_foreign_tables(engine):
        raise DatabaseError(
            f"{describe(str(engine.url))}: holds tables that are not pubdb's; use another database"
        )
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return before, head, backup


def _has_foreign_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(inspect(conn).get_table_names())


class Store:
    """An open, migrated database; hand out one transaction per command."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def location(self) -> str:
        return describe(str(self.engine.url))

    @contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[Session]:
        """A session whose work commits on success and rolls back entirely on any error.

        ``rollback=True`` (a dry run) does all the work and then throws it away.
        """
        session = Session(self.engine, expire_on_commit=False)
        try:
            session.begin()
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
    try:
        revision = current_revision(engine)
        if revision != SCHEMA_HEAD and migrate:
            upgrade(engine)
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
    return Store(engine)


def insert_row(session: Session, model: Any, row: dict[str, Any]) -> int:
    """Insert one row with Core (the ORM's bulk path costs ~4x per row) and return its id.

    The values travel as parameters, not in the statement, so the compiled statement is
    cached across calls (building ``insert().values(**row)`` per row was the slow part).
    """
    table = model.__table__
    return session.execute(insert(table).returning(table.c.id), row).scalar_one()


def insert_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one Core executemany (every row has the same keys)."""
    if rows:
        session.execute(insert(getattr(table, "__table__", table)), rows)


def insert_returning_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many rows (same keys) and return their ids in the order of ``rows``.

    Portable: ``INSERT ... RETURNING`` with SQLAlchemy's "insertmanyvalues" (SQLite >= 3.35,
    PostgreSQL, ...); ``sort_by_parameter_order`` ties each id to its row.
    """
    if not rows:
        return []
    table = getattr(model, "__table__", model)
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(stmt, rows).scalars())
