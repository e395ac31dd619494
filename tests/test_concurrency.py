"""Concurrent writers on one database: the write lock of ``pubdb.store`` (real processes).

Two ``pubdb import`` processes started at once with overlapping files must both succeed,
print no error, and leave the database exactly as importing the files one after the other
would (in one order or the other): no duplicate papers, authors or venues. Both start on an
empty database, so they also race to create the schema.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from pubdb.cli import cli
from pubdb.model import Author, Paper, Venue
from pubdb.store import open_store
from tests.conftest import synthetic_bib

pytestmark = [pytest.mark.backends, pytest.mark.slow]

ENTRIES = 300


@pytest.fixture(scope="module")
def overlapping_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two .bib files sharing a third of their entries (and many authors and venues)."""
    chunks = synthetic_bib(ENTRIES, seed=7).split("\n\n@")
    header = [c for c in chunks if c.startswith(("%", "preamble", "string"))]
    entries = [c for c in chunks if c not in header]
    third = len(entries) // 3
    folder = tmp_path_factory.mktemp("concurrency")
    first, second = folder / "first.bib", folder / "second.bib"
    first.write_text("\n\n@".join(header + entries[: 2 * third]) + "\n", encoding="utf-8")
    second.write_text("\n\n@".join(header + entries[third:]) + "\n", encoding="utf-8")
    return first, second


@pytest.fixture
def empty_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database nobody opened yet: a SQLite path, or an empty PostgreSQL database."""
    if backend == "sqlite":
        return str(tmp_path / "shared.sqlite")
    return request.getfixturevalue("postgres_url")


def _pubdb(*args: str) -> list[str]:
    return [sys.executable, "-c", "from pubdb.cli import main; main()", *args]


def state(location: str) -> dict[str, Any]:
    """What must not be duplicated, as comparable values."""
    store = open_store(location)
    try:
        with store.transaction(write=False) as session:
            return {
                "papers": sorted(session.scalars(select(Paper.key))),
                "dois": Counter(session.scalars(select(Paper.doi).where(Paper.doi.is_not(None)))),
                "authors": Counter(session.scalars(select(Author.display_name))),
                "venues": Counter(session.scalars(select(Venue.short_key))),
            }
    finally:
        store.dispose()


def _sequential(tmp_path: Path, files: tuple[Path, Path], name: str) -> dict[str, Any]:
    location = str(tmp_path / f"{name}.sqlite")
    for path in files:
        result = CliRunner().invoke(cli, ["--db", location, "import", str(path)])
        assert result.exit_code == 0, result.output
    return state(location)


def test_two_imports_at_once_leave_no_duplicates(
    empty_database: str, overlapping_files: tuple[Path, Path], tmp_path: Path
):
    first, second = overlapping_files
    processes = [
        subprocess.Popen(
            _pubdb("--db", empty_database, "import", str(path)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (first, second)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert "Error" not in stderr and "Traceback" not in stderr, stderr
        assert " added, " in stdout
    after = state(empty_database)
    # The lock serialises the two imports: the result is one of the two sequential orders.
    one_then_two = _sequential(tmp_path, (first, second), "one-then-two")
    two_then_one = _sequential(tmp_path, (second, first), "two-then-one")
    assert after in (one_then_two, two_then_one)
    assert max(after["authors"].values()) == 1, "an author was created twice"
    assert max(after["venues"].values()) == 1
    assert max(after["dois"].values()) == 1, "a paper was imported twice"


def test_a_writer_waits_for_the_other_and_readers_do_not(empty_database: str):
    """In-process: a second write transaction starts only after the first commits; a read
    transaction runs meanwhile and sees the last committed state."""
    first, second = open_store(empty_database), open_store(empty_database)
    events: list[str] = []

    def write_after() -> None:
        with second.transaction() as session:
            events.append("second writer in")
            count = session.scalar(select(func.count()).select_from(Paper))
            events.append(f"second writer sees {count}")

    try:
        with first.transaction() as session:
            session.execute(
                Paper.__table__.insert().values(key="a", key_folded="a", entry_type="misc")
            )
            waiter = threading.Thread(target=write_after)
            waiter.start()
            with second.transaction(write=False) as reader:
                seen = reader.scalar(select(func.count()).select_from(Paper))
                events.append(f"reader sees {seen}")
            time.sleep(0.5)
            events.append("first writer commits")
        waiter.join(timeout=60)
        assert events == [
            "reader sees 0",
            "first writer commits",
            "second writer in",
            "second writer sees 1",
        ]
    finally:
        first.dispose()
        second.dispose()


def test_the_write_lock_is_released_on_rollback(empty_database: str):
    store = open_store(empty_database)
    try:
        with pytest.raises(RuntimeError), store.transaction():
            raise RuntimeError("boom")
        with store.transaction(rollback=True) as session:
            session.execute(text("SELECT 1"))
        other = open_store(empty_database)
        try:
            with other.transaction() as session:  # would wait forever if a lock leaked
                assert session.scalar(select(func.count()).select_from(Paper)) == 0
        finally:
            other.dispose()
    finally:
        store.dispose()


def test_a_sqlite_writer_gives_up_after_the_lock_timeout(tmp_path: Path, monkeypatch):
    import pubdb.store as store_module
    from pubdb.errors import DatabaseError

    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(store_module, "WRITE_LOCK_TIMEOUT_S", 0.3)
    location = str(tmp_path / "busy.sqlite")
    holder, waiter = open_store(location), open_store(location)
    try:
        with holder.transaction():
            with (
                pytest.raises(DatabaseError, match="another pubdb has been writing for over"),
                waiter.transaction(),
            ):
                pass
            with waiter.transaction(write=False) as session:  # readers still read
                assert session.scalar(select(func.count()).select_from(Paper)) == 0
    finally:
        holder.dispose()
        waiter.dispose()
