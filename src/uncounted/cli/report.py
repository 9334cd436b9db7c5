"""``uncounted report``: the evidence report as one HTML file or PDF (and its JSON twin).

Reads the case database (or the demo one), calls :func:`uncounted.report.build_report` and
writes what ``--out`` names; the suffix chooses the format.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from uncounted.cli._common import DATABASE_HELP, DEMO_HELP, console, open_engine, progress_bar
from uncounted.errors import InvalidInput

FORMATS = (".html", ".pdf")


def report_cmd(
    out: Path = typer.Option(..., "--out", help="report.html or report.pdf (format from suffix)."),
    period: str | None = typer.Option(None, help="2024, 2024Q3 or 2022:2024 (default: all)."),
    jurisdiction: str | None = typer.Option(None, help="Country code, e.g. TH (default: all)."),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the report's figures as JSON to this file."
    ),
    lcmcr: bool = typer.Option(
        False, "--lcmcr", help="Add the latent-class (LCMCR) estimate to the methods (slow)."
    ),
    link: bool = typer.Option(
        False,
        "--link",
        help="Link the agencies' own records first (uncounted link; reads identities, "
        "audited) and show how the estimate moves with the match threshold.",
    ),
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
) -> None:
    """The evidence report: justice response, prevalence, survivor outcomes and methods."""
    from uncounted.prevalence import StepwiseEstimator
    from uncounted.report import STEPS, build_report, report_tables

    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(f"--out must end in .html or .pdf, not {out.name!r}.")
    linked = None
    if link:  # before the progress bar: the linkage shows its own steps
        from uncounted.cli.link import estimate_linked_from_db

        with open_engine(database_url, demo) as engine:
            _, linked = estimate_linked_from_db(engine, StepwiseEstimator, [], actor="cli:report")
    with progress_bar() as bar:
        task = bar.add_task("Reading the database", total=len(STEPS) + 2)
        with open_engine(database_url, demo) as engine:
            tables = report_tables(engine)

        def advance(step: str) -> None:
            bar.update(task, description=f"Computing {step}", advance=1)

        report = build_report(
            tables,
            period=period,
            jurisdiction=jurisdiction,
            lcmcr=lcmcr,
            linkage=linked,
            progress=advance,
        )
        bar.update(task, description=f"Writing {suffix[1:].upper()}", advance=1)
        if suffix == ".pdf":
            report.to_pdf(out)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(report.to_html(), encoding="utf-8")
        if json_out is not None:
            json_out.write_text(json.dumps(report.to_dict(), indent=1), encoding="utf-8")
        bar.update(task, advance=1)
    where = report.jurisdiction or "all jurisdictions"
    when = "all periods" if report.period == "all" else report.period
    console.print(f"Evidence report ({where}, {when}) written to {out}.")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the CLI."""
    app.command("report")(report_cmd)


__all__ = ["register", "report_cmd"]
