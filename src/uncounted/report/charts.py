"""Small offline SVG charts: bars, lines, intervals (forest plots) and curves with bands.

The SVG is self-contained and uses presentation attributes only (no ``style`` attributes, no
script), so it can be embedded in pages served with a strict Content-Security-Policy and in
reports. Text is XML-escaped. Colours are the Okabe–Ito palette (readable with colour-vision
deficiencies).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
_W, _H = 640, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 36, 56


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2g}"


def _frame(title: str, top: float, bottom: float = 0.0) -> list[str]:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" '
        f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="{_LEFT}" y="20" font-size="14" font-weight="bold" fill="#222">'
        f"{escape(title)}</text>",
    ]
    plot_h = _H - _TOP - _BOTTOM
    for i in range(5):
        value = bottom + (top - bottom) * i / 4
        y = _TOP + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#444">{_fmt(value)}</text>'
        )
    return out


def _legend(names: Sequence[str]) -> list[str]:
    out, x = [], _LEFT
    y = _H - 12
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="{y}" font-size="11" fill="#222">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return out


def bar_chart(
    title: str, categories: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> str:
    """Grouped bars: one group per category, one bar per series (``None`` draws nothing)."""
    values = [v for vs in series.values() for v in vs if v is not None]
    top = _nice_max(max(values, default=0.0))
    out = _frame(title, top)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    n_groups, n_series = max(len(categories), 1), max(len(series), 1)
    group_w = plot_w / n_groups
    bar_w = group_w * 0.8 / n_series
    for g, category in enumerate(categories):
        x0 = _LEFT + g * group_w + group_w * 0.1
        for s, (name, vs) in enumerate(series.items()):
            value = vs[g] if g < len(vs) else None
            if value is None:
                continue
            h = plot_h * value / top
            x = x0 + s * bar_w
            out.append(
                f'<rect x="{x:.1f}" y="{_TOP + plot_h - h:.1f}" width="{bar_w * 0.92:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(name)}, {escape(category)}: {_fmt(value)}</title></rect>"
            )
        out.append(
            f'<text x="{_LEFT + (g + 0.5) * group_w:.1f}" y="{_TOP + plot_h + 16}" '
            f'font-size="11" text-anchor="middle" fill="#444">{escape(category)}</text>'
        )
    out += _legend(list(series))
    out.append("</svg>")
    return "\n".join(out)


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    y_max: float | None = None,
) -> str:
    """Lines with points over ordered x labels (e.g. assessment dates); gaps for ``None``."""
    values = [v for vs in series.values() for v in vs if v is not None]
    top = y_max if y_max is not None else _nice_max(max(values, default=0.0))
    out = _frame(title, top)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    n = max(len(x_labels), 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = _LEFT + (plot_w * (i + 0.5) / n)
        return x, _TOP + plot_h - plot_h * v / top

    for s, (name, vs) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        points = [(i, v) for i, v in enumerate(vs) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in points))
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for i, v in points:
            x, y = xy(i, v)
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(name)}, {escape(x_labels[i])}: {_fmt(v)}</title></circle>"
            )
    for i, label in enumerate(x_labels):
        x, _ = xy(i, 0)
        out.append(
            f'<text x="{x:.1f}" y="{_TOP + plot_h + 16}" font-size="11" text-anchor="middle" '
            f'fill="#444">{escape(label)}</text>'
        )
    out += _legend(list(series))
    out.append("</svg>")
    return "\n".join(out)


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _tick(value: float, percent: bool) -> str:
    if percent:
        return f"{100 * value:.0f}%"
    return _fmt(value)


@dataclass(frozen=True)
class Interval:
    """One row of an interval chart: a point estimate, its interval, and an optional marker
    (e.g. the number observed, or a synthetic world's truth) drawn as a hollow diamond."""

    label: str
    value: float | None
    lower: float | None = None
    upper: float | None = None
    marker: float | None = None


def interval_chart(
    title: str,
    rows: Sequence[Interval],
    *,
    percent: bool = False,
    x_max: float | None = None,
    x_min: float = 0.0,
    bars: bool = False,
    marker_label: str | None = None,
    value_label: str = "estimate",
) -> str:
    """Horizontal point-and-whisker rows (a forest plot), or bars with whiskers (``bars``).

    One row per :class:`Interval`, labelled on the left; the axis runs from ``x_min`` (0) to
    ``x_max`` (default: a round number above every upper limit); values outside are clipped.
    ``percent`` labels the axis in percent of 1. Rows without a value are listed with "n/a".
    """
    longest = max((len(r.label) for r in rows), default=10)
    label_w, row_h, top_pad = int(min(max(120, 6.8 * longest + 20), 330)), 26, 40
    width, right = _W, 24
    height = top_pad + row_h * max(len(rows), 1) + 46
    seen = [
        v for r in rows for v in (r.value, r.upper, r.marker) if v is not None and math.isfinite(v)
    ]
    top = x_max if x_max is not None else _nice_max(max(seen, default=0.0))
    x0, x1 = label_w, width - right

    def x(v: float) -> float:
        return x0 + (x1 - x0) * (min(max(v, x_min), top) - x_min) / (top - x_min)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_attr(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="8" y="20" font-size="14" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    axis_y = top_pad + row_h * max(len(rows), 1)
    for i in range(5):
        value = x_min + (top - x_min) * i / 4
        out.append(
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{top_pad - 6}" y2="{axis_y}" '
            'stroke="#ddd" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{x(value):.1f}" y="{axis_y + 14}" font-size="11" text-anchor="middle" '
            f'fill="#444">{_tick(value, percent)}</text>'
        )
    for i, row in enumerate(rows):
        y = top_pad + row_h * i + row_h / 2
        out.append(
            f'<text x="{x0 - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="#222">{escape(row.label)}</text>'
        )
        if row.marker is not None and math.isfinite(row.marker):
            mx = x(row.marker)
            out.append(
                f'<path d="M{mx:.1f},{y - 6:.1f} L{mx + 6:.1f},{y:.1f} L{mx:.1f},{y + 6:.1f} '
                f'L{mx - 6:.1f},{y:.1f} Z" fill="white" stroke="{PALETTE[5]}" stroke-width="2"/>'
            )
        if row.value is None or not math.isfinite(row.value):
            out.append(f'<text x="{x0 + 4}" y="{y + 4:.1f}" font-size="11" fill="#888">n/a</text>')
            continue
        tip = f"{row.label}: {_tick(row.value, percent)}"
        if row.lower is not None and row.upper is not None:
            tip += f" ({_tick(row.lower, percent)}–{_tick(row.upper, percent)})"
        if bars:
            out.append(
                f'<rect x="{x0}" y="{y - 8:.1f}" width="{x(row.value) - x0:.1f}" height="16" '
                f'fill="{PALETTE[0]}" fill-opacity="0.85"><title>{escape(tip)}</title></rect>'
            )
        if row.lower is not None and row.upper is not None:
            lo, hi = x(row.lower), x(row.upper)
            colour = "#222" if bars else PALETTE[0]
            out.append(
                f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
            for end in (lo, hi):
                out.append(
                    f'<line x1="{end:.1f}" x2="{end:.1f}" y1="{y - 5:.1f}" y2="{y + 5:.1f}" '
                    f'stroke="{colour}" stroke-width="2"/>'
                )
        if not bars:
            out.append(
                f'<circle cx="{x(row.value):.1f}" cy="{y:.1f}" r="5" fill="{PALETTE[0]}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    legend_y, lx = height - 10, 14
    first = f"{value_label} with 95% interval"
    icon = (
        f'<rect x="{lx - 5}" y="{legend_y - 9}" width="10" height="10" fill="{PALETTE[0]}"/>'
        if bars
        else f'<circle cx="{lx}" cy="{legend_y - 4}" r="5" fill="{PALETTE[0]}"/>'
    )
    out.append(
        f'{icon}<text x="{lx + 10}" y="{legend_y}" font-size="11" fill="#222">'
        f"{escape(first)}</text>"
    )
    if marker_label is not None:
        mx = lx + 40 + 6.2 * len(first)
        out.append(
            f'<path d="M{mx},{legend_y - 10} L{mx + 6},{legend_y - 4} L{mx},{legend_y + 2} '
            f'L{mx - 6},{legend_y - 4} Z" fill="white" stroke="{PALETTE[5]}" stroke-width="2"/>'
            f'<text x="{mx + 12}" y="{legend_y}" font-size="11" fill="#222">'
            f"{escape(marker_label)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


__all__ = [
    "PALETTE",
    "Interval",
    "bar_chart",
    "interval_chart",
    "line_chart",
]
