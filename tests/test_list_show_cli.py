"""`pubdb list` and `pubdb show` through click: formats, widths, bold owner, empty results,
errors, alias resolution, and the table/details renderers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from factories import LIBRARY_KEYS, build_library

from pubdb.cli import cli
from pubdb.cli.papers import (
    SORTS,
    author_forms,
    clip,
    display_width,
    fit_authors,
    format_details,
    format_table,
    plain_text,
)
from pubdb.papers import AuthorCell, PaperRow
from pubdb.query import FIELDS
from pubdb.store import open_store

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def library_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "library.sqlite"
    store = open_store(str(path))
    with store.transaction() as session:
        build_library(session)
    store.dispose()
    return path


@pytest.fixture
def pubdb(library_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("COLUMNS", raising=False)

    def run(*args: str, color: bool = False, columns: int | None = None) -> Result:
        env = {"COLUMNS": str(columns)} if columns else {}
        return CliRunner().invoke(
            cli, ["--db", str(library_path), *args], color=color, env=env, catch_exceptions=False
        )

    return run


# ------------------------------------------------------------------------------------------
# list
# ------------------------------------------------------------------------------------------


def test_keys_format_one_key_a_line_newest_first(pubdb):
    result = pubdb("list", "--format", "keys")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == list(LIBRARY_KEYS)


def test_query_sort_and_limit(pubdb):
    result = pubdb("list", "venue:SIGMOD", "--sort", "key", "--format", "keys")
    assert result.stdout.splitlines() == ["kraska2018case", "nathan2024scaling", "wu2024stage"]
    result = pubdb("list", "--sort", "-year", "--limit", "2", "--format", "keys")
    assert result.stdout.splitlines() == list(LIBRARY_KEYS[:2])
    result = pubdb("list", "--sort=year", "--format=keys", "year:2017..2018")
    assert result.stdout.splitlines() == ["obrien2017tables", "kraska2018case", "liu2018mln"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-venue:", "-year:..2017"], ["liu2020tomogan"]),
        (["-year:2017..2024"], ["liu2014generalized"]),
        (["tomography", "-hybrid"], ["liu2022sinogram", "liu2020tomogan"]),  # not -h
        (["--", "-venue:", "-type:article"], ["obrien2017tables"]),
        (["author:van Renen"], ["vanrenen2024tpc"]),  # as the shell passes author:"van Renen"
        (['venue:SC+ "edge computing"'], ["liu2021bridge"]),
        (["key:DBLP:conf/sigmod/NathanSLRKHPSNK24"], ["nathan2024scaling"]),
    ],
    ids=["negated-fields", "undated", "negated-word-starting-with-h", "double-dash", "shell",
         "search-box", "key-with-colons"],
)  # fmt: skip
def test_terms_reach_the_query_unharmed(pubdb, args: list[str], expected: list[str]):
    result = pubdb("list", "--format", "keys", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected


def test_table_fits_the_width_and_cuts_titles(pubdb):
    result = pubdb("list", columns=80)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(LIBRARY_KEYS)
    assert all(display_width(line) <= 80 for line in lines)
    assert lines[0].split()[1:3] == ["2024", "SIGMOD'24"]
    assert lines[0].startswith("nathan2024sca")  # long keys are cut last, but cut at 80
    assert any(line.endswith("…") for line in lines)
    bridge = next(line for line in lines if line.startswith("liu2021bridge"))
    assert "XLOOP@SC'21" in bridge and "Z. Liu, A. Ali,…" in bridge
    wide = pubdb("list", "key:liu2021bridge", columns=200).stdout
    assert "Z. Liu, A. Ali, I. Foster" in wide
    assert wide.rstrip().endswith("Retrieval")
    assert "\x1b[" not in result.stdout


def test_table_without_a_terminal_keeps_whole_titles(pubdb):
    lines = pubdb("list", "year:2024").stdout.splitlines()
    assert lines[1].endswith("Why TPC is not enough: An analysis of the Amazon Redshift fleet")


def test_owner_is_bold_on_a_terminal(pubdb):
    result = pubdb("list", "key:liu2021bridge", color=True, columns=120)
    assert "\x1b[1mZ. Liu\x1b[0m" in result.stdout
    assert "\x1b[1mA. Ali" not in result.stdout
    plain = pubdb("list", "key:liu2021bridge", columns=120)
    assert ANSI.sub("", result.stdout) == plain.stdout


def test_json_is_a_list_of_full_records(pubdb):
    result = pubdb("list", "venue:SIGMOD", "year:2024", "--format", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["key"] for r in records] == ["nathan2024scaling", "wu2024stage"]
    nathan, stage = records
    assert nathan["aliases"] == ["DBLP:conf/sigmod/NathanSLRKHPSNK24"]
    assert nathan["venue"] == {
        "short": "SIGMOD",
        "name": "ACM SIGMOD International Conference on Management of Data",
        "kind": "conference",
        "parent": None,
        "shorthand": "SIGMOD'24",
    }
    assert nathan["doi"] == "10.1145/3626246.3653394"
    assert nathan["tags"] == ["ml-systems"]
    assert [s["line"] for s in nathan["sources"]] == [12, 97]
    assert nathan["sources"][0]["file"] == "bib/liu.bib"
    first = stage["authors"][0]
    assert (first["name"], first["student"], first["equal"], first["owner"]) == (
        "Ziniu Wu",
        True,
        True,
        False,
    )
    assert stage["authors"][1]["owner"] is True


def test_json_relations_and_awards(pubdb):
    records = json.loads(pubdb("list", "key:liu2018mln", "--format", "json").stdout)
    (mln,) = records
    assert mln["awards"] == [{"text": "Best Paper Award", "year": None}]
    assert mln["related"][0]["relation"] == "has-extended-version"
    assert mln["related"][0]["key"] == "liu2019transfer"


@pytest.mark.parametrize("fmt", ["table", "keys", "json"])
def test_empty_result_prints_nothing_and_exits_0(pubdb, fmt: str):
    result = pubdb("list", "venue:Nowhere", "--format", fmt)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""


def test_empty_database_lists_nothing(run_cli):
    result = run_cli("list")
    assert result.exit_code == 0
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("term", "says"),
    [("year:20x4", "year:20x4"), ("colour:red", "unknown field 'colour'"), ("-", "nothing")],
)
def test_bad_query_is_one_line_exit_1(pubdb, term: str, says: str):
    result = pubdb("list", term)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: bad query term") and says in lines[0]
    assert "fields: author:, venue:, year:" in lines[0]


def test_mistyped_option_is_a_usage_error(pubdb):
    result = pubdb("list", "--limt", "3")
    assert result.exit_code == 2
    assert "--limt" in result.stderr


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_every_field(pubdb, flag: str):
    result = pubdb("list", flag)
    assert result.exit_code == 0
    for field in FIELDS:
        assert f"{field}:" in result.stdout
    assert "--sort" in result.stdout and "--format" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["list", "venue:SIGMOD", "year:2024"],
        ["list", "--format", "keys", "owner:", "author:Tim Kraska"],
        ["list", "learned", "-tag:survey", "--sort", "venue"],
        ["list", "--format", "json", "key:liu2018mln"],
        ["show", "KraskaBCDP18"],
    ],
    ids=["table", "keys", "title-words", "json", "show"],
)
def test_list_and_show_load_no_orm(library_path: Path, args: list[str]):
    # `pubdb list` and `pubdb show` (a paper with one source) read through SQLAlchemy Core: the
    # ORM, the mapped classes and Alembic stay unloaded (start-up time, issue 7). A fresh
    # interpreter, as a user runs it.
    import os
    import subprocess
    import sys

    code = (
        "import sys; from pubdb.cli import main; sys.argv = ['pubdb', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "loaded = ('sqlalchemy.orm', 'pubdb.model', 'alembic')\n"
        "print(sorted(m for m in sys.modules if m.startswith(loaded)), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "--db", str(library_path), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert result.stdout.strip(), "the command printed nothing: nothing was checked"
    assert result.stderr.strip() == "[]"


def test_sort_choices_are_the_query_modules():
    from pubdb.query import SORTS as QUERY_SORTS

    assert SORTS == QUERY_SORTS


# ------------------------------------------------------------------------------------------
# show
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["nathan2024scaling", "NATHAN2024SCALING", "DBLP:conf/sigmod/NathanSLRKHPSNK24",
     "dblp:conf/sigmod/nathanslrkhpsnk24", " nathan2024scaling "],
)  # fmt: skip
def test_show_finds_any_alias(pubdb, key: str):
    result = pubdb("show", key)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["key", "nathan2024scaling"]
    assert "aliases      DBLP:conf/sigmod/NathanSLRKHPSNK24" in lines
    assert "title        Intelligent Scaling in Amazon Redshift" in lines
    assert "sources      bib/liu.bib:12 as nathan2024scaling (imported 2026-01-02)" in lines


def test_show_prints_every_part(pubdb):
    text = pubdb("show", "wu2024stage").stdout
    assert "authors      1. Ziniu Wu*†" in text
    assert "             2. Zhengchun Liu (owner)" in text
    assert "venue        SIGMOD'24" in text
    assert "SIGMOD: ACM SIGMOD International Conference on Management of Data (conference)" in text
    assert "tags         ml-systems" in text
    assert "marks        * student  † equal contribution" in text

    bridge = pubdb("show", "liu2021bridge").stdout
    assert "venue        XLOOP@SC'21" in bridge
    assert "(workshop of SC)" in bridge
    assert "awards       Best Paper Award" in bridge

    paper = pubdb("show", "papadimitriou2021endtoend").stdout
    assert "awards       2021 Best Paper Award (2021)" in paper
    assert "volume       117" in paper and "pages        387--400" in paper

    transfer = pubdb("show", "liu2019transfer").stdout
    assert "related      extended-version-of liu2018mln (2018): Building a Wide-Area" in transfer

    undated = pubdb("show", "liu2014generalized").stdout
    assert "address      Venice, Italy" in undated
    assert "conferencetitle SIMUL 2014" in undated  # a long label still gets its space
    assert "\nyear" not in undated

    tomogan = pubdb("show", "liu2020tomogan").stdout
    assert "venue        Journal of the Optical Society of America A" in tomogan

    freetrain = pubdb("show", "liu2023freetrain", color=True).stdout
    assert "\x1b[1mZhengchun Liu\x1b[0m✉ (owner)" in freetrain
    assert "marks        ✉ corresponding author" in ANSI.sub("", freetrain)


def test_show_unknown_key_is_one_line_exit_1(pubdb):
    result = pubdb("show", "nope2099")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: no paper with key 'nope2099'")


BRIDGE = """@inproceedings{{{key},
  author = {{Zhengchun Liu and Ian Foster}},
  title = {{Bridge Data Center {{AI}} Systems with Edge Computing}},
  booktitle = {{XLOOP Workshop at SC21}},
  year = {{2021}},
  pages = {{{pages}}},
  doi = {{10.1109/XLOOP54565.2021.00007}}
}}
"""


def test_show_lists_where_merged_sources_disagree(run_cli, tmp_path: Path):
    (tmp_path / "a.bib").write_text(BRIDGE.format(key="liu2021bridge", pages="10--18"))
    (tmp_path / "b.bib").write_text(BRIDGE.format(key="scholar2021", pages="11--19"))
    assert run_cli("import", str(tmp_path / "a.bib")).exit_code == 0
    assert "conflicts" not in run_cli("show", "liu2021bridge").stdout  # one source
    assert run_cli("import", str(tmp_path / "b.bib")).exit_code == 0
    lines = run_cli("show", "scholar2021").stdout.splitlines()
    assert lines[-1] == "conflicts    pages: kept '10--18'; scholar2021 says '11--19'"


# ------------------------------------------------------------------------------------------
# Renderers
# ------------------------------------------------------------------------------------------


def _row(key: str, authors: list[tuple[str, bool]], *, title: str = "T", et_al=False):
    cells = tuple(AuthorCell(name=n, short=n, owner=o) for n, o in authors)
    return PaperRow(1, key, 2024, "VLDB'24", title, cells, et_al=et_al)


@pytest.mark.parametrize(
    ("authors", "et_al", "shown"),
    [
        ([("A", False)], False, "A"),
        ([("A", False), ("B", True), ("C", False)], False, "A, B, C"),
        ([("A", False), ("B", False), ("C", False), ("D", False)], False, "A, B, C et al."),
        ([("A", False), ("B", False)], True, "A, B et al."),
        ([("A", False), ("B", False), ("C", False), ("D", False), ("O", True)], False,
         "A, B, …, O"),
        ([("A", False), ("B", False), ("C", False), ("O", True), ("E", False)], False,
         "A, B, …, O et al."),
    ],
    ids=["one", "three", "four", "truncated", "owner-last", "owner-fourth"],
)  # fmt: skip
def test_first_authors_and_the_owner(authors, et_al: bool, shown: str):
    (line,) = format_table([_row("k", authors, et_al=et_al)], None)
    assert shown in ANSI.sub("", line)


@pytest.mark.parametrize(
    ("width", "shown"),
    [(40, "Ann, Bob, …, Owen et al."), (20, "Ann, Bob, Cid et al."), (10, "Ann, Bob,…")],
)
def test_owner_further_down_is_shown_when_it_fits(width: int, shown: str):
    names = [("Ann", False), ("Bob", False), ("Cid", False), ("Dee", False), ("Owen", True)]
    row = _row("k", [*names, ("Eve", False)])
    assert clip(plain_text(fit_authors(author_forms(row), width)), width) == shown


def test_owner_first_is_bold_and_cut_like_the_others():
    row = _row("k", [("Owen", True), ("Bob", False), ("Cid", False), ("Dee", False)])
    assert clip(plain_text(fit_authors(author_forms(row), 9)), 9) == "Owen, Bo…"


def test_table_width_with_wide_characters():
    rows = [_row("k1", [("王小明", True)], title="深度学习" * 20)]
    (line,) = format_table(rows, 60)
    assert display_width(ANSI.sub("", line)) <= 60
    assert line.endswith("…")


@pytest.mark.parametrize(
    ("text", "width", "out"),
    [("abcdef", 10, "abcdef"), ("abcdef", 4, "abc…"), ("深度学习", 5, "深度…"),
     ("e\u0301te", 3, "e\u0301te")],
    ids=["fits", "cut", "wide", "combining"],
)  # fmt: skip
def test_clip(text: str, width: int, out: str):
    assert clip(text, width) == out
    assert display_width(clip(text, width)) <= width


def test_details_wrap_long_values():
    details = {
        "key": "k",
        "aliases": [],
        "type": "article",
        "title": "T",
        "authors": [],
        "authors_truncated": False,
        "editors": [],
        "year": None,
        "venue": None,
        "venue_text": "",
        "fields": {},
        "awards": [],
        "tags": [],
        "related": [],
        "sources": [],
        **dict.fromkeys(
            ["month", "volume", "number", "pages", "publisher", "series", "edition", "doi"]
        ),
        "arxiv_id": None,
        "url": "",
        "note": "",
        "abstract": "word " * 60,
    }
    lines = format_details(details, width=60)
    abstract = [line for line in lines if line.startswith("abstract") or line.startswith(" ")]
    assert len(abstract) > 1
    assert all(len(line) <= 60 for line in lines)


def test_control_characters_from_the_data_do_not_reach_the_terminal(run_cli, tmp_path):
    bib = tmp_path / "esc.bib"
    bib.write_text(
        "@article{esc1, title = {Red \x1b[31malert\x1b[0m title}, author = {Doe, Jane},"
        " journal = {J}, year = {2020}}\n",
        encoding="utf-8",
    )
    assert run_cli("import", str(bib)).exit_code == 0
    for args in (("list",), ("list", "--format", "keys"), ("show", "esc1")):
        result = run_cli(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout
    assert "\\x1b[31malert" in run_cli("show", "esc1").stdout
