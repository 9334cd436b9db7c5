"""Presentation of results: the evidence report (HTML, PDF, JSON) and its offline SVG charts.

``build_report(tables, period, jurisdiction)`` computes every figure by calling the library
(justice, prevalence, survivors, linkage, the metric catalogue); the returned :class:`Report`
renders itself with ``to_html()``, ``to_pdf(path)`` and ``to_dict()``.

The report's names are imported on first use, so that the web pages that only draw charts
(``uncounted.report.charts``) do not load the whole report machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from uncounted.report.charts import Interval, bar_chart, interval_chart, line_chart
from uncounted.report.curves import Curve, curve_chart

if TYPE_CHECKING:
    from uncounted.report.build import STEPS, KeyFigure, Report, build_report, report_tables
    from uncounted.report.duediligence import (
        partner_review,
        render_sheets,
        write_sheets,
        zone_certificates,
    )

#: Public names imported on first use: name -> module that defines it.
_LAZY: dict[str, str] = {
    "STEPS": "uncounted.report.build",
    "KeyFigure": "uncounted.report.build",
    "Report": "uncounted.report.build",
    "build_report": "uncounted.report.build",
    "report_tables": "uncounted.report.build",
    "partner_review": "uncounted.report.duediligence",
    "render_sheets": "uncounted.report.duediligence",
    "write_sheets": "uncounted.report.duediligence",
    "zone_certificates": "uncounted.report.duediligence",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'uncounted.report' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "STEPS",
    "Curve",
    "Interval",
    "KeyFigure",
    "Report",
    "bar_chart",
    "build_report",
    "curve_chart",
    "interval_chart",
    "line_chart",
    "partner_review",
    "render_sheets",
    "report_tables",
    "write_sheets",
    "zone_certificates",
]
