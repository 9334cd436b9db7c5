"""Render a :class:`~uncounted.report.build.Report` as one self-contained HTML page.

The page is a Jinja2 template (``report/templates/report.html``) with its CSS inline and its
charts as inline SVG: no script, no font, no image file, no link to anything outside it, so
it opens offline and prints (and WeasyPrint turns it into the PDF). Numbers are real text in
tables, formatted by the filters below.
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment
from markupsafe import Markup

from uncounted.justice.registry import id_range
from uncounted.report._templates import template_environment
from uncounted.report.justice_section import CURVE_DAYS

if TYPE_CHECKING:
    from uncounted.report.build import Report


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def fmt_number(value: Any, kind: str = "count") -> str:
    """A figure as text: ``percent`` (of 1, one decimal), ``days`` and ``count`` (whole,
    thousands separated), ``score`` (two decimals), ``ratio`` (two decimals)."""
    if _missing(value):
        return "–"
    v = float(value)
    if kind in ("percent", "proportion"):
        return f"{100 * v:.1f}%"
    if kind in ("score", "ratio"):
        return f"{v:.2f}"
    return f"{v:,.0f}"


def fmt_interval(lower: Any, upper: Any, kind: str = "count") -> str:
    """``lower–upper`` in the figure's format, or an empty string without an interval."""
    if _missing(lower) or _missing(upper):
        return ""
    return f"{fmt_number(lower, kind)}–{fmt_number(upper, kind)}"


def indicator_kind(unit: str) -> str:
    """The display kind of an indicator row from its ``unit``."""
    if unit == "proportion":
        return "percent"
    if unit == "ratio":
        return "ratio"
    return "count"


@cache
def _environment() -> Environment:
    return template_environment(
        {"num": fmt_number, "interval": fmt_interval, "kind": indicator_kind}
    )


def render_html(report: Report) -> str:
    """The report as one HTML document (UTF-8 text)."""
    charts = {
        section: {name: Markup(svg) for name, svg in getattr(report, section).charts.items()}
        for section in ("justice", "prevalence", "survivors")
    }
    template = _environment().get_template("report.html")
    return template.render(
        report=report,
        charts=charts,
        justice=report.justice,
        prevalence=report.prevalence,
        survivors=report.survivors,
        domain_labels=report.survivors.labels,
        curve_days=CURVE_DAYS,
        indicator_ids=id_range(),
    )


__all__ = ["fmt_interval", "fmt_number", "indicator_kind", "render_html"]
