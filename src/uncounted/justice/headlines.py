"""A handful of headline numbers of the justice response, as readable strings (for the demo)."""

from __future__ import annotations

import math

import polars as pl

from uncounted.justice.data import JusticeData
from uncounted.justice.indicators import indicators


def _pct(row: dict[str, float | None]) -> str:
    value, lower, upper = row["value"], row["lower"], row["upper"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{100 * value:.1f}%"
    if lower is not None and upper is not None:
        text += f" ({100 * lower:.1f}–{100 * upper:.1f}%)"
    return text


def headlines(data: JusticeData, period: str | None = None) -> dict[str, str]:
    """Victims identified, arrest, conviction and attrition rates, and a median delay.

    Each value is a string with its 95% interval where one applies; the keys are labels
    (:data:`HEADLINE_INTERVALS` gives each one's measure and interval method).
    """
    table = indicators(data, period=period)

    def row(indicator: str, variant: str) -> dict[str, float | None]:
        hit = table.filter((pl.col("indicator") == indicator) & (pl.col("variant") == variant))
        if hit.is_empty():
            return {"value": None, "lower": None, "upper": None, "numerator": None}
        return hit.row(0, named=True)

    victims = row("J1", "count")["value"]
    delay = row("J10", "charge→verdict median")
    days = delay["value"]
    return {
        "J1 victims identified": f"{int(victims or 0):,}",
        "J3 arrest rate (arrested / suspects)": _pct(row("J3", "all")),
        "J5 conviction rate (convicted / verdicts)": _pct(row("J5", "all")),
        "J7 attrition, report to verdict": _pct(row("J7", "cumulative to verdict")),
        "J10 median days, charge to verdict": "n/a"
        if days is None
        else f"{days:.0f} ({delay['lower']:.0f}–{delay['upper']:.0f})",
    }


#: Each headline's measure in the metric catalogue and its interval's method (``None``: a count
#: of the records, no interval), for the sentence of ``uncounted.report.intervals``.
HEADLINE_INTERVALS: dict[str, tuple[str, str | None]] = {
    "J1 victims identified": ("J1", None),
    "J3 arrest rate (arrested / suspects)": ("J3", "wilson"),
    "J5 conviction rate (convicted / verdicts)": ("J5", "wilson"),
    "J7 attrition, report to verdict": ("J7", "greenwood"),
    "J10 median days, charge to verdict": ("J10", "greenwood"),
}


__all__ = ["HEADLINE_INTERVALS", "headlines"]
