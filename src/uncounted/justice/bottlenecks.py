"""Where cases stall: transitions ranked by attrition and by dwell time, and who waits longest.

For a jurisdiction and period, each suspect transition (report→investigation, …,
verdict→appeal) gets its attrition ``1 − p`` (Kaplan–Meier conversion ``p``, open paths
censored at ``as_of``, Greenwood log−log interval) and its median dwell time among those
who moved on (truncation-corrected product-limit, see :mod:`uncounted.justice.timing`).
Transitions are ranked by each (1 = worst). The open cases that have waited longest at each
stage are listed: a path is *waiting* at its last stage reached when its case is not closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from uncounted.errors import InvalidInput
from uncounted.justice._special import TRANSITIONS
from uncounted.justice.data import JusticeData
from uncounted.justice.measures import Window, conversion, delays
from uncounted.justice.stages import SUSPECT_STAGE_NAMES, suspect_paths


@dataclass(frozen=True)
class Bottlenecks:
    """Ranked transitions and the longest-waiting open cases at each stage."""

    jurisdiction: str | None
    period: str
    transitions: pl.DataFrame
    waiting: pl.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "jurisdiction": self.jurisdiction,
            "period": self.period,
            "transitions": self.transitions.to_dicts(),
            "waiting": [
                {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
                for row in self.waiting.to_dicts()
            ],
        }

    def to_frame(self) -> pl.DataFrame:
        """The transitions ranked by attrition and dwell (the waiting cases are ``waiting``)."""
        return self.transitions

    def plot(self, ax: Any = None) -> Any:
        """Attrition at each transition with its interval (matplotlib; the ``plot`` extra)."""
        from uncounted._plot import interval_chart

        t = self.transitions
        return interval_chart(
            t["transition"].to_list(),
            t["attrition"].to_list(),
            t["attrition_lower"].to_list(),
            t["attrition_upper"].to_list(),
            ax=ax,
            title=f"Attrition by stage, {self.jurisdiction or 'all jurisdictions'}, {self.period}",
            xlabel="share of cases that do not move on",
        )


def bottlenecks(
    data: JusticeData,
    *,
    jurisdiction: str | None = None,
    period: str | None = None,
    longest: int = 5,
    level: float = 0.95,
) -> Bottlenecks:
    """Rank the stage transitions of ``jurisdiction`` (all when None) by attrition and dwell."""
    if longest < 0:
        raise InvalidInput("The number of longest-waiting cases to list must be 0 or more.")
    window = Window.parse(period)
    as_of = data.observed_to
    paths = suspect_paths(data)
    if jurisdiction is not None:
        known = set(paths["jurisdiction"].drop_nulls().unique().to_list())
        if jurisdiction not in known:
            raise InvalidInput(
                f"No justice events in jurisdiction {jurisdiction!r}; "
                f"known: {', '.join(sorted(known)) or 'none'}."
            )
        paths = paths.filter(pl.col("jurisdiction") == jurisdiction)
    steps = conversion(paths, [], window, as_of, TRANSITIONS, level)
    dwell = delays(paths, [], window, as_of, TRANSITIONS, shares=(0.5,), level=level)
    dwell = dwell.select(
        pl.col("variant").str.strip_suffix(" median").alias("transition"),
        pl.col("value").alias("median_days"),
        pl.col("lower").alias("median_days_lower"),
        pl.col("upper").alias("median_days_upper"),
    )
    table = (
        steps.select(
            pl.col("variant").alias("transition"),
            pl.col("denominator").cast(pl.Int64).alias("entered"),
            pl.col("numerator").cast(pl.Int64).alias("moved_on"),
            (1 - pl.col("value")).alias("attrition"),
            (1 - pl.col("upper")).alias("attrition_lower"),
            (1 - pl.col("lower")).alias("attrition_upper"),
        )
        .join(dwell, on="transition", how="left")
        .with_columns(
            pl.col("median_days", "median_days_lower", "median_days_upper").replace(
                [float("inf")], [None]
            ),
        )
        .with_columns(
            pl.col("attrition").rank("min", descending=True).cast(pl.Int64).alias("attrition_rank"),
            pl.col("median_days").rank("min", descending=True).cast(pl.Int64).alias("dwell_rank"),
        )
        .sort("attrition_rank", nulls_last=True)
    )
    return Bottlenecks(jurisdiction, window.label, table, _waiting(paths, window, as_of, longest))


def _waiting(paths: pl.DataFrame, window: Window, as_of: Any, longest: int) -> pl.DataFrame:
    stages = [s for s in SUSPECT_STAGE_NAMES if s not in ("appeal",)]
    last = pl.lit(None, pl.String)
    for stage in SUSPECT_STAGE_NAMES:
        last = pl.when(pl.col(f"{stage}_on").is_not_null()).then(pl.lit(stage)).otherwise(last)
    since = pl.lit(None, pl.Date)
    for stage in SUSPECT_STAGE_NAMES:
        since = (
            pl.when(pl.col(f"{stage}_on").is_not_null())
            .then(pl.col(f"{stage}_on"))
            .otherwise(since)
        )
    open_paths = (
        paths.filter(pl.col("status").fill_null("Active") != "Closed")
        .with_columns(last.alias("stage"), since.alias("since"))
        .filter(pl.col("stage").is_in(stages) & window.contains("entry_on"))
        .with_columns((pl.lit(as_of) - pl.col("since")).dt.total_days().alias("days_waiting"))
    )
    return (
        open_paths.sort("days_waiting", descending=True)
        .group_by("stage", maintain_order=True)
        .head(longest)
        .select("stage", "case_id", "person_id", "jurisdiction", "since", "days_waiting")
        .with_columns(
            pl.col("stage")
            .replace_strict(
                {s: i for i, s in enumerate(SUSPECT_STAGE_NAMES)}, return_dtype=pl.Int32
            )
            .alias("_order")
        )
        .sort(["_order", "days_waiting"], descending=[False, True])
        .drop("_order")
    )


__all__ = ["Bottlenecks", "bottlenecks"]
