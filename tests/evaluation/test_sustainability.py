"""Sustainability checklist scoring, worked by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from uncounted.errors import ImportRejected, InvalidInput
from uncounted.evaluation import load_checklist, score_sustainability

D1, D2 = dt.date(2024, 1, 15), dt.date(2025, 1, 15)


def _ratings(rows):
    return pl.DataFrame(
        rows, schema=["institution", "assessed_on", "criterion", "level"], orient="row"
    )


def test_default_checklist_loads():
    cl = load_checklist()
    assert cl.id == "uncounted-sustainability-v1"
    assert len(cl.criteria) == 10 and sum(c.weight for c in cl.criteria) == 13
    assert cl.band(0.8) == "likely sustained" and cl.band(0.6) == "at risk"
    assert cl.band(0.1) == "dependent on programme funding"


def test_hand_worked_scores():
    """Police unit, 2024: budget.line (w2) level 0, staff.dedicated (w2) level 1,
    procedure.sop (w2) level 2, data.recording (w1) level 2.
    Points = 0 + 2 + 4 + 2 = 8; max = 2·(2+2+2+1) = 14; S = 8/14 = 0.5714 → "at risk".
    2025: all four at level 2 → 14/14 = 1.0 → "likely sustained"; change +0.4286.
    Budget dimension 2024: 0/4 = 0."""
    crits = ["budget.line", "staff.dedicated", "procedure.sop", "data.recording"]
    rows = [("AITF", D1, c, lv) for c, lv in zip(crits, [0, 1, 2, 2], strict=True)]
    rows += [("AITF", D2, c, 2) for c in crits]
    scores = score_sustainability(_ratings(rows))
    first = scores.overall.row(0, named=True)
    assert first["score"] == pytest.approx(8 / 14)
    assert first["band"] == "at risk"
    assert "budget.costs_covered" in first["not_assessed"] and len(first["not_assessed"]) == 6
    change = scores.change.row(0, named=True)
    assert change["latest_score"] == pytest.approx(1.0)
    assert change["change"] == pytest.approx(6 / 14)
    budget = scores.by_dimension.filter(
        (pl.col("dimension") == "budget") & (pl.col("assessed_on") == D1)
    )
    assert budget["score"].item() == 0.0


def test_bad_ratings_are_named():
    with pytest.raises(ImportRejected) as err:
        score_sustainability(
            _ratings([("AITF", D1, "budget.lines", 1), ("AITF", D1, "staff.training", 3)]),
            source="ratings.csv",
        )
    rows = err.value.rows
    assert [(r.line, r.column, r.value) for r in rows] == [
        (2, "criterion", "budget.lines"),
        (3, "level", "3"),
    ]
    with pytest.raises(InvalidInput, match="lack column"):
        score_sustainability(pl.DataFrame({"institution": ["x"]}))
    with pytest.raises(InvalidInput, match="not a valid checklist"):
        load_checklist("id: x\ncriteria: []", "mine.yaml")
