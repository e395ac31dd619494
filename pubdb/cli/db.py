"""`pubdb init` and `pubdb db ...`: create, upgrade, inspect and copy the database."""

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
    """Database maintenance: upgrade, current revision, copy into another database."""


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


@db.command()
@click.argument("dest", metavar="DEST")
@pass_app
def copy(app: AppContext, dest: str) -> None:
    """Copy every record into database DEST (a path or URL; new or empty, created at head).

    Ids, authors and spellings, marks, venues and aliases, awards, tags and their order,
    cite-key aliases, sources, relations and the owner are kept as they are. Running it
    again adds nothing: a DEST that already holds exactly these records is left alone, and
    a DEST holding other records is refused.
    """
    from pubdb.dbcopy import copy_database
    from pubdb.store import open_store

    source = app.store()
    destination = open_store(dest)
    try:
        report = copy_database(source, destination)
    finally:
        destination.dispose()
    if report.already:
        click.echo(f"{report.destination}: already holds these records; nothing copied")
        return
    shown = ("papers", "authors", "venues", "awards", "tags", "paper_sources")
    counts = ", ".join(f"{report.rows[name]} {name.replace('paper_', '')}" for name in shown)
    click.echo(f"copied into {report.destination}: {counts} ({report.total} rows in all)")
