"""Shared fixtures: a fresh database per test and a CliRunner bound to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pubdb.cli import cli
from pubdb.store import Store, open_store

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


@pytest.fixture(autouse=True)
def _no_user_database(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test may touch the real user's database: $PUBDB_DB points at a temporary file."""
    monkeypatch.setenv("PUBDB_DB", str(tmp_path_factory.mktemp("default") / "pubdb.sqlite"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "pubdb.sqlite"


@pytest.fixture
def store(db_path: Path):
    opened = open_store(str(db_path))
    yield opened
    opened.dispose()


RunCli = Callable[..., Result]


@pytest.fixture
def run_cli(db_path: Path) -> RunCli:
    """Run a pubdb command against the test database; stderr is kept apart from stdout."""

    def run(*args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, ["--db", str(db_path), *args], input=input, catch_exceptions=False
        )

    return run


def reopen(db_path: Path) -> Store:
    return open_store(str(db_path))
