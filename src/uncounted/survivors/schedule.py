"""The assessment schedule: nominal visits, and who is due or overdue on a date.

Visits fall at ``m`` months after intake (the instrument's ``visits_months``, then every
``repeat_every_months``); visit ``m`` is dated ``intake + round(m · 365.25 / 12)`` days and is
*due* from ``window_days`` before that date to ``window_days`` after it, *overdue* later.
An assessment counts for the scheduled visit nearest to it in time (its nominal visit); the
first assessment of a survivor with an instrument is the intake.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from uncounted.errors import InvalidInput
from uncounted.survivors.instrument import Instrument, Schedule

DAYS_PER_MONTH = 365.25 / 12


def visit_label(month: int) -> str:
    """``"intake"``, ``"6 months"``, ``"12 months"``, …"""
    return "intake" if month == 0 else f"{month} months"


def nominal_visit_months(days_since_intake: np.ndarray, schedule: Schedule) -> np.ndarray:
    """The scheduled visit (months since intake) nearest to each elapsed time in days."""
    days = np.asarray(days_since_intake, dtype=float)
    if days.size == 0:
        return np.zeros(0, dtype=np.int64)
    if (days < 0).any():
        raise InvalidInput("An assessment is dated before the survivor's intake assessment.")
    grid = np.asarray(schedule.visit_months(float(days.max()) / DAYS_PER_MONTH + 24), float)
    nearest = np.abs(days[:, None] - grid[None, :] * DAYS_PER_MONTH).argmin(axis=1)
    return np.asarray(grid[nearest], dtype=np.int64)


def assessment_visits(assessments: pl.DataFrame, instrument: Instrument) -> pl.DataFrame:
    """Assessments of ``instrument`` with ``intake_on``, ``days`` and nominal ``visit_month``."""
    own = assessments
    if "instrument_id" in own.columns:
        own = own.filter(pl.col("instrument_id") == instrument.id)
    own = own.with_columns(pl.col("assessed_on").min().over("person_id").alias("intake_on"))
    own = own.with_columns(
        (pl.col("assessed_on") - pl.col("intake_on")).dt.total_days().alias("days")
    )
    months = nominal_visit_months(own["days"].to_numpy(), instrument.schedule)
    return own.with_columns(pl.Series("visit_month", months, dtype=pl.Int64))


def due_assessments(
    assessments: pl.DataFrame,
    instrument: Instrument,
    as_of: dt.date,
    *,
    include_not_due: bool = False,
) -> pl.DataFrame:
    """Survivors due or overdue for an assessment on ``as_of`` (rules in the module doc).

    The next visit is the latest scheduled visit whose window has opened by ``as_of`` and that
    comes after the survivor's last nominal visit (a missed visit is overdue until the next
    one's window opens). Columns: ``person_id, intake_on, last_assessed_on, visit_month,
    visit, due_on, status`` (due / overdue / not_due) and ``days_overdue``; sorted most
    overdue first. Survivors assessed only after ``as_of`` are left out.
    """
    visits = assessment_visits(assessments.filter(pl.col("assessed_on") <= as_of), instrument)
    if visits.is_empty():
        return _empty_due()
    last = visits.group_by("person_id").agg(
        pl.col("intake_on").first(),
        pl.col("assessed_on").max().alias("last_assessed_on"),
        pl.col("visit_month").max().alias("last_month"),
    )
    window = instrument.schedule.window_days
    rows: list[tuple[int, dt.date, dt.date, int, str, dt.date, str, int | None]] = []
    for person, intake, last_on, last_month in last.sort("person_id").iter_rows():
        elapsed = (as_of - intake).days / DAYS_PER_MONTH
        grid = instrument.schedule.visit_months(elapsed + window / DAYS_PER_MONTH + 12)
        later = [m for m in grid if m > last_month]
        opened = [m for m in later if _due_on(intake, m) - dt.timedelta(days=window) <= as_of]
        month = opened[-1] if opened else later[0]
        due_on = _due_on(intake, month)
        late = (as_of - due_on).days
        if not opened:
            status, overdue = "not_due", None
        elif late > window:
            status, overdue = "overdue", late
        else:
            status, overdue = "due", max(late, 0)
        rows.append((person, intake, last_on, month, visit_label(month), due_on, status, overdue))
    out = pl.DataFrame(rows, schema=_DUE_SCHEMA, orient="row")
    if not include_not_due:
        out = out.filter(pl.col("status") != "not_due")
    return out.sort(["days_overdue", "person_id"], descending=[True, False], nulls_last=True)


def _due_on(intake: dt.date, month: int) -> dt.date:
    return intake + dt.timedelta(days=round(month * DAYS_PER_MONTH))


_DUE_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.Int64(),
    "intake_on": pl.Date(),
    "last_assessed_on": pl.Date(),
    "visit_month": pl.Int64(),
    "visit": pl.String(),
    "due_on": pl.Date(),
    "status": pl.String(),
    "days_overdue": pl.Int64(),
}


def _empty_due() -> pl.DataFrame:
    return pl.DataFrame(schema=_DUE_SCHEMA)


__all__ = [
    "DAYS_PER_MONTH",
    "assessment_visits",
    "due_assessments",
    "nominal_visit_months",
    "visit_label",
]
