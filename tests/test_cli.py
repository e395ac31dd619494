"""The command line: smoke tests, error handling, and help text for every command and option."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pubdb import __version__
from pubdb.cli import COMMANDS, SHORT_HELP, cli


def _walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join((*path, name))} cannot be loaded"
            yield from _walk(sub, (*path, name))


ALL_COMMANDS = list(_walk(cli))


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"pubdb {__version__}"


def test_init_creates_database_at_head(run_cli, db_path: Path):
    result = run_cli("init")
    assert result.exit_code == 0, result.output
    assert str(db_path) in result.output
    assert "revision: " in result.output
    assert db_path.exists()


def test_db_current_and_upgrade(run_cli):
    assert run_cli("init").exit_code == 0
    current = run_cli("db", "current")
    assert current.exit_code == 0
    assert "up to date" in current.output
    upgraded = run_cli("db", "upgrade")
    assert upgraded.exit_code == 0
    assert "already at" in upgraded.output


def test_database_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "from-env.sqlite"
    monkeypatch.setenv("PUBDB_DB", str(target))
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert target.exists()


def test_default_database_in_app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PUBDB_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    # click.get_app_dir on Linux: $XDG_CONFIG_HOME/pubdb.
    assert (tmp_path / "config" / "pubdb" / "pubdb.sqlite").exists()


def test_bad_database_is_one_line_exit_1(tmp_path: Path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "no" / "x.sqlite"), "init"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ") and "does not exist" in lines[0]
    assert "Traceback" not in result.output


def test_unknown_command_is_usage_error():
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("path", "command"), ALL_COMMANDS, ids=[" ".join(p) or "pubdb" for p, _ in ALL_COMMANDS]
)
def test_every_command_and_option_has_help(path, command: click.Command):
    assert (command.help or "").strip(), f"{path} has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"{path} option {param.opts} has no help"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_short_help_matches_command(name: str):
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert SHORT_HELP[name] == command.get_short_help_str(limit=200)


def test_help_lists_commands_without_importing_them():
    # `pubdb --help` must not import SQLAlchemy or the command modules (start-up time).
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from pubdb.cli import cli;"
        "CliRunner().invoke(cli, ['--help']);"
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'pubdb.cli.'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    assert out.strip() == "[]"


def test_console_script_pauses_the_collector_only_while_starting(tmp_path: Path):
    # main(): no cyclic GC while SQLAlchemy loads and the database opens; then what start-up
    # made is frozen and the command's own work runs with the collector on.
    import subprocess
    import sys

    code = (
        "import gc, sys; from pubdb.cli import AppContext, main\n"
        "opened = AppContext.store\n"
        "def store(self):\n"
        "    print('starting: gc', gc.isenabled(), file=sys.stderr)\n"
        "    result = opened(self)\n"
        "    print('command: gc', gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)\n"
        "    return result\n"
        "AppContext.store = store\n"
        "sys.argv = ['pubdb', '--db', sys.argv[1], 'list']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "db.sqlite")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr.splitlines() == ["starting: gc False", "command: gc True True"]


def test_cli_called_directly_leaves_the_collector_alone(run_cli):
    import gc

    frozen = gc.get_freeze_count()
    assert run_cli("list").exit_code == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_default_folder_that_cannot_be_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.delenv("PUBDB_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    monkeypatch.setenv("HOME", str(blocker))
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "cannot create folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
