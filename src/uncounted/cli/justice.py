"""``uncounted indicators``, ``uncounted bottlenecks`` and ``uncounted metrics``.

The commands read the configured case database (or the demo database with ``--demo``)
through ``uncounted.store.frames``, call one library function and render its frame.
"""

from __future__ import annotations

import polars as pl
import typer

from uncounted.cli._common import (
    DATABASE_HELP,
    DEMO_HELP,
    check_format,
    open_engine,
    render_frame,
    render_json,
)
from uncounted.errors import InvalidInput
from uncounted.justice import JusticeData, bottlenecks, empty_reason, indicators
from uncounted.justice.measures import DISAGGREGATIONS
from uncounted.metrics import load_catalogue
from uncounted.store.frames import justice_tables


def _load(database_url: str | None, demo: bool) -> JusticeData:
    with open_engine(database_url, demo) as engine:
        tables = justice_tables(engine)
    return JusticeData.from_tables(tables)


def indicators_cmd(
    period: str | None = typer.Option(None, help="2024, 2024Q3 or 2022:2024 (default: all)."),
    by: str = typer.Option("", help=f"Comma-separated: {', '.join(DISAGGREGATIONS)}."),
    basis: str = typer.Option("period", help="period (TIP/UNODC counts) or cohort."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
) -> None:
    """The impunity indicators of the metric catalogue, with confidence intervals (see
    `uncounted metrics`)."""
    check_format(fmt)
    if basis not in ("period", "cohort"):
        raise InvalidInput(f"basis must be 'period' or 'cohort', not {basis!r}.")
    keys = [b.strip() for b in by.split(",") if b.strip()]
    data = _load(database_url, demo)
    why = empty_reason(data)
    if why is not None:  # say so instead of printing a table of zeros
        if fmt == "json":
            render_json({"indicators": [], "empty": why})
        else:
            typer.echo(why, err=fmt == "csv")
        return
    table = indicators(
        data, period=period, by=keys, basis="cohort" if basis == "cohort" else "period"
    )
    render_frame(table, fmt, f"Justice indicators, {period or 'all periods'} ({basis} basis)")


def bottlenecks_cmd(
    jurisdiction: str | None = typer.Option(None, help="Country code, e.g. PH (default: all)."),
    period: str | None = typer.Option(None, help="2024, 2024Q3 or 2022:2024 (default: all)."),
    longest: int = typer.Option(5, help="Longest-waiting open cases to list per stage."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
) -> None:
    """Where cases stall: transitions ranked by attrition and dwell, and who waits longest."""
    check_format(fmt)
    result = bottlenecks(
        _load(database_url, demo), jurisdiction=jurisdiction, period=period, longest=longest
    )
    if fmt == "json":
        render_json(result.to_dict())
        return
    where = jurisdiction or "all jurisdictions"
    render_frame(result.transitions, fmt, f"Stage transitions, {where}, {result.period}")
    render_frame(result.waiting, fmt, "Open cases waiting longest at each stage")


def metrics_cmd(
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
) -> None:
    """The metric catalogue: every published measure, its definition and its source."""
    check_format(fmt)
    rows = [m.to_dict() for m in load_catalogue()]
    if fmt == "json":
        render_json(rows)
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
    render_frame(frame, fmt, "Metric catalogue")


def register(app: typer.Typer) -> None:
    """Add the justice commands to the CLI."""
    app.command("indicators")(indicators_cmd)
    app.command("bottlenecks")(bottlenecks_cmd)
    app.command("metrics")(metrics_cmd)
