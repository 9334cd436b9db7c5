"""Curves over a numeric axis as SVG: step functions (Kaplan–Meier, Turnbull) or lines, with
translucent interval bands, an optional reference line and a legend that wraps.

Same conventions as :mod:`uncounted.report.charts`: presentation attributes only, escaped
text, Okabe–Ito colours, a ``<title>`` on every mark.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from uncounted.report.charts import (
    _BOTTOM,
    _H,
    _LEFT,
    _RIGHT,
    _TOP,
    _W,
    PALETTE,
    _attr,
    _fmt,
    _nice_max,
    _tick,
)


@dataclass(frozen=True)
class Curve:
    """A curve over numeric ``x``, with an optional band ``lower``–``upper`` at each point."""

    x: Sequence[float]
    y: Sequence[float | None]
    lower: Sequence[float | None] | None = None
    upper: Sequence[float | None] | None = None


def _wrapped_legend(names: Sequence[str], y0: float, width: float) -> tuple[list[str], float]:
    out, x, y = [], float(_LEFT), y0
    for i, name in enumerate(names):
        step = 24 + 6.5 * len(name)
        if x + step > width - _RIGHT and x > _LEFT:
            x, y = float(_LEFT), y + 16
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" fill="{colour}"/>')
        out.append(
            f'<text x="{x + 14:.0f}" y="{y:.0f}" font-size="11" fill="#222">{escape(name)}</text>'
        )
        x += step
    return out, y


def curve_chart(
    title: str,
    series: Mapping[str, Curve],
    *,
    x_label: str,
    y_range: tuple[float, float] = (0.0, 1.0),
    percent: bool = False,
    step: bool = False,
    points: bool = False,
    reference: tuple[float, str] | None = None,
    x_ticks: Sequence[float] | None = None,
    x_max: float | None = None,
) -> str:
    """Curves over a numeric axis: step functions (``step``, e.g. Kaplan–Meier) or lines,
    each with a translucent band where ``lower`` and ``upper`` are given, an optional
    horizontal ``reference`` line ``(y, label)`` and a legend that wraps. The x axis ends at
    ``x_max`` (default: a round number above the data; points beyond are dropped) with ticks
    at ``x_ticks`` (default: quarters of the axis)."""
    xs = [float(v) for c in series.values() for v in c.x if math.isfinite(float(v))]
    x_top = x_max if x_max is not None else _nice_max(max(xs, default=1.0))
    ticks = list(x_ticks) if x_ticks is not None else [x_top * i / 4 for i in range(5)]
    bottom, top = y_range
    names = list(series)
    legend_lines = 1 + sum(len(n) for n in names) * 6.5 // (_W - _LEFT - _RIGHT - 40)
    height = _H + 16 * int(legend_lines)
    plot_h = _H - _TOP - _BOTTOM
    plot_w = _W - _LEFT - _RIGHT

    def px(v: float) -> float:
        return _LEFT + plot_w * min(max(v, 0.0), x_top) / x_top

    def py(v: float) -> float:
        v = min(max(v, bottom), top)
        return _TOP + plot_h - plot_h * (v - bottom) / (top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {height}" '
        f'role="img" aria-label="{_attr(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="{_LEFT}" y="20" font-size="14" font-weight="bold" fill="#222">'
        f"{escape(title)}</text>",
    ]
    span = top - bottom
    steps = int(span) if not percent and span == int(span) and 2 <= span <= 6 else 4
    for i in range(steps + 1):
        value = bottom + span * i / steps
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{py(value):.1f}" y2="{py(value):.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{py(value) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#444">{_tick(value, percent)}</text>'
        )
    for xv in ticks:
        out.append(
            f'<text x="{px(xv):.1f}" y="{_TOP + plot_h + 16}" font-size="11" '
            f'text-anchor="middle" fill="#444">{_fmt(xv)}</text>'
        )
    out.append(
        f'<text x="{_LEFT + plot_w / 2:.0f}" y="{_TOP + plot_h + 32}" font-size="11" '
        f'text-anchor="middle" fill="#444">{escape(x_label)}</text>'
    )
    if reference is not None:
        ry, rlabel = reference
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{py(ry):.1f}" y2="{py(ry):.1f}" '
            'stroke="#666" stroke-width="1" stroke-dasharray="4 3"/>'
            f'<text x="{_W - _RIGHT - 4}" y="{py(ry) - 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#444">{escape(rlabel)}</text>'
        )
    for s, (name, curve) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        pts = [
            (float(xv), yv, i)
            for i, (xv, yv) in enumerate(zip(curve.x, curve.y, strict=True))
            if yv is not None and math.isfinite(float(xv)) and float(xv) <= x_top
        ]
        if not pts:
            continue
        if curve.lower is not None and curve.upper is not None:
            band = [
                (float(curve.x[i]), curve.lower[i], curve.upper[i])
                for _, _, i in pts
                if curve.lower[i] is not None and curve.upper[i] is not None
            ]
            upper_pts = _trace([(b[0], float(b[2] or 0.0)) for b in band], step)
            lower_pts = _trace([(b[0], float(b[1] or 0.0)) for b in band], step)
            poly = upper_pts + lower_pts[::-1]
            if len(poly) > 2:
                coords = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in poly)
                out.append(f'<polygon points="{coords}" fill="{colour}" fill-opacity="0.18"/>')
        line = _trace([(p[0], float(p[1] or 0.0)) for p in pts], step)
        coords = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in line)
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(name)}</title></polyline>"
        )
        if points:
            for a, b, _ in pts:
                out.append(
                    f'<circle cx="{px(a):.1f}" cy="{py(float(b or 0.0)):.1f}" r="3" '
                    f'fill="{colour}"><title>{escape(name)}: {_fmt(a)}, '
                    f"{_tick(float(b or 0.0), percent)}</title></circle>"
                )
    legend, _ = _wrapped_legend(names, _H - 4, _W)
    out += legend
    out.append("</svg>")
    return "\n".join(out)


def _trace(points: Sequence[tuple[float, float]], step: bool) -> list[tuple[float, float]]:
    """The vertices of a line through ``points``, or of a right-continuous step function."""
    if not step:
        return list(points)
    out: list[tuple[float, float]] = []
    for i, (a, b) in enumerate(points):
        if i:
            out.append((a, points[i - 1][1]))
        out.append((a, b))
    return out


__all__ = ["Curve", "curve_chart"]
