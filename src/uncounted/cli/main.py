"""Entry point of the ``uncounted`` command.

Command groups are loaded lazily: :data:`COMMANDS` names each top-level command, the module
under ``uncounted.cli`` that defines it (with a ``register(app)`` function) and the one line
``uncounted --help`` shows for it. A command imports its module, and so its dependencies,
only when it runs (or shows its own ``--help``), so ``uncounted --version`` and
``uncounted --help`` start in a fraction of a second. To add a command: write its module with
``register(app)`` and add one row to :data:`COMMANDS` (a test checks that the row's help line
is the command's own).

:class:`~uncounted.errors.UncountedError` becomes one readable sentence on stderr and the
error's exit code (never a traceback); usage errors keep Click's exit code 2.

Run as the program (``main()`` without arguments), the process avoids two start-up and exit
costs that are not the command's work (see :func:`_as_program`): OpenBLAS's idle threads
spinning after NumPy and SciPy load it, and the garbage collector's final sweep over every
object the libraries created.
"""

from __future__ import annotations

import gc
import importlib
import os
import sqlite3
import sys
from difflib import get_close_matches
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from uncounted.errors import UncountedError

#: Top-level command -> (module under ``uncounted.cli`` whose ``register(app)`` adds it,
#: the line shown for it by ``uncounted --help``). Order is the order of ``--help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("store_cmds", "Create the case database, or upgrade it to this version's schema "
             "(safe to repeat)."),
    "demo": ("store_cmds", "Build a demo database from a synthetic world with a known truth, "
             "and summarise it."),
    "import": ("ingest", "Import an agency's file: every row valid, or nothing written "
               "(unless --partial)."),
    "export": ("ingest", "Export stored records as CSV, XLSX, HTCDS or CTDC files (they "
               "import back unchanged)."),
    "indicators": ("justice", "The metric catalogue's impunity indicators, with intervals (see "
                   "`uncounted metrics`)."),
    "bottlenecks": ("justice", "Where cases stall: transitions ranked by attrition and dwell, "
                    "and who waits longest."),
    "metrics": ("justice", "The metric catalogue: every published measure, its definition and "
                "its source."),
    "estimate": ("prevalence", "Estimate the population (observed + unseen) with an interval "
                 "and the model used."),
    "link": ("link", "Link agencies' records of the same person."),
    "person": ("persons", "Merge two records of the same person, or undo a merge (as a user)."),
    "survivors": ("survivors", "Survivor outcomes: assessments due, restoration, change."),
    "survey": ("evaluation", "Undercover venue surveys: estimates and before/after change."),
    "did": ("evaluation", "Difference-in-differences between programme and comparison areas."),
    "sustainability": ("evaluation", "Score institutions on the sustainability checklist and "
                       "show the change over time."),
    "drivers": ("evaluation", "Learn a Bayesian network and rank what changes the risk of the "
                "outcome."),
    "zone": ("evaluation", "Exploitation-free zones: assess a zone on its agreed metrics."),
    "screen": ("screen", "Screen PAYMENTS with the typologies and write ranked, explained "
               "alerts to --out."),
    "report": ("report", "The evidence report: justice response, prevalence, survivor outcomes "
               "and methods."),
    "publish": ("publish", "Write k-anonymous victim rows (CTDC layout) and suppressed tables; "
                "refuse if k fails."),
    "serve": ("web", "Serve the web application (sign in, cases, indicators, imports, audit)."),
    "add-user": ("web", "Create a user of the configured database (e.g. the first "
                 "administrator)."),
    "backup": ("store_cmds", "Back up the whole store (records, users, audit trail) to one "
               "file; not the data key."),
    "restore": ("store_cmds", "Restore a backup into the store, whole or not at all (stop "
                "`uncounted serve` first)."),
    "reindex": ("store_cmds", "Rebuild the person search's blind index from the stored names "
                "and identity numbers."),
    "partners": ("duediligence", "Due diligence of candidate business partners: register, "
                 "statements, risk, decisions."),
    "keys": ("keys", "Manage the keys that encrypt and index identifying fields."),
}  # fmt: skip


def load_module_commands(module: str) -> dict[str, Any]:
    """The Click commands that ``uncounted.cli.<module>``'s ``register(app)`` adds, by name."""
    sub = typer.Typer()
    importlib.import_module(f"uncounted.cli.{module}").register(sub)
    group = typer.main.get_group(sub)
    return dict(group.commands)


