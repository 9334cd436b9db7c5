"""Entry point of the ``uncounted`` command.

Each command group lives in its own module with a ``register(app)`` function; this module
collects them, and maps :class:`~uncounted.errors.UncountedError` to one readable sentence
and the error's exit code (never a traceback).
"""

from __future__ import annotations

import importlib
import sqlite3
import sys

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from uncounted import __version__
from uncounted.errors import UncountedError
from uncounted.store.db import explain_database_error

#: Command-group modules under ``uncounted.cli``; each defines ``register(app)``.
COMMAND_MODULES: tuple[str, ...] = (
    "store_cmds",  # init, demo, backup, restore
    "ingest",  # import, export
    "justice",  # indicators, bottlenecks, metrics
    "prevalence",  # estimate
    "link",  # link run|review|encode
    "survivors",  # survivors due|summary|plan
    "evaluation",  # survey, did, sustainability, drivers, zone
    "duediligence",  # partners import|scores|prescreen|portfolio|sheet
    "screen",  # screen
    "report",  # report
    "publish",  # publish
    "web",  # serve, add-user
    "keys",  # keys rotate
)

app = typer.Typer(
    name="uncounted",
    help="Evidence for counter-trafficking programmes: prevalence, justice, survivors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"uncounted {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Uncounted: measure prevalence, the justice response and survivor outcomes."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"uncounted.cli.{_name}").register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the process exit code.

    Usage errors are reported by Typer itself (exit code 2); an :class:`UncountedError` becomes
    one red sentence on stderr and the error's own exit code, never a traceback. So does a
    database failure with a known cause (a busy store, a full disk, a damaged file, a lost
    server; see :func:`~uncounted.store.db.explain_database_error`).
    """
    try:
        app(args=argv, prog_name="uncounted")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except UncountedError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except (SQLAlchemyError, sqlite3.Error) as exc:
        known = explain_database_error(exc)  # busy, full disk, damaged file, lost server
        if known is None:
            raise
        err_console.print(f"[bold red]Error:[/] {known}", highlight=False, soft_wrap=True)
        return known.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
