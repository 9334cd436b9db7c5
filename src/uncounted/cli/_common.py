"""What every command group shares: opening the database (or the demo one), reading an input
table, and the output contract.

The output contract, for every command that prints results:

- ``--format table|csv|json`` chooses what goes to standard output (:data:`FormatOption`);
- ``--output FILE`` writes the result to FILE instead, as CSV, JSON or Parquet by its
  extension (:data:`OutputOption`); ``--bom`` starts CSV with a byte-order mark so that Excel
  reads UTF-8 correctly (:data:`BomOption`);
- progress bars and messages about the run go to standard error (:data:`err_console`,
  :func:`progress_bar`), so standard output holds only the result;
- warnings are collected (:func:`collect_warnings`, installed by ``uncounted.cli.main``) and
  written once each, in words, to standard error, and in the JSON under ``"warnings"``;
- errors are :class:`~uncounted.errors.UncountedError` subclasses, each with its exit code.

A command builds an :class:`Output` from its options and calls :meth:`Output.emit` with its
tables (and, for JSON, the result's ``to_dict()``).

Heavy modules (Polars, SQLAlchemy, the store) are imported inside the functions that use
them, so that importing a command module stays cheap.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from uncounted.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from sqlalchemy import Engine

FORMATS = ("table", "csv", "json")
#: Suffixes ``--output`` understands, and the format each writes.
OUTPUT_SUFFIXES = {".csv": "csv", ".json": "json", ".parquet": "parquet"}
DATABASE_HELP = "Database URL to read (default: the configured database)."
DEMO_HELP = "Read the demo database built by `uncounted demo`."

FormatOption = Annotated[str, typer.Option("--format", help="table, csv or json.")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the result to this .csv, .json or .parquet file instead."
    ),
]
BomOption = Annotated[
    bool, typer.Option("--bom", help="Start CSV with a byte-order mark (for Excel).")
]


class _Consoles:
    """Rich consoles, created on first use (importing rich costs time at start-up)."""

    def __init__(self) -> None:
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def out(self) -> Console:
        if self._out is None:
            from rich.console import Console

            self._out = Console(width=160)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            from rich.console import Console

            self._err = Console(stderr=True)
        return self._err


_consoles = _Consoles()


class _LazyConsole:
    """A stand-in that forwards to the real console when first used."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr

    def __getattr__(self, name: str) -> Any:
        real = _consoles.err if self._stderr else _consoles.out
        return getattr(real, name)


#: Results (tables, sentences) go to standard output.
console: Console = _LazyConsole(stderr=False)  # type: ignore[assignment]
#: Progress, notes about the run, warnings and errors go to standard error.
err_console: Console = _LazyConsole(stderr=True)  # type: ignore[assignment]


def real_console(stderr: bool = False) -> Console:
    """The rich console itself (for ``Progress(console=...)``, which checks its type)."""
    return _consoles.err if stderr else _consoles.out


def print_error(message: str) -> None:
    """One sentence on standard error, in red: how every command reports an error."""
    real_console(stderr=True).print(
        f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True
    )


# --- warnings -------------------------------------------------------------------------------


@dataclass
class WarningLog:
    """Warnings raised while a command runs, each message kept once, in order."""

    messages: list[str] = field(default_factory=list)

    def add(self, message: str, say: bool = False) -> None:
        """Record ``message`` unless it was recorded already (``say``: and print it once)."""
        text = " ".join(message.split())
        if text and text not in self.messages:
            self.messages.append(text)
            if say:
                real_console(stderr=True).print(
                    f"[yellow]Warning:[/] {text}", highlight=False, soft_wrap=True
                )


_active: list[WarningLog] = []


@contextmanager
def collect_warnings() -> Iterator[WarningLog]:
    """Record every Python warning raised inside the block instead of printing it.

    Each message is written once to standard error as ``Warning: …`` when first raised
    (without the file and line Python would show; a long-running ``serve`` says it at once).
    :meth:`Output.emit` adds the ones raised so far to JSON output.
    """
    log = WarningLog()
    _active.append(log)

    def record(message: Warning | str, *_args: Any, **_kwargs: Any) -> None:
        log.add(str(message), say=True)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = record
            yield log
    finally:
        _active.remove(log)


def current_warnings(extra: Sequence[str] = ()) -> list[str]:
    """The warnings recorded so far in this command, plus ``extra`` (e.g. ``warnings_``)."""
    log = _active[-1] if _active else WarningLog()
    for text in extra:
        log.add(text)
    return list(log.messages)


# --- progress -------------------------------------------------------------------------------


