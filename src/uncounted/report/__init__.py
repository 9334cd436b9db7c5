"""Presentation of results: charts as standalone SVG (no browser, no network)."""

from uncounted.report.charts import bar_chart, line_chart

__all__ = ["bar_chart", "line_chart"]
