"""Export: query papers in the database, turn them into RenderRecords, and render one format.

The database side of ``pubdb export``. Papers come back in import order (paper id), so the
default ``order="year"`` of :func:`pubdb.render.build_document` lists them newest year first
and, within a year, as the .bib files listed them: a CV typed newest-first comes back as it was
typed. Authors are written as each source wrote them; the owner (or ``--highlight``'s author)
is flagged by author id; venues give their CV shorthand; tags give section titles and order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pubdb.errors import NotFoundError
from pubdb.model import Paper, Tag
from pubdb.render import ListDocument, RenderRecord, VenueView, build_document, render

__all__ = ["ExportOptions", "export", "export_document", "export_records", "tag_sections"]


@dataclass(frozen=True)
class ExportOptions:
    """Everything ``pubdb export`` can choose besides the query."""

    fmt: str = "markdown"
    style: str = "cv"
    group_by: str = "none"
    numbering: str = "forward"
    order: str = "year"
    highlight: str | None = None
    template: Path | None = None
    latex_escape: bool = False
    standalone: bool = False


def _venue_view(paper: Paper) -> VenueView | None:
    from pubdb.papers import venue_shorthand

    venue = paper.venue
    if venue is None:
        return None
    parent = venue.parent.short if venue.parent is not None else ""
    return VenueView(
        short=venue.short,
        name=venue.name,
        kind=venue.kind,
        parent_short=parent,
        shorthand=venue_shorthand(venue.short, venue.kind, paper.year, parent or None),
    )


def _highlighted(session: Session, highlight: str | None) -> set[int]:
    from pubdb.papers import owner_ids, people_named

    if highlight is None:
        return owner_ids(session)
    ids = people_named(session, highlight)
    if not ids:
        raise NotFoundError(f"no author named {highlight!r}")
    return ids


def export_records(
    session: Session, query: Sequence[str] = (), *, highlight: str | None = None
) -> list[RenderRecord]:
    """The papers matching ``query`` (all papers when empty), in import order.

    Raises ``QueryError`` for a malformed query and ``NotFoundError`` when ``highlight``
    names nobody.
    """
    from pubdb.paperio import load_papers, record_from_paper
    from pubdb.papers import search

    owners = _highlighted(session, highlight)
    ids = sorted(paper_id for paper_id, _ in search(session, query))
    out = []
    for paper in load_papers(session, ids):
        record = record_from_paper(paper, written_names=True)
        flags = tuple(a.author_id in owners for a in paper.authorships)
        out.append(RenderRecord(record=record, venue=_venue_view(paper), owner=flags))
    return out


def tag_sections(session: Session) -> tuple[dict[str, str], list[str]]:
    """(tag -> section title, tags in their set order) for ``group_by="tag"``."""
    tags = session.scalars(select(Tag)).all()
    titles = {tag.name: tag.title for tag in tags if tag.title}
    ordered = sorted((t for t in tags if t.position is not None), key=lambda t: t.position)
    return titles, [tag.name for tag in ordered]


def export_document(session: Session, query: Sequence[str], options: ExportOptions) -> ListDocument:
    """The grouped, numbered document for ``query`` (what list templates receive)."""
    records = export_records(session, query, highlight=options.highlight)
    titles, order = tag_sections(session) if options.group_by == "tag" else ({}, [])
    return build_document(
        records,
        group_by=options.group_by,
        numbering=options.numbering,
        tag_titles=titles,
        tag_order=order,
        style=options.style,
        order=options.order,
    )


def export(session: Session, query: Sequence[str], options: ExportOptions) -> str:
    """The text of ``pubdb export``: the matching papers in ``options.fmt``."""
    document = export_document(session, query, options)
    return render(
        options.fmt,
        document,
        style=options.style,
        template=options.template,
        standalone=options.standalone,
        latex_escape=options.latex_escape,
    )