class QuietProgress:
    """What :func:`progress_bar` gives when nothing would be shown: the same calls, no output.

    A transient rich bar on a standard error that is not a terminal (a pipe, a file, a job
    scheduler's log) draws nothing and erases nothing, but importing ``rich.progress`` and
    starting its refresh thread still costs a few hundredths of a CPU-second per command.
    """

    def __enter__(self) -> QuietProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def add_task(self, description: str, **_fields: Any) -> TaskID:
        return cast("TaskID", 0)

    def update(self, task: TaskID, **_fields: Any) -> None:
        return None

    def stop(self) -> None:
        return None


def progress_bar(
    total: bool = True, transient: bool = True, disable: bool = False
) -> Progress | QuietProgress:
    """A rich progress bar on standard error (``total=False``: a spinner with the step).

    A bar that would draw nothing (``disable``, or a transient bar when standard error is not
    a terminal as rich judges it: ``TTY_COMPATIBLE``, ``FORCE_COLOR``, ``isatty``) is a
    :class:`QuietProgress`; a bar that is not transient prints its last state even to a file,
    so it stays a rich one.
    """
    if disable or (transient and not real_console(stderr=True).is_terminal):
        return QuietProgress()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns: list[Any] = (
        [TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn()]
        if total
        else [SpinnerColumn(), TextColumn("{task.description}")]
    )
    return Progress(
        *columns,
        TimeElapsedColumn(),
        console=real_console(stderr=True),
        transient=transient,
        disable=disable,
    )


# --- inputs ---------------------------------------------------------------------------------


@contextmanager
def open_engine(database_url: str | None = None, demo: bool = False) -> Iterator[Engine]:
    """The engine of the configured database, ``database_url``, or the demo database; checked
    to be at this version's schema, and disposed of afterwards."""
    from uncounted.demo import demo_keyring, demo_path, demo_url
    from uncounted.settings import get_settings
    from uncounted.store.db import engine_from_settings, make_engine, require_current

    settings = get_settings()
    if demo:
        if not demo_path(settings).exists():
            raise NotFound("There is no demo database yet; run `uncounted demo` first.")
        engine = make_engine(demo_url(settings), demo_keyring(settings))
    elif database_url:
        engine = make_engine(database_url)
    else:
        engine = engine_from_settings(settings)
    try:
        require_current(engine)
        yield engine
    finally:
        engine.dispose()


def read_input_table(path: Path) -> pl.DataFrame:
    """A CSV, Parquet or JSON-lines file as a frame (for analysis inputs, not imports)."""
    import polars as pl

    if not path.exists():
        raise NotFound(f"There is no file {str(path)!r}.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix in (".jsonl", ".ndjson"):
            return pl.read_ndjson(path)
        return pl.read_csv(path, try_parse_dates=True)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InvalidInput(f"{path} cannot be read as a table: {exc}") from None


# --- output ---------------------------------------------------------------------------------


def check_format(fmt: str) -> str:
    """Raise a clear error for an unknown output format."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    return fmt


def check_output(path: Path | None) -> Path | None:
    """Raise a clear error for an ``--output`` file whose extension is not understood."""
    if path is not None and path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InvalidInput(f"--output must end in {', '.join(OUTPUT_SUFFIXES)}, not {path.name!r}.")
    return path


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1:
            return f"{value:,.0f}"
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with list and struct columns as text (CSV cannot hold them)."""
    import polars as pl

    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Array):
            exprs.append(
                pl.col(name).arr.to_list().list.eval(pl.element().cast(pl.String)).list.join(", ")
            )
        elif isinstance(dtype, pl.List):
            exprs.append(pl.col(name).list.eval(pl.element().cast(pl.String)).list.join(", "))
        elif isinstance(dtype, pl.Struct):
            exprs.append(pl.col(name).struct.json_encode())
    return frame.with_columns(exprs) if exprs else frame


