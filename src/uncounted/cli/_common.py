"""What every command group shares: opening the database (or the demo one), reading an input
table, and rendering a frame as a table, CSV or JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from uncounted.demo import demo_keyring, demo_path, demo_url
from uncounted.errors import InvalidInput, NotFound
from uncounted.settings import get_settings
from uncounted.store.db import engine_from_settings, make_engine, require_current

console = Console(width=160)

FORMATS = ("table", "csv", "json")
DATABASE_HELP = "Database URL to read (default: the configured database)."
DEMO_HELP = "Read the demo database built by `uncounted demo`."


@contextmanager
def open_engine(database_url: str | None = None, demo: bool = False) -> Iterator[Engine]:
    """The engine of the configured database, ``database_url``, or the demo database; checked
    to be at this version's schema, and disposed of afterwards."""
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


def check_format(fmt: str) -> str:
    """Raise a clear error for an unknown output format."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    return fmt


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


def render_frame(frame: pl.DataFrame, fmt: str = "table", title: str | None = None) -> None:
    """Print ``frame`` as a rich table, CSV or JSON."""
    if fmt == "csv":
        typer.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps(frame.to_dicts(), default=str, indent=1))
    else:
        table = Table(title=title)
        for column in frame.columns:
            table.add_column(
                column, justify="right" if frame[column].dtype.is_numeric() else "left"
            )
        for row in frame.iter_rows():
            table.add_row(*[_cell(v) for v in row])
        console.print(table)


def render_json(payload: Any) -> None:
    """Print ``payload`` as JSON (dates and other values as strings)."""
    typer.echo(json.dumps(payload, default=str, indent=1))
