"""A handful of headline numbers of the justice response: as figures with their interval, its
method and their measure (:func:`headline_figures`, for the web app to format in the reader's
language) and as readable strings (:func:`headlines`, for the demo and the command line)."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from uncounted.justice.data import JusticeData
from uncounted.justice.indicators import indicators

#: Each headline: its label, measure (metric catalogue id), row variant, display kind
#: (``count``, ``percent`` or ``days``) and interval method (``None``: a count of the records,
#: no interval), the method named as in ``uncounted.report.intervals``.
HEADLINES: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("J1 victims identified", "J1", "count", "count", None),
    ("J3 arrest rate (arrested / suspects)", "J3", "all", "percent", "wilson"),
    ("J5 conviction rate (convicted / verdicts)", "J5", "all", "percent", "wilson"),
    ("J7 attrition, report to verdict", "J7", "cumulative to verdict", "percent", "greenwood"),
    ("J10 median days, charge to verdict", "J10", "charge→verdict median", "days", "greenwood"),
)


def _finite(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def headline_figures(data: JusticeData, period: str | None = None) -> list[dict[str, Any]]:
    """The headlines as figures: ``label``, ``metric``, ``kind``, ``value``, ``lower``,
    ``upper`` (the 95% interval, ``None`` without one) and ``method`` (the interval's)."""
    table = indicators(data, period=period)
    out = []
    for label, metric_id, variant, kind, method in HEADLINES:
        hit = table.filter((pl.col("indicator") == metric_id) & (pl.col("variant") == variant))
        row = {} if hit.is_empty() else hit.row(0, named=True)
        value = _finite(row.get("value"))
        if metric_id == "J1":
            value = value or 0.0  # no identification recorded: none identified
        out.append(
            {
                "label": label,
                "metric": metric_id,
                "kind": kind,
                "value": value,
                "lower": _finite(row.get("lower")),
                "upper": _finite(row.get("upper")),
                "method": method,
            }
        )
    return out


def headline_text(figure: dict[str, Any]) -> str:
    """One figure of :func:`headline_figures` as the demo prints it (``45.9% (39.4–52.5%)``)."""
    value, lower, upper = figure["value"], figure["lower"], figure["upper"]
    if value is None:
        return "n/a"
    if figure["kind"] == "count":
        return f"{int(value):,}"
    if figure["kind"] == "days":
        return f"{value:.0f}" + ("" if lower is None else f" ({lower:.0f}–{upper:.0f})")
    text = f"{100 * value:.1f}%"
    if lower is not None and upper is not None:
        text += f" ({100 * lower:.1f}–{100 * upper:.1f}%)"
    return text


def headlines(data: JusticeData, period: str | None = None) -> dict[str, str]:
    """Victims identified, arrest, conviction and attrition rates, and a median delay.

    Each value is a string with its 95% interval where one applies; the keys are labels
    (:func:`headline_figures` gives the same as figures, with each one's measure).
    """
    return {f["label"]: headline_text(f) for f in headline_figures(data, period)}


__all__ = ["HEADLINES", "headline_figures", "headline_text", "headlines"]
