"""Generate ``docs/cli.md``, the command-line reference, from the commands' own ``--help``.

Run ``make docs`` (or ``python -m uncounted.cli.docs > docs/cli.md``) after changing a command.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from typer._click import Context
from typer.main import get_command
from typer.testing import CliRunner

import uncounted.errors
from uncounted.cli.main import app
from uncounted.errors import UncountedError


def _commands(group: Any, ctx: Any, prefix: list[str]) -> list[list[str]]:
    found: list[list[str]] = []
    if not hasattr(group, "list_commands"):
        return found
    for name in sorted(group.list_commands(ctx)):
        path = [*prefix, name]
        found.append(path)
        found += _commands(group.get_command(ctx, name), ctx, path)
    return found


def command_paths() -> list[list[str]]:
    """Every command and sub-command, as argument lists (e.g. ``["survey", "estimate"]``).

    Loads every command module (the CLI itself loads only the one it runs).
    """
    root = get_command(app)
    return _commands(root, Context(root), [])


OUTPUT_CONTRACT = """## Output

Commands that print results share these options and rules:

- `--format table|csv|json` chooses what goes to standard output. CSV is one table: a
  result with several tables (e.g. `bottlenecks`) is stacked under a first column `table`
  naming each row's table. JSON is one object; a one-table result is
  `{"rows": [...], "warnings": [...]}`.
- `--output FILE` (`-o`) writes the result to FILE instead, as CSV, JSON or Parquet by its
  extension (`.csv`, `.json`, `.parquet`); a note on standard error says what was written.
- `--bom` starts CSV with a UTF-8 byte-order mark, so that Excel reads accents correctly.
- Progress bars and notes about the run go to standard error; standard output holds only
  the result, so `uncounted indicators --demo --format csv > j.csv` is safe.
- Warnings (statistical caveats and any other warning) are written once each, in words, to
  standard error as `Warning: ...`, and listed under `"warnings"` in the JSON.
"""


def exit_codes() -> list[str]:
    """The exit codes section: 0, Click's usage error 2, and each error class's own code."""
    lines = [
        "## Exit codes",
        "",
        "Every command exits with one of these codes; errors are one sentence on standard "
        "error, never a traceback. Results go to standard output; progress, warnings and "
        "errors to standard error.",
        "",
        "| code | meaning |",
        "|---|---|",
        "| 0 | success |",
        "| 1 | any other error of Uncounted (`UncountedError`) |",
        "| 2 | usage error: unknown command or option, bad option value (from Click) |",
    ]
    codes: dict[int, list[str]] = {}
    stack: list[type[UncountedError]] = [UncountedError]
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        if cls is not UncountedError and "exit_code" in vars(cls):
            codes.setdefault(cls.exit_code, []).append(cls.__name__)
    for code in sorted(codes):
        names = sorted(codes[code])
        doc = (getattr(uncounted.errors, names[0]).__doc__ or "").strip().split("\n")[0]
        doc = doc.replace("``", "`")
        lines.append(f"| {code} | {', '.join(f'`{n}`' for n in names)}: {doc} |")
    lines.append("| 130 | interrupted (Ctrl+C) |")
    return [*lines, ""]


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
        if not path:
            parts += [OUTPUT_CONTRACT, *exit_codes()]
    return "\n".join(parts)


def main() -> None:
    """Print the reference to standard output."""
    os.environ.setdefault("COLUMNS", "100")
    sys.stdout.write(render())


if __name__ == "__main__":
    main()

__all__ = ["command_paths", "exit_codes", "render"]
