"""``uncounted survivors due`` and ``uncounted survivors summary``: survivor outcomes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer

from uncounted.cli._common import (
    BomOption,
    FormatOption,
    Output,
    OutputOption,
    open_engine,
    progress_bar,
)
from uncounted.errors import InvalidInput

if TYPE_CHECKING:
    from uncounted.survivors import Instrument

survivors_app = typer.Typer(help="Survivor outcomes: assessments due, restoration, change.")

DEMO_HELP = "Read the demo database (built by `uncounted demo`) instead of the configured one."
#: The groupings of ``uncounted.survivors.GROUPINGS``, written out so that ``--help`` does not
#: import the survivors library (numpy, scipy); a test keeps the two the same.
BY_HELP = "Group by one of: programme, jurisdiction, sex, minor, exploitation_type."
INSTRUMENT_HELP = "Instrument YAML file (default: the shipped uncounted-restoration-v1)."
InstrumentOption = Annotated[Path | None, typer.Option("--instrument", help=INSTRUMENT_HELP)]


def _instrument(path: Path | None) -> Instrument:
    from uncounted.survivors import default_instrument, load_instrument

    return default_instrument() if path is None else load_instrument(path)


def _assessment_frames(demo: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    from uncounted.store.frames import assessment_frames

    with open_engine(None, demo) as engine:
        return assessment_frames(engine)


@survivors_app.command("due")
def due(
    as_of: str | None = typer.Option(
        None, "--as-of", help="Date to check (YYYY-MM-DD); default today, or the demo's last day."
    ),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
    instrument: InstrumentOption = None,
    limit: int = typer.Option(30, help="Show at most this many survivors (0: all)."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """List survivors due or overdue for an assessment (intake, 6 months, then yearly)."""
    from uncounted.survivors import due_assessments

    out = Output(fmt, output, bom)
    tool = _instrument(instrument)
    assessments, _ = _assessment_frames(demo)
    if as_of is None:
        latest = assessments["assessed_on"].max() if demo and assessments.height else None
        when = latest if isinstance(latest, dt.date) else dt.date.today()
    else:
        try:
            when = dt.date.fromisoformat(as_of)
        except ValueError:
            raise InvalidInput(f"--as-of {as_of!r} is not a date; use YYYY-MM-DD.") from None
    table = due_assessments(assessments, tool, when)
    counts = table["status"].value_counts().sort("status")
    summary = ", ".join(f"{n} {s}" for s, n in counts.iter_rows()) or "none due"
    shown = table.select(
        "person_id", "visit", "due_on", "status", "days_overdue", "last_assessed_on"
    ).head(limit or table.height)
    out.emit(
        shown,
        {
            "instrument": tool.id,
            "as_of": when.isoformat(),
            "counts": dict(counts.iter_rows()),
            "rows": shown.to_dicts(),
        },
        titles={"result": f"Due or overdue on {when} (most overdue first)"},
        notes=[f"Assessments with {tool.id} on {when}: {summary}."],
    )


@survivors_app.command("plan")
def plan(
    person_id: int = typer.Argument(..., help="The survivor's person id."),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
    instrument: InstrumentOption = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """Show a survivor's latest profile and the support-plan services it suggests."""
    from uncounted.survivors import latest_case_plan

    out = Output(fmt, output, bom)
    tool = _instrument(instrument)
    assessments, items = _assessment_frames(demo)
    case = latest_case_plan(assessments, items, tool, person_id)
    p = case.profile
    domains = pl.DataFrame(
        {
            "domain": [d.label for d in tool.domains],
            "score": [p.scores[d.id] for d in tool.domains],
            "status": [p.notes.get(d.id, p.status[d.id].replace("_", " ")) for d in tool.domains],
            "suggested services": [p.support_plan_types.get(d.id, []) for d in tool.domains],
        },
        schema_overrides={"score": pl.Float64, "suggested services": pl.List(pl.String)},
    )
    restored = {True: "restored", False: "not yet restored", None: "unknown (a domain is missing)"}
    out.emit(
        domains,
        {
            "person_id": case.person_id,
            "assessment_id": case.assessment_id,
            "assessed_on": case.assessed_on.isoformat(),
            "assessments": case.assessments,
            "instrument": tool.id,
            "threshold": tool.threshold,
            "restored": p.restored,
            "suggested_services": p.suggested_services,
            "rows": domains.to_dicts(),
        },
        titles={
            "result": f"Survivor {person_id}: assessment of {case.assessed_on} "
            f"({case.assessments} with {tool.id})"
        },
        notes=[f"Status: {restored[p.restored]} at threshold {tool.threshold} (an assumption)."],
    )


@survivors_app.command("summary")
def summary(
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
    instrument: InstrumentOption = None,
    bootstrap: int = typer.Option(200, help="Bootstrap replicates for the restoration CIs."),
    seed: int = typer.Option(1, help="Seed of the bootstrap (same seed, same intervals)."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """Change from intake to latest assessment, and the share restored by 12 and 24 months."""
    from uncounted.store.frames import assessment_frames, survivors_frame
    from uncounted.survivors import GROUPINGS, summarise_survivors

    out = Output(fmt, output, bom)
    if by is not None and by not in GROUPINGS:
        raise InvalidInput(f"--by {by!r} is not a grouping; choose one of {', '.join(GROUPINGS)}.")
    tool = _instrument(instrument)
    with open_engine(None, demo) as engine:
        assessments, items = assessment_frames(engine)
        people = survivors_frame(engine) if by else None
    with progress_bar(total=False) as bar:
        bar.add_task(f"Bootstrapping ({bootstrap} replicates)", total=None)
        result = summarise_survivors(
            assessments,
            items,
            tool,
            survivors=people,
            by=by,
            n_bootstrap=bootstrap,
            random_state=seed,
        )
    note = f"threshold {tool.threshold} (an assumption: set it in the instrument)"
    out.emit(
        {"change": result.change, "restoration": result.restoration},
        {
            "instrument": tool.id,
            "threshold": tool.threshold,
            "by": by,
            "change": result.change.to_dicts(),
            "restoration": result.restoration.to_dicts(),
        },
        titles={
            "change": f"Change from intake to latest assessment ({tool.id})",
            "restoration": f"Share restored by months since intake; {note}",
        },
    )


def register(app: typer.Typer) -> None:
    """Add the ``survivors`` command group to the CLI."""
    app.add_typer(survivors_app, name="survivors")
