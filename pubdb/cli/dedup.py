"""`pubdb dedup`, `pubdb merge` and `pubdb unmerge`: duplicates in the database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from pubdb.cli import AppContext, check_query_terms, pass_app

DEDUP_HELP = """\
List duplicate clusters (sure and possible) with scores and reasons; --merge merges the sure ones.

\b
QUERY (as for `pubdb list`, e.g. year:2019..2021 author:liu) limits which papers are compared;
without one every paper is. A sure cluster is one paper stored several times: --merge keeps
the most complete record (the others' cite keys become its aliases, their entries its
sources). A possible one needs a look: `pubdb merge KEEP OTHER` merges it by hand. Papers
split by `pubdb unmerge` are never proposed again.
"""


@click.command(
    "dedup",
    help=DEDUP_HELP,
    context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]},
)
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--merge", "do_merge", is_flag=True, help="Merge the sure clusters (one transaction)."
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 100),
    metavar="N",
    help="Score (0-100) a pair needs to be sure; default 90. Lower merges more.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text (for people) or json (a list of clusters: keys, score, reasons, sure).",
)
@click.pass_context
def dedup(
    ctx: click.Context,
    query: tuple[str, ...],
    do_merge: bool,
    threshold: float | None,
    fmt: str,
) -> None:
    check_query_terms(ctx, query)
    from pubdb.dedup import SAME_SCORE
    from pubdb.dedup_service import find_clusters, merge_sure

    app = ctx.find_object(AppContext)
    assert app is not None
    with app.store().transaction(write=do_merge) as session:
        clusters = find_clusters(session, query, threshold if threshold is not None else SAME_SCORE)
        outcomes = merge_sure(session, clusters) if do_merge else []
    if fmt == "json":
        click.echo(
            json.dumps(clusters_json(clusters, outcomes, do_merge), ensure_ascii=False, indent=2)
        )
        return
    for line in clusters_text(clusters, outcomes, do_merge):
        click.echo(line)


def _conflict_json(conflict: Any) -> dict[str, str]:
    return {"field": conflict.field, "kept": conflict.kept, "other": conflict.other}


def clusters_json(clusters: Sequence[Any], outcomes: Sequence[Any], merged: bool) -> list[dict]:
    """The clusters as plain data: keys (survivor first), score, reasons, sure, pairs, and
    (with --merge) whether it was merged and the disagreements the merge kept apart."""
    by_other = {outcome.other: outcome for outcome in outcomes}
    out = []
    for found in clusters:
        by_id = dict(zip(found.ids, found.keys, strict=True))
        entry: dict[str, Any] = {
            "sure": found.sure,
            "score": found.score,
            "keys": list(found.keys),
            "survivor": found.keys[0],
            "reasons": list(found.reasons),
            "pairs": [
                {
                    "keys": [by_id[pair.a], by_id[pair.b]],
                    "verdict": pair.decision.verdict,
                    "score": pair.decision.score,
                    "reasons": list(pair.decision.reasons),
                }
                for pair in found.pairs
            ],
            "merged": bool(merged and found.sure),
        }
        if merged and found.sure:
            entry["conflicts"] = [
                _conflict_json(c)
                for key in found.keys[1:]
                if key in by_other
                for c in by_other[key].conflicts
            ]
        out.append(entry)
    return out


def _reason_lines(reasons: Sequence[str]) -> list[str]:
    return [f"    - {reason}" for reason in reasons]


def _conflict_line(conflict: Any) -> str:
    return f"    ! {conflict.field} differs: kept {conflict.kept!r}, other {conflict.other!r}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def clusters_text(clusters: Sequence[Any], outcomes: Sequence[Any], merged: bool) -> list[str]:
    """The clusters for a person: one block per cluster, its reasons below, a summary last."""
    lines: list[str] = []
    sure = [c for c in clusters if c.sure]
    possible = [c for c in clusters if not c.sure]
    by_other = {outcome.other: outcome for outcome in outcomes}
    for found in sure:
        others = ", ".join(found.keys[1:])
        verb = "merged" if merged else "sure"
        lines.append(f"{verb} (score {found.score:.0f}): {found.keys[0]} <- {others}")
        lines.extend(_reason_lines(found.reasons))
        for key in found.keys[1:]:
            outcome = by_other.get(key)
            if outcome is not None:
                lines.extend(_conflict_line(c) for c in outcome.conflicts)
    for found in possible:
        lines.append(f"possible (score {found.score:.0f}): {found.keys[0]} ~ {found.keys[1]}")
        lines.extend(_reason_lines(found.reasons))
    away = _count(sum(len(c.keys) - 1 for c in sure), "paper")
    if merged:
        summary = f"{_count(len(sure), 'cluster')} merged ({away} merged away), "
    else:
        summary = f"{_count(len(sure), 'sure cluster')} ({away} to merge away), "
    summary += f"{_count(len(possible), 'possible duplicate')}"
    if not merged and sure:
        summary += "; `pubdb dedup --merge` merges the sure ones"
    lines.append(summary)
    return lines


@click.command("merge")
@click.argument("keep")
@click.argument("other")
@pass_app
def merge(app: AppContext, keep: str, other: str) -> None:
    """Merge paper OTHER into KEEP by hand; OTHER's key becomes an alias of KEEP.

    Either key may be a cite key or an alias. KEEP's values win; its gaps are filled from
    OTHER, and disagreements are printed (both entries stay among KEEP's sources).
    `pubdb unmerge OTHER` undoes it.
    """
    from pubdb.dedup_service import merge_by_keys

    with app.store().transaction() as session:
        outcome = merge_by_keys(session, keep, other)
    click.echo(f"merged {outcome.other} into {outcome.key}")
    if outcome.aliases:
        click.echo(f"    aliases of {outcome.key} now: {', '.join(outcome.aliases)}")
    for conflict in outcome.conflicts:
        click.echo(_conflict_line(conflict))


@click.command("unmerge")
@click.argument("key")
@pass_app
def unmerge(app: AppContext, key: str) -> None:
    """Undo a merge: re-create the paper merged away under KEY from its stored entry.

    KEY is an alias (a key merged into another paper by import, dedup --merge or merge). The
    paper comes back with its own values; the survivor gives back the values only that entry
    gave it. The two are then marked as not duplicates, so dedup does not propose them again.
    """
    from pubdb.dedup_service import unmerge as unmerge_key

    with app.store().transaction() as session:
        outcome = unmerge_key(session, key)
    plural = "entry" if outcome.sources == 1 else "entries"
    click.echo(
        f"restored {outcome.key} from {outcome.sources} stored {plural}; "
        f"{outcome.survivor} no longer has it as an alias"
    )
    if outcome.aliases:
        click.echo(f"    aliases moved back to {outcome.key}: {', '.join(outcome.aliases)}")
    if outcome.reverted:
        click.echo(f"    {outcome.survivor} gave back: {', '.join(outcome.reverted)}")
    click.echo(f"    {outcome.key} and {outcome.survivor} are marked not duplicates")


def conflict_lines(conflicts: Sequence[Any], label_width: int = 13) -> list[str]:
    """`show`'s block for ``dedup_service.paper_conflicts``: one line per disagreement, under
    a ``conflicts`` label in the label column (nothing when there are none)."""
    lines = []
    for index, conflict in enumerate(conflicts):
        label = "conflicts" if index == 0 else ""
        said = f"{conflict.source} says" if conflict.source else "other"
        lines.append(
            label.ljust(label_width - 1)
            + f" {conflict.field}: kept {conflict.kept!r}; {said} {conflict.other!r}"
        )
    return lines
