"""Due diligence of candidate business partners: ``uncounted partners ...``.

Each command parses, calls one library function and renders; heavy imports stay inside the
functions so that ``uncounted --help`` does not load them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from uncounted.cli._common import DATABASE_HELP, check_format, console, open_engine, render_json
from uncounted.errors import NotFound

if TYPE_CHECKING:
    from uncounted.duediligence import PortfolioReview

partners_app = typer.Typer(
    help="Due diligence of candidate business partners: register, statements, risk, decisions."
)
FORMAT = typer.Option("table", "--format", help="table, csv or json.")
RISK = typer.Option(..., "--risk", help="Risk table (CSV/XLSX; schema in docs/duediligence.md).")
ZONES = typer.Option(
    [],
    "--zone",
    help="Zone definition (YAML), assessed now on the same database; repeat for several.",
)
DEMO = typer.Option(False, "--demo", help="Use the demo database built by `uncounted demo`.")
DB = typer.Option(None, "--database-url", help=DATABASE_HELP)
_ACTOR = "cli:partners"


@partners_app.command("import")
def import_register_cmd(
    register: Path = typer.Argument(..., help="Partner register (CSV/XLSX), one row per good."),
    database_url: str | None = DB,
    demo: bool = DEMO,
) -> None:
    """Import (or update) candidate partners and what they source, atomically, with audit."""
    from uncounted.ingest.partners import import_register

    with open_engine(database_url, demo) as engine:
        counts = import_register(engine, register, f"{_ACTOR} import")
    console.print(f"{register.name}: {counts}")


@partners_app.command("scores")
def import_scores_cmd(
    scores: Path = typer.Argument(..., help="Statement scores (CSV/XLSX), one row per criterion."),
    database_url: str | None = DB,
    demo: bool = DEMO,
) -> None:
    """Import reviewers' criterion scores of partners' modern slavery statements."""
    from uncounted.ingest.partners import import_statement_scores

    with open_engine(database_url, demo) as engine:
        counts = import_statement_scores(engine, scores, f"{_ACTOR} scores")
    console.print(f"{scores.name}: {counts}")


@partners_app.command("prescreen")
def prescreen(
    statement: Path = typer.Argument(..., help="The statement's text: PDF, HTML or plain text."),
    framework: str = typer.Option("au-msa-2018-s16", help="au-msa-2018-s16 or uk-msa-2015-s54."),
    fmt: str = FORMAT,
) -> None:
    """Suggest passages that may answer each criterion (a reading aid, never a score)."""
    from uncounted.cli._common import render_frame
    from uncounted.duediligence import framework as get_framework
    from uncounted.duediligence import kind_of, passages, suggest

    if not statement.is_file():
        raise NotFound(f"There is no statement file {str(statement)!r}.")
    found = passages(statement.read_bytes(), kind_of(statement.name))
    render_frame(suggest(found, get_framework(framework)), check_format(fmt), "Passages to read")


def _review(risk: Path, zones: list[Path], database_url: str | None, demo: bool) -> PortfolioReview:
    from uncounted.report.duediligence import partner_review, zone_certificates
    from uncounted.store.access import Principal, Role

    who = Principal(None, _ACTOR, Role.ADMIN)  # the CLI is the store's operator
    with open_engine(database_url, demo) as engine:
        return partner_review(engine, who, risk, zone_certificates(zones, engine))


@partners_app.command("portfolio")
def portfolio_cmd(
    risk: Path = RISK,
    zone: list[Path] = ZONES,
    database_url: str | None = DB,
    demo: bool = DEMO,
    out: Path | None = typer.Option(None, "--out", help="Write all sheets: .html or .pdf."),
    fmt: str = FORMAT,
) -> None:
    """Every partner's decision, statement score and worst supply-chain risk."""
    from uncounted.cli._common import render_frame
    from uncounted.report.duediligence import write_sheets

    review = _review(risk, zone, database_url, demo)
    if out is not None:
        console.print(f"Wrote {write_sheets(review, out)}")
    if check_format(fmt) == "json":
        render_json(review.to_dict())
        return
    render_frame(review.table, fmt, "Portfolio")
    render_frame(review.scores.agreement, fmt, "Reviewers' agreement (quadratic-weighted kappa)")


@partners_app.command("sheet")
def sheet_cmd(
    partner: str = typer.Argument(..., help="The partner's code in the register."),
    risk: Path = RISK,
    zone: list[Path] = ZONES,
    database_url: str | None = DB,
    demo: bool = DEMO,
    out: Path | None = typer.Option(None, "--out", help="Write the sheet: .html or .pdf."),
    fmt: str = FORMAT,
) -> None:
    """One partner's decision sheet: decision, red flags, requirements, criteria and risks."""
    import polars as pl

    from uncounted.cli._common import render_frame
    from uncounted.report.duediligence import write_sheets

    review = _review(risk, zone, database_url, demo)
    decision = review.decision(partner)
    if out is not None:
        console.print(f"Wrote {write_sheets(review, out, partner)}")
    if check_format(fmt) == "json":
        render_json(decision.to_dict())
        return
    console.print(f"[bold]{decision.partner}[/] {decision.business}: [bold]{decision.status}[/]")
    for flag in decision.red_flags:
        console.print(f"  [red]flag[/] {flag}")
    for need in decision.requirements:
        console.print(f"  [bold]must[/] {need}")
    if decision.criteria:
        crit = pl.DataFrame(decision.criteria).select(
            "criterion", "provision", "score", "second_score", "location"
        )
        render_frame(crit, fmt, "Statement criteria")
    if decision.risks:
        cols = ["good", "country", "base_level", "level", "zone_status"]
        render_frame(pl.DataFrame(decision.risks).select(cols), fmt, "Sourced goods")


def register(app: typer.Typer) -> None:
    """Add the ``partners`` command group to the CLI."""
    app.add_typer(partners_app, name="partners")
