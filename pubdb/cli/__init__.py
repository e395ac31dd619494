"""The ``pubdb`` command line: a click group whose commands load only when used.

Commands live one group per module under ``pubdb/cli/``. To add one, write the module and add
a line to ``COMMANDS`` (name -> "module:attribute"); ``pubdb --help`` then lists it without
importing it, which keeps start-up fast.
"""

from __future__ import annotations

import gc
import importlib
from typing import Any

import click

from pubdb import __version__

COMMANDS: dict[str, str] = {
    "init": "pubdb.cli.db:init",
    "db": "pubdb.cli.db:db",
    "import": "pubdb.cli.importing:import_",
    "owner": "pubdb.cli.annotate:owner",
    "mark": "pubdb.cli.annotate:mark",
    "award": "pubdb.cli.annotate:award",
    "tag": "pubdb.cli.annotate:tag",
    "list": "pubdb.cli.papers:list_papers",
    "show": "pubdb.cli.papers:show",
    "venue": "pubdb.cli.venue:venue",
    "export": "pubdb.cli.export:export",
    "dedup": "pubdb.cli.dedup:dedup",
    "merge": "pubdb.cli.dedup:merge",
    "unmerge": "pubdb.cli.dedup:unmerge",
}

# Short help shown by `pubdb --help` without importing the command modules.
SHORT_HELP: dict[str, str] = {
    "init": "Create or upgrade the database; print its location and schema revision.",
    "db": "Database maintenance: upgrade, current revision, copy into another database.",
    "import": "Import .bib files (`-` is standard input); report what was added or merged.",
    "owner": "Who the CV belongs to: the author shown in bold.",
    "mark": "Mark an author of a paper as student, equal contribution or corresponding.",
    "award": "Awards of papers and the CV's award summary line.",
    "tag": "Tags of papers, their section titles and order.",
    "list": "List papers matching a query: terms are ANDed, e.g. venue:SIGMOD year:2019..2021 "
    "author:kraska.",
    "show": "Show one paper in full: fields, authors with marks, venue, awards, tags, aliases, "
    "sources.",
    "venue": "Venues: list them with paper counts, show one, add one, alias a text, merge two.",
    "export": "Write papers as a CV list (markdown, latex, html, text), CSL-JSON or BibTeX.",
    "dedup": "List duplicate clusters (sure and possible) with scores and reasons; --merge "
    "merges the sure ones.",
    "merge": "Merge paper OTHER into KEEP by hand; OTHER's key becomes an alias of KEEP.",
    "unmerge": "Undo a merge: re-create the paper merged away under KEY from its stored entry.",
}


class LazyGroup(click.Group):
    """A group that imports a command's module on first use and maps domain errors to exit 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from pubdb.errors import PubdbError

        try:
            return super().invoke(ctx)
        except PubdbError as exc:
            raise click.ClickException(exc.message) from exc
        except Exception as exc:
            message = _database_trouble(exc, ctx)
            if message is None:
                raise  # a bug: keep the traceback
            raise click.ClickException(message) from exc


def _database_trouble(exc: Exception, ctx: click.Context) -> str | None:
    """One line for a database the environment keeps from working (a read-only file or folder,
    a file that is no database, a full disk); None for anything else."""
    if not type(exc).__module__.startswith("sqlalchemy"):
        return None
    from sqlalchemy.exc import DatabaseError, OperationalError

    # IntegrityError, ProgrammingError... are DatabaseErrors too, but they are pubdb's bugs.
    if not isinstance(exc, OperationalError) and type(exc) is not DatabaseError:
        return None
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    try:
        from pubdb.store import database_url, describe

        where = describe(database_url(ctx.obj.location))
    except Exception:  # the location itself is the trouble: say what we know
        where = "database"
    return f"{where}: database error: {reason}"


class AppContext:
    """What every command gets: the database location, opened on first use."""

    def __init__(self, db_option: str | None) -> None:
        self.db_option = db_option
        self._store: Any = None

    @property
    def location(self) -> str:
        from pubdb.config import resolve_db_location

        return resolve_db_location(self.db_option)

    def store(self) -> Any:
        """The open, migrated :class:`pubdb.store.Store`."""
        if self._store is None:
            from pubdb.store import open_store

            self._store = open_store(self.location)
            _startup_done()
            if self._store.backup is not None:
                # Opening upgraded an older schema; say where the copy of the old file is.
                click.echo(f"backup: {self._store.backup}", err=True)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None


pass_app = click.make_pass_decorator(AppContext)


def check_query_terms(ctx: click.Context, query: tuple[str, ...]) -> None:
    """For commands whose QUERY passes unknown options through (so `-year:2020` reaches it):
    a lone `-h` still shows help, and anything still looking like a long option is a typo."""
    if "-h" in query:
        click.echo(ctx.get_help())
        ctx.exit()
    for term in query:
        if term.startswith("--"):
            raise click.NoSuchOption(term.split("=", 1)[0], ctx=ctx)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_option",
    metavar="PATH_OR_URL",
    help="Database: a SQLite file path or a SQLAlchemy URL "
    "(default: $PUBDB_DB, else pubdb.sqlite in the user's application folder).",
)
@click.version_option(__version__, prog_name="pubdb", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, db_option: str | None) -> None:
    """pubdb: your publications in one database, exported as a CV list or clean BibTeX."""
    app = AppContext(db_option)
    ctx.obj = app
    ctx.call_on_close(app.close)


# True while a `pubdb` process started by ``main`` is starting up (see there).
_starting = False


def main() -> None:
    """The `pubdb` console script.

    Start-up (importing click and SQLAlchemy, opening the database) creates ~70,000 objects
    the cyclic garbage collector tracks, all alive until the process exits. The collector would
    scan them again and again while they are created, and once more at exit: ~50 ms of the
    ~300 ms `pubdb list` took. So collection is paused until the database is open; then all
    that is moved out of the collector's sight (``gc.freeze``) and the command's own work runs
    with the collector on. (Only the console script does this: a program calling ``cli``
    itself, such as the tests, keeps its collector as it is.)
    """
    global _starting
    if gc.isenabled():
        _starting = True
        gc.disable()
    cli(prog_name="pubdb")


def _startup_done() -> None:
    """The database is open: start-up is over (see ``main``)."""
    global _starting
    if _starting:
        _starting = False
        gc.freeze()
        gc.enable()
