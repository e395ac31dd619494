"""The built wheel carries the Alembic scripts: a non-editable install creates and migrates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PIP = (sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check")


@pytest.mark.slow
def test_wheel_install_creates_and_migrates(tmp_path: Path):
    wheels = tmp_path / "dist"
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("pubdb-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [*PIP, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    assert (target / "pubdb" / "_migrations" / "env.py").is_file()
    # Run from the installed copy (it comes first on sys.path), outside the repository, with
    # the dependencies this interpreter already has.
    code = (
        "import pubdb, pubdb.store as s, sys;"
        "assert pubdb.__file__.startswith(sys.argv[1]), pubdb.__file__;"
        "print(s.migrations_dir());"
        "st = s.open_store(sys.argv[2]);"
        "print(s.current_revision(st.engine))"
    )
    db = tmp_path / "wheel.sqlite"
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(target), str(db)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    ).stdout.split()
    assert out[0] == str(target / "pubdb" / "_migrations")
    from pubdb.store import SCHEMA_HEAD

    assert out[1] == SCHEMA_HEAD
