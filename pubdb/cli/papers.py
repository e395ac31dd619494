"""`pubdb list` and `pubdb show`: query papers, and show one paper in full."""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
import os
import re
import shutil
import sys
import textwrap
import unicodedata
from collections.abc import Sequence
from typing import Any

import click

from pubdb.cli import AppContext, check_query_terms, pass_app

# Kept equal to pubdb.query.SORTS by a test (importing pubdb.query here would load SQLAlchemy
# just to print `pubdb list --help`).
SORTS = ("-year", "year", "title", "venue", "key")
FORMATS = ("table", "keys", "json")
MARKS = (("student", "*", "student"), ("equal", "†", "equal contribution"))
MARKS += (("corresponding", "✉", "corresponding author"),)
GAP = "  "

LIST_HELP = """\
List papers matching a query: terms are ANDed, e.g. venue:SIGMOD year:2019..2021 author:kraska.

\b
Terms (a leading - negates one: -venue:arXiv):
  venue:SIGMOD      short name, full name or alias; venue:SC+ adds SC's workshops
  year:2024         also year:2019..2021, year:2019.., year:..2018
  author:kraska     an author, any stored spelling; accents and case do not matter
  owner:first       the owner is the first author (owner:last, owner: = any position)
  type:article      the entry type
  tag:ml-systems    a tag (tag: = any tag)
  award:best        an award whose text contains the value (award: = any award)
  student:          a student co-author (student:liu = that student)
  key:KEY           the cite key or any former key (the value may contain colons)
  doi:DOI           the DOI in any written form (doi: = has a DOI); arxiv:ID likewise
  title:WORD        a title word; a bare word does the same
  learn             title words starting with "learn"; '"learned index"' whole words

\b
Each argument is one term, so shell quotes group words: author:"van Renen". An argument
with double quotes inside, or several field: terms, is split like a search box:
'venue:SC year:2021 "edge computing"'. Empty results print nothing (exit 0); a malformed
query prints one line and exits 1. -h alone shows this help.
"""


@click.command(
    "list",
    help=LIST_HELP,
    context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]},
)
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--sort",
    type=click.Choice(SORTS),
    default="-year",
    show_default=True,
    help="Order: newest first (-year), oldest first (year), title, venue or key; ties by key.",
)
@click.option("--limit", type=click.IntRange(min=0), metavar="N", help="Show at most N papers.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table (fits the terminal), keys (one cite key a line) or json (full records).",
)
@click.pass_context
def list_papers(
    ctx: click.Context, query: tuple[str, ...], sort: str, limit: int | None, fmt: str
) -> None:
    check_query_terms(ctx, query)
    from pubdb.papers import paper_records, search, search_rows

    app = ctx.find_object(AppContext)
    assert app is not None
    # A Core connection: the table and keys never load the ORM (start-up time).
    with app.store().connect() as conn:
        if fmt == "table":
            rows = search_rows(conn, query, sort=sort, limit=limit)
            if rows:
                click.echo("\n".join(format_table(terminal_safe(rows), table_width())))
            return
        found = search(conn, query, sort=sort, limit=limit)
        if not found:
            return
        if fmt == "keys":
            click.echo(terminal_safe("\n".join(key for _, key in found)))
            return
        records = paper_records(conn, [paper_id for paper_id, _ in found])
    click.echo(json.dumps(records, ensure_ascii=False, indent=2))


# ------------------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------------------


