"""Crash safety: a pubdb killed with SIGKILL mid-way leaves its work all done or not at all.

Each test runs a real ``pubdb`` process (``import``, ``dedup --merge``, ``db upgrade``) on a
SQLite database, kills it with SIGKILL while it is writing, then opens the database:
``PRAGMA integrity_check`` is ok, no foreign key dangles, and the data is exactly the state
before the command or exactly the state after a complete run, never something in between.
At the early kill points, which surely come before the command's commit, it must be the
state before; a later kill point may land after the commit on a loaded machine (the test
only polls), so there either state is accepted.

When to kill: ``import`` and ``db upgrade`` are killed when the database's write-ahead log
has grown past a size (the command's one transaction is spilling pages: mid-write, well
before its commit), ``db upgrade`` also while it copies the backup; ``dedup --merge`` writes
nothing to the log before its commit, so it is killed when it has used a fraction of the CPU
time a complete run takes (CPU time, not wall time: the same under load), after the
clustering, while it merges. Each kill point is one test case.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pubdb.cli import cli
from pubdb.store import SCHEMA_HEAD, open_store
from tests.conftest import REPO, synthetic_bib
from tests.data.old_databases.builders import create_at, fill_many_0001

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]

IMPORT_ENTRIES = 3000  # no near-duplicates: every entry becomes one paper
DEDUP_ENTRIES = 500  # 30% near-duplicates, imported with --on-duplicate keep
UPGRADE_PAPERS = 50_000
TIMEOUT_S = 60.0


def _pubdb(database: Path, *args: str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from pubdb.cli import main; main()", "--db", str(database)]
    return subprocess.Popen([*command, *args], stdout=subprocess.DEVNULL, stderr=stderr, cwd=REPO)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def kill_when(
    process: subprocess.Popen[bytes], ready: Callable[[], bool], *, may_finish: bool = False
) -> None:
    """SIGKILL ``process`` as soon as ``ready()``; fails if it ends (or hangs) first, unless
    ``may_finish`` (a late kill point a fast run can outrun: the caller checks the result)."""
    deadline = time.monotonic() + TIMEOUT_S
    while not ready():
        if process.poll() is not None:
            if may_finish and process.returncode == 0:
                return
            pytest.fail(f"pubdb ended (status {process.returncode}) before the kill point")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("kill point never reached")
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    assert process.wait(TIMEOUT_S) == -signal.SIGKILL


def sound(database: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection after checking the file's integrity and foreign keys."""
    conn = sqlite3.connect(database)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    return conn


def count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_to_end(database: Path, *args: str) -> float:
    """Run pubdb to completion; returns the CPU time it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = _pubdb(database, *args, stderr=subprocess.PIPE)
    _, err = process.communicate(timeout=TIMEOUT_S * 2)
    assert process.returncode == 0, err
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


# ------------------------------------------------------------------------------------------
# import
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_bib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "big.bib"
    path.write_text(synthetic_bib(IMPORT_ENTRIES, seed=3, dup_rate=0.0), encoding="utf-8")
    return path


@pytest.fixture
def fresh_database(tmp_path: Path) -> Path:
    """A database at head with nothing in it and no write-ahead log left."""
    database = tmp_path / "crash.sqlite"
    open_store(str(database)).dispose()
    assert _size(Path(f"{database}-wal")) == -1
    return database


# WAL sizes at which to kill: the first spilled page (about 1.5 s before the commit: the
# kill surely lands before it, so nothing may be there), then deep into the transaction (a
# complete import of these entries leaves about 5 MB of log at its commit; a slow poll on a
# loaded machine might kill after the commit, so there all or nothing is asserted).
WAL_KILL_POINTS = [
    pytest.param(16 * 1024, True, id="first-spill"),
    pytest.param(2560 * 1024, False, id="2.5MB"),
]


@pytest.mark.parametrize(("wal_bytes", "surely_before_commit"), WAL_KILL_POINTS)
def test_import_killed_mid_way_adds_all_or_nothing(
    big_bib: Path, fresh_database: Path, wal_bytes: int, surely_before_commit: bool
):
    wal = Path(f"{fresh_database}-wal")
    process = _pubdb(fresh_database, "import", str(big_bib))
    kill_when(process, lambda: _size(wal) >= wal_bytes)
    with sound(fresh_database) as conn:
        counts = {
            table: count(conn, table)
            for table in ("papers", "paper_sources", "authorships", "import_batches")
        }
    nothing = {"papers": 0, "paper_sources": 0, "authorships": 0, "import_batches": 0}
    if surely_before_commit:
        assert counts == nothing
    elif counts != nothing:  # killed after the commit: everything
        assert counts["papers"] == counts["paper_sources"] == IMPORT_ENTRIES
        assert counts["import_batches"] == 1


def test_import_after_a_crash_imports_everything(big_bib: Path, fresh_database: Path):
    """The 'all' side: after a killed import the same import runs through completely."""
    wal = Path(f"{fresh_database}-wal")
    kill_when(_pubdb(fresh_database, "import", str(big_bib)), lambda: _size(wal) >= 1 << 20)
    run_to_end(fresh_database, "import", str(big_bib))
    with sound(fresh_database) as conn:
        assert count(conn, "papers") == IMPORT_ENTRIES
        assert count(conn, "paper_sources") == IMPORT_ENTRIES
        assert count(conn, "import_batches") == 1


# ------------------------------------------------------------------------------------------
# dedup --merge
# ------------------------------------------------------------------------------------------


def dedup_state(database: Path) -> dict[str, Any]:
    with sound(database) as conn:
        return {
            "papers": sorted(row[0] for row in conn.execute("SELECT key FROM papers")),
            "aliases": count(conn, "cite_key_aliases"),
            "sources": sorted(
                conn.execute("SELECT cite_key, paper_id, merged_from_key FROM paper_sources")
            ),
            "authorships": count(conn, "authorships"),
        }


@pytest.fixture(scope="module")
def duplicated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A database holding near-duplicates (kept apart), its state, the state after a
    complete ``dedup --merge`` and the CPU time that took."""
    folder = tmp_path_factory.mktemp("dedup-crash")
    bib = folder / "dups.bib"
    bib.write_text(synthetic_bib(DEDUP_ENTRIES, seed=5, dup_rate=0.3), encoding="utf-8")
    database = folder / "dups.sqlite"
    result = CliRunner().invoke(
        cli, ["--db", str(database), "import", "--on-duplicate", "keep", str(bib)]
    )
    assert result.exit_code == 0, result.output
    open_store(str(database)).dispose()  # checkpoint: no log left behind
    merged = folder / "merged.sqlite"
    shutil.copy(database, merged)
    cpu = run_to_end(merged, "dedup", "--merge")
    before, after = dedup_state(database), dedup_state(merged)
    assert len(after["papers"]) < len(before["papers"]) - 50  # many merges to interrupt
    return {"database": database, "before": before, "after": after, "cpu": cpu}


