"""`pubdb owner`, `pubdb mark`, `pubdb award`, `pubdb tag`: the annotations a CV needs.

Each command runs one service function from ``pubdb.owner`` / ``pubdb.annotate`` in one
transaction and prints what it changed (stdout); hints go to stderr.
"""

from __future__ import annotations

import click

from pubdb.cli import AppContext, pass_app


def _papers(n: int) -> str:
    return f"{n} paper" + ("" if n == 1 else "s")


# --------------------------------------------------------------------------------------------
# owner
# --------------------------------------------------------------------------------------------


@click.group()
def owner() -> None:
    """Who the CV belongs to: the author shown in bold."""


@owner.command("set")
@click.argument("name")
@click.option(
    "--variant",
    "variants",
    multiple=True,
    metavar="V",
    help='Another spelling to highlight, e.g. with initials ("Liu, Z."); repeatable. '
    "Replaces the variants set before.",
)
@click.option(
    "--author-id",
    type=int,
    metavar="ID",
    help="Choose this author record when several match NAME (ids are listed by `owner set`).",
)
@pass_app
def owner_set(app: AppContext, name: str, variants: tuple[str, ...], author_id: int | None) -> None:
    """Set the owner (NAME) and the spellings that are also them."""
    from pubdb.owner import set_owner

    with app.store().transaction() as session:
        result = set_owner(session, name, variants, author_id=author_id)
    made = " (new author record; imports will link to it)" if result.created_author else ""
    click.echo(f"owner: {result.owner.describe()}{made}")
    if result.previous is not None and result.previous != result.owner.name:
        click.echo(f"was: {result.previous}")
    click.echo("variants: " + ("; ".join(result.variants) or "none"))
    if result.variants_added:
        click.echo("variants added: " + "; ".join(result.variants_added))
    if result.variants_removed:
        click.echo("variants removed: " + "; ".join(result.variants_removed))
    click.echo("highlighted: " + (", ".join(c.describe() for c in result.highlighted) or "none"))
    if not result.changed:
        click.echo("nothing changed")
    if result.others:
        click.echo(
            f"note: chose #{result.owner.id} {result.owner.name}; also compatible with "
            f"{name!r}: " + ", ".join(c.describe() for c in result.others),
            err=True,
        )
        click.echo(
            f"  choose another with `pubdb owner set {name!r} --author-id ID`, or highlight one "
            "as well with `--variant` and its spelling",
            err=True,
        )


@owner.command("show")
@pass_app
def owner_show(app: AppContext) -> None:
    """Show the owner, their variants and the author records highlighted as them."""
    from pubdb.owner import show_owner

    with app.store().transaction(write=False) as session:
        info = show_owner(session)
    if info.owner is None:
        click.echo("no owner set (pubdb owner set NAME)")
        return
    click.echo(f"owner: {info.owner.name} (#{info.owner.id})")
    click.echo("variants: " + ("; ".join(info.variants) or "none"))
    click.echo("author records: " + ", ".join(c.describe() for c in info.highlighted))
    click.echo(f"papers: {info.papers}")
    for variant in info.unmatched_variants:
        click.echo(f"note: variant {variant!r} matches no author yet", err=True)


# --------------------------------------------------------------------------------------------
# mark
# --------------------------------------------------------------------------------------------


