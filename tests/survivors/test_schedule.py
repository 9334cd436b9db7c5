"""The schedule worked by hand: nominal visits, and due / overdue on given dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from uncounted.survivors import default_instrument, due_assessments, nominal_visit_months

TOOL = default_instrument()


def _assessments(*dates: dt.date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": list(range(1, len(dates) + 1)),
            "person_id": [5] * len(dates),
            "instrument_id": [TOOL.id] * len(dates),
            "assessed_on": list(dates),
        }
    )


def test_nominal_visits():
    days = np.array([0, 170, 200, 380, 700, 1100])
    assert nominal_visit_months(days, TOOL.schedule).tolist() == [0, 6, 6, 12, 24, 36]


def test_due_and_overdue_by_hand():
    intake = _assessments(dt.date(2024, 1, 1))
    # the 6-month visit is dated intake + round(6 × 30.4375) = 183 days = 2024-07-02;
    # it is due from 30 days before (2024-06-02) to 30 days after (2024-08-01)
    not_yet = due_assessments(intake, TOOL, dt.date(2024, 6, 1), include_not_due=True)
    assert not_yet.select("visit", "due_on", "status").row(0) == (
        "6 months",
        dt.date(2024, 7, 2),
        "not_due",
    )
    assert due_assessments(intake, TOOL, dt.date(2024, 6, 1)).is_empty()
    due = due_assessments(intake, TOOL, dt.date(2024, 6, 15)).row(0, named=True)
    assert (due["status"], due["days_overdue"]) == ("due", 0)
    late = due_assessments(intake, TOOL, dt.date(2024, 8, 15)).row(0, named=True)
    assert (late["status"], late["days_overdue"]) == ("overdue", 44)
    # once the 12-month window opens (2024-12-01), the missed 6-month visit gives way to it
    later = due_assessments(intake, TOOL, dt.date(2024, 12, 5)).row(0, named=True)
    assert (later["visit"], later["due_on"], later["status"]) == (
        "12 months",
        dt.date(2024, 12, 31),
        "due",
    )


def test_an_assessment_done_moves_the_next_visit_on():
    done = _assessments(dt.date(2024, 1, 1), dt.date(2024, 7, 10))
    row = due_assessments(done, TOOL, dt.date(2025, 2, 15)).row(0, named=True)
    assert (row["visit"], row["last_assessed_on"], row["status"], row["days_overdue"]) == (
        "12 months",
        dt.date(2024, 7, 10),
        "overdue",
        46,
    )
    assert due_assessments(done, TOOL, dt.date(2024, 8, 1)).is_empty()
