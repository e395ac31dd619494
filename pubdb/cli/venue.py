"""`pubdb venue`: list venues with paper counts, show one, add one, alias a text, merge two.

Each command runs one function of ``pubdb.venue_service`` in one transaction and prints the
result (stdout); notes go to stderr.
"""

from __future__ import annotations

import click

from pubdb.cli import AppContext, pass_app
from pubdb.model import VENUE_KINDS


def _papers(n: int) -> str:
    return f"{n} paper" + ("" if n == 1 else "s")


@click.group()
def venue() -> None:
    """Venues: list them with paper counts, show one, add one, alias a text, merge two."""


@venue.command("list")
@click.option(
    "--kind",
    type=click.Choice(VENUE_KINDS),
    help="Only venues of this kind.",
)
@pass_app
def venue_list(app: AppContext, kind: str | None) -> None:
    """List the venues in the database with their paper counts, most papers first."""
    from pubdb.venue_service import list_venues

    with app.store().transaction(write=False) as session:
        rows = list_venues(session, kind=kind)
    if not rows:
        return
    labels = [f"{r.short}@{r.parent}" if r.parent else r.short for r in rows]
    width = min(max(len(label) for label in labels), 24)
    kind_width = max(len(r.kind) for r in rows)
    count_width = max(len(str(r.papers)) for r in rows)
    for label, row in zip(labels, rows, strict=True):
        click.echo(
            f"{label:<{width}}  {row.kind:<{kind_width}}  {row.papers:>{count_width}}  {row.name}"
        )


@venue.command("show")
@click.argument("name", metavar="V")
@pass_app
def venue_show(app: AppContext, name: str) -> None:
    """Show venue V (short name, XLOOP@SC, full name or alias): kind, parent, aliases, papers."""
    from pubdb.venue_service import show_venue

    with app.store().transaction(write=False) as session:
        details = show_venue(session, name)
    click.echo(f"{details.short}: {details.name}")
    click.echo(f"kind: {details.kind}" + (" (from the registry)" if details.from_registry else ""))
    if details.parent:
        click.echo(f"parent: {details.parent}")
    if details.workshops:
        click.echo("workshops: " + ", ".join(details.workshops))
    if details.aliases:
        click.echo(f"aliases ({len(details.aliases)}):")
        for text, by_user in details.aliases:
            click.echo(f"  {text}" + ("  [yours]" if by_user else ""))
    click.echo(f"papers ({len(details.papers)}):")
    for key, year, title, short in details.papers:
        click.echo(f"  {key}  {short}  {title}" if year else f"  {key}  {title}")


@venue.command("add")
@click.argument("short")
@click.option("--name", required=True, metavar="N", help="Full name of the venue.")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(VENUE_KINDS),
    help="What the venue is.",
)
@click.option(
    "--parent",
    metavar="P",
    help="The venue a workshop is held with (short name), e.g. SC for XLOOP.",
)
@pass_app
def venue_add(app: AppContext, short: str, name: str, kind: str, parent: str | None) -> None:
    """Add venue SHORT; imports that write its full name resolve to it."""
    from pubdb.venue_service import add_venue

    with app.store().transaction() as session:
        added = add_venue(session, short, name=name, kind=kind, parent=parent)
        parent_short = added.parent.short if added.parent is not None else None
        label = f"{added.short}@{parent_short}" if parent_short else added.short
        click.echo(f"added venue {label}: {added.name} ({added.kind})")


@venue.command("alias")
@click.argument("text")
@click.argument("short")
@pass_app
def venue_alias(app: AppContext, text: str, short: str) -> None:
    """Make TEXT mean venue SHORT and move the papers whose venue text it matches."""
    from pubdb.venue_service import alias_venue

    with app.store().transaction() as session:
        result = alias_venue(session, text, short)
    click.echo(f"alias: {result.text!r} -> {result.venue}")
    if result.previous:
        click.echo(f"(it meant {result.previous} before)")
    click.echo(
        f"moved {_papers(len(result.moved))} to {result.venue}"
        + (": " + ", ".join(result.moved) if result.moved else "")
    )
    if result.removed:
        click.echo(
            f"removed {', '.join(result.removed)} (made by import from these texts, now empty); "
            f"its aliases now mean {result.venue}"
        )
    if result.kept:
        click.echo(
            f"note: {_papers(len(result.kept))} kept their venue because an abbr/shortjournal "
            "field names it: " + ", ".join(result.kept),
            err=True,
        )


@venue.command("merge")
@click.argument("keep", metavar="A")
@click.argument("other", metavar="B")
@pass_app
def venue_merge(app: AppContext, keep: str, other: str) -> None:
    """Merge venue B into A (the same venue): B's papers, aliases and workshops move to A."""
    from pubdb.venue_service import merge_venues

    with app.store().transaction() as session:
        result = merge_venues(session, keep, other)
    click.echo(
        f"merged {result.removed} into {result.kept}: {_papers(result.papers)} moved, "
        f"{result.aliases} alias(es) kept, {result.workshops} workshop(s) re-parented; "
        f"{result.removed} is now an alias of {result.kept}"
    )
