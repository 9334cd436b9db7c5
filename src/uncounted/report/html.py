"""Render a :class:`~uncounted.report.build.Report` as one self-contained HTML page.

The page is a Jinja2 template (``report/templates/report.html``) with its CSS inline and its
charts as inline SVG: no script, no font, no image file, no link to anything outside it, so
it opens offline and prints (and WeasyPrint turns it into the PDF). Numbers are real text in
tables, formatted by the filters below.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from jinja2 import Environment
from markupsafe import Markup

from uncounted.justice.registry import id_range
from uncounted.report._templates import template_environment
from uncounted.report.formatting import fmt_interval, fmt_number, indicator_kind
from uncounted.report.justice_section import CURVE_DAYS

if TYPE_CHECKING:
    from uncounted.report.build import Report


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
