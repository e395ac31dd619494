"""File system trouble: one clear line, exit 1, nothing half-written.

A database in a missing or read-only folder, a read-only database, a file that is no database,
a .bib that is a folder or unreadable, an export that cannot be written (missing folder,
read-only folder, a folder as the file, a write that fails half-way, a full standard output).

Tests run as root in CI, where permission bits do not stop root: read-only folders and files
are then made immutable with ``chattr +i`` (which does stop root), and the test is skipped
when that is not possible either; an unreadable file cannot be made for root at all.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pubdb.cli import cli

ROOT = os.geteuid() == 0
ENTRY = "@article{{{key}, title={{Paper {key}}}, author={{Doe, Jane}}, journal={{J}}, year=2020}}\n"


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _one_error_line(result: Result) -> str:
    """The failure contract: exit 1, no traceback, exactly one line on stderr."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def _bib(folder: Path, *keys: str, name: str = "in.bib") -> Path:
    path = folder / name
    path.write_text("".join(ENTRY.format(key=key) for key in keys), encoding="utf-8")
    return path


def _papers(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT count(*) FROM papers").fetchone()[0]


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """``path`` (a file or folder) read-only even for root: chmod, or chattr +i as root."""
    if not ROOT:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root and chattr is missing: nothing is read-only for root")
    done = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"running as root and chattr +i failed: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


# --------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------


def test_database_in_a_missing_folder(tmp_path):
    bib = _bib(tmp_path, "a")
    database = tmp_path / "missing" / "sub" / "db.sqlite"
    line = _one_error_line(_run("--db", str(database), "import", str(bib)))
    assert line == f"Error: {database}: folder {database.parent} does not exist"
    assert not (tmp_path / "missing").exists()


def test_database_folder_is_a_file(tmp_path):
    bib = _bib(tmp_path, "a")
    database = bib / "db.sqlite"
    line = _one_error_line(_run("--db", str(database), "import", str(bib)))
    assert str(database) in line


def test_database_in_a_read_only_folder(tmp_path):
    bib = _bib(tmp_path, "a")
    folder = tmp_path / "ro"
    folder.mkdir()
    with _read_only(folder):
        line = _one_error_line(_run("--db", str(folder / "db.sqlite"), "import", str(bib)))
        assert line.startswith(f"Error: {folder / 'db.sqlite'}: ")
        assert list(folder.iterdir()) == []


def test_read_only_database_file_keeps_its_papers(tmp_path):
    database = tmp_path / "db.sqlite"
    assert _run("--db", str(database), "import", str(_bib(tmp_path, "a", "b"))).exit_code == 0
    before = database.read_bytes()
    with _read_only(database):
        result = _run("--db", str(database), "import", str(_bib(tmp_path, "c", name="c.bib")))
        line = _one_error_line(result)
        assert line == f"Error: {database}: database error: attempt to write a readonly database"
        listed = _run("--db", str(database), "list")  # reading still works
        assert listed.exit_code == 0 and "a" in listed.stdout.split()
    assert database.read_bytes() == before
    assert _papers(database) == 2


def test_a_file_that_is_no_database(tmp_path):
    bib = _bib(tmp_path, "a")
    line = _one_error_line(_run("--db", str(bib), "list"))
    assert line == f"Error: {bib}: database error: file is not a database"
    assert bib.read_text(encoding="utf-8") == ENTRY.format(key="a")


# --------------------------------------------------------------------------------------------
# The .bib files
# --------------------------------------------------------------------------------------------


def test_bib_that_is_a_folder_imports_nothing(tmp_path):
    database = tmp_path / "db.sqlite"
    good = _bib(tmp_path, "a")
    folder = tmp_path / "folder.bib"
    folder.mkdir()
    line = _one_error_line(_run("--db", str(database), "import", str(good), str(folder)))
    assert line == f"Error: {folder}: is a folder, not a .bib file"
    assert _papers(database) == 0  # the good file before it is not half-imported


@pytest.mark.skipif(ROOT, reason="running as root: chmod 000 does not stop root reading")
def test_unreadable_bib(tmp_path):
    bib = _bib(tmp_path, "a")
    bib.chmod(0)
    try:
        line = _one_error_line(_run("--db", str(tmp_path / "db.sqlite"), "import", str(bib)))
    finally:
        bib.chmod(0o644)
    assert line == f"Error: {bib}: cannot read (Permission denied)"


def test_missing_bib(tmp_path):
    missing = tmp_path / "missing.bib"
    line = _one_error_line(_run("--db", str(tmp_path / "db.sqlite"), "import", str(missing)))
    assert line == f"Error: {missing}: cannot read (No such file or directory)"


# --------------------------------------------------------------------------------------------
# Export output
# --------------------------------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "db.sqlite"
    assert _run("--db", str(path), "import", str(_bib(tmp_path, "a", "b"))).exit_code == 0
    return path


def _export(database: Path, output: Path | str) -> Result:
    return _run("--db", str(database), "export", "-o", str(output))


def test_export_into_a_missing_folder(database, tmp_path):
    output = tmp_path / "missing" / "dir" / "x.md"
    line = _one_error_line(_export(database, output))
    assert line == f"Error: {output}: cannot write: No such file or directory"
    assert not (tmp_path / "missing").exists()


def test_export_onto_a_folder(database, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    line = _one_error_line(_export(database, folder))
    assert line == f"Error: {folder}: is a folder; give a file name"
    assert list(folder.iterdir()) == []


def test_export_into_a_read_only_folder(database, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "x.md").write_text("old\n", encoding="utf-8")
    with _read_only(folder):
        line = _one_error_line(_export(database, folder / "x.md"))
        assert line.startswith(f"Error: {folder / 'x.md'}: cannot write: ")
    assert [p.name for p in folder.iterdir()] == ["x.md"]  # no temporary file left
    assert (folder / "x.md").read_text(encoding="utf-8") == "old\n"


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_write_that_fails_half_way_leaves_the_old_file(database, tmp_path, monkeypatch, failing):
    output = tmp_path / "out" / "cv.md"
    output.parent.mkdir()
    output.write_text("the old list\n", encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, failing, full)
    line = _one_error_line(_export(database, output))
    assert line == f"Error: {output}: cannot write: No space left on device"
    assert output.read_text(encoding="utf-8") == "the old list\n"
    assert [p.name for p in output.parent.iterdir()] == ["cv.md"]


def test_an_interrupted_write_leaves_no_temporary_file(database, tmp_path, monkeypatch):
    output = tmp_path / "out" / "cv.md"
    output.parent.mkdir()
    output.write_text("the old list\n", encoding="utf-8")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    result = _export(database, output)
    assert result.exit_code != 0
    assert output.read_text(encoding="utf-8") == "the old list\n"
    assert [p.name for p in output.parent.iterdir()] == ["cv.md"]


def test_export_through_a_symbolic_link_keeps_the_link(database, tmp_path):
    target = tmp_path / "real.md"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    assert _export(database, link).exit_code == 0
    assert link.is_symlink() and "Paper a" in target.read_text(encoding="utf-8")


def test_export_into_a_pipe_writes_it_and_leaves_it_a_pipe(database, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # A reader first (non-blocking), so the export's open for writing does not wait; the list
    # is smaller than the pipe's buffer.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = _export(database, fifo)
        chunks = []
        while chunk := os.read(reader, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(reader)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # not replaced by a regular file
    assert "Paper a" in b"".join(chunks).decode("utf-8")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_export_to_a_full_standard_output(database):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", "from pubdb.cli import main; main()", "--db", str(database),
             "export"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "Error: cannot write to standard output: No space left on device"
    ]
