"""`pubdb import FILE...`: read .bib files into the database and print what happened."""

from __future__ import annotations

import sys
from typing import IO, Any

import click

from pubdb.cli import AppContext, pass_app

# A file this large (about 2,500 entries) gets a progress bar when stderr is a terminal.
PROGRESS_MIN_CHARS = 1_000_000


class ProgressBars:
    """A progress bar on ``file`` for each input of at least ``PROGRESS_MIN_CHARS``
    characters, advanced as the import stores each part of it (``import_files``'s
    ``progress``). Used as a context manager: the last bar is closed at the end."""

    def __init__(self, file: IO[str]) -> None:
        self.file = file
        self.bar: Any = None
        self.path: str | None = None
        self.shown = 0

    @property
    def visible(self) -> bool:
        """Whether bars go out at all: only to a terminal."""
        return self.file.isatty()

    def __call__(self, path: str, position: int, size: int) -> None:
        if size < PROGRESS_MIN_CHARS:
            return
        if path != self.path:
            self.close()
            self.bar = click.progressbar(length=size, label=path, file=self.file).__enter__()
            self.path, self.shown = path, 0
        self.bar.update(position - self.shown)
        self.shown = position

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar, self.path = None, None

    def __enter__(self) -> ProgressBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@click.command("import")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--tag", "tags", multiple=True, metavar="T", help="Add tag T to every entry read.")
@click.option(
    "--on-duplicate",
    type=click.Choice(["merge", "skip", "keep"]),
    default="merge",
    show_default=True,
    help="What to do with an entry that is surely a paper already in the database.",
)
@click.option("--encoding", metavar="E", help="Read the files in encoding E (default: detect).")
@click.option("--dry-run", is_flag=True, help="Print the report but write nothing.")
@click.option("--strict", is_flag=True, help="Any failed entry aborts the whole import.")
@pass_app
def import_(
    app: AppContext,
    files: tuple[str, ...],
    tags: tuple[str, ...],
    on_duplicate: str,
    encoding: str | None,
    dry_run: bool,
    strict: bool,
) -> None:
    """Import .bib files (`-` is standard input); report what was added or merged."""
    from pubdb.importing import ImportInput, import_files

    inputs = [
        # Standard input as bytes: its encoding is detected like a file's (text would carry
        # undecodable bytes as surrogates, which nothing downstream can store).
        ImportInput(path="-", data=sys.stdin.buffer.read())
        if name == "-"
        else ImportInput(path=name)
        for name in files
    ]
    store = app.store()
    with (
        ProgressBars(sys.stderr) as bars,
        store.transaction(rollback=dry_run) as session,
    ):
        report = import_files(
            session,
            inputs,
            tags=tags,
            on_duplicate=on_duplicate,  # type: ignore[arg-type]
            encoding=encoding,
            strict=strict,
            progress=bars if bars.visible else None,
            dry_run=dry_run,
        )
    for line in render_report(report, dry_run=dry_run):
        click.echo(line)
    for file_report in report.files:
        for problem in file_report.warnings:
            click.echo(f"warning: {_where(problem)}{problem.reason}", err=True)
        for problem in file_report.failed:
            click.echo(f"failed: {_where(problem)}{problem.reason}", err=True)


def _where(problem) -> str:  # type: ignore[no-untyped-def]
    return f"{problem.path}:{problem.line}: " if problem.line else f"{problem.path}: "


def render_report(report, *, dry_run: bool) -> list[str]:  # type: ignore[no-untyped-def]
    """The import report as lines for a person (stdout)."""
    lines = []
    for file_report in report.files:
        counts = [
            f"{len(file_report.added)} added",
            f"{len(file_report.merged)} merged",
            f"{len(file_report.skipped)} skipped",
            f"{len(file_report.unchanged)} unchanged",
            f"{len(file_report.failed)} failed",
        ]
        encoding = (
            "" if file_report.encoding in ("utf-8", "utf-8-sig") else (f" [{file_report.encoding}]")
        )
        lines.append(
            f"{file_report.path}{encoding}: {file_report.entries} entries: " + ", ".join(counts)
        )
        for entry in file_report.merged:
            lines.append(f"  merged {entry.key} into {entry.into}: {'; '.join(entry.reasons)}")
        for entry in file_report.skipped:
            lines.append(f"  skipped {entry.key}, same as {entry.into}: {'; '.join(entry.reasons)}")
        for possible in file_report.possible:
            lines.append(
                f"  possible duplicate: {possible.key} ~ {possible.other} "
                f"(score {possible.score:.0f}): {'; '.join(possible.reasons)}"
            )
        for old, new in file_report.renamed:
            lines.append(f"  key {old} is taken by another paper: imported as {new}")
    if dry_run:
        lines.append("dry run: nothing was written")
    return lines
