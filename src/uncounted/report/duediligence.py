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

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from uncounted import __version__
from uncounted.duediligence import PortfolioReview
from uncounted.report.pdf import html_to_pdf


def _pct(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    v = float(value) * (100 if digits else 1)
    return f"{v:.{digits}f}%"


def _dec(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("uncounted.report", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["dec"] = _dec
    return env


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


__all__ = ["render_sheets", "write_sheets"]
