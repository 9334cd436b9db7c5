"""Generate ``docs/cli.md``, the command-line reference, from the commands' own ``--help``.

Run ``make docs`` (or ``python -m uncounted.cli.docs > docs/cli.md``) after changing a command.
"""

from __future__ import annotations

import os
import sys

from typer.main import get_command
from typer.testing import CliRunner

from uncounted.cli.main import app


def _commands(group: object, prefix: list[str]) -> list[list[str]]:
    found: list[list[str]] = []
    commands = getattr(group, "commands", {})
    for name in sorted(commands):
        path = [*prefix, name]
        found.append(path)
        found += _commands(commands[name], path)
    return found


def command_paths() -> list[list[str]]:
    """Every command and sub-command, as argument lists (e.g. ``["survey", "estimate"]``)."""
    return _commands(get_command(app), [])


def render() -> str:
    """The reference as Markdown: one section per command with its help text."""
    runner = CliRunner()
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    parts = [
        "# Command-line reference",
        "",
        "Generated from `uncounted --help` by `make docs`; do not edit by hand.",
        "",
    ]
    for path in [[], *command_paths()]:
        result = runner.invoke(app, [*path, "--help"], env=env, prog_name="uncounted")
        title = " ".join(["uncounted", *path])
        parts += [f"## `{title}`", "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(parts)


def main() -> None:
    """Print the reference to standard output."""
    os.environ.setdefault("COLUMNS", "100")
    sys.stdout.write(render())


if __name__ == "__main__":
    main()

__all__ = ["command_paths", "render"]
