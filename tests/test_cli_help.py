"""Every option and argument of every sub-command says what it is for (issue 12 item 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer.main

from screening.cli import app

ROOT = Path(__file__).resolve().parent.parent


def _commands(group, path: tuple[str, ...] = ()):
    yield path, group
    if hasattr(group, "commands"):  # a group (typer vendors its own click)
        for name, sub in group.commands.items():
            yield from _commands(sub, (*path, name))


def test_every_option_of_every_sub_command_has_help_text() -> None:
    root = typer.main.get_command(app)
    seen = 0
    lacking = []
    for path, command in _commands(root):
        if path and not hasattr(command, "commands"):
            assert command.help, f"screen {' '.join(path)} has no description"
        for param in command.params:
            if param.name == "help":
                continue
            seen += 1
            if not getattr(param, "help", None):
                lacking.append(f"screen {' '.join(path)} {param.opts[0]}")
    assert seen > 40  # the walk reached the sub-commands (run, explain, check, compare, sweep, flow …)
    assert lacking == []


def test_help_text_shows_on_the_terminal() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "screening.cli", "explain", "--help"], capture_output=True, text=True,
                         env=env)
    assert out.returncode == 0
    assert "XLSX sheet (default: the first)." in out.stdout and "auto | durable | vector | reference." in out.stdout
