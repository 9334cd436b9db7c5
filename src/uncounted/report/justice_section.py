"""The justice-response section of the evidence report: the library's figures, charted.

Every number comes from :mod:`uncounted.justice` — :func:`~uncounted.justice.indicators`
(every indicator of the metric catalogue, with its intervals),
:func:`~uncounted.justice.bottlenecks` (where cases stall) and
:func:`~uncounted.justice.kaplan_meier` (time-to-event curves). The funnel is J7's cumulative
attrition read the other way: of every 100 suspects reported, how many reach each stage
(``100 × (1 − cumulative attrition)``, the Kaplan–Meier product with its delta-method interval).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from uncounted.justice import JusticeData, bottlenecks, indicators, kaplan_meier
from uncounted.justice.measures import Window
from uncounted.justice.stages import suspect_paths
from uncounted.report.charts import Interval, interval_chart
from uncounted.report.curves import Curve, curve_chart

#: Stages of the funnel, in order (J7 "cumulative to <stage>").
FUNNEL_STAGES: tuple[str, ...] = ("investigation", "arrest", "charge", "trial", "verdict")

#: Transitions drawn as time-to-event curves: police and prosecution, then the courts.
CURVES: tuple[tuple[tuple[str, str], ...], ...] = (
    (("report", "investigation"), ("investigation", "arrest"), ("arrest", "charge")),
    (("charge", "trial"), ("trial", "verdict"), ("charge", "verdict")),
)

#: Titles of the curve charts, one per group of :data:`CURVES`.
CURVE_TITLES: tuple[str, ...] = (
    "Police and prosecution: share who moved on, by days (Kaplan–Meier)",
    "Courts: share who moved on, by days (Kaplan–Meier)",
)

#: Days at which the curves are tabulated (and kept in the JSON twin).
CURVE_DAYS: tuple[int, ...] = (30, 90, 180, 365, 730)

#: Proportion indicators charted with their intervals: (indicator, variant, label).
CHARTED: tuple[tuple[str, str, str], ...] = (
    ("J2", "all", "J2 investigated / reported"),
    ("J3", "all", "J3 arrested / suspects"),
    ("J4", "all", "J4 charged / arrested"),
    ("J4", "trafficking", "J4 charged with trafficking"),
    ("J5", "all", "J5 convicted / verdicts"),
    ("J8", "convictions upheld", "J8 upheld on appeal"),
    ("J11", "", "J11 verdict within standard"),
    ("J14", "protective measures", "J14 testified with protection"),
    ("J14", "compensation", "J14 compensated"),
    ("J16", "cross-border cooperation", "J16 cross-border cooperation"),
    ("J17", "joint operations", "J17 joint operations"),
)


@dataclass(frozen=True)
class JusticeSection:
    """What the report shows of the justice response (frames from the library, and charts)."""

    indicators: pl.DataFrame
    funnel: pl.DataFrame
    transitions: pl.DataFrame
    waiting: pl.DataFrame
    curves: pl.DataFrame
    charts: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "indicators": self.indicators.to_dicts(),
            "funnel": self.funnel.to_dicts(),
            "transitions": self.transitions.to_dicts(),
            "waiting": [
                {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}
                for row in self.waiting.to_dicts()
            ],
            "curves": self.curves.to_dicts(),
        }

    def curve_rows(self) -> list[dict[str, Any]]:
        """One row per transition: ``transition``, ``entered`` and ``points`` (one dict per
        tabulated day, in :data:`CURVE_DAYS` order), transitions in drawing order."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.curves.iter_rows(named=True):
            row = out.setdefault(
                r["transition"], {"transition": r["transition"], "entered": r["entered"],
                                  "points": []}
            )  # fmt: skip
            row["points"].append(r)
        return list(out.values())

    def row(self, indicator: str, variant: str | None = None) -> dict[str, Any] | None:
        """The indicator row ``indicator`` (first variant, or the named one), if any."""
        hit = self.indicators.filter(pl.col("indicator") == indicator)
        if variant is not None:
            hit = hit.filter(pl.col("variant") == variant)
        return hit.row(0, named=True) if hit.height else None


def _indicator_table(
    data: JusticeData, period: str | None, jurisdiction: str | None
) -> pl.DataFrame:
    if jurisdiction is None:
        return indicators(data, period=period)
    table = indicators(data, period=period, by=["jurisdiction"])
    return table.filter(pl.col("jurisdiction") == jurisdiction).drop("jurisdiction")


def _funnel(table: pl.DataFrame) -> pl.DataFrame:
    reported = table.filter(pl.col("indicator") == "J3")
    rows: list[dict[str, Any]] = [
        {
            "stage": "report",
            "reaching": 1.0,
            "lower": 1.0,
            "upper": 1.0,
            "entered": reported["denominator"][0] if reported.height else None,
        }
    ]
    for stage in FUNNEL_STAGES:
        hit = table.filter(
            (pl.col("indicator") == "J7") & (pl.col("variant") == f"cumulative to {stage}")
        )
        steps = table.filter(
            (pl.col("indicator") == "J7") & pl.col("variant").str.ends_with(f"→{stage}")
        )
        if hit.is_empty():
            continue
        r = hit.row(0, named=True)
        rows.append(
            {
                "stage": stage,
                "reaching": 1.0 - r["value"],
                "lower": 1.0 - r["upper"],
                "upper": 1.0 - r["lower"],
                "entered": steps["numerator"][0] if steps.height else None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "stage": pl.String,
            "reaching": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "entered": pl.Float64,
        },
        orient="row",
    )