@click.command()
@click.argument("args", nargs=-1, required=True, metavar="[KEY] AUTHOR")
@click.option("--student", is_flag=True, help="Student (mentee of the owner) co-author.")
@click.option("--equal", is_flag=True, help="Equal contribution.")
@click.option("--corresponding", is_flag=True, help="Corresponding author.")
@click.option("--clear", is_flag=True, help="Remove the marks instead of setting them.")
@click.option(
    "--all-papers",
    is_flag=True,
    help="Mark AUTHOR on every paper (no KEY); only with --student.",
)
@click.option("--from-year", type=int, metavar="Y", help="With --all-papers: papers from year Y.")
@click.option("--to-year", type=int, metavar="Y", help="With --all-papers: papers up to year Y.")
@pass_app
def mark(
    app: AppContext,
    args: tuple[str, ...],
    student: bool,
    equal: bool,
    corresponding: bool,
    clear: bool,
    all_papers: bool,
    from_year: int | None,
    to_year: int | None,
) -> None:
    """Mark an author of a paper as student, equal contribution or corresponding.

    AUTHOR is any spelling or part of one (accents and case do not matter), or the author's
    position in the list. `--all-papers AUTHOR --student [--from-year Y] [--to-year Y]` marks
    a mentee on every paper of a period.
    """
    from pubdb.annotate import mark_all_papers, mark_paper

    marks = [m for m, on in (("student", student), ("equal", equal)) if on]
    if corresponding:
        marks.append("corresponding")
    if not marks:
        raise click.UsageError("give at least one of --student, --equal, --corresponding")
    if all_papers:
        if len(args) != 1:
            raise click.UsageError("--all-papers takes AUTHOR only (no KEY)")
        if marks != ["student"]:
            raise click.UsageError("--all-papers marks --student only")
    else:
        if len(args) != 2:
            raise click.UsageError("give KEY and AUTHOR (or --all-papers AUTHOR)")
        if from_year is not None or to_year is not None:
            raise click.UsageError("--from-year/--to-year go with --all-papers")
    with app.store().transaction() as session:
        if all_papers:
            result = mark_all_papers(
                session, args[0], marks, clear=clear, from_year=from_year, to_year=to_year
            )
        else:
            result = mark_paper(session, args[0], args[1], marks, clear=clear)
    for change in result.changes:
        if change.after:
            state = "set" if change.changed else "already set"
        else:
            state = "cleared" if change.changed else "was not set"
        click.echo(f"{change.key}: {change.position}. {change.author}: {change.mark} {state}")
    if all_papers:
        papers = len({c.key for c in result.changes})
        click.echo(
            f"{result.author}: {_papers(papers)}, {result.changed} mark"
            f"{'' if result.changed == 1 else 's'} changed"
        )
    elif not result.changed:
        click.echo("nothing changed")
    if result.skipped_no_year:
        click.echo(
            "note: skipped papers without a year: " + ", ".join(result.skipped_no_year), err=True
        )
    for other in result.others:
        click.echo(
            f"note: {other} may be the same person and was not marked; mark that spelling too "
            "if it is",
            err=True,
        )


# --------------------------------------------------------------------------------------------
# award
# --------------------------------------------------------------------------------------------


@click.group()
def award() -> None:
    """Awards of papers and the CV's award summary line."""


@award.command("add")
@click.argument("key")
@click.argument("text")
@click.option("--year", type=int, metavar="Y", help="The year of the award (default: the paper's).")
@pass_app
def award_add(app: AppContext, key: str, text: str, year: int | None) -> None:
    """Give paper KEY the award TEXT ("Best Paper Award")."""
    from pubdb.annotate import add_award

    with app.store().transaction() as session:
        change = add_award(session, key, text, year)
    year_text = f" ({change.year})" if change.year else ""
    if change.action == "added":
        click.echo(f"{change.key}: added award {change.text!r}{year_text}")
    elif change.action == "updated":
        before = change.previous_year or "no year"
        click.echo(f"{change.key}: award {change.text!r} year {before} -> {change.year}")
    else:
        click.echo(f"{change.key}: already has award {change.text!r}{year_text}; nothing changed")


@award.command("rm")
@click.argument("key")
@click.argument("text", required=False)
@pass_app
def award_rm(app: AppContext, key: str, text: str | None) -> None:
    """Remove award TEXT from paper KEY (every award of KEY without TEXT)."""
    from pubdb.annotate import remove_awards

    with app.store().transaction() as session:
        changes = remove_awards(session, key, text)
    if not changes:
        click.echo(f"{key}: has no awards; nothing changed")
    for change in changes:
        click.echo(f"{change.key}: removed award {change.text!r}")


