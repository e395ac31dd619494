"""`pubdb init` and `pubdb db ...`: create, upgrade and inspect the database."""

from __future__ import annotations

import click

from pubdb.cli import AppContext, pass_app


@click.command()
@pass_app
def init(app: AppContext) -> None:
    """Create or upgrade the database; print its location and schema revision."""
    from pubdb.store import current_revision

    store = app.store()
    click.echo(f"database: {store.location}")
    click.echo(f"revision: {current_revision(store.engine)} (head)")


@click.group()
def db() -> None:
    """Database maintenance: upgrade, current revision."""


@db.command()
@pass_app
def upgrade(app: AppContext) -> None:
    """Upgrade the schema to the newest revision (SQLite: a backup copy is kept first)."""
    from pubdb.store import database_url, describe, make_engine
    from pubdb.store import upgrade as upgrade_schema

    engine = make_engine(database_url(app.location))
    try:
        before, after, backup = upgrade_schema(engine)
    finally:
        engine.dispose()
    where = describe(str(engine.url))
    if backup is not None:
        click.echo(f"backup: {backup}", err=True)
    if before == after:
        click.echo(f"{where}: already at {after}")
    else:
        click.echo(f"{where}: upgraded {before or 'empty'} -> {after}")


@db.command()
@pass_app
def current(app: AppContext) -> None:
    """Show the database's schema revision and the newest this pubdb knows."""
    from pubdb.store import (
        SCHEMA_HEAD,
        current_revision,
        database_url,
        describe,
        make_engine,
    )

    engine = make_engine(database_url(app.location))
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    state = "up to date" if revision == SCHEMA_HEAD else f"pubdb needs {SCHEMA_HEAD}"
    click.echo(f"{describe(str(engine.url))}: {revision or 'empty'} ({state})")
