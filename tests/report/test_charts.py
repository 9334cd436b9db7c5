"""The SVG charts: well-formed, escaped, and drawn where their numbers say."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from uncounted.report import Curve, Interval, bar_chart, curve_chart, interval_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert "script" not in svg and "style=" not in svg
    return root


def test_interval_chart_places_points_on_the_axis():
    svg = interval_chart(
        "Rates & <things>",
        [Interval("a", 0.5, 0.25, 0.75), Interval("b", None), Interval("c", 1.0, 0.9, 1.0, 0.2)],
        percent=True,
        x_max=1.0,
        marker_label="observed",
    )
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == "Rates & <things>"
    circles = [c for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    x0 = float(circles[0].get("cx"))
    x1 = float(circles[1].get("cx"))
    # a at 50%, c at 100%: the axis starts at the label column, so 0% sits at 2 * x0 - x1
    zero = 2 * x0 - x1
    ticks = {t.text: float(t.get("x")) for t in root.iter(f"{SVG}text") if t.text.endswith("%")}
    assert abs(ticks["0%"] - zero) < 0.2 and abs(ticks["100%"] - x1) < 0.2
    assert circles[0].find(f"{SVG}title").text == "a: 50% (25%–75%)"
    assert any(t.text == "n/a" for t in root.iter(f"{SVG}text"))
    assert len(list(root.iter(f"{SVG}path"))) == 2  # c's marker and the legend's


def test_interval_chart_with_negative_range_and_bars():
    svg = interval_chart("Change", [Interval("x", -1.0, -1.5, -0.5)], x_min=-2, x_max=2, bars=True)
    root = _parse(svg)
    assert [t.text for t in root.iter(f"{SVG}text") if t.text in ("-2", "0", "2")] == [
        "-2",
        "0",
        "2",
    ]


def test_curve_chart_draws_steps_and_bands():
    svg = curve_chart(
        "KM",
        {"one": Curve([0, 10, 20], [0.0, 0.5, 0.8], [0.0, 0.4, 0.7], [0.0, 0.6, 0.9])},
        x_label="days",
        percent=True,
        step=True,
        x_ticks=[0, 10, 20],
        x_max=20,
    )
    root = _parse(svg)
    line = next(root.iter(f"{SVG}polyline"))
    points = line.get("points").split()
    assert len(points) == 5  # 3 points, 2 risers of the step function
    assert points[1].split(",")[1] == points[0].split(",")[1]  # horizontal before the jump
    assert next(root.iter(f"{SVG}polygon")).get("fill-opacity") == "0.18"


def test_curve_chart_drops_points_beyond_the_axis_and_wraps_the_legend():
    names = {f"a rather long series name {i}": Curve([0, 5, 50], [1, 2, 3]) for i in range(6)}
    svg = curve_chart("Lines", names, x_label="months", y_range=(1, 4), x_max=10, points=True)
    root = _parse(svg)
    assert all(len(p.get("points").split()) == 2 for p in root.iter(f"{SVG}polyline"))
    legend_y = {r.get("y") for r in root.iter(f"{SVG}rect")}
    assert len(legend_y) > 1


def test_bar_and_line_charts_are_well_formed():
    _parse(bar_chart("Bars", ["x", "y"], {"s": [1.0, None]}))
    _parse(line_chart("Lines", ["2024-01-01", "2024-06-01"], {"s": [1.0, 2.0]}, y_max=4))
