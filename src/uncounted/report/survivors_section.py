"""The survivor-outcomes section of the evidence report.

Scores come from :mod:`uncounted.survivors` (the instrument's domain means and restored
status), the change from intake and the share restored by months in care from
:func:`~uncounted.survivors.cohort_summary` (paired t intervals; Turnbull NPMLE with a
percentile bootstrap). The domain trajectories are the mean score of each domain at each
nominal visit (:func:`~uncounted.survivors.assessment_visits`), among survivors assessed at
that visit — a description of who was seen, not an estimate for everyone.

The cohort is the survivors whose intake assessment falls in the report's period, and, for a
jurisdiction, those whose first case as a victim is there (``survivors`` frame).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from uncounted.errors import UncountedError
from uncounted.justice.measures import Window
from uncounted.report.charts import Interval, interval_chart
from uncounted.report.curves import Curve, curve_chart
from uncounted.report.prevalence_section import caveats
from uncounted.survivors import (
    Instrument,
    assessment_visits,
    cohort_summary,
    score_domains,
    score_profiles,
)

#: Fewest survivors at a visit for its mean to be drawn in the trajectories.
MIN_AT_VISIT = 10


@dataclass(frozen=True)
class SurvivorsSection:
    """Change from intake, share restored and trajectories (empty frames when no data)."""

    survivors: int
    change: pl.DataFrame
    restoration: pl.DataFrame
    trajectories: pl.DataFrame
    note: str | None
    charts: dict[str, str]
    labels: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "survivors": self.survivors,
            "change": self.change.to_dicts(),
            "restoration": self.restoration.to_dicts(),
            "trajectories": self.trajectories.to_dicts(),
            "note": self.note,
        }

    def share(self, month: int) -> dict[str, Any] | None:
        """The share-restored row for ``month``, if estimated."""
        if "month" not in self.restoration.columns:
            return None
        hit = self.restoration.filter(pl.col("month") == month)
        return hit.row(0, named=True) if hit.height else None


def cohort_ids(
    assessments: pl.DataFrame,
    survivors: pl.DataFrame | None,
    period: str | None,
    jurisdiction: str | None,
) -> pl.Series:
    """Survivors whose intake falls in ``period`` (and whose first case is in
    ``jurisdiction`` when the ``survivors`` frame is given)."""
    intake = assessments.group_by("person_id").agg(pl.col("assessed_on").min().alias("intake_on"))
    intake = intake.filter(Window.parse(period).contains("intake_on"))
    if jurisdiction is not None and survivors is not None:
        there = survivors.filter(pl.col("jurisdiction") == jurisdiction)["person_id"]
        intake = intake.filter(pl.col("person_id").is_in(there.implode()))
    return intake["person_id"]


def _trajectories(profiles: pl.DataFrame, instrument: Instrument) -> pl.DataFrame:
    visits = assessment_visits(profiles.rename({"assessment_id": "id"}), instrument)
    first = visits.sort("person_id", "assessed_on", "id").unique(
        ["person_id", "visit_month"], keep="first", maintain_order=True
    )
    return (
        first.group_by("visit_month")
        .agg(
            pl.col("person_id").n_unique().alias("survivors"),
            *[pl.col(d).mean() for d in instrument.domain_ids],
        )
        .filter(pl.col("survivors") >= MIN_AT_VISIT)
        .sort("visit_month")
    )


def _labels(instrument: Instrument) -> dict[str, str]:
    return {**{d.id: d.label for d in instrument.domains}, "overall": "Overall (mean of domains)"}


def _empty(note: str, instrument: Instrument) -> SurvivorsSection:
    empty = pl.DataFrame()
    return SurvivorsSection(0, empty, empty, empty, note, {}, _labels(instrument))


def survivors_section(
    assessments: pl.DataFrame,
    items: pl.DataFrame,
    instrument: Instrument,
    *,
    people: pl.Series | None = None,
    months: Sequence[int] = (6, 12, 24, 36),
    n_bootstrap: int = 200,
    random_state: int | None = 1,
) -> SurvivorsSection:
    """Change, share restored by ``months`` and trajectories for the ``people`` cohort."""
    if people is not None:
        assessments = assessments.filter(pl.col("person_id").is_in(people.implode()))
    if "instrument_id" in assessments.columns:
        assessments = assessments.filter(pl.col("instrument_id") == instrument.id)
    n = assessments["person_id"].n_unique() if assessments.height else 0
    if n < 10:
        return _empty(f"{n} survivor(s) assessed in this cohort: too few to summarise.", instrument)
    items = items.filter(pl.col("assessment_id").is_in(assessments["id"].implode()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            profiles = score_profiles(score_domains(assessments, items, instrument), instrument)
            summary = cohort_summary(
                profiles,
                instrument,
                months=months,
                n_bootstrap=n_bootstrap,
                random_state=random_state,
            )
        except UncountedError as exc:
            return _empty(f"Survivor outcomes could not be summarised: {exc}", instrument)
    note = caveats(caught)
    change = summary.change.drop("group")
    restoration = summary.restoration.drop("group")
    trajectories = _trajectories(profiles, instrument)
    labels = _labels(instrument)
    lows = [v for v in change["lower"].to_list() if v is not None and math.isfinite(v)]
    ticks = sorted({0.0, *(float(m) for m in months), *trajectories["visit_month"].to_list()})
    charts = {
        "trajectories": curve_chart(
            "Mean domain score at each visit (months since intake)",
            {
                labels[d]: Curve(
                    x=trajectories["visit_month"].cast(pl.Float64).to_list(),
                    y=trajectories[d].to_list(),
                )
                for d in instrument.domain_ids
            },
            x_label="months since intake",
            x_ticks=ticks,
            x_max=max(ticks),
            y_range=(float(instrument.scale.min), float(instrument.scale.max)),
            points=True,
            reference=(instrument.threshold, f"restored at {instrument.threshold:g}"),
        ),
        "restoration": curve_chart(
            "Share of survivors restored, by months since intake",
            {
                "share restored (Turnbull)": Curve(
                    x=[0.0, *restoration["month"].cast(pl.Float64).to_list()],
                    y=[0.0, *restoration["share_restored"].to_list()],
                    lower=[0.0, *restoration["lower"].to_list()],
                    upper=[0.0, *restoration["upper"].to_list()],
                )
            },
            x_label="months since intake",
            x_ticks=ticks,
            x_max=max(ticks),
            percent=True,
            step=True,
        ),
        "change": interval_chart(
            "Change in domain score from intake to latest assessment",
            [
                Interval(
                    labels.get(r["domain"], str(r["domain"])), r["change"], r["lower"], r["upper"]
                )
                for r in change.iter_rows(named=True)
            ],
            x_min=min(0.0, float(math.floor(min(lows, default=0.0)))),
            value_label="mean change",
        ),
    }
    return SurvivorsSection(n, change, restoration, trajectories, note, charts, labels)


__all__ = ["MIN_AT_VISIT", "SurvivorsSection", "cohort_ids", "survivors_section"]
