"""The README's command reference is the same as `pubdb --help`, command for command."""

from __future__ import annotations

import re
from pathlib import Path

import click

from pubdb.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def _help_rows(command: click.Command, path: tuple[str, ...] = ()) -> dict[str, str]:
    rows: dict[str, str] = {}
    if path:
        rows["pubdb " + " ".join(path)] = command.get_short_help_str(limit=300)
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            rows.update(_help_rows(sub, (*path, name)))
    return rows


def _readme_rows() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- commands", 1)[1].split("<!-- /commands -->", 1)[0]
    return {
        match.group(1): match.group(2).strip()
        for match in re.finditer(r"^\| `([^`]+)` \| (.*) \|$", section, re.MULTILINE)
    }


def test_readme_command_reference_matches_help():
    assert _readme_rows() == _help_rows(cli)


def test_quick_start_is_the_two_make_commands():
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", quick, re.MULTILINE)
    assert commands == ["demo", "test"]
