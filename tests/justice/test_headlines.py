"""The headlines as figures (for the web app) and as text (for the demo) say the same thing, on
the hand-worked fixture."""

from __future__ import annotations

import polars as pl

from uncounted.justice import indicators
from uncounted.justice.headlines import HEADLINES, headline_figures, headline_text, headlines


def test_headline_figures_are_the_indicator_rows(hand_data):
    figures = headline_figures(hand_data)
    assert [f["label"] for f in figures] == [h[0] for h in HEADLINES]
    table = indicators(hand_data)
    j3 = next(f for f in figures if f["metric"] == "J3")
    row = table.filter((pl.col("indicator") == "J3") & (pl.col("variant") == "all")).row(
        0, named=True
    )
    assert (j3["value"], j3["lower"], j3["upper"]) == (row["value"], row["lower"], row["upper"])
    assert j3["method"] == "wilson" and j3["kind"] == "percent"
    j1 = figures[0]
    assert j1["metric"] == "J1" and j1["method"] is None and j1["lower"] is None


def test_headline_text_is_the_figure(hand_data):
    lines = headlines(hand_data)
    for figure in headline_figures(hand_data):
        assert lines[figure["label"]] == headline_text(figure)
    assert headline_text({"kind": "percent", "value": 0.459, "lower": 0.394, "upper": 0.525}) == (
        "45.9% (39.4–52.5%)"
    )
    assert headline_text({"kind": "days", "value": 412.6, "lower": None, "upper": None}) == "413"
    assert headline_text({"kind": "count", "value": None, "lower": None, "upper": None}) == "n/a"
