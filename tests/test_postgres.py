"""pubdb on PostgreSQL: migrations, queries, list/show, dedup, real-world imports and a lab's
shared database, each checked against a real server and, where it applies, against SQLite.

The server comes from ``$PUBDB_TEST_POSTGRES_URL`` (``scripts/postgres-up.sh``); without one
these tests fail when ``CI=true`` and are skipped elsewhere (tests/conftest.py). The CLI and
storage tests of the other modules also run here through the ``backend`` fixture.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from factories import LIBRARY_KEYS, build_library
from sqlalchemy import func, inspect, select, text
from test_query import CASES

from pubdb.cli import cli
from pubdb.dedup_service import find_clusters, merge_sure, unmerge
from pubdb.model import Author, Base, Paper, PaperRelation
from pubdb.papers import search
from pubdb.query import FTS_TABLE, SORTS, fts_available, title_search_uses_fts
from pubdb.store import (
    SCHEMA_HEAD,
    Store,
    alembic_config,
    current_revision,
    make_engine,
    migrations_dir,
    open_store,
)
from tests.conftest import CORPORA, REPO, PostgresServer, postgres_unavailable

EXAMPLE = REPO / "bib" / "publications.bib"

postgres = pytest.mark.postgres


def test_missing_server_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but no server"):
        postgres_unavailable("no server")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no server"):
        postgres_unavailable("no server")


def test_without_psycopg_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = CliRunner().invoke(cli, ["--db", "postgresql+psycopg://lab:secret@db/pubs", "init"])
    assert result.exit_code == 1
    assert "pip install 'pubdb[postgres]'" in result.output
    assert "secret" not in result.output


# ------------------------------------------------------------------------------------------
# Migrations
# ------------------------------------------------------------------------------------------


@postgres
def test_every_revision_applies_and_reverts_on_postgresql(postgres_url: str):
    engine = make_engine(postgres_url)
    revisions = [
        rev.revision
        for rev in reversed(list(ScriptDirectory(str(migrations_dir())).walk_revisions()))
    ]
    assert revisions[-1] == SCHEMA_HEAD
    config = alembic_config(engine)
    try:
        for revision in revisions:  # one step at a time, as an old database would go
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
            assert current_revision(engine) == revision
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) | {"alembic_version"} == tables  # no FTS5 table
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    # And from empty to head the way every command does it.
    store = open_store(postgres_url)
    try:
        assert current_revision(store.engine) == SCHEMA_HEAD
        with store.transaction(write=False) as session:
            assert not fts_available(session)
            assert session.scalar(select(func.count()).select_from(Paper)) == 0
    finally:
        store.dispose()


@postgres
def test_ids_are_generated_by_the_database(postgres_url: str):
    store = open_store(postgres_url)
    try:
        with store.engine.connect() as conn:
            default = conn.execute(
                text(
                    "SELECT column_default FROM information_schema.columns "
                    "WHERE table_name = 'papers' AND column_name = 'id'"
                )
            ).scalar()
        assert default is not None and default.startswith("nextval(")
    finally:
        store.dispose()


# ------------------------------------------------------------------------------------------
# Queries: the query tests' library on both backends
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(str(tmp_path_factory.mktemp("pg-parity") / "library.sqlite"))
    with store.transaction() as session:
        build_library(session)
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def pg_library(postgres_server: PostgresServer) -> Iterator[Store]:
    url = postgres_server.empty_database()
    store = open_store(url)
    with store.transaction() as session:
        build_library(session)
    yield store
    store.dispose()
    postgres_server.drop(url)


def _keys(store: Store, terms: list[str], sort: str = "-year") -> list[str]:
    with store.transaction(write=False) as session:
        return [key for _, key in search(session, terms, sort=sort)]


@postgres
def test_title_search_on_postgresql_is_the_portable_one(pg_library: Store):
    with pg_library.transaction(write=False) as session:
        assert session.get_bind().dialect.name == "postgresql"
        assert not title_search_uses_fts("postgresql", fts_available(session))
        assert not inspect(session.connection()).has_table(FTS_TABLE)


@postgres
@pytest.mark.parametrize(
    ("terms", "expected"), CASES, ids=[" ".join(t) or "(empty)" for t, _ in CASES]
)
def test_query_finds_the_same_papers_on_postgresql(
    pg_library: Store, terms: list[str], expected: set[str]
):
    assert set(_keys(pg_library, terms)) == expected


@postgres
@pytest.mark.parametrize("sort", SORTS)
def test_sorts_agree_with_sqlite(pg_library: Store, sqlite_library: Store, sort: str):
    assert _keys(pg_library, [], sort) == _keys(sqlite_library, [], sort)
    assert _keys(pg_library, ["venue:SC+"], sort) == _keys(sqlite_library, ["venue:SC+"], sort)
    if sort == "-year":
        assert _keys(pg_library, [], sort) == list(LIBRARY_KEYS)


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


LIST_SHOW = [
    ["list"],
    ["list", "--format", "json", "venue:SC+"],
    ["list", "--format", "keys", "--sort", "title", "-tomography"],
    ["list", "author:Gürsoy", "--sort", "venue"],
    ["show", "liu2021bridge"],
    ["show", "DBLP:conf/sigmod/NathanSLRKHPSNK24"],
    ["show", "obrien2017tables"],
    ["export", "--format", "markdown", "--style", "cv", "--group-by", "tag"],
    ["export", "--format", "csl-json", "year:2020..2021"],
    ["export", "--format", "bibtex", "owner:first"],
    ["export", "--format", "text", "--highlight", "Ian Foster", "author:foster"],
    ["award", "list"],
    ["tag", "list"],
    ["venue", "list"],
    ["venue", "show", "SC"],
    ["owner", "show"],
]


@postgres
@pytest.mark.parametrize("args", LIST_SHOW, ids=[" ".join(a) for a in LIST_SHOW])
def test_commands_print_the_same_on_both_backends(
    pg_library: Store, sqlite_library: Store, args: list[str]
):
    ours = CliRunner().invoke(cli, ["--db", _url(pg_library), *args], env={"COLUMNS": "120"})
    theirs = CliRunner().invoke(cli, ["--db", _url(sqlite_library), *args], env={"COLUMNS": "120"})
    assert ours.exit_code == theirs.exit_code == 0, ours.output
    assert _no_times(ours.stdout) == _no_times(theirs.stdout)


def _no_times(output: str) -> str:
    """The JSON's created/updated times differ between the two libraries (and SQLite gives
    them without the UTC offset it stored them with)."""
    return re.sub(r'"(created_at|updated_at)": "[^"]*"', r'"\1": "…"', output)


# ------------------------------------------------------------------------------------------
# Duplicates: find, merge and unmerge the same way
# ------------------------------------------------------------------------------------------


def _dedup_story(location: str) -> list[object]:
    """Import the duplicate corpus apart, list clusters, merge the sure ones, undo one."""
    files = sorted((CORPORA / "duplicates").glob("*.input.bib"))
    result = CliRunner().invoke(
        cli, ["--db", location, "import", "--on-duplicate", "keep", *map(str, files)]
    )
    assert result.exit_code == 0, result.output
    store = open_store(location)
    story: list[object] = []
    try:
        with store.transaction() as session:
            clusters = find_clusters(session)
            story.append([(c.keys, c.sure, round(c.score, 3)) for c in clusters])
            merged = merge_sure(session, clusters)
            story.append([(m.key, m.other, sorted(m.aliases), m.sources) for m in merged])
        assert merged, "the duplicate corpus has sure duplicates"
        with store.transaction() as session:
            restored = unmerge(session, merged[0].other)
            story.append((restored.key, restored.survivor, restored.sources))
        with store.transaction(write=False) as session:
            story.append(sorted(session.scalars(select(Paper.key))))
            story.append(session.scalar(select(func.count()).select_from(PaperRelation)))
            story.append(sorted(session.scalars(select(Author.display_name))))
    finally:
        store.dispose()
    return story


@postgres
@pytest.mark.skipif(not (CORPORA / "duplicates").is_dir(), reason="no shared/corpora")
def test_dedup_merge_and_unmerge_agree_with_sqlite(postgres_url: str, tmp_path: Path):
    assert _dedup_story(postgres_url) == _dedup_story(str(tmp_path / "dedup.sqlite"))


# ------------------------------------------------------------------------------------------
# Real-world files
# ------------------------------------------------------------------------------------------


@postgres
@pytest.mark.slow
@pytest.mark.skipif(not CORPORA.is_dir(), reason="no shared/corpora")
def test_real_world_corpora_import_into_postgresql(postgres_url: str):
    from pubdb.errors import InputError
    from pubdb.importers.bibtex import read_bibtex
    from pubdb.importing import ImportInput, import_files

    readable = []
    for path in sorted((CORPORA / "real-world").rglob("*.bib")):
        try:
            read_bibtex(path)
        except InputError:
            continue
        readable.append(ImportInput(str(path)))
    store = open_store(postgres_url)
    try:
        with store.transaction() as session:
            report = import_files(session, readable)
        with store.transaction(write=False) as session:
            stored = session.scalar(select(func.count()).select_from(Paper))
    finally:
        store.dispose()
    assert all(file.accounted == file.entries for file in report.files)
    assert report.total("added") > 5000
    assert stored == report.total("added")


OVERLONG = (
    "@article{"
    + "k" * 300
    + ",\n  author = {"
    + "Given" * 60
    + " "
    + "Family" * 60
    + "},\n  title = {A},\n  pages = {"
    + "1" * 150
    + "},\n  journal = {J},\n  year = {2020}\n}\n"
)


@postgres
def test_overlong_fields_do_not_break_an_import(postgres_url: str, tmp_path: Path):
    # PostgreSQL enforces VARCHAR(n) lengths that SQLite ignores: the importer fails just that
    # entry, with its line and reason, on both backends.
    path = tmp_path / "long.bib"
    path.write_text(OVERLONG + EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", postgres_url, "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "37 added" in result.output and "1 failed" in result.output
    assert "long.bib:1: key is 300 characters long (at most 250)" in result.stderr


# ------------------------------------------------------------------------------------------
# A lab's shared database
# ------------------------------------------------------------------------------------------


def _lab(url: str, *args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(cli, ["--db", url, *args], input=input)
    assert result.exit_code == 0, result.output
    return result


@postgres
def test_each_member_exports_their_own_cv_from_the_shared_database(postgres_url: str):
    _lab(postgres_url, "import", str(EXAMPLE))
    _lab(postgres_url, "owner", "set", "Zhengchun Liu")
    mine = _lab(postgres_url, "export", "--format", "markdown", "year:2022")
    ians = _lab(
        postgres_url, "export", "--format", "markdown", "year:2022", "--highlight", "Ian Foster"
    )
    assert "**Zhengchun Liu**" in mine.stdout and "**Ian Foster**" not in mine.stdout
    assert "**Ian Foster**" in ians.stdout and "**Zhengchun Liu**" not in ians.stdout
    assert "owner: " in _lab(postgres_url, "owner", "show").stdout
    assert "Zhengchun Liu" in _lab(postgres_url, "owner", "show").stdout  # unchanged
