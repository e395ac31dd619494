"""`pubdb export`: the CV lists from bib/, BibTeX round trips through the database, -o."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from pubdb.cli import export as export_cli
from pubdb.render import FORMATS, GROUP_BY, NUMBERING, STYLES
from pubdb.render.data import ORDERS

REPO = Path(__file__).resolve().parents[1]
BIB = REPO / "bib" / "publications.bib"
GOLDEN = REPO / "tests" / "golden" / "cv_expected.md"


def _load_cv(run_cli) -> None:
    """Import the example bibliography and set what the README demo sets."""
    for args in (
        ("import", str(BIB)),
        ("owner", "set", "Zhengchun Liu"),
        ("tag", "title", "ml-systems", "Papers on Machine Learning and Systems"),
        ("tag", "title", "ai-science", "Papers on AI/HPC for Science"),
        ("tag", "order", "ml-systems", "ai-science"),
    ):
        result = run_cli(*args)
        assert result.exit_code == 0, result.output


def test_cv_lists_from_the_example_bibliography(run_cli):
    _load_cv(run_cli)
    result = run_cli("export", "--style", "cv", "--group-by", "tag", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("latex_escape", [False, True], ids=["utf8", "latex"])
def test_bibtex_export_import_export_is_byte_identical(run_cli, tmp_path, latex_escape):
    _load_cv(run_cli)
    flags = ["--latex-escape"] if latex_escape else []
    first = tmp_path / "first.bib"
    assert run_cli("export", "--format", "bibtex", *flags, "-o", str(first)).exit_code == 0
    text = first.read_text(encoding="utf-8")
    assert text.count("\n@") == 36 and text.isascii() is latex_escape
    other_db = tmp_path / "other.sqlite"
    from click.testing import CliRunner

    from pubdb.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(other_db), "import", str(first)])
    assert result.exit_code == 0 and "37 added" in result.output
    result = runner.invoke(cli, ["--db", str(other_db), "export", "--format", "bibtex", *flags])
    assert result.exit_code == 0
    assert result.stdout == text


def test_query_and_options(run_cli):
    _load_cv(run_cli)
    result = run_cli(
        "export", "tag:ai-science", "year:2022", "--format", "text", "--style", "plain",
        "--numbering", "reverse",
    )  # fmt: skip
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split(".")[0] for line in lines] == ["4", "3", "2", "1"]
    assert lines[2].endswith("arXiv:2209.01356, 2022.")
    assert "*" not in result.stdout


def test_highlight_another_author(run_cli):
    _load_cv(run_cli)
    result = run_cli("export", "year:2023", "--highlight", "Ian Foster")
    assert result.exit_code == 0
    assert "**Ian T. Foster**" in result.stdout and "**Zhengchun Liu**" not in result.stdout
    missing = run_cli("export", "--highlight", "Nobody Here")
    assert missing.exit_code == 1
    assert "no author named 'Nobody Here'" in missing.stderr


def test_csl_json_and_html(run_cli):
    _load_cv(run_cli)
    items = json.loads(run_cli("export", "--format", "csl-json").stdout)
    assert len(items) == 37 and {"id", "type", "title"} <= set(items[0])
    html = run_cli("export", "key:liu2021bridge", "--format", "html").stdout
    assert '<span class="venue">XLOOP@SC&#39;21</span>' in html
    assert '<strong class="award">Best Paper Award</strong>' in html


def test_latex_standalone(run_cli):
    _load_cv(run_cli)
    text = run_cli("export", "--format", "latex", "--standalone", "--group-by", "year").stdout
    assert text.startswith("\\documentclass") and text.rstrip().endswith("\\end{document}")
    assert "\\subsection*{2024}" in text


def test_output_file_is_replaced_whole(run_cli, tmp_path):
    _load_cv(run_cli)
    target = tmp_path / "cv.md"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o640)
    result = run_cli("export", "--group-by", "tag", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert f"wrote {target}" in result.stderr
    assert target.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".cv.md")] == []


def test_failed_export_leaves_the_output_alone(run_cli, tmp_path):
    _load_cv(run_cli)
    target = tmp_path / "cv.md"
    target.write_text("old\n", encoding="utf-8")
    template = tmp_path / "bad.j2"
    template.write_text("{% for %}", encoding="utf-8")
    result = run_cli("export", "--template", str(template), "-o", str(target))
    assert result.exit_code == 1
    assert "bad.j2:1: template error" in result.stderr
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.j2", "cv.md", "pubdb.sqlite"]


def test_user_template(run_cli, tmp_path):
    _load_cv(run_cli)
    template = tmp_path / "mine.j2"
    template.write_text(
        "{% for e in document.entries %}{{ e.key }} {{ e.venue_display }}\n{% endfor %}",
        encoding="utf-8",
    )
    result = run_cli("export", "year:2024", "--template", str(template))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "DBLP:journals/pvldb/RenenHPVDNLSKK24 VLDB'24",
        "DBLP:conf/sigmod/NathanSLRKHPSNK24 SIGMOD'24",
        "DBLP:conf/sigmod/WuMLNNPSRNK24 SIGMOD'24",
    ]


def test_empty_database_exports_nothing(run_cli):
    for fmt in ("markdown", "bibtex"):
        result = run_cli("export", "--format", fmt)
        assert result.exit_code == 0 and result.stdout == ""
    assert run_cli("export", "--format", "csl-json").stdout == "[]\n"


@pytest.mark.parametrize(
    ("args", "code"),
    [(("--format", "docx"), 2), (("--bogus",), 2), (("year:20x",), 1)],
    ids=["format", "option", "query"],
)
def test_bad_usage(run_cli, args, code):
    assert run_cli("export", *args).exit_code == code


def test_choices_match_the_renderers():
    assert set(export_cli.FORMATS) == set(FORMATS)
    assert export_cli.STYLES == STYLES
    assert export_cli.GROUP_BY == GROUP_BY
    assert export_cli.NUMBERING == NUMBERING
    assert export_cli.ORDERS == ORDERS


def test_help_lists_export(run_cli):
    result = run_cli("--help")
    assert "export" in result.output
    assert "QUERY selects the papers" in run_cli("export", "--help").output
    assert "QUERY selects the papers" in run_cli("export", "-h").output