class LazyGroup(TyperGroup):
    """The root group: lists :data:`COMMANDS` without importing them; loads one on use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: dict[str, dict[str, Any]] = {}
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(n for n in self.commands if n not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module, short = COMMANDS[cmd_name]
        if self._listing:  # the top-level --help: the line from the table, nothing imported
            return TyperCommand(cmd_name, help=short, short_help=short)
        if module not in self._loaded:
            self._loaded[module] = load_module_commands(module)
        command = self._loaded[module].get(cmd_name)
        if command is None:
            raise RuntimeError(f"uncounted.cli.{module} does not register {cmd_name!r}")
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[Any, Any, list[str]]:
        try:
            return self._click_resolve_command(ctx, args)
        except typer._click.exceptions.UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches:
                exc.message = (
                    f"{exc.message.rstrip('.')}. Did you mean "
                    + ", ".join(repr(m) for m in matches)
                    + "?"
                )
            raise


app = typer.Typer(
    name="uncounted",
    cls=LazyGroup,
    help="Evidence for counter-trafficking programmes: prevalence, justice, survivors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from uncounted import __version__

        typer.echo(f"uncounted {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Uncounted: measure prevalence, the justice response and survivor outcomes."""


#: OpenBLAS's idle worker threads wait for work by spinning for 2**n CPU cycles before they
#: sleep (``OPENBLAS_THREAD_TIMEOUT``, default 2**28: about 0.1 s at 2.5 GHz, after every
#: call and after the library loads). 2**20 cycles (~0.4 ms) still bridges back-to-back calls.
OPENBLAS_THREAD_TIMEOUT = "20"


def _as_program() -> None:
    """Settings for a process that runs one command and exits (``uncounted ...``).

    * ``OPENBLAS_THREAD_TIMEOUT`` (unless already set): NumPy's and SciPy's OpenBLAS each
      start a pool of worker threads when they load, and an idle worker spins for about
      0.1 s before it sleeps: ~0.05 CPU-s per library per process on 2 cores for nothing.
      It is read when the library loads, so it is set before anything imports NumPy.
    """
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", OPENBLAS_THREAD_TIMEOUT)


def _before_exit() -> None:
    """Leave the objects alive now out of the collector's sweep at interpreter exit.

    CPython's finalisation runs a full garbage collection over every tracked object (numba's
    typing registries, Polars, LLVM wrappers: ~150 000 after an estimate), which cost ~0.3
    CPU-s of a 1.5 s command. :func:`gc.freeze` moves them to the permanent generation, which
    that sweep skips; their memory goes back with the process, and objects freed by reference
    counting (files, connections closed by the command) are freed as usual. Only for a process
    about to exit: in a longer-lived caller frozen cycles would never be collected.
    """
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the process exit code.

    ``argv`` ``None`` means "run as the program": the arguments are the process's, and the
    process exits after this (see :func:`_as_program`, :func:`_before_exit`); tests and other
    callers in a longer-lived process pass ``argv``.

    Usage errors are reported by Typer itself (exit code 2); an :class:`UncountedError` becomes
    one sentence on stderr and the error's own exit code (see ``docs/cli.md``), never a
    traceback. So does a database failure with a known cause (a busy store, a full disk, a
    damaged file, a lost server; see :func:`~uncounted.store.db.explain_database_error`).
    """
    program = argv is None
    if program:
        _as_program()
    try:
        return _run(argv)
    finally:
        if program:
            _before_exit()


def _run(argv: list[str] | None) -> int:
    from uncounted.cli._common import collect_warnings, print_error

    try:
        with collect_warnings():
            app(args=argv, prog_name="uncounted")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except UncountedError as exc:
        print_error(str(exc))
        return exc.exit_code
    except Exception as exc:
        known = _database_fault(exc)  # busy, full disk, damaged file, lost server
        if known is None:
            raise
        print_error(str(known))
        return known.exit_code
    return 0


def _database_fault(exc: Exception) -> UncountedError | None:
    """A database failure with a known cause as one of our errors, else ``None``.

    SQLAlchemy is imported only if the command used it: a fault of ``--help`` cannot be one.
    """
    sa_errors = sys.modules.get("sqlalchemy.exc")
    is_db = isinstance(exc, sqlite3.Error) or (
        sa_errors is not None and isinstance(exc, sa_errors.SQLAlchemyError)
    )
    if not is_db:
        return None
    from uncounted.store.db import explain_database_error

    return explain_database_error(exc)


if __name__ == "__main__":
    sys.exit(main())
