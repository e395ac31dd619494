"""Old databases: a database made by an older pubdb keeps every row and relation on upgrade.

Each fixture database is built at an old Alembic revision (0001, the first; 0002) and filled
with plain SQL of that revision's schema (tests/data/old_databases/builders.py): papers with
authors and marks, an editor, a venue with a parent and aliases, an award, tags with titles
and order, the owner and a spelling variant, an import batch with sources, a merged-away
key, a relation. Opened by the current pubdb it is upgraded to head: the row counts and the
joined facts are those written, nothing dangles, and ``list`` / ``show`` / ``export`` work on
it. ``pubdb db upgrade`` keeps a backup copy of the SQLite file first and says where.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pubdb.cli import cli
from pubdb.store import SCHEMA_HEAD, database_url, make_engine, open_store
from tests.data.old_databases.builders import COUNTS, FACTS, create_at, fill_0001

# Revisions a fixture database is built at; a new revision that changes data adds one here
# (and, if its schema differs, a fill function in builders.py).
OLD_REVISIONS = ["0001", "0002"]
KEYS = {"liu2021bridge", "liu2020tomogan", "liu2022sinogram"}


def build(database: Path, revision: str) -> None:
    create_at(str(database), revision)
    engine = make_engine(database_url(str(database)))
    try:
        with engine.begin() as conn:
            fill_0001(conn)
    finally:
        engine.dispose()


def snapshot(database: Path) -> tuple[str, dict[str, int], list[list[tuple]]]:
    """(revision, row counts, results of FACTS' queries), read with plain sqlite3."""
    conn = sqlite3.connect(database)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTS
        }
        facts = [conn.execute(sql).fetchall() for sql, _ in FACTS]
        return revision, counts, facts
    finally:
        conn.close()


def pubdb(database: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--db", str(database), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(params=OLD_REVISIONS, ids=[f"from-{r}" for r in OLD_REVISIONS])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    database = tmp_path / "old.sqlite"
    build(database, request.param)
    revision, counts, facts = snapshot(database)
    assert revision == request.param
    # The fixture holds what builders.py says it holds (checked before any upgrade).
    assert counts == COUNTS
    assert facts == [expected for _, expected in FACTS]
    return database


def test_upgrade_keeps_every_row_and_relation(old_database: Path):
    _, counts_before, facts_before = snapshot(old_database)
    open_store(str(old_database)).dispose()  # migrate-on-open
    revision, counts, facts = snapshot(old_database)
    assert revision == SCHEMA_HEAD
    assert counts == counts_before
    for (sql, _), before, after in zip(FACTS, facts_before, facts, strict=True):
        assert after == before, sql


@pytest.fixture(scope="module", params=OLD_REVISIONS, ids=[f"from-{r}" for r in OLD_REVISIONS])
def upgraded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An old database upgraded by the first command run on it (shared: tests only read)."""
    database = tmp_path_factory.mktemp(f"old-{request.param}") / "old.sqlite"
    build(database, request.param)
    pubdb(database, "list")
    assert snapshot(database)[0] == SCHEMA_HEAD
    return database


def test_title_search_finds_old_papers_after_upgrade(upgraded: Path):
    listed = pubdb(upgraded, "list", "--format", "keys", "tomography")
    assert set(listed.output.split()) == {"liu2020tomogan", "liu2022sinogram"}


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ([], KEYS),
        (["author:foster"], {"liu2021bridge", "liu2022sinogram"}),
        (["author:Gürsoy"], {"liu2020tomogan"}),
        (["owner:first"], KEYS),
        (["student:"], {"liu2021bridge"}),
        (["venue:SC+"], {"liu2021bridge"}),
        (["venue:XLOOP@SC"], {"liu2021bridge"}),
        (["tag:ml-systems"], {"liu2021bridge", "liu2022sinogram"}),
        (["award:best"], {"liu2021bridge"}),
        (["key:LiuAF21"], {"liu2021bridge"}),
        (["arxiv:2209.01356"], {"liu2022sinogram"}),
        (["doi:10.1109/XLOOP54565.2021.00008"], {"liu2021bridge"}),
        (["year:2020..2021"], {"liu2021bridge", "liu2020tomogan"}),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_list_on_an_upgraded_database(upgraded: Path, query: list[str], keys: set[str]):
    listed = pubdb(upgraded, "list", "--format", "keys", *query)
    assert set(listed.output.split()) == keys


def test_show_on_an_upgraded_database(upgraded: Path):
    shown = pubdb(upgraded, "show", "LiuAF21").output  # a former key finds the paper
    for fact in (
        "liu2021bridge",
        "LiuAF21",
        "Zhengchun Liu (owner)",
        "Ahsan Ali*",
        "XLOOP@SC'21",
        "workshop of SC",
        "Best Paper Award (2021)",
        "ml-systems",
        "/old/cv.bib:1",
    ):
        assert fact in shown


def test_export_on_an_upgraded_database(upgraded: Path):
    markdown = pubdb(upgraded, "export", "--format", "markdown").output
    assert "**Zhengchun Liu**, Ahsan Ali*, Ian Foster." in markdown
    assert "**Best Paper Award**" in markdown
    assert "Ian Foster‡" in markdown
    bibtex = pubdb(upgraded, "export", "--format", "bibtex").output
    for fact in (
        "@inproceedings{liu2021bridge,",
        "editor = {Foster, Ian}",
        "eprint = {2209.01356}",
    ):
        assert fact in bibtex
    grouped = pubdb(upgraded, "export", "--format", "markdown", "--group-by", "tag").output
    first, second = grouped.index("Machine Learning Systems"), grouped.index("Tomography")
    assert first < second  # the tags' titles and order survived


def test_db_upgrade_keeps_a_backup_and_says_where(tmp_path: Path):
    database = tmp_path / "old.sqlite"
    build(database, "0001")
    _, counts, facts = snapshot(database)
    result = pubdb(database, "db", "upgrade")
    backups = list(tmp_path.glob("old.sqlite.*.bak"))
    assert len(backups) == 1
    assert result.stderr.strip() == f"backup: {backups[0]}"
    assert f"upgraded 0001 -> {SCHEMA_HEAD}" in result.stdout
    # The copy is the database as it was: revision 0001, every row.
    assert snapshot(backups[0]) == ("0001", counts, facts)
    assert snapshot(database) == (SCHEMA_HEAD, counts, facts)
    # At head there is nothing to back up.
    again = pubdb(database, "db", "upgrade")
    assert again.stderr == ""
    assert f"already at {SCHEMA_HEAD}" in again.stdout
    assert list(tmp_path.glob("old.sqlite.*.bak")) == backups


def test_any_command_that_upgrades_says_where_the_backup_is(tmp_path: Path):
    database = tmp_path / "old.sqlite"
    build(database, "0001")
    result = pubdb(database, "list", "--format", "keys")
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("backup: ")]
    backup = Path(line.removeprefix("backup: "))
    assert backup.exists() and backup.name.endswith(".bak")
    assert set(result.stdout.split()) >= KEYS
    # Once upgraded, the next command has nothing to back up.
    assert "backup: " not in pubdb(database, "list").stderr