@pytest.mark.parametrize(
    ("fraction", "surely_before_commit"),
    [
        pytest.param(0.45, True, id="45%"),
        pytest.param(0.65, True, id="65%"),
        pytest.param(0.9, False, id="90%"),
    ],
)
def test_dedup_merge_killed_mid_way_merges_all_or_nothing(
    duplicated: dict[str, Any], tmp_path: Path, fraction: float, surely_before_commit: bool
):
    database = tmp_path / "dups.sqlite"
    shutil.copy(duplicated["database"], database)
    process = _pubdb(database, "dedup", "--merge")
    kill_at = fraction * duplicated["cpu"]
    kill_when(
        process,
        lambda: cpu_seconds(process.pid) >= kill_at,
        may_finish=not surely_before_commit,
    )
    state = dedup_state(database)
    assert state in (duplicated["before"], duplicated["after"])
    if surely_before_commit:  # killed while merging: nothing was merged
        assert state == duplicated["before"]


# ------------------------------------------------------------------------------------------
# db upgrade
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def old_big_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database at revision 0001 holding ``UPGRADE_PAPERS`` papers."""
    from pubdb.store import database_url, make_engine

    database = tmp_path_factory.mktemp("upgrade-crash") / "old.sqlite"
    create_at(str(database), "0001")
    engine = make_engine(database_url(str(database)))
    with engine.begin() as conn:
        fill_many_0001(conn, UPGRADE_PAPERS)
    engine.dispose()
    assert _size(Path(f"{database}-wal")) == -1
    return database


def _backup_started(folder: Path, database: Path) -> Callable[[], bool]:
    # The backup is written as "<name>.<stamp>.bak.part" and renamed when whole.
    def ready() -> bool:
        copies = [p for p in folder.glob(f"{database.name}.*.bak.part")]
        return any(0 < _size(p) < _size(database) for p in copies)

    return ready


# Kill points: while the backup is copied (before any schema change), at the first page the
# upgrade's transaction spills to the log (well before its commit), and later (a slow poll
# on a loaded machine may kill after the commit: then the new schema must be complete).
UPGRADE_KILL_POINTS = [
    pytest.param("during-backup", True, id="during-backup"),
    pytest.param("first-spill", True, id="first-spill"),
    pytest.param("512KB", False, id="512KB"),
]


@pytest.mark.parametrize(("kill_point", "surely_before_commit"), UPGRADE_KILL_POINTS)
def test_db_upgrade_killed_mid_way_is_old_or_new_with_all_data(
    old_big_database: Path, tmp_path: Path, kill_point: str, surely_before_commit: bool
):
    database = tmp_path / "old.sqlite"
    shutil.copy(old_big_database, database)
    wal = Path(f"{database}-wal")
    ready = {
        "during-backup": _backup_started(tmp_path, database),
        "first-spill": lambda: _size(wal) > 32,  # more than the log's header
        "512KB": lambda: _size(wal) >= 512 * 1024,
    }[kill_point]
    kill_when(_pubdb(database, "db", "upgrade"), ready)
    if kill_point == "during-backup":
        # A file named like a backup is always a whole one.
        assert not list(tmp_path.glob(f"{database.name}.*.bak"))
    with sound(database) as conn:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        assert count(conn, "papers") == UPGRADE_PAPERS
        assert count(conn, "authorships") == UPGRADE_PAPERS
        assert count(conn, "paper_sources") == UPGRADE_PAPERS
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    new = {"papers_fts", "papers_fts_ai", "ix_papers_venue_year", "ix_authorships_student"}
    if surely_before_commit:
        assert revision == "0001"
    # The old schema untouched, or the new one complete.
    assert (revision, names & new) in (("0001", set()), (SCHEMA_HEAD, new))
    # The next open upgrades it if need be, and finds every paper by title.
    open_store(str(database)).dispose()
    with sound(database) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD
        hits = conn.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'number'")
        assert hits.fetchone()[0] == UPGRADE_PAPERS
        assert count(conn, "papers") == UPGRADE_PAPERS