def _spells(paths: pl.DataFrame, start: str, end: str, as_of: dt.date) -> pl.DataFrame:
    """Days from ``start`` to ``end`` (observed) or to ``as_of`` (censored), as J7 counts them."""
    s, e = pl.col(f"{start}_on"), pl.col(f"{end}_on")
    done = e.is_not_null() & (e <= as_of)
    return paths.filter(s.is_not_null()).select(
        pl.when(done)
        .then((e - s).dt.total_days())
        .otherwise((pl.lit(as_of) - s).dt.total_days())
        .clip(lower_bound=0)
        .cast(pl.Float64)
        .alias("t"),
        done.alias("d"),
    )


def _curves(
    data: JusticeData, period: str | None, jurisdiction: str | None
) -> tuple[pl.DataFrame, dict[str, Curve]]:
    window = Window.parse(period)
    paths = suspect_paths(data)
    if jurisdiction is not None:
        paths = paths.filter(pl.col("jurisdiction") == jurisdiction)
    rows: list[dict[str, Any]] = []
    curves: dict[str, Curve] = {}
    for group in CURVES:
        for start, end in group:
            spell = _spells(
                paths.filter(window.contains(f"{start}_on")), start, end, data.observed_to
            )
            if spell.height == 0:
                continue
            km = kaplan_meier(spell["t"].to_numpy(), spell["d"].to_numpy(), level=0.95)
            label = f"{start}→{end}"
            # draw up to the last event: beyond it the curve is flat and only censored
            events = np.flatnonzero(km.observed > 0)
            keep = slice(0, int(events[-1]) + 1 if events.size else 0)
            curves[label] = Curve(
                x=[0.0, *km.timeline[keep].tolist()],
                y=[0.0, *(1.0 - km.survival[keep]).tolist()],
                lower=[0.0, *(1.0 - km.upper[keep]).tolist()],
                upper=[0.0, *(1.0 - km.lower[keep]).tolist()],
            )
            for days in CURVE_DAYS:
                surv, lo, hi = km.at(float(days))
                rows.append(
                    {
                        "transition": label,
                        "days": days,
                        "moved_on": 1.0 - surv,
                        "lower": 1.0 - hi,
                        "upper": 1.0 - lo,
                        "entered": spell.height,
                    }
                )
    frame = pl.DataFrame(
        rows,
        schema={
            "transition": pl.String,
            "days": pl.Int64,
            "moved_on": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "entered": pl.Int64,
        },
        orient="row",
    )
    return frame, curves


def _row_interval(table: pl.DataFrame, indicator: str, variant: str, label: str) -> Interval:
    hit = table.filter(pl.col("indicator") == indicator)
    if variant:
        hit = hit.filter(pl.col("variant") == variant)
    if hit.is_empty():
        return Interval(label, None)
    r = hit.row(0, named=True)
    return Interval(label, r["value"], r["lower"], r["upper"])


def justice_section(
    data: JusticeData, *, period: str | None = None, jurisdiction: str | None = None
) -> JusticeSection:
    """Indicators, funnel, bottlenecks and time-to-event curves for the report."""
    stalls = bottlenecks(data, jurisdiction=jurisdiction, period=period, longest=3)
    table = _indicator_table(data, period, jurisdiction)
    funnel = _funnel(table)
    curve_table, curves = _curves(data, period, jurisdiction)
    charts = {
        "funnel": interval_chart(
            "Of every 100 suspects reported, how many reach each stage",
            [
                Interval(str(r["stage"]), r["reaching"], r["lower"], r["upper"])
                for r in funnel.iter_rows(named=True)
            ],
            percent=True,
            x_max=1.0,
            bars=True,
            value_label="share reaching the stage",
        ),
        "indicators": interval_chart(
            "Justice indicators with 95% intervals",
            [_row_interval(table, *spec) for spec in CHARTED],
            percent=True,
            x_max=1.0,
            value_label="indicator",
        ),
        "delays": interval_chart(
            "Median days between stages (J10, J15)",
            [
                Interval(
                    f"{r['indicator']} {r['variant'].removesuffix(' median')}",
                    r["value"],
                    r["lower"],
                    r["upper"],
                )
                for r in table.filter(
                    pl.col("indicator").is_in(["J10", "J15"])
                    & pl.col("variant").str.ends_with(" median")
                ).iter_rows(named=True)
            ],
            value_label="median days",
        ),
        "stall": interval_chart(
            "Attrition at each transition (where cases stall)",
            [
                Interval(
                    str(r["transition"]), r["attrition"], r["attrition_lower"], r["attrition_upper"]
                )
                for r in stalls.transitions.iter_rows(named=True)
            ],
            percent=True,
            x_max=1.0,
            bars=True,
            value_label="share who never moved on",
        ),
    }
    for i, group in enumerate(CURVES):
        chosen = {f"{a}→{b}": curves[f"{a}→{b}"] for a, b in group if f"{a}→{b}" in curves}
        if chosen:
            charts[f"curves{i}"] = curve_chart(
                CURVE_TITLES[i],
                chosen,
                x_label="days since the earlier stage",
                percent=True,
                step=True,
            )
    waiting = stalls.waiting.drop("person_id")
    return JusticeSection(table, funnel, stalls.transitions, waiting, curve_table, charts)


__all__ = ["CHARTED", "CURVES", "CURVE_DAYS", "FUNNEL_STAGES", "JusticeSection", "justice_section"]
