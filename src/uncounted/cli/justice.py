"""``uncounted indicators``, ``uncounted bottlenecks`` and ``uncounted metrics``.

The commands read the configured case database (or the demo database with ``--demo``)
through ``uncounted.store.frames``, call one library function and render its frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import typer

from uncounted.cli._common import (
    DATABASE_HELP,
    DEMO_HELP,
    BomOption,
    FormatOption,
    Output,
    OutputOption,
    open_engine,
    render_json,
)
from uncounted.errors import InvalidInput

if TYPE_CHECKING:
    from uncounted.justice import JusticeData

#: The disaggregations of ``indicators --by`` (as ``uncounted.justice.measures``; a test
#: checks they agree), written here so that ``--help`` does not import the justice maths.
DISAGGREGATIONS_HELP = "jurisdiction, year, quarter, exploitation_type, sex, minor"


def _load(database_url: str | None, demo: bool) -> JusticeData:
    from uncounted.justice import JusticeData
    from uncounted.store.frames import justice_tables

    with open_engine(database_url, demo) as engine:
        tables = justice_tables(engine)
    return JusticeData.from_tables(tables)


def indicators_cmd(
    period: str | None = typer.Option(None, help="2024, 2024Q3 or 2022:2024 (default: all)."),
    by: str = typer.Option("", help=f"Comma-separated: {DISAGGREGATIONS_HELP}."),
    basis: str = typer.Option("period", help="period (TIP/UNODC counts) or cohort."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
) -> None:
    """The metric catalogue's impunity indicators, with intervals (see `uncounted metrics`)."""
    from uncounted.justice import empty_reason, indicators

    out = Output(fmt, output, bom)
    if basis not in ("period", "cohort"):
        raise InvalidInput(f"basis must be 'period' or 'cohort', not {basis!r}.")
    keys = [b.strip() for b in by.split(",") if b.strip()]
    data = _load(database_url, demo)
    why = empty_reason(data)
    if why is not None:  # say so instead of printing a table of zeros
        if fmt == "json":
            render_json({"rows": [], "empty": why, "warnings": []})  # the output contract
        else:
            typer.echo(why, err=fmt == "csv")
        return
    table = indicators(
        data, period=period, by=keys, basis="cohort" if basis == "cohort" else "period"
    )
    title = f"Justice indicators, {period or 'all periods'} ({basis} basis)"
    out.emit(table, titles={"result": title})


def bottlenecks_cmd(
    jurisdiction: str | None = typer.Option(None, help="Country code, e.g. PH (default: all)."),
    period: str | None = typer.Option(None, help="2024, 2024Q3 or 2022:2024 (default: all)."),
    longest: int = typer.Option(5, help="Longest-waiting open cases to list per stage."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
) -> None:
    """Where cases stall: transitions ranked by attrition and dwell, and who waits longest."""
    from uncounted.justice import bottlenecks

    out = Output(fmt, output, bom)
    result = bottlenecks(
        _load(database_url, demo), jurisdiction=jurisdiction, period=period, longest=longest
    )
    where = jurisdiction or "all jurisdictions"
    out.emit(
        {"transitions": result.transitions, "waiting": result.waiting},
        result.to_dict(),
        titles={
            "transitions": f"Stage transitions, {where}, {result.period}",
            "waiting": "Open cases waiting longest at each stage",
        },
    )


def metrics_cmd(
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """The metric catalogue: every published measure, its definition and its source."""
    from uncounted.metrics import load_catalogue

    out = Output(fmt, output, bom)
    rows = [m.to_dict() for m in load_catalogue()]
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
    out.emit(frame, {"rows": rows}, titles={"result": "Metric catalogue"})


def register(app: typer.Typer) -> None:
    """Add the justice commands to the CLI."""
    app.command("indicators")(indicators_cmd)
    app.command("bottlenecks")(bottlenecks_cmd)
    app.command("metrics")(metrics_cmd)