def _one_table(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The tables as one: itself when there is one; otherwise stacked under a ``table``
    column that names each row's table."""
    import polars as pl

    if len(tables) == 1:
        return _flat(next(iter(tables.values())))
    parts = [
        _flat(t).with_columns(pl.lit(name).alias("table")).select("table", *t.columns)
        for name, t in tables.items()
    ]
    try:
        return pl.concat(parts, how="diagonal_relaxed")
    except pl.exceptions.PolarsError:  # incompatible column types: stack as text
        return pl.concat(
            [p.select(pl.all().cast(pl.String)) for p in parts], how="diagonal_relaxed"
        )


def _csv_text(frame: pl.DataFrame, bom: bool) -> str:
    return ("\ufeff" if bom else "") + frame.write_csv()


def write_table(frame: pl.DataFrame, path: Path, bom: bool = False) -> Path:
    """Write ``frame`` to ``path`` as CSV (``bom``: with a byte-order mark), JSON (a list of
    rows) or Parquet, by the file's extension; creates the folder."""
    kind = OUTPUT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InvalidInput(f"{path.name!r} must end in {', '.join(OUTPUT_SUFFIXES)}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "parquet":
        frame.write_parquet(path)
    elif kind == "json":
        path.write_text(json.dumps(frame.to_dicts(), default=str, indent=1), encoding="utf-8")
    else:
        path.write_text(_csv_text(_flat(frame), bom), encoding="utf-8")
    return path


def render_frame(frame: pl.DataFrame, fmt: str = "table", title: str | None = None) -> None:
    """Print ``frame`` as a rich table, CSV or JSON (one table; see :class:`Output`)."""
    if fmt == "csv":
        typer.echo(_flat(frame).write_csv(), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps(frame.to_dicts(), default=str, indent=1))
    else:
        from rich.table import Table

        table = Table(title=title)
        for column in frame.columns:
            table.add_column(
                column, justify="right" if frame[column].dtype.is_numeric() else "left"
            )
        for row in frame.iter_rows():
            table.add_row(*[_cell(v) for v in row])
        real_console().print(table)


def render_json(payload: Any) -> None:
    """Print ``payload`` as JSON (dates and other values as strings)."""
    typer.echo(json.dumps(payload, default=str, indent=1))


@dataclass
class Output:
    """The output options of one command: ``--format``, ``--output`` and ``--bom``.

    Build it at the start of the command (it validates the options before any work is done),
    then call :meth:`emit` once with the result.
    """

    fmt: str = "table"
    path: Path | None = None
    bom: bool = False

    def __post_init__(self) -> None:
        check_format(self.fmt)
        check_output(self.path)

    @property
    def wants_table(self) -> bool:
        """True when standard output gets rich tables (not CSV, JSON or a file)."""
        return self.path is None and self.fmt == "table"

    def emit(
        self,
        tables: Mapping[str, pl.DataFrame] | pl.DataFrame,
        payload: Mapping[str, Any] | None = None,
        *,
        titles: Mapping[str, str] | None = None,
        notes: Sequence[str] = (),
        warnings: Sequence[str] = (),
    ) -> None:
        """Write the result.

        ``tables`` are the result's tables (name -> frame; a single frame is named
        ``result``). ``payload`` is its JSON form (default: ``{"rows": [...]}`` for one
        table, else a list of rows per table name); the warnings raised so far and
        ``warnings`` (e.g. an estimator's ``warnings_``) are added to it under
        ``"warnings"`` (always present). ``titles`` caption the tables in table format, and
        ``notes`` are sentences printed under them (in table format only).
        """
        import polars as pl

        named: dict[str, pl.DataFrame] = (
            {"result": tables} if isinstance(tables, pl.DataFrame) else dict(tables)
        )
        said = current_warnings(warnings)
        if payload is None:
            body: dict[str, Any] = (
                {"rows": next(iter(named.values())).to_dicts()}
                if len(named) == 1
                else {name: t.to_dicts() for name, t in named.items()}
            )
        else:
            body = dict(payload)
        body["warnings"] = said
        kind = OUTPUT_SUFFIXES[self.path.suffix.lower()] if self.path else self.fmt
        if self.path is not None:
            self._write_file(self.path, kind, named, body)
            return
        if kind == "json":
            render_json(body)
        elif kind == "csv":
            typer.echo(_csv_text(_one_table(named), self.bom), nl=False)
        else:
            for name, frame in named.items():
                render_frame(frame, "table", (titles or {}).get(name, name))
            for note in notes:
                real_console().print(note, highlight=False, soft_wrap=True)

    def _write_file(
        self, path: Path, kind: str, named: Mapping[str, pl.DataFrame], body: Any
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "json":
            path.write_text(json.dumps(body, default=str, indent=1), encoding="utf-8")
        else:
            write_table(_one_table(named), path, self.bom)
        rows = sum(t.height for t in named.values())
        err_console.print(f"Wrote {rows:,} rows to {path}", highlight=False)


__all__ = [
    "FORMATS",
    "BomOption",
    "FormatOption",
    "Output",
    "OutputOption",
    "QuietProgress",
    "check_format",
    "collect_warnings",
    "console",
    "err_console",
    "open_engine",
    "print_error",
    "progress_bar",
    "read_input_table",
    "render_frame",
    "render_json",
    "write_table",
]
