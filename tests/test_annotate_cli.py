"""`pubdb mark`, `pubdb award`, `pubdb tag` through the CLI, with the database checked afterwards.

BibTeX round trip of annotations (author+an, award, keywords) is tested with import and export.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pubdb.model import Author, Authorship, Award, Paper, Tag
from pubdb.store import Store
from tests.conftest import reopen
from tests.factories import build_library


@pytest.fixture
def library(db_path: Path) -> Path:
    store = reopen(db_path)
    try:
        with store.transaction() as session:
            build_library(session)
    finally:
        store.dispose()
    return db_path


def _open(db_path: Path) -> Store:
    return reopen(db_path)


def marks(db_path: Path) -> dict[tuple[str, int], tuple[str, bool, bool, bool]]:
    """Every authorship's marks: (key, position) -> (author, student, equal, corresponding)."""
    store = _open(db_path)
    try:
        with store.transaction() as session:
            rows = session.execute(
                select(
                    Paper.key,
                    Authorship.position,
                    Author.display_name,
                    Authorship.student,
                    Authorship.equal,
                    Authorship.corresponding,
                )
                .join(Paper, Authorship.paper_id == Paper.id)
                .join(Author, Authorship.author_id == Author.id)
            )
            return {(r[0], r[1]): (r[2], r[3], r[4], r[5]) for r in rows}
    finally:
        store.dispose()


def awards(db_path: Path) -> dict[str, list[tuple[str, int | None]]]:
    store = _open(db_path)
    try:
        with store.transaction() as session:
            found: dict[str, list[tuple[str, int | None]]] = {}
            rows = session.execute(
                select(Paper.key, Award.text, Award.year).join(Paper).order_by(Award.id)
            )
            for key, text, year in rows:
                found.setdefault(key, []).append((text, year))
            return found
    finally:
        store.dispose()


def tags(db_path: Path) -> dict[str, tuple[str, int | None, list[str]]]:
    """Tag name -> (title, position, sorted keys of its papers)."""
    store = _open(db_path)
    try:
        with store.transaction() as session:
            return {
                tag.name: (tag.title, tag.position, sorted(p.key for p in tag.papers))
                for tag in session.scalars(select(Tag))
            }
    finally:
        store.dispose()


def changed(before: dict, after: dict) -> dict:
    keys = before.keys() | after.keys()
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


# --------------------------------------------------------------------------------------------
# mark KEY AUTHOR
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "author", "flags", "position", "expected"),
    [
        ("liu2019transfer", "Zizhong Chen", ["--student"], 3, (True, False, False)),
        ("liu2019transfer", "chen", ["--equal"], 3, (False, True, False)),
        ("liu2020tomogan", "gursoy", ["--corresponding"], 3, (False, False, True)),
        ("liu2020tomogan", "Gürsoy, Doğa", ["--student"], 3, (True, False, False)),
        ("liu2020tomogan", 'G{\\"u}rsoy', ["--student"], 3, (True, False, False)),
        ("liu2020tomogan", "DOGA GURSOY", ["--equal", "--corresponding"], 3, (False, True, True)),
        ("liu2021bridge", "Liu, Zhengchun", ["--corresponding"], 1, (False, False, True)),
        ("LIU2021BRIDGE", "3", ["--equal"], 3, (False, True, False)),
        ("DBLP:conf/sigmod/NathanSLRKHPSNK24", "Nathan", ["--student"], 1, (True, False, False)),
        ("liu2019transfer", "Ian Foster", ["--student"], 4, (True, False, False)),
    ],
    ids=[
        "full-name",
        "family-only",
        "folded-accent",
        "last-first-accented",
        "latex",
        "caps-two-marks",
        "owner-corresponding",
        "position-key-case",
        "alias-key",
        "middle-initial-missing",
    ],
)
def test_mark_sets_exactly_that_authorship(
    run_cli, library, key, author, flags, position, expected
):
    before = marks(library)
    result = run_cli("mark", key, author, *flags)
    assert result.exit_code == 0, result.output
    after = marks(library)
    diff = changed(before, after)
    assert len(diff) == 1
    (paper_key, pos), (_, now) = next(iter(diff.items()))
    assert pos == position
    assert now[1:] == expected
    assert f"{paper_key}: {pos}. {now[0]}: " in result.stdout
    assert " set" in result.stdout


