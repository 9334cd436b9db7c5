"""Figures as people read them, the same in the report and the web app: counts with thousands
separators, proportions as percentages, intervals in the figure's own format."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt_interval", "fmt_number", "indicator_kind"]


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
