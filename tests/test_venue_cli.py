"""`pubdb venue list/show/add/alias/merge` and the import step ``resolve_or_create``, with the
database checked afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pubdb.model import Paper, Venue, VenueAlias
from pubdb.venue_service import find_venue, resolve_or_create
from pubdb.venues import alias_key
from tests.conftest import reopen

# (key, year, entry type, venue text as exports write it, abbr hint)
PAPERS = [
    ("xloop21", 2021, "inproceedings",
     "2021 IEEE/ACM 3rd Annual Workshop on Extreme-scale Experiment-in-the-Loop Computing (XLOOP)",
     ""),
    ("xloop21b", 2021, "inproceedings", "XLOOP workshop at SC21", ""),
    ("sigmod24", 2024, "inproceedings",
     "Companion of the 2024 International Conference on Management of Data", ""),
    ("fgcs21", 2021, "article", "Future Gener. Comput. Syst.", ""),
    ("hpdc18", 2018, "inproceedings",
     "Proceedings of the 27th International Symposium on High-Performance Parallel and "
     "Distributed Computing, HPDC 2018, Tempe, AZ, USA, June 11-15, 2018", ""),
    ("aisci18", 2018, "inproceedings", "AI-Science@HPDC 2018", ""),
    ("data20", 2020, "inproceedings", "Workshop on Data at SC20", ""),
    ("foo19", 2019, "inproceedings",
     "Proceedings of the 1st Workshop on Foo Things, Paris, France", ""),
    ("foo20", 2020, "inproceedings", "Proceedings of the 2nd Workshop on Foo Things", "FOOW"),
    ("arxiv22", 2022, "misc", "arXiv preprint arXiv:2209.01356", ""),
]  # fmt: skip


def _insert(session: Any, key: str, year: int, entry_type: str, text: str, hint: str) -> Paper:
    venue = resolve_or_create(session, text, hint=hint, entry_type=entry_type)
    paper = Paper(
        key=key,
        key_folded=key.casefold(),
        entry_type=entry_type,
        title=f"Paper {key}",
        year=year,
        venue_id=venue.id if venue is not None else None,
        venue_text=text,
        fields={"abbr": hint} if hint else {},
    )
    session.add(paper)
    session.flush()
    return paper


@pytest.fixture
def library(db_path: Path) -> Path:
    """A database whose papers got their venues the way import gives them."""
    store = reopen(db_path)
    try:
        with store.transaction() as session:
            for row in PAPERS:
                _insert(session, *row)
    finally:
        store.dispose()
    return db_path


def state(db_path: Path) -> dict[str, Any]:
    """venues: short -> (name, kind, parent, from_registry); papers: key -> venue short;
    aliases: text_key -> (venue short, by_user)."""
    store = reopen(db_path)
    try:
        with store.transaction() as session:
            venues = session.scalars(select(Venue)).all()
            short = {v.id: v.short for v in venues}
            return {
                "venues": {
                    v.short: (v.name, v.kind, short.get(v.parent_id), v.from_registry)
                    for v in venues
                },
                "papers": {
                    p.key: short.get(p.venue_id) for p in session.scalars(select(Paper)).all()
                },
                "aliases": {
                    a.text_key: (short[a.venue_id], a.by_user)
                    for a in session.scalars(select(VenueAlias)).all()
                },
            }
    finally:
        store.dispose()


# --- resolve_or_create (what import calls) --------------------------------------------------


def test_import_resolution_creates_registry_venues_with_parents(library: Path) -> None:
    s = state(library)
    assert s["papers"] == {
        "xloop21": "XLOOP",
        "xloop21b": "XLOOP",
        "sigmod24": "SIGMOD",
        "fgcs21": "FGCS",
        "hpdc18": "HPDC",
        "aisci18": "AI-Science",
        "data20": "Workshop on Data",
        "foo19": "Workshop on Foo Things",
        "foo20": "FOOW",
        "arxiv22": "arXiv",
    }
    venues = s["venues"]
    assert venues["XLOOP"] == (
        "Workshop on Extreme-Scale Experiment-in-the-Loop Computing",
        "workshop",
        "SC",
        True,
    )
    # the parent came from the registry too, although no paper names it directly
    assert venues["SC"][1:] == ("conference", None, True)
    assert venues["AI-Science"][1:] == ("workshop", "HPDC", True)
    assert venues["FGCS"][1:] == ("journal", None, True)
    # unknown venues: named from the cleaned text; a workshop at SC gets SC as parent
    assert venues["Workshop on Data"] == ("Workshop on Data", "workshop", "SC", False)
    assert venues["FOOW"] == ("Workshop on Foo Things", "workshop", None, False)
    # each text resolved becomes an alias of its venue, as do the registry's aliases
    aliases = s["aliases"]
    assert aliases[alias_key("XLOOP workshop at SC21")] == ("XLOOP", False)
    assert aliases[alias_key("Proc. ACM Manag. Data")] == ("SIGMOD", False)
    # the hinted paper's text is not an alias: the hint decided, not the text
    assert alias_key("Proceedings of the 2nd Workshop on Foo Things") not in aliases


def test_resolving_the_same_text_again_reuses_the_venue(library: Path) -> None:
    before = state(library)
    store = reopen(library)
    try:
        with store.transaction() as session:
            again = resolve_or_create(session, "XLOOP@SC'21")
            text = resolve_or_create(session, "Future Gener. Comput. Syst.", entry_type="article")
            assert again is not None and again.short == "XLOOP"
            assert text is not None and text.short == "FGCS"
            assert resolve_or_create(session, "") is None
    finally:
        store.dispose()
    after = state(library)
    assert set(after["venues"]) == set(before["venues"])


# --- venue list / show ----------------------------------------------------------------------


def test_venue_list_shows_paper_counts(library: Path, run_cli) -> None:
    result = run_cli("venue", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["XLOOP@SC", "workshop", "2"]
    rows = {line.split()[0]: line.split()[1:3] for line in lines}
    assert rows["SC"] == ["conference", "0"]
    assert rows["FGCS"] == ["journal", "1"]
    assert len(lines) == len(state(library)["venues"])


def test_venue_list_kind_filter_and_empty_database(library: Path, run_cli, tmp_path: Path):
    result = run_cli("venue", "list", "--kind", "journal")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == ["FGCS"]
    assert run_cli("venue", "list", "--kind", "magazine").exit_code == 2


def test_venue_list_empty(run_cli) -> None:
    result = run_cli("venue", "list")
    assert (result.exit_code, result.output) == (0, "")


@pytest.mark.parametrize("name", ["XLOOP", "xloop", "XLOOP@SC", "XLOOP workshop at SC21"])
def test_venue_show(library: Path, run_cli, name: str) -> None:
    result = run_cli("venue", "show", name)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("XLOOP: Workshop on Extreme-Scale Experiment-in-the-Loop Computing\n")
    assert "kind: workshop (from the registry)" in out
    assert "parent: SC" in out
    assert "papers (2):" in out
    assert "  xloop21  XLOOP@SC'21  Paper xloop21" in out


def test_venue_show_parent_lists_workshops(library: Path, run_cli) -> None:
    out = run_cli("venue", "show", "SC").output
    assert "workshops: Workshop on Data, XLOOP" in out


def test_venue_show_unknown_is_one_line_exit_1(library: Path, run_cli) -> None:
    result = run_cli("venue", "show", "NOPE")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: no venue 'NOPE' in the database; `pubdb venue list` shows them"
    ]


# --- venue add ------------------------------------------------------------------------------


def test_venue_add(library: Path, run_cli) -> None:
    result = run_cli(
        "venue", "add", "FOO", "--name", "Workshop on Foo Things", "--kind", "workshop",
        "--parent", "SIGMOD",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == "added venue FOO@SIGMOD: Workshop on Foo Things (workshop)\n"
    s = state(library)
    assert s["venues"]["FOO"] == ("Workshop on Foo Things", "workshop", "SIGMOD", False)
    assert s["aliases"][alias_key("Workshop on Foo Things")] == ("FOO", True)


def test_venue_add_parent_from_registry(library: Path, run_cli) -> None:
    result = run_cli("venue", "add", "MLSW", "--name", "ML for Systems", "--kind", "workshop",
                     "--parent", "NeurIPS")  # fmt: skip
    assert result.exit_code == 0, result.output
    venues = state(library)["venues"]
    assert venues["MLSW"][2] == "NeurIPS"
    assert venues["NeurIPS"][1:] == ("conference", None, True)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(("SIGMOD", "--name", "x", "--kind", "conference"), 1, "already exists",
                     id="exists"),
        pytest.param(("sigmod", "--name", "x", "--kind", "conference"), 1, "already exists",
                     id="exists-other-case"),
        pytest.param(("W", "--name", "x", "--kind", "workshop", "--parent", "NOPE"), 1,
                     "no venue 'NOPE'", id="unknown-parent"),
        pytest.param(("W", "--name", "x", "--kind", "workshop", "--parent", "W"), 1,
                     "its own parent", id="self-parent"),
        pytest.param(("X@SC", "--name", "x", "--kind", "workshop"), 1, "without '@'",
                     id="at-in-short"),
        pytest.param(("W", "--name", "x", "--kind", "zine"), 2, "", id="bad-kind"),
    ],
)  # fmt: skip
def test_venue_add_refuses(library: Path, run_cli, args: tuple, code: int, message: str) -> None:
    before = state(library)
    result = run_cli("venue", "add", *args)
    assert result.exit_code == code
    assert message in result.output
    assert state(library) == before


# --- venue alias ----------------------------------------------------------------------------


def test_venue_alias_moves_matching_papers_and_keeps_hinted_ones(library: Path, run_cli) -> None:
    assert run_cli(
        "venue", "add", "FOO", "--name", "Foo Things Workshop", "--kind", "workshop"
    ).exit_code == 0  # fmt: skip
    result = run_cli("venue", "alias", "Workshop on Foo Things", "FOO")
    assert result.exit_code == 0, result.output
    assert "moved 1 paper to FOO: foo19" in result.output
    # foo20 has abbr = {FOOW}: the explicit hint keeps its venue
    assert "kept their venue" in result.stderr and "foo20" in result.stderr
    s = state(library)
    assert s["papers"]["foo19"] == "FOO"
    assert s["papers"]["foo20"] == "FOOW"
    assert s["aliases"][alias_key("Workshop on Foo Things")] == ("FOO", True)
    # the venue import had made from that text is empty now: folded into FOO
    assert "Workshop on Foo Things" not in s["venues"]
    assert "removed Workshop on Foo Things" in result.output


def test_user_alias_wins_over_the_registry_on_later_imports(library: Path, run_cli) -> None:
    result = run_cli("venue", "alias", "Proc. VLDB Endow.", "SIGMOD")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "(it meant VLDB before)"
    store = reopen(library)
    try:
        with store.transaction() as session:
            found = resolve_or_create(session, "Proc. {VLDB} Endow.", entry_type="article")
            assert found is not None and found.short == "SIGMOD"
            # a cleaned form of the aliased text still means it
            other = resolve_or_create(session, "Workshop on Foo Things, Rome, Italy")
            assert other is not None and other.short == "Workshop on Foo Things"
    finally:
        store.dispose()


def test_venue_alias_to_registry_venue_not_yet_in_database(library: Path, run_cli) -> None:
    result = run_cli("venue", "alias", "Workshop on Data at SC20", "WORKS")
    assert result.exit_code == 0, result.output
    s = state(library)
    assert s["venues"]["WORKS"][1:] == ("workshop", "SC", True)
    assert s["papers"]["data20"] == "WORKS"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("Some Text", "NOPE"), "no venue 'NOPE'", id="unknown-venue"),
        pytest.param(("!!!", "SIGMOD"), "has no letters or digits", id="empty-text"),
    ],
)
def test_venue_alias_refuses(library: Path, run_cli, args: tuple, message: str) -> None:
    before = state(library)
    result = run_cli("venue", "alias", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert state(library) == before


# --- venue merge ----------------------------------------------------------------------------


def test_venue_merge_moves_papers_and_keeps_aliases(library: Path, run_cli) -> None:
    result = run_cli("venue", "merge", "FOOW", "Workshop on Foo Things")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("merged Workshop on Foo Things into FOOW: 1 paper moved")
    s = state(library)
    assert "Workshop on Foo Things" not in s["venues"]
    assert s["papers"]["foo19"] == "FOOW"
    assert s["papers"]["foo20"] == "FOOW"
    # the text that named the removed venue still means the kept one
    assert (
        s["aliases"][alias_key("Proceedings of the 1st Workshop on Foo Things, Paris, France")][0]
        == "FOOW"
    )
    store = reopen(library)
    try:
        with store.transaction() as session:
            found = find_venue(session, "Workshop on Foo Things")
            assert found is not None and found.short == "FOOW"
            again = resolve_or_create(session, "Proceedings of the 5th Workshop on Foo Things")
            assert again is not None and again.short == "FOOW"
    finally:
        store.dispose()


def test_venue_merge_moves_workshops_to_the_kept_parent(library: Path, run_cli) -> None:
    assert run_cli("venue", "add", "SCX", "--name", "Supercomputing X", "--kind",
                   "conference").exit_code == 0  # fmt: skip
    result = run_cli("venue", "merge", "SCX", "SC")
    assert result.exit_code == 0, result.output
    assert "2 workshop(s) re-parented" in result.output
    s = state(library)
    assert "SC" not in s["venues"]
    assert s["venues"]["XLOOP"][2] == "SCX"
    assert s["venues"]["Workshop on Data"][2] == "SCX"
    assert s["aliases"][alias_key("SC")] == ("SCX", True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("SIGMOD", "sigmod"), "are the same venue", id="same"),
        pytest.param(("SIGMOD", "NOPE"), "no venue 'NOPE'", id="unknown-other"),
        pytest.param(("NOPE", "SIGMOD"), "no venue 'NOPE'", id="unknown-keep"),
    ],
)
def test_venue_merge_refuses(library: Path, run_cli, args: tuple, message: str) -> None:
    before = state(library)
    result = run_cli("venue", "merge", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert state(library) == before