def test_mark_clear_and_idempotence(run_cli, library):
    assert marks(library)[("liu2021bridge", 2)] == ("Ahsan Ali", True, False, False)
    again = run_cli("mark", "liu2021bridge", "ali", "--student")
    assert again.exit_code == 0
    assert "student already set" in again.stdout
    assert "nothing changed" in again.stdout
    cleared = run_cli("mark", "liu2021bridge", "Ahsan Ali", "--student", "--clear")
    assert cleared.exit_code == 0
    assert "liu2021bridge: 2. Ahsan Ali: student cleared" in cleared.stdout
    assert marks(library)[("liu2021bridge", 2)] == ("Ahsan Ali", False, False, False)
    shown = run_cli("show", "liu2021bridge")
    assert "Ahsan Ali*" not in shown.stdout


def test_mark_is_visible_in_show(run_cli, library):
    assert run_cli("mark", "patel2020job", "Tirthak Patel", "--student").exit_code == 0
    shown = run_cli("show", "patel2020job")
    assert shown.exit_code == 0
    assert "Tirthak Patel*" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["liu2019transfer", "liu", "--student"], "1. Yuanlai Liu; 2. Zhengchun Liu"),
        (["liu2019transfer", "Liu", "--equal"], "matches 2 authors of liu2019transfer"),
        (["--all-papers", "wu", "--student"], "Ziling Wu (1 paper); Ziniu Wu (1 paper)"),
        (["--all-papers", "Liu", "--student"], "matches 2 authors"),
    ],
    ids=["two-lius-on-a-paper", "two-lius-equal", "two-wus-all-papers", "two-lius-all-papers"],
)
def test_ambiguous_author_lists_candidates_and_changes_nothing(run_cli, library, args, message):
    before = marks(library)
    result = run_cli("mark", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "nothing changed" in result.stderr
    assert result.stdout == ""
    assert marks(library) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nokey2020", "liu", "--student"], "no paper with key 'nokey2020'"),
        (["liu2019transfer", "kraska", "--student"], "no author matching 'kraska'"),
        (["liu2019transfer", "9", "--student"], "has no author 9"),
        (["liu2019transfer", "Zhengchun Liu", "--student"], "is the owner"),
        (["--all-papers", "Nobody Atall", "--student"], "no author matching"),
        (["--all-papers", "Zhengchun Liu", "--student"], "is the owner"),
        (
            ["--all-papers", "Kettimuthu", "--student", "--from-year", "2022", "--to-year", "2020"],
            "is after",
        ),
    ],
    ids=[
        "unknown-key",
        "not-an-author",
        "no-such-position",
        "owner-student",
        "unknown-everywhere",
        "owner-all-papers",
        "reversed-range",
    ],
)
def test_mark_errors_exit_1_and_change_nothing(run_cli, library, args, message):
    before = marks(library)
    result = run_cli("mark", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert marks(library) == before


@pytest.mark.parametrize(
    "args",
    [
        ["liu2019transfer", "chen"],
        ["liu2019transfer", "chen", "--student", "--from-year", "2019"],
        ["--all-papers", "liu2019transfer", "chen", "--student"],
        ["--all-papers", "chen", "--equal"],
        ["chen", "--student"],
    ],
    ids=["no-mark", "year-without-all-papers", "all-papers-with-key", "all-papers-equal", "no-key"],
)
def test_mark_usage_errors_exit_2(run_cli, library, args):
    before = marks(library)
    assert run_cli("mark", *args).exit_code == 2
    assert marks(library) == before


# --------------------------------------------------------------------------------------------
# mark --all-papers
# --------------------------------------------------------------------------------------------

# Rajkumar Kettimuthu's papers in the fixture: 2023, 2022, 2020, 2018 (and none undated).
KETTIMUTHU = {"liu2023freetrain", "liu2022sinogram", "patel2020job", "liu2018mln"}


def _positions(db_path: Path, name: str) -> dict[str, int]:
    return {key: pos for (key, pos), (who, *_) in marks(db_path).items() if who == name}


def _student_keys(db_path: Path, name: str) -> set[str]:
    return {
        key for (key, _), (who, student, *_) in marks(db_path).items() if who == name and student
    }


def test_all_papers_marks_every_paper(run_cli, library):
    positions = _positions(library, "Rajkumar Kettimuthu")
    assert set(positions) == KETTIMUTHU
    result = run_cli("mark", "--all-papers", "kettimuthu", "--student")
    assert result.exit_code == 0, result.output
    assert _student_keys(library, "Rajkumar Kettimuthu") == KETTIMUTHU
    assert "Rajkumar Kettimuthu: 4 papers, 4 marks changed" in result.stdout
    for key, position in positions.items():
        assert f"{key}: {position}. Rajkumar Kettimuthu: student set" in result.stdout


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        (["--from-year", "2020", "--to-year", "2022"], {"liu2022sinogram", "patel2020job"}),
        (["--from-year", "2022"], {"liu2022sinogram", "liu2023freetrain"}),
        (["--to-year", "2019"], {"liu2018mln"}),
        (["--from-year", "2020", "--to-year", "2020"], {"patel2020job"}),
        (["--from-year", "2025"], set()),
    ],
    ids=["2020-2022", "from-2022", "to-2019", "one-year", "nothing-in-range"],
)
def test_all_papers_year_range(run_cli, library, years, expected):
    before = marks(library)
    result = run_cli("mark", "--all-papers", "Rajkumar Kettimuthu", "--student", *years)
    assert result.exit_code == 0, result.output
    assert _student_keys(library, "Rajkumar Kettimuthu") == expected
    diff = changed(before, marks(library))
    assert {key for key, _ in diff} == expected  # nobody else was touched


