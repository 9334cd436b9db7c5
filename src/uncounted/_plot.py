"""Quick matplotlib charts for notebooks: the ``plot()`` methods of results call these.

matplotlib is optional (``pip install 'uncounted[plot]'``); it is imported when a chart is
drawn. Each function draws on ``ax`` (a new figure when None) and returns the axes. The
report's own charts are SVG, drawn without matplotlib, in ``uncounted.report``; these are
for exploring results interactively and sit at the base layer so that every analysis
package can offer ``plot()`` without importing the presentation layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from uncounted._extras import require


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    plt = require("matplotlib.pyplot")
    _figure, new = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    return new


def interval_chart(
    labels: Sequence[str],
    estimates: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    ax: Any = None,
    title: str | None = None,
    xlabel: str | None = None,
    reference: float | None = None,
    reference_label: str | None = None,
) -> Any:
    """One row per label: the estimate as a point and its interval as a line."""
    ax = _axes(ax)
    rows = list(range(len(labels)))[::-1]
    est = [float(e) for e in estimates]
    below = [e - float(lo) for e, lo in zip(est, lows, strict=True)]
    above = [float(hi) - e for e, hi in zip(est, highs, strict=True)]
    ax.errorbar(est, rows, xerr=[below, above], fmt="o", capsize=4, color="#1f4e79")
    ax.set_yticks(rows, [str(label) for label in labels])
    if reference is not None:
        ax.axvline(reference, color="#999999", linestyle="--", label=reference_label)
        if reference_label:
            ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    return ax


def line_chart(
    series: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float], Sequence[float]]],
    *,
    ax: Any = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Any:
    """One line per series ``(x, values, lower, upper)``, its interval as a shaded band."""
    ax = _axes(ax)
    for name, (x, values, lows, highs) in series.items():
        (line,) = ax.plot(list(x), list(values), marker="o", label=name)
        ax.fill_between(list(x), list(lows), list(highs), alpha=0.2, color=line.get_color())
    if len(series) > 1:
        ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return ax


__all__ = ["interval_chart", "line_chart"]
