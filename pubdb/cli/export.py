"""`pubdb export [QUERY]...`: write the matching papers as a CV list, CSL-JSON or BibTeX."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import click

from pubdb.cli import AppContext, check_query_terms

# Kept equal to pubdb.render's tuples by a test (importing pubdb.render here would load Jinja2
# just to print `pubdb export --help`).
FORMATS = ("bibtex", "markdown", "latex", "html", "text", "csl-json")
STYLES = ("cv", "plain")
GROUP_BY = ("none", "year", "type", "tag")
NUMBERING = ("forward", "reverse", "continuous", "none")
ORDERS = ("year", "date")

EXPORT_HELP = """\
Write papers as a CV list (markdown, latex, html, text), CSL-JSON or BibTeX.

QUERY selects the papers (all papers when none is given).

\b
Formats: bibtex (clean entries; import reads them back unchanged), markdown, latex
(an enumerate per group; --standalone for a whole document), html (a fragment with
classes pub-list, pub, author owner, title, venue, award), text, csl-json (pandoc
citeproc, Zotero).

\b
The cv style is the CV form: owner in bold, * student co-author, † equal contribution,
‡ corresponding author, venue shorthand (SIGMOD'24, XLOOP@SC'21), awards; plain is a
compact list without them. --group-by tag makes one section per tag, titled and ordered
with `pubdb tag title` / `pubdb tag order`. Within a group papers go newest year first,
in import order within a year (--order date: by month, then title). --template FILE
renders your own Jinja2 template with the same `document` (see the README).

\b
Query terms are those of `pubdb list`, e.g. tag:ml-systems year:2019.. -venue:arXiv.
"""


@click.command(
    "export",
    help=EXPORT_HELP,
    context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]},
)
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="markdown", show_default=True,
    help="Output format (see above).",
)  # fmt: skip
@click.option(
    "--style", type=click.Choice(STYLES), default="cv", show_default=True,
    help="cv: the CV form with marks and awards; plain: a compact list.",
)  # fmt: skip
@click.option(
    "--group-by", type=click.Choice(GROUP_BY), default="none", show_default=True,
    help="Sections: none, one per year, per kind (journal, conference...) or per tag.",
)  # fmt: skip
@click.option(
    "--numbering", type=click.Choice(NUMBERING), default="forward", show_default=True,
    help="Restart at 1 per group (forward), count down (reverse), run on (continuous), none.",
)  # fmt: skip
@click.option(
    "--order", type=click.Choice(ORDERS), default="year", show_default=True,
    help="Within a group: newest year first in import order (year), or by date and title.",
)  # fmt: skip
@click.option("--highlight", metavar="AUTHOR", help="Bold this author instead of the owner.")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Your own Jinja2 template (markdown, latex, html or text escaping).",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), metavar="FILE",
    help="Write to FILE (replaced whole, never half-written) instead of standard output.",
)  # fmt: skip
@click.option("--latex-escape", is_flag=True, help="bibtex: write ASCII LaTeX, not UTF-8.")
@click.option("--standalone", is_flag=True, help="latex/html: a whole document, not a fragment.")
@click.pass_context
def export(
    ctx: click.Context,
    query: tuple[str, ...],
    fmt: str,
    style: str,
    group_by: str,
    numbering: str,
    order: str,
    highlight: str | None,
    template: Path | None,
    output: Path | None,
    latex_escape: bool,
    standalone: bool,
) -> None:
    check_query_terms(ctx, query)
    from pubdb.export_service import ExportOptions, export

    options = ExportOptions(
        fmt=fmt,
        style=style,
        group_by=group_by,
        numbering=numbering,
        order=order,
        highlight=highlight,
        template=template,
        latex_escape=latex_escape,
        standalone=standalone,
    )
    app = ctx.find_object(AppContext)
    assert app is not None
    with app.store().transaction(write=False) as session:
        text = export(session, query, options)
    if output is None:
        _echo_or_fail(text)
    else:
        write_atomically(output, text)
        click.echo(f"wrote {output}", err=True)


def _echo_or_fail(text: str) -> None:
    """Print to standard output; a full disk or closed output is one error line, exit 1."""
    import sys

    from pubdb.errors import InputError

    try:
        click.echo(text, nl=False)
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # click exits quietly: the reader (`| head`) stopped on purpose
    except OSError as exc:
        try:  # what is still buffered must not fail again at exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass  # not a real file (a test runner's buffer)
        raise InputError(f"cannot write to standard output: {exc.strerror or exc}") from exc


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to a temporary file beside ``path``, then rename it over it.

    On any failure the temporary file is removed and ``path`` is as it was. A symbolic link is
    written through (its target is replaced, the link stays); a device or pipe that already
    exists (``/dev/stdout``, a FIFO) cannot be renamed over and is written directly; a folder
    is an error.
    """
    from pubdb.errors import InputError

    def fail(exc: OSError) -> InputError:
        return InputError(f"cannot write: {exc.strerror or exc}", path=str(path))

    try:
        mode = path.stat().st_mode if path.exists() else None
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
    except OSError as exc:
        raise fail(exc) from exc
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError("is a folder; give a file name", path=str(path))
    special = str(path.absolute()).startswith(("/dev/", "/proc/"))  # /dev/stdout, /dev/fd/3
    if special or (mode is not None and not stat.S_ISREG(mode)):
        try:
            with open(path, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
        except OSError as exc:
            raise fail(exc) from exc
        return
    directory = target.parent if str(target.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise fail(exc) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, stat.S_IMODE(mode) if mode is not None else _new_file_mode())
        os.replace(temp, target)
    except BaseException as exc:  # an interrupt, too, must not leave the temporary file
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise fail(exc) from exc
        raise


def _new_file_mode() -> int:
    """What a new file gets under the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