def test_all_papers_range_skips_undated_papers(run_cli, library):
    # liu2014generalized has no year: a period cannot include it, and the command says so.
    result = run_cli("mark", "--all-papers", "Emilio Luque", "--student", "--from-year", "2010")
    assert result.exit_code == 0
    assert "liu2014generalized" in result.stderr
    assert _student_keys(library, "Emilio Luque") == set()
    everything = run_cli("mark", "--all-papers", "Emilio Luque", "--student")
    assert everything.exit_code == 0
    assert _student_keys(library, "Emilio Luque") == {"liu2014generalized"}


def test_all_papers_clear_within_a_period(run_cli, library):
    assert run_cli("mark", "--all-papers", "Kettimuthu", "--student").exit_code == 0
    result = run_cli(
        "mark", "--all-papers", "Kettimuthu", "--student", "--clear", "--to-year", "2020"
    )
    assert result.exit_code == 0
    position = _positions(library, "Rajkumar Kettimuthu")["patel2020job"]
    assert f"patel2020job: {position}. Rajkumar Kettimuthu: student cleared" in result.stdout
    assert _student_keys(library, "Rajkumar Kettimuthu") == {"liu2022sinogram", "liu2023freetrain"}


def test_all_papers_exact_name_beats_substring(run_cli, library):
    # "Ziniu Wu" is a full spelling of one author even though "wu" alone is ambiguous.
    result = run_cli("mark", "--all-papers", "Wu, Ziniu", "--student", "--clear")
    assert result.exit_code == 0
    assert "wu2024stage: 1. Ziniu Wu: student cleared" in result.stdout
    assert marks(library)[("wu2020lowdose", 1)] == ("Ziling Wu", True, False, False)


# --------------------------------------------------------------------------------------------
# award
# --------------------------------------------------------------------------------------------