@award.command("list")
@pass_app
def award_list(app: AppContext) -> None:
    """List every award, newest first, and the CV summary line per award."""
    from pubdb.annotate import list_awards

    with app.store().transaction(write=False) as session:
        listing = list_awards(session)
    if not listing.rows:
        click.echo("no awards")
        return
    venue_width = max(len(row.venue) for row in listing.rows)
    key_width = max(len(row.key) for row in listing.rows)
    for row in listing.rows:
        year = str(row.year) if row.year else "----"
        click.echo(f"{year}  {row.venue:<{venue_width}}  {row.key:<{key_width}}  {row.text}")
    click.echo("")
    for group in listing.groups:
        click.echo(group.line)


# --------------------------------------------------------------------------------------------
# tag
# --------------------------------------------------------------------------------------------


@click.group()
def tag() -> None:
    """Tags of papers, their section titles and order."""


@tag.command("add")
@click.argument("key")
@click.argument("tags", nargs=-1, required=True, metavar="TAG...")
@pass_app
def tag_add(app: AppContext, key: str, tags: tuple[str, ...]) -> None:
    """Tag paper KEY with each TAG (new tags are created)."""
    from pubdb.annotate import add_tags

    with app.store().transaction() as session:
        changes = add_tags(session, key, tags)
    for change in changes:
        if change.changed:
            new = " (new tag)" if change.created else ""
            click.echo(f"{change.key}: tagged {change.tag}{new}")
        else:
            click.echo(f"{change.key}: already tagged {change.tag}")


@tag.command("rm")
@click.argument("key")
@click.argument("tags", nargs=-1, required=True, metavar="TAG...")
@pass_app
def tag_rm(app: AppContext, key: str, tags: tuple[str, ...]) -> None:
    """Remove each TAG from paper KEY."""
    from pubdb.annotate import remove_tags

    with app.store().transaction() as session:
        changes = remove_tags(session, key, tags)
    for change in changes:
        if change.changed:
            gone = " (tag deleted: no papers left)" if change.deleted else ""
            click.echo(f"{change.key}: untagged {change.tag}{gone}")
        else:
            click.echo(f"{change.key}: was not tagged {change.tag}")


@tag.command("list")
@pass_app
def tag_list(app: AppContext) -> None:
    """List tags with their order, paper counts and section titles."""
    from pubdb.annotate import list_tags

    with app.store().transaction(write=False) as session:
        tags = list_tags(session)
    if not tags:
        click.echo("no tags")
        return
    name_width = max(len(t.name) for t in tags)
    count_width = max(len(str(t.papers)) for t in tags)
    for info in tags:
        order = str(info.position) if info.position is not None else "-"
        line = f"{order:>3}  {info.name:<{name_width}}  {info.papers:>{count_width}}  {info.title}"
        click.echo(line.rstrip())


@tag.command("title")
@click.argument("name", metavar="TAG")
@click.argument("text")
@pass_app
def tag_title(app: AppContext, name: str, text: str) -> None:
    """Set the section title a grouped export prints for TAG ("" removes it)."""
    from pubdb.annotate import set_tag_title

    with app.store().transaction() as session:
        change = set_tag_title(session, name, text)
    if change.before == change.after:
        click.echo(f"{change.tag}: title already {change.after!r}; nothing changed")
    else:
        was = f" (was {change.before!r})" if change.before else ""
        click.echo(f"{change.tag}: title {change.after!r}{was}")


@tag.command("order")
@click.argument("names", nargs=-1, required=True, metavar="TAG...")
@pass_app
def tag_order(app: AppContext, names: tuple[str, ...]) -> None:
    """Set the order of grouped export's sections: TAG... first, in this order."""
    from pubdb.annotate import order_tags

    with app.store().transaction() as session:
        result = order_tags(session, names)
    click.echo("section order: " + ", ".join(result.after))
    if result.before == result.after:
        click.echo("nothing changed")
    elif result.before:
        click.echo("was: " + ", ".join(result.before))
