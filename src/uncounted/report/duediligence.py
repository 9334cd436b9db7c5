"""Decision sheets of candidate partners as HTML and PDF (``uncounted.duediligence``).

The same self-contained page layout as the evidence report: the portfolio of all partners
with the reviewers' agreement, then one sheet per partner (decision, statement criteria with
the evidence quoted, sourced goods with their risk and any zone certificate, red flags, and
what the partner must do before an agreement). WeasyPrint lays it out as PDF.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment
from sqlalchemy import Engine

from uncounted import __version__
from uncounted.duediligence import PortfolioReview, ZoneCertificate, review_portfolio
from uncounted.errors import NotFound
from uncounted.report._templates import template_environment
from uncounted.report.pdf import html_to_pdf
from uncounted.store.access import Principal


def zone_certificates(zones: list[Path], engine: Engine) -> list[ZoneCertificate]:
    """Assess each zone file now on ``engine``'s justice data (as ``uncounted zone assess``),
    dated today."""
    from uncounted.evaluation import assess_zone, parse_zone, zone_values
    from uncounted.store.frames import justice_tables, read_table

    if not zones:
        return []
    specs = []
    for zone in zones:
        if not zone.is_file():
            raise NotFound(f"There is no zone file {str(zone)!r}.")
        specs.append(parse_zone(zone.read_text("utf-8"), str(zone)))
    tables = {**justice_tables(engine), "jurisdictions": read_table(engine, "jurisdictions")}
    today = dt.date.today()
    return [
        ZoneCertificate.from_assessment(assess_zone(s, zone_values(s, tables)), today)
        for s in specs
    ]


def partner_review(
    engine: Engine,
    who: Principal,
    risk_table: Path | None,
    certificates: list[ZoneCertificate] | None = None,
) -> PortfolioReview:
    """The review of every partner in the store against the risk table file and zones.

    Without a risk table every sourced good is at ``unknown`` risk (no evidence either way).
    """
    from uncounted.ingest.partners import read_risk_table
    from uncounted.store.db import session_scope
    from uncounted.store.partners import read_partners, read_sourcing, read_statement_scores

    table = read_risk_table(risk_table) if risk_table is not None else _NO_RISK_TABLE
    with session_scope(engine) as session:
        partners = read_partners(session, who)
        sourcing = read_sourcing(session, who)
        scores = read_statement_scores(session, who)
    return review_portfolio(partners, sourcing, scores, table, certificates)


_NO_RISK_TABLE = pl.DataFrame(
    schema={"source": pl.String, "year": pl.Int64, "country": pl.String, "good": pl.String}
)


def _pct(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    v = float(value) * (100 if digits else 1)
    return f"{v:.{digits}f}%"


def _dec(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


@cache
def _environment() -> Environment:
    return template_environment({"pct": _pct, "dec": _dec})


def render_sheets(review: PortfolioReview, partner: str | None = None) -> str:
    """The portfolio and every sheet, or only ``partner``'s sheet, as one HTML document."""
    data = review.to_dict()
    if partner is not None:
        decisions = [review.decision(partner).to_dict()]
        title = f"Due diligence: {partner}"
    else:
        decisions = data["decisions"]
        title = "Due diligence of candidate partners"
    return (
        _environment()
        .get_template("duediligence.html")
        .render(
            title=title,
            version=__version__,
            generated=dt.date.today().isoformat(),
            portfolio=data["portfolio"] if partner is None else [],
            agreement=data["agreement"],
            decisions=decisions,
        )
    )


def write_sheets(review: PortfolioReview, path: Path, partner: str | None = None) -> Path:
    """Write the sheets as ``.pdf`` (WeasyPrint) or otherwise HTML at ``path``."""
    html = render_sheets(review, partner)
    if path.suffix.lower() == ".pdf":
        return html_to_pdf(html, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, "utf-8")
    return path


__all__ = [
    "partner_review",
    "render_sheets",
    "write_sheets",
    "zone_certificates",
]