def _cells(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def display_width(text: str) -> int:
    """Terminal cells: wide East Asian characters take two, combining marks none."""
    return len(text) if text.isascii() else sum(_cells(ch) for ch in text)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in an ellipsis when cut."""
    if display_width(text) <= width:
        return text
    used = 0
    for index, ch in enumerate(text):
        used += _cells(ch)
        if used > width - 1:
            return text[:index].rstrip() + "…"
    return text


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


Segments = list[tuple[str, bool]]


def _segments(row: Any, shown: Sequence[int]) -> Segments:
    """(text, is owner) pieces for the authors at ``shown``; gaps become "…", and "et al."
    ends a list that goes on."""
    authors = row.authors
    segments: Segments = []
    previous = -1
    for index in shown:
        if segments:
            segments.append((", ", False))
        if index != previous + 1:
            segments.append(("…, ", False))
        segments.append((authors[index].short, authors[index].owner))
        previous = index
    if previous < len(authors) - 1 or row.et_al:
        segments.append((" et al.", False))
    return segments


def author_forms(row: Any) -> list[Segments]:
    """Ways to show a row's authors, best first: when the owner is further down than third,
    the first two, "…" and the owner; always the first three."""
    count = len(row.authors)
    owner_at = next((i for i, a in enumerate(row.authors) if a.owner), None)
    first = _segments(row, range(min(3, count)))
    if owner_at is not None and owner_at >= 3:
        return [_segments(row, [0, 1, owner_at]), first]
    return [first]


def plain_text(segments: Segments) -> str:
    return "".join(text for text, _ in segments)


def fit_authors(forms: list[Segments], width: int) -> Segments:
    """The first form that fits ``width`` whole; else the last (the first authors, to cut)."""
    for form in forms:
        if display_width(plain_text(form)) <= width:
            return form
    return forms[-1]


def _styled(segments: Segments, width: int) -> tuple[str, int]:
    """Segments cut to ``width`` cells with the owner in bold; returns (text, cells used)."""
    plain = clip("".join(text for text, _ in segments), width)
    out: list[str] = []
    used = 0
    for text, bold in segments:
        piece = plain[used : used + len(text)]
        if not piece:
            break
        out.append(click.style(piece, bold=True) if bold else piece)
        used += len(piece)
    if used < len(plain):
        out.append(plain[used:])
    return "".join(out), display_width(plain)


def format_table(rows: Sequence[Any], width: int | None) -> list[str]:
    """One line per paper: key, year, venue, first authors (owner in bold), title.

    The title gets at least 30% of ``width`` (at least 20 cells) and everything the other
    columns leave; when space is short the venue column goes first (12 cells fit
    ``XLOOP@SC'21``), then the authors down to 16 cells, then long cite keys, then the
    authors again. Cut texts end in an ellipsis; ``width=None`` cuts nothing.
    """
    authors = [author_forms(row) for row in rows]
    widths = {
        "key": min(max(display_width(row.key) for row in rows), 28),
        "venue": min(max(display_width(row.venue) for row in rows), 14),
        "author": min(max(display_width(plain_text(forms[0])) for forms in authors), 28),
    }
    year_w = 4

    def title_room() -> int:
        assert width is not None
        return width - year_w - sum(widths.values()) - 4 * len(GAP)

    if width is not None:
        budget = width - year_w - 4 * len(GAP) - max(20, width * 3 // 10)
        if sum(widths.values()) > budget:
            venue = min(widths["venue"], 12)
            author_floor = min(widths["author"], 16)
            key = min(widths["key"], max(12, budget - venue - author_floor))
            author = max(8, min(widths["author"], budget - venue - key))
            if venue + key + author > budget:  # very narrow: everything near its floor
                venue = min(venue, 8)
                key = min(key, max(8, budget - venue - author))
            widths = {"key": key, "venue": venue, "author": author}
    title_w = max(title_room(), 10) if width is not None else None
    lines = []
    for row, forms in zip(rows, authors, strict=True):
        names, used = _styled(fit_authors(forms, widths["author"]), widths["author"])
        year = str(row.year) if row.year is not None else ""
        cells = [
            pad(clip(row.key, widths["key"]), widths["key"]),
            pad(year, year_w),
            pad(clip(row.venue, widths["venue"]), widths["venue"]),
            names + " " * (widths["author"] - used),
            clip(row.title, title_w) if title_w is not None else row.title,
        ]
        lines.append(GAP.join(cells).rstrip())
    return lines


def table_width() -> int | None:
    """The terminal's width; ``$COLUMNS`` wins; None (no cutting) when stdout is no terminal."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size(fallback=(100, 24)).columns


# ------------------------------------------------------------------------------------------
# show
# ------------------------------------------------------------------------------------------


@click.command()
@click.argument("key")
@pass_app
def show(app: AppContext, key: str) -> None:
    """Show one paper in full: fields, authors with marks, venue, awards, tags, aliases, sources.

    KEY is the paper's cite key or any key it had before (case does not matter).
    """
    from pubdb.papers import find_paper_id, paper_details

    # A Core connection: the ORM loads only for a paper merged from several sources.
    with app.store().connect() as conn:
        paper_id = find_paper_id(conn, key)
        details = terminal_safe(paper_details(conn, paper_id))
        conflicts: list[Any] = []
        if len(details["sources"]) > 1:  # a single source disagrees with nothing
            from sqlalchemy.orm import Session

            from pubdb.dedup_service import paper_conflicts

            # Where the merged sources disagree: the kept value and what each other one says.
            with Session(bind=conn) as session:  # in the connection's transaction
                conflicts = terminal_safe(paper_conflicts(session, paper_id))
    width = shutil.get_terminal_size(fallback=(100, 24)).columns
    lines = format_details(details, width)
    if conflicts:
        from pubdb.cli.dedup import conflict_lines

        lines += conflict_lines(conflicts, LABEL)
    click.echo("\n".join(lines))


LABEL = 13
# C0/C1 control characters other than the line breaks we print ourselves, and DEL: data from a
# .bib must not move the cursor or recolour the terminal (ANSI escapes start with ESC).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def terminal_safe(data: Any) -> Any:
    """``data`` (text, or rows, dicts and lists of it) with control characters from the .bib
    written as ``\\xNN`` escapes; applied before we add our own styling escapes.

    Whatever needs no escape comes back as the same object (a long list copies nothing).
    """
    if isinstance(data, str):
        return _CONTROL.sub(_escape, data) if _CONTROL.search(data) else data
    if data is None or isinstance(data, int | float):
        return data
    if isinstance(data, dict):
        values = {key: terminal_safe(value) for key, value in data.items()}
        return data if all(values[key] is data[key] for key in data) else values
    if isinstance(data, list | tuple):
        items = [terminal_safe(value) for value in data]
        return data if all(map(operator.is_, items, data)) else type(data)(items)
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        changes = {}
        for name in _field_names(type(data)):
            value = getattr(data, name)
            safe = terminal_safe(value)
            if safe is not value:
                changes[name] = safe
        return dataclasses.replace(data, **changes) if changes else data
    return data


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_PLAIN_FIELDS = (
    ("month", "month"),
    ("volume", "volume"),
    ("number", "number"),
    ("pages", "pages"),
    ("publisher", "publisher"),
    ("series", "series"),
    ("edition", "edition"),
    ("doi", "doi"),
    ("arxiv_id", "arxiv"),
    ("url", "url"),
    ("note", "note"),
    ("abstract", "abstract"),
)


def _label(label: str) -> str:
    """The label column: ``LABEL`` wide, and a space after a longer label."""
    return label.ljust(LABEL - 1) + " "


def _last_first(author: dict[str, Any]) -> str:
    from pubdb.records import PersonName

    return PersonName(
        author["given"], author["family"], author["von"], author["jr"], author["corporate"]
    ).last_first


def _author_line(position: int, author: dict[str, Any]) -> str:
    marks = "".join(sign for field, sign, _ in MARKS if author[field])
    name = author["name"]
    text = f"{position}. " + (click.style(name, bold=True) if author["owner"] else name) + marks
    if author["owner"]:
        text += " (owner)"
    written = author["written_as"]
    if written and written not in (name, _last_first(author)):
        text += f"  [as {written}]"
    return text


def _venue_lines(details: dict[str, Any]) -> list[str]:
    venue = details["venue"]
    if venue is None:
        return [details["venue_text"]] if details["venue_text"] else []
    lines = [venue["shorthand"] or venue["short"]]
    kind = venue["kind"]
    if venue["parent"]:
        kind += f" of {venue['parent']}"
    lines.append(f"{venue['short']}: {venue['name']} ({kind})")
    if details["venue_text"] and details["venue_text"] != venue["name"]:
        lines.append(f"as written: {details['venue_text']}")
    return lines


def format_details(details: dict[str, Any], width: int = 100) -> list[str]:
    """`show`'s text: a label column and every non-empty value."""
    out: list[str] = []
    wrap_at = max(width - LABEL, 30)

    def add(label: str, values: Sequence[str] | str) -> None:
        items = [values] if isinstance(values, str) else list(values)
        lines: list[str] = []
        for item in items:
            wrapped = textwrap.wrap(item, wrap_at) if display_width(item) > wrap_at else [item]
            lines.extend(wrapped or [""])
        for index, line in enumerate(lines):
            out.append(_label(label if index == 0 else "") + line)

    add("key", details["key"])
    if details["aliases"]:
        add("aliases", ", ".join(details["aliases"]))
    add("type", details["type"])
    add("title", details["title"])
    if details["authors"]:
        lines = [_author_line(i, a) for i, a in enumerate(details["authors"], start=1)]
        if details["authors_truncated"]:
            lines.append("et al.")
        out.extend(_label("authors" if i == 0 else "") + line for i, line in enumerate(lines))
    if details["editors"]:
        add("editors", ", ".join(e["name"] for e in details["editors"]))
    if details["year"] is not None:
        add("year", str(details["year"]))
    venue = _venue_lines(details)
    if venue:
        add("venue", venue)
    for field, label in _PLAIN_FIELDS:
        value = details[field]
        if value not in (None, ""):
            add(label, str(value))
    for name, value in sorted(details["fields"].items()):
        add(name, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    if details["awards"]:
        add(
            "awards",
            [a["text"] + (f" ({a['year']})" if a["year"] else "") for a in details["awards"]],
        )
    if details["tags"]:
        add("tags", ", ".join(details["tags"]))
    if details["related"]:
        add(
            "related",
            [
                f"{r['relation']} {r['key']}"
                + (f" ({r['year']})" if r["year"] else "")
                + f": {r['title']}"
                for r in details["related"]
            ],
        )
    if details["sources"]:
        add("sources", [_source_line(s) for s in details["sources"]])
    used = [(sign, meaning) for field, sign, meaning in MARKS if _any_mark(details, field)]
    if used:
        add("marks", "  ".join(f"{sign} {meaning}" for sign, meaning in used))
    return out


def _any_mark(details: dict[str, Any], field: str) -> bool:
    return any(author[field] for author in details["authors"])


def _source_line(source: dict[str, Any]) -> str:
    where = source["file"] or "(file unknown)"
    if source["line"]:
        where += f":{source['line']}"
    text = f"{where} as {source['cite_key']}"
    if source["merged_from_key"]:
        text += ", merged"
    if source["imported_at"]:
        text += f" (imported {source['imported_at'][:10]})"
    return text