SUMMARY = "Best Paper Award \u00d73: XLOOP@SC'21, FGCS'21, MLN'18"


def test_award_list_prints_the_cv_summary_line(run_cli, library):
    result = run_cli("award", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[-1] == SUMMARY
    assert lines[:3] == [
        "2021  XLOOP@SC'21  liu2021bridge              Best Paper Award",
        "2021  FGCS'21      papadimitriou2021endtoend  2021 Best Paper Award",
        "2018  MLN'18       liu2018mln                 Best Paper Award",
    ]


def test_award_summary_groups_by_text_newest_first(run_cli, library):
    assert run_cli("award", "add", "patel2020job", "best paper award").exit_code == 0
    assert run_cli("award", "add", "wu2024stage", "Best Student Paper Award").exit_code == 0
    result = run_cli("award", "list")
    summary = result.stdout.split("\n\n", 1)[1].splitlines()
    assert summary == [
        "Best Paper Award \u00d74: XLOOP@SC'21, FGCS'21, SC'20, MLN'18",
        "Best Student Paper Award \u00d71: SIGMOD'24",
    ]


def test_award_add_update_and_remove(run_cli, library):
    added = run_cli("award", "add", "patel2020job", "Best Paper Finalist", "--year", "2020")
    assert added.exit_code == 0
    assert added.stdout.strip() == "patel2020job: added award 'Best Paper Finalist' (2020)"
    assert awards(library)["patel2020job"] == [("Best Paper Finalist", 2020)]
    assert "Best Paper Finalist" in run_cli("show", "patel2020job").stdout

    same = run_cli("award", "add", "PATEL2020JOB", "best paper finalist")
    assert "nothing changed" in same.stdout
    updated = run_cli("award", "add", "patel2020job", "Best paper finalist", "--year", "2021")
    assert "year 2020 -> 2021" in updated.stdout
    assert awards(library)["patel2020job"] == [("Best Paper Finalist", 2021)]

    removed = run_cli("award", "rm", "patel2020job", "finalist")
    assert removed.exit_code == 0
    assert removed.stdout.strip() == "patel2020job: removed award 'Best Paper Finalist'"
    assert "patel2020job" not in awards(library)


def test_award_rm_without_text_removes_every_award_of_the_paper(run_cli, library):
    assert run_cli("award", "add", "liu2018mln", "Test of Time").exit_code == 0
    result = run_cli("award", "rm", "liu2018mln")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "liu2018mln: removed award 'Best Paper Award'",
        "liu2018mln: removed award 'Test of Time'",
    ]
    assert "liu2018mln" not in awards(library)
    assert "liu2021bridge" in awards(library)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "nokey", "Best Paper Award"], "no paper with key"),
        (["add", "liu2018mln", "  "], "empty award text"),
        (["add", "liu2018mln", "A; B"], "';'"),
        (["add", "liu2018mln", "X", "--year", "21"], "four-digit"),
        (["rm", "liu2018mln", "Test of Time"], "has no award 'Test of Time'"),
        (["rm", "nokey"], "no paper with key"),
    ],
    ids=["unknown-key", "empty", "semicolon", "short-year", "rm-unknown-text", "rm-unknown-key"],
)
def test_award_errors_exit_1_and_change_nothing(run_cli, library, args, message):
    before = awards(library)
    result = run_cli("award", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert awards(library) == before


def test_award_rm_ambiguous_text(run_cli, library):
    assert run_cli("award", "add", "liu2018mln", "Best Student Paper").exit_code == 0
    before = awards(library)
    result = run_cli("award", "rm", "liu2018mln", "best")
    assert result.exit_code == 1
    assert "matches 2 awards" in result.stderr
    assert awards(library) == before


def test_award_list_empty(run_cli):
    result = run_cli("award", "list")
    assert result.exit_code == 0
    assert result.stdout.strip() == "no awards"


# --------------------------------------------------------------------------------------------
# tag
# --------------------------------------------------------------------------------------------


def test_tag_add_creates_and_reuses_tags(run_cli, library):
    result = run_cli("tag", "add", "kraska2018case", "ML-Systems", "learned indexes")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "kraska2018case: tagged ml-systems",
        "kraska2018case: tagged learned indexes (new tag)",
    ]
    state = tags(library)
    assert "kraska2018case" in state["ml-systems"][2]
    assert state["learned indexes"] == ("", None, ["kraska2018case"])
    assert "ML-Systems" not in state
    again = run_cli("tag", "add", "kraska2018case", "learned indexes")
    assert again.stdout.strip() == "kraska2018case: already tagged learned indexes"
    assert "learned indexes" in run_cli("show", "kraska2018case").stdout


