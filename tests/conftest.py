"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL too) and a CLI runner on it.

``db_path`` is the test's database: a SQLite file path, or for the PostgreSQL run a
``postgresql+psycopg://`` URL string of a database of its own, cloned from a template that was
migrated to head once per session (so it is created in milliseconds). Tests pass it on as
``str(db_path)``, which works for both.

Which tests run on both backends: those marked ``@pytest.mark.backends`` and those listed in
``BOTH_BACKENDS`` below (the CLI and storage tests, so that every command and the migrations
run on PostgreSQL). They get a ``[sqlite]`` and a ``[postgres]`` variant; every other test runs
on SQLite only, under its usual id. ``pytest -m postgres`` runs the PostgreSQL variants alone.

PostgreSQL comes from ``$PUBDB_TEST_POSTGRES_URL`` (a server URL whose user may create
databases; ``scripts/postgres-up.sh`` starts a throwaway one, ``.ci/run`` does so in CI). A
test that needs it and finds none fails when ``CI=true`` and is skipped, with the reason,
elsewhere.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pubdb.cli import cli
from pubdb.store import Store, open_store

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


def synthetic_bib(n: int, seed: int = 0, dup_rate: float = 0.05) -> str:
    """The benchmarks' synthetic bibliography (``benchmarks/synth.py``): ``n`` entries."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("synth", REPO / "benchmarks" / "synth.py")
    assert spec is not None and spec.loader is not None
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    return synth.generate_bib(n, seed=seed, dup_rate=dup_rate)


POSTGRES_URL_ENV = "PUBDB_TEST_POSTGRES_URL"

# Tests that also run against PostgreSQL: a module (every test in it that uses the database
# fixtures) or one test. Together they run every command and the migrations on PostgreSQL.
BOTH_BACKENDS = (
    "tests/test_store.py::test_migrated_schema_equals_models",
    "tests/test_store.py::test_opening_twice_keeps_data",
    "tests/test_store.py::test_transaction_rolls_back_everything_on_error",
    "tests/test_store.py::test_upgrade_at_head_changes_nothing",
    "tests/test_cli.py::test_db_current_and_upgrade",
    "tests/test_import.py",
    "tests/test_annotate_cli.py",
    "tests/test_owner.py",
    "tests/test_venue_cli.py",
    "tests/test_cli_export.py",
    "tests/test_export_service.py",
    "tests/test_dedup_cli.py",
)
# Tests in those modules that look at SQLite files themselves.
SQLITE_ONLY = ("tests/test_cli_export.py::test_failed_export_leaves_the_output_alone",)


def _on_both(definition: Any) -> bool:
    if definition.get_closest_marker("backends") is not None:
        return True
    node = definition.nodeid.split("[", 1)[0]
    if any(node.startswith(excluded) for excluded in SQLITE_ONLY):
        return False
    return any(node == wanted or node.startswith(wanted + "::") for wanted in BOTH_BACKENDS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames or not _on_both(metafunc.definition):
        return
    metafunc.parametrize(
        "backend",
        [
            pytest.param("sqlite", id="sqlite"),
            pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
        ],
        indirect=True,
    )


def postgres_unavailable(reason: str) -> None:
    """Fail in CI, where PostgreSQL must be there; skip with the reason elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


class PostgresServer:
    """Creates and drops the tests' databases on the server at ``$PUBDB_TEST_POSTGRES_URL``."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.base = make_url(url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.prefix = f"pubdb_test_{os.getpid()}"
        self._numbers = itertools.count(1)
        self.template: str | None = None

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def empty_database(self) -> str:
        """A new, empty database's URL (nothing in it, not even pubdb's tables)."""
        name = f"{self.prefix}_{next(self._numbers)}"
        self._execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def database_at_head(self) -> str:
        """A new database already migrated to head (a copy of the session's template)."""
        if self.template is None:
            url = self.empty_database()
            open_store(url).dispose()
            self.template = url.rsplit("/", 1)[1].split("?", 1)[0]
        name = f"{self.prefix}_{next(self._numbers)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url(name)

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            names = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                {"prefix": self.prefix + "\\_%"},
            ).scalars()
            for name in list(names):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server of ``$PUBDB_TEST_POSTGRES_URL`` (fails in CI / skips without)."""
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not url:
        postgres_unavailable(
            f"no PostgreSQL: set {POSTGRES_URL_ENV} "
            '(eval "$(scripts/postgres-up.sh)" starts a throwaway server)'
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        postgres_unavailable("psycopg is not installed: pip install -e '.[test,postgres]'")
    from sqlalchemy.exc import SQLAlchemyError

    server = PostgresServer(url)
    try:
        server._execute("SELECT 1")
    except SQLAlchemyError as exc:
        server.admin.dispose()
        postgres_unavailable(f"cannot reach PostgreSQL at {POSTGRES_URL_ENV}: {exc.orig or exc}")
    yield server
    server.close()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite``, or ``postgres`` for the PostgreSQL variant of a test run on both."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    url = postgres_server.empty_database()
    yield url
    postgres_server.drop(url)


@pytest.fixture(autouse=True)
def _no_user_database(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test may touch the real user's database: $PUBDB_DB points at a temporary file."""
    monkeypatch.setenv("PUBDB_DB", str(tmp_path_factory.mktemp("default") / "pubdb.sqlite"))


@pytest.fixture
def db_path(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The test's database: a SQLite file path (not created yet), or a PostgreSQL URL."""
    if backend == "sqlite":
        yield tmp_path / "pubdb.sqlite"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.database_at_head()
    yield url
    server.drop(url)


@pytest.fixture
def store(db_path: Any) -> Iterator[Store]:
    opened = open_store(str(db_path))
    yield opened
    opened.dispose()


RunCli = Callable[..., Result]


@pytest.fixture
def run_cli(db_path: Any) -> RunCli:
    """Run a pubdb command against the test database; stderr is kept apart from stdout."""

    def run(*args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, ["--db", str(db_path), *args], input=input, catch_exceptions=False
        )

    return run


def reopen(db_path: Any) -> Store:
    return open_store(str(db_path))
