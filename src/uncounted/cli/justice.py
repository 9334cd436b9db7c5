"""``uncounted indicators``, ``uncounted bottlenecks`` and ``uncounted metrics``.

The commands read the configured case database (or the demo database with ``--demo``)
through ``uncounted.store.frames``, call one library function and render its frame.
"""

from __future__ import annotations

import json
import math
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from uncounted.demo import demo_keyring, demo_path, demo_url
from uncounted.errors import InvalidInput, NotFound
from uncounted.justice import JusticeData, bottlenecks, indicators
from uncounted.justice.measures import DISAGGREGATIONS
from uncounted.metrics import load_catalogue
from uncounted.settings import get_settings
from uncounted.store.db import engine_from_settings, make_engine, require_current
from uncounted.store.frames import justice_tables

console = Console(width=160)

FORMATS = ("table", "csv", "json")
DATABASE_HELP = "Database URL to read (default: the configured database)."
DEMO_HELP = "Read the demo database built by `uncounted demo`."


def _engine(database_url: str | None, demo: bool) -> Engine:
    settings = get_settings()
    if demo:
        path = demo_path(settings)
        if not path.exists():
            raise NotFound("There is no demo database yet; run `uncounted demo` first.")
        return make_engine(demo_url(settings), demo_keyring(settings))
    if database_url:
        return make_engine(database_url)
    return engine_from_settings(settings)


def _load(database_url: str | None, demo: bool) -> JusticeData:
    engine = _engine(database_url, demo)
    try:
        require_current(engine)
        tables = justice_tables(engine)
    finally:
        engine.dispose()
    return JusticeData.from_tables(tables)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1 else f"{value:.3f}"
    return str(value)


def _render(frame: pl.DataFrame, fmt: str, title: str) -> None:
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


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    return fmt


def indicators_cmd(
    period: str | None = typer.Option(None, help="2024, 2024Q3 or 2022:2024 (default: all)."),
    by: str = typer.Option("", help=f"Comma-separated: {', '.join(DISAGGREGATIONS)}."),
    basis: str = typer.Option("period", help="period (TIP/UNODC counts) or cohort."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
) -> None:
    """The impunity indicators J1–J17 with confidence intervals (see `uncounted metrics`)."""
    _check_format(fmt)
    if basis not in ("period", "cohort"):
        raise InvalidInput(f"basis must be 'period' or 'cohort', not {basis!r}.")
    keys = [b.strip() for b in by.split(",") if b.strip()]
    data = _load(database_url, demo)
    table = indicators(
        data, period=period, by=keys, basis="cohort" if basis == "cohort" else "period"
    )
    _render(table, fmt, f"Justice indicators, {period or 'all periods'} ({basis} basis)")


def bottlenecks_cmd(
    jurisdiction: str | None = typer.Option(None, help="Country code, e.g. PH (default: all)."),
    period: str | None = typer.Option(None, help="2024, 2024Q3 or 2022:2024 (default: all)."),
    longest: int = typer.Option(5, help="Longest-waiting open cases to list per stage."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
) -> None:
    """Where cases stall: transitions ranked by attrition and dwell, and who waits longest."""
    _check_format(fmt)
    result = bottlenecks(
        _load(database_url, demo), jurisdiction=jurisdiction, period=period, longest=longest
    )
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), default=str, indent=1))
        return
    where = jurisdiction or "all jurisdictions"
    _render(result.transitions, fmt, f"Stage transitions, {where}, {result.period}")
    _render(result.waiting, fmt, "Open cases waiting longest at each stage")


def metrics_cmd(
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
) -> None:
    """The metric catalogue: every published measure, its definition and its source."""
    _check_format(fmt)
    rows = [m.to_dict() for m in load_catalogue()]
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=1))
        return
    frame = pl.DataFrame(
        [
            {
                "id": r["id"],
                "title": r["title"],
                "numerator": r["numerator"],
                "denominator": r["denominator"],
                "unit": r["unit"],
                "sources": "; ".join(r["sources"]),
            }
            for r in rows
        ]
    )
    _render(frame, fmt, "Metric catalogue")


def register(app: typer.Typer) -> None:
    """Add the justice commands to the CLI."""
    app.command("indicators")(indicators_cmd)
    app.command("bottlenecks")(bottlenecks_cmd)
    app.command("metrics")(metrics_cmd)
