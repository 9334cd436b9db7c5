"""Programme evaluation commands: venue surveys, difference-in-differences, sustainability,
drivers, and exploitation-free zones. Each parses, calls one library function and renders."""

from __future__ import annotations

from pathlib import Path
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
    err_console,
    open_engine,
    read_input_table,
)
from uncounted.errors import NotFound

if TYPE_CHECKING:
    from uncounted.evaluation import SurveyEstimates

survey_app = typer.Typer(help="Undercover venue surveys: estimates and before/after change.")
zone_app = typer.Typer(help="Exploitation-free zones: assess a zone on its agreed metrics.")


@survey_app.command("estimate")
def survey_estimate(
    observations: Path = typer.Argument(..., help="Visits: CSV/Parquet/JSONL (see docs)."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """Design-based estimates (share of minors, venues with minors, time to offer)."""
    from uncounted.evaluation import estimate_survey

    out = Output(fmt, output, bom)
    result = estimate_survey(read_input_table(observations))
    out.emit(result.summary, titles={"result": f"Venue survey: {observations.name}"})
    _not_estimated(result, fmt)


def _not_estimated(result: SurveyEstimates, fmt: str, label: str = "") -> None:
    """Name the estimates an optional column was missing for (on stderr, like every message
    about the run)."""
    for name, reason in result.not_estimated.items():
        text = f"Not estimated{label}: {name} ({reason})."
        err_console.print(f"[yellow]{text}[/]", highlight=False)


@survey_app.command("compare")
def survey_compare(
    baseline: Path = typer.Argument(..., help="Baseline visits."),
    endline: Path = typer.Argument(..., help="Endline visits."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """Absolute and relative change from baseline to endline, with intervals and a test."""
    from uncounted.evaluation import compare_surveys, estimate_survey

    out = Output(fmt, output, bom)
    before = estimate_survey(read_input_table(baseline))
    after = estimate_survey(read_input_table(endline))
    changes = compare_surveys(before, after)
    out.emit(pl.DataFrame([c.to_dict() for c in changes]), titles={"result": "Change"})
    _not_estimated(before, fmt, " at baseline")
    _not_estimated(after, fmt, " at endline")


@zone_app.command("assess")
def zone_assess(
    zone: Path = typer.Argument(..., help="Zone definition (YAML)."),
    database_url: str | None = typer.Option(None, help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """Certified, provisional or not certified — with the evidence of every number."""
    from uncounted.evaluation import assess_zone, parse_zone, zone_values
    from uncounted.store.frames import justice_tables, read_table

    out = Output(fmt, output, bom)
    if not zone.exists():
        raise NotFound(f"There is no zone file {str(zone)!r}.")
    spec = parse_zone(zone.read_text("utf-8"), str(zone))
    with open_engine(database_url, demo) as engine:
        tables = {**justice_tables(engine), "jurisdictions": read_table(engine, "jurisdictions")}
    result = assess_zone(spec, zone_values(spec, tables))
    out.emit(
        {"metrics": result.metrics, "evidence": result.evidence.drop("definition")},
        result.to_dict(),
        titles={
            "metrics": f"{spec.name} ({', '.join(spec.jurisdictions)}, {spec.period}): "
            f"{result.status.upper()}",
            "evidence": "Evidence",
        },
    )


def did(
    panel: Path = typer.Argument(..., help="Indicator panel: area, period, value, treated."),
    start: float = typer.Option(..., help="First period of the programme."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """Difference-in-differences between programme and comparison areas."""
    from uncounted.evaluation import difference_in_differences

    out = Output(fmt, output, bom)
    result = difference_in_differences(read_input_table(panel), start)
    headline = (
        f"Effect {result.effect:.4g} (95 % CI {result.ci_low:.4g} to {result.ci_high:.4g}, "
        f"p = {result.p_value:.3g}); pre-programme trend difference {result.pre_trend:.3g} "
        f"(p = {result.pre_trend_p:.3g}): parallel trends "
        + ("plausible." if result.parallel_trends_plausible else "DOUBTFUL.")
    )
    out.emit(
        result.event_study,
        result.to_dict(),
        titles={"result": "Event study"},
        notes=[headline],
    )


def sustainability(
    ratings: Path = typer.Argument(
        ..., help="Ratings: institution, assessed_on, criterion, level."
    ),
    checklist: Path | None = typer.Option(None, help="Checklist YAML (default: shipped one)."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """Score institutions on the sustainability checklist and show the change over time."""
    from uncounted.evaluation import load_checklist, score_sustainability

    out = Output(fmt, output, bom)
    cl = load_checklist(checklist.read_text("utf-8"), str(checklist)) if checklist else None
    scores = score_sustainability(read_input_table(ratings), cl, str(ratings))
    out.emit(
        {"overall": scores.overall, "change": scores.change},
        scores.to_dict(),
        titles={"overall": "Sustainability", "change": "Change over time"},
    )


def drivers(
    survey: Path = typer.Argument(..., help="Migrant-worker survey, one row per respondent."),
    outcome: str = typer.Option("forced_labour", help="Outcome column."),
    state: str = typer.Option("yes", help="Outcome state whose risk is explained."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """Learn a Bayesian network and rank what changes the risk of the outcome."""
    from uncounted.evaluation import DriverNetwork

    out = Output(fmt, output, bom)
    network = DriverNetwork(outcome=outcome).fit(read_input_table(survey))
    sensitivity = network.sensitivity(state)
    out.emit(
        sensitivity,
        {
            "outcome": outcome,
            "state": state,
            "edges": [[a, b] for a, b in network.edges_],
            "rows": sensitivity.to_dicts(),
        },
        titles={"result": f"P({outcome} = {state} | ·)"},
        notes=["Edges: " + ", ".join(f"{a}→{b}" for a, b in network.edges_)],
    )


def register(app: typer.Typer) -> None:
    """Add the evaluation commands to the CLI."""
    app.add_typer(survey_app, name="survey")
    app.add_typer(zone_app, name="zone")
    app.command("did")(did)
    app.command("sustainability")(sustainability)
    app.command("drivers")(drivers)