def test_tag_rm_deletes_a_tag_left_without_papers(run_cli, library):
    assert run_cli("tag", "add", "kraska2018case", "indexes").exit_code == 0
    result = run_cli("tag", "rm", "kraska2018case", "indexes", "ml-systems")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "kraska2018case: untagged indexes (tag deleted: no papers left)",
        "kraska2018case: was not tagged ml-systems",
    ]
    state = tags(library)
    assert "indexes" not in state
    assert "kraska2018case" not in state["ml-systems"][2]


def test_tag_rm_keeps_a_titled_tag(run_cli, library):
    assert run_cli("tag", "rm", "liu2022sinogram", "ai-science").exit_code == 0
    assert run_cli("tag", "rm", "liu2020tomogan", "ai-science").exit_code == 0
    assert run_cli("tag", "rm", "wu2020lowdose", "ai-science").exit_code == 0
    assert tags(library)["ai-science"] == ("Papers on AI/HPC for Science", None, [])


def test_tag_title_order_and_list(run_cli, library):
    title = run_cli("tag", "title", "ml-systems", "Machine Learning and Systems")
    assert title.exit_code == 0
    assert title.stdout.strip() == (
        "ml-systems: title 'Machine Learning and Systems' "
        "(was 'Papers on Machine Learning and Systems')"
    )
    assert run_cli("tag", "add", "kraska2018case", "indexes").exit_code == 0
    order = run_cli("tag", "order", "ai-science", "ml-systems")
    assert order.exit_code == 0
    assert order.stdout.strip() == "section order: ai-science, ml-systems"
    state = tags(library)
    assert state["ai-science"][:2] == ("Papers on AI/HPC for Science", 1)
    assert state["ml-systems"][:2] == ("Machine Learning and Systems", 2)
    assert state["indexes"][1] is None
    listed = run_cli("tag", "list")
    assert listed.stdout.splitlines() == [
        "  1  ai-science  3  Papers on AI/HPC for Science",
        "  2  ml-systems  8  Machine Learning and Systems",
        "  -  indexes     1",
    ]
    reorder = run_cli("tag", "order", "ml-systems")
    assert "was: ai-science, ml-systems" in reorder.stdout
    assert tags(library)["ai-science"][1] is None
    assert tags(library)["ml-systems"][1] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "nokey", "x"], "no paper with key"),
        (["add", "kraska2018case", "a, b"], "','"),
        (["add", "kraska2018case", " "], "empty tag"),
        (["rm", "kraska2018case", "nosuchtag"], "no tag 'nosuchtag'"),
        (["title", "nosuchtag", "X"], "no tag 'nosuchtag'"),
        (["order", "ml-systems", "nosuchtag"], "no tag 'nosuchtag'"),
        (["order", "ml-systems", "ML-SYSTEMS"], "named twice"),
    ],
    ids=["unknown-key", "comma", "empty", "rm-unknown", "title-unknown", "order-unknown", "twice"],
)
def test_tag_errors_exit_1_and_change_nothing(run_cli, library, args, message):
    assert run_cli("tag", "order", "ai-science").exit_code == 0
    before = tags(library)
    result = run_cli("tag", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert tags(library) == before


def test_tag_list_empty(run_cli):
    result = run_cli("tag", "list")
    assert result.exit_code == 0
    assert result.stdout.strip() == "no tags"
