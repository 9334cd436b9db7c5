"""Presentation of results: the evidence report (HTML, PDF, JSON) and its offline SVG charts.

``build_report(tables, period, jurisdiction)`` computes every figure by calling the library
(justice, prevalence, survivors, the metric catalogue); the returned :class:`Report` renders
itself with ``to_html()``, ``to_pdf(path)`` and ``to_dict()``.
"""

from uncounted.report.build import STEPS, KeyFigure, Report, build_report, report_tables
from uncounted.report.charts import Interval, bar_chart, interval_chart, line_chart
from uncounted.report.curves import Curve, curve_chart

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
    "report_tables",
]
