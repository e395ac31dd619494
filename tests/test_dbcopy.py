"""`pubdb db copy DEST`: every record arrives, ids included; a second copy adds nothing.

Copies run SQLite -> SQLite, SQLite -> PostgreSQL and PostgreSQL -> SQLite; the PostgreSQL
ones need ``$PUBDB_TEST_POSTGRES_URL`` (see tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import DateTime, func, select

from pubdb.cli import cli
from pubdb.dbcopy import copy_database, copy_tables
from pubdb.dedup_service import merge_by_keys, unmerge
from pubdb.errors import DatabaseError
from pubdb.model import Award, Paper
from pubdb.store import open_store
from tests.conftest import CORPORA, REPO

EXAMPLE = REPO / "bib" / "publications.bib"
DUPLICATES = CORPORA / "duplicates" / "duplicate-entries.01.input.bib"

NewDatabase = Callable[[str], str]


@pytest.fixture
def new_database(tmp_path: Path, request: pytest.FixtureRequest) -> NewDatabase:
    """Makes empty databases: ``new_database("sqlite")`` or ``new_database("postgres")``."""
    made = iter(range(1, 100))

    def make(kind: str) -> str:
        if kind == "sqlite":
            return str(tmp_path / f"db{next(made)}.sqlite")
        server = request.getfixturevalue("postgres_server")
        url = server.empty_database()
        request.addfinalizer(lambda: server.drop(url))
        return url

    return make


def pubdb(location: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", location, *args])


def ok(location: str, *args: str) -> Result:
    result = pubdb(location, *args)
    assert result.exit_code == 0, (args, result.output)
    return result


# A duplicate of an example paper under another key (merged at import: a cite-key alias)
# and a chapter with editors.
MORE = """@article{WangLFCKK21,
  author = {Jiali Wang and Zhengchun Liu and Ian T. Foster and Won Chang and
            Rajkumar Kettimuthu and V. Rao Kotamarthi},
  title = {Fast and Accurate Learned Multiresolution Dynamical Downscaling for Precipitation},
  journal = {Geosci. Model Dev.},
  volume = {14}, number = {10}, pages = {6355-6372}, year = {2021},
  doi = {https://doi.org/10.5194/gmd-14-6355-2021}
}

@incollection{liu2020chapter,
  author = {Zhengchun Liu and Ian Foster},
  editor = {Jack Dongarra and Bernard Tourancheau},
  title = {A Chapter in an Edited Book},
  booktitle = {Handbook of Scientific Workflows},
  publisher = {Springer}, year = {2020}
}
"""


def fill(location: str) -> None:
    """A database using every table: imports with a merge (alias, merged source), editors,
    annotations, a venue alias, an owner with a variant, a hand merge undone (relation)."""
    ok(location, "import", str(EXAMPLE))
    result = CliRunner().invoke(cli, ["--db", location, "import", "-"], input=MORE)
    assert result.exit_code == 0, result.output
    if DUPLICATES.exists():
        ok(location, "import", str(DUPLICATES))
    ok(location, "owner", "set", "Zhengchun Liu", "--variant", "Z. Liu")
    ok(location, "mark", "babu2023deep", "Anakha V. Babu", "--student")
    ok(location, "award", "add", "wang2021fast", "Best Poster", "--year", "2021")
    ok(location, "tag", "title", "ml-systems", "Papers on Machine Learning and Systems")
    ok(location, "tag", "order", "ai-science", "ml-systems")
    ok(location, "venue", "alias", "Frontiers Phys.", "SC")
    store = open_store(location)
    try:
        with store.transaction() as session:
            merge_by_keys(session, "liu2022masked", "liu2022braggnn")
        with store.transaction() as session:
            unmerge(session, "liu2022braggnn")
    finally:
        store.dispose()


def _value(value: Any, column: Any) -> Any:
    if isinstance(column.type, DateTime) and isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def dump(location: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, timestamps in UTC."""
    store = open_store(location)
    try:
        with store.transaction(write=False) as session:
            tables = {}
            for table in copy_tables():
                rows = session.execute(select(table).order_by(*table.primary_key.columns))
                tables[table.name] = [
                    tuple(_value(v, c) for v, c in zip(row, table.columns, strict=True))
                    for row in rows
                ]
            return tables
    finally:
        store.dispose()


PAIRS = [("sqlite", "sqlite"), ("sqlite", "postgres"), ("postgres", "sqlite")]
PAIR_IDS = [f"{a}-to-{b}" for a, b in PAIRS]


def _pg_marks(pairs: list[tuple[str, str]]) -> list[Any]:
    return [
        pytest.param(*pair, id=name, marks=[pytest.mark.postgres] if "postgres" in pair else [])
        for pair, name in zip(pairs, PAIR_IDS, strict=True)
    ]


@pytest.fixture(scope="module")
def filled_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("filled") / "source.sqlite"
    fill(str(path))
    return path


def _source(kind: str, new_database: NewDatabase, filled_sqlite: Path, tmp_path: Path) -> str:
    if kind == "sqlite":  # a private copy of the module's filled database
        copy = tmp_path / "source.sqlite"
        copy.write_bytes(filled_sqlite.read_bytes())
        return str(copy)
    location = new_database(kind)
    fill(location)
    return location


@pytest.mark.parametrize(("source_kind", "dest_kind"), _pg_marks(PAIRS))
def test_copy_keeps_every_row_and_a_second_copy_adds_nothing(
    source_kind, dest_kind, new_database, filled_sqlite, tmp_path
):
    source = _source(source_kind, new_database, filled_sqlite, tmp_path)
    dest = new_database(dest_kind)
    before = dump(source)
    assert all(before.values()), "the source should use every table"
    first = ok(source, "db", "copy", dest)
    assert first.output.startswith("copied into ")
    assert f"{len(before['papers'])} papers" in first.output
    assert dump(dest) == before
    second = ok(source, "db", "copy", dest)
    assert "already holds these records; nothing copied" in second.output
    assert dump(dest) == before
    assert dump(source) == before


@pytest.mark.parametrize(("source_kind", "dest_kind"), _pg_marks(PAIRS))
def test_copy_exports_the_same_cv_and_takes_new_records(
    source_kind, dest_kind, new_database, filled_sqlite, tmp_path
):
    source = _source(source_kind, new_database, filled_sqlite, tmp_path)
    dest = new_database(dest_kind)
    ok(source, "db", "copy", dest)
    for args in (
        ("export", "--format", "markdown", "--style", "cv", "--group-by", "tag"),
        ("export", "--format", "bibtex"),
        ("award", "list"),
        ("owner", "show"),
        ("show", "liu2022masked"),
    ):
        assert ok(dest, *args).output == ok(source, *args).output, args
    # New rows get new ids (PostgreSQL's sequences were moved past the copied ids).
    ok(dest, "award", "add", "liu2017simulation", "Best Student Paper")
    ok(dest, "tag", "add", "liu2017simulation", "brand-new")
    extra = tmp_path / "new.bib"
    extra.write_text(NEW_PAPER, encoding="utf-8")
    assert "1 added" in ok(dest, "import", str(extra)).output
    store = open_store(dest)
    try:
        with store.transaction(write=False) as session:
            assert session.scalar(
                select(func.count()).select_from(Award).where(Award.text == "Best Student Paper")
            )
            assert session.scalar(select(Paper.key).where(Paper.key == "newcomer2025")) == (
                "newcomer2025"
            )
    finally:
        store.dispose()


NEW_PAPER = """@inproceedings{newcomer2025,
  author = {Nova Newcomer and Zhengchun Liu},
  title = {A Paper Written After the Copy},
  booktitle = {Workshop on Brand New Things},
  year = {2025},
  doi = {10.9999/newcomer.2025}
}
"""


@pytest.mark.parametrize(
    "dest_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_destination_with_other_records_is_refused_and_left_alone(
    dest_kind, new_database, filled_sqlite, tmp_path
):
    source = _source("sqlite", new_database, filled_sqlite, tmp_path)
    dest = new_database(dest_kind)
    ok(source, "db", "copy", dest)
    ok(source, "award", "add", "liu2017simulation", "Best Student Paper")
    copied = dump(dest)
    refused = pubdb(source, "db", "copy", dest)
    assert refused.exit_code == 1
    assert "already holds other records (table awards differs)" in refused.output
    assert dump(dest) == copied
    other = new_database(dest_kind)
    ok(other, "import", str(EXAMPLE))
    refused = pubdb(source, "db", "copy", other)
    assert refused.exit_code == 1 and "already holds other records" in refused.output


def test_copy_into_itself_is_refused(filled_sqlite, tmp_path):
    source = str(tmp_path / "self.sqlite")
    Path(source).write_bytes(filled_sqlite.read_bytes())
    result = pubdb(source, "db", "copy", source)
    assert result.exit_code == 1 and "is the database being copied" in result.output


def test_copy_into_a_missing_folder_is_a_clear_error(filled_sqlite, tmp_path):
    result = pubdb(str(filled_sqlite), "db", "copy", str(tmp_path / "no" / "where.sqlite"))
    assert result.exit_code == 1 and "does not exist" in result.output


def test_copy_is_all_or_nothing(filled_sqlite, tmp_path, monkeypatch):
    """A failure half-way leaves the destination without any record."""
    import pubdb.dbcopy as dbcopy

    source = open_store(str(filled_sqlite))
    dest = open_store(str(tmp_path / "dest.sqlite"))
    original = dbcopy._copy_table

    def failing(src, dst, table):
        if table.name == "paper_sources":
            raise RuntimeError("disk full")
        return original(src, dst, table)

    monkeypatch.setattr(dbcopy, "_copy_table", failing)
    try:
        with pytest.raises(RuntimeError):
            copy_database(source, dest)
        with dest.transaction(write=False) as session:
            assert session.scalar(select(func.count()).select_from(Paper)) == 0
        monkeypatch.setattr(dbcopy, "_copy_table", original)
        report = copy_database(source, dest)
        assert report.rows["papers"] == len(dump(str(filled_sqlite))["papers"])
    finally:
        source.dispose()
        dest.dispose()


def test_same_store_is_refused(filled_sqlite):
    store = open_store(str(filled_sqlite))
    try:
        with pytest.raises(DatabaseError, match="is the database being copied"):
            copy_database(store, store)
    finally:
        store.dispose()
