"""Alembic environment: runs pubdb's migrations on the connection pubdb hands it.

pubdb calls Alembic from code (pubdb.store); the connection arrives in
``config.attributes["connection"]``. Run from the command line
(``alembic -c migrations/alembic.ini``) it builds an engine from ``$PUBDB_DB`` instead.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from pubdb.model import Base
from pubdb.query import FTS_TABLE

config = context.config
target_metadata = Base.metadata


def include_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    """Autogenerate ignores the title search index (revision 0002): the FTS5 table and its
    shadow tables are not models."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE))


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("PUBDB_DB", "")
    if "://" not in url:
        url = f"sqlite:///{url}"
    engine = create_engine(url)
    with engine.begin() as conn:
        _configure_and_run(conn)


if context.is_offline_mode():
    raise SystemExit("pubdb migrations run online only")
run_migrations_online()
