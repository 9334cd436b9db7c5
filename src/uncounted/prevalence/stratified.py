"""Stratified estimation: one estimate per stratum (sex, minor/adult, region, year), and a total.

Heterogeneous catchability biases a pooled estimate when the groups differ in how visible they
are; estimating within strata and adding up is the usual remedy (Bishop, Fienberg & Holland
1975, §6.5). Each stratum is fitted with its own copy of the chosen estimator, on the lists
that recorded someone in it. A stratum is **too sparse to estimate** — and said so, with the
reason — when it has fewer than ``min_observed`` people, fewer than two lists with members, or
when the model's estimate does not exist (:class:`~uncounted.errors.NotIdentifiable`).

The total adds the stratum estimates. Its interval assumes independent strata and approximates
each stratum's uncertainty on the log scale of its unobserved count,
``se_i = (log(hi_i − n_i) − log(lo_i − n_i)) / (2 z)``, so that
``Var(N_i) ≈ (N_i − n_i)² se_i²`` and ``N ± z √Σ Var(N_i)`` (clipped below at the people
observed). Strata too sparse to estimate enter the total with their observed count only, and
the total is then flagged as a lower bound for them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from scipy.special import ndtri

from uncounted.errors import InvalidCaptureHistories, InvalidInput, NotIdentifiable
from uncounted.prevalence._base import PopulationEstimator
from uncounted.prevalence.histories import CaptureHistories


@dataclass(frozen=True)
class StratifiedEstimate:
    """Per-stratum estimates, the total, and which strata could not be estimated."""

    strata: pl.DataFrame
    total: float
    ci_low: float
    ci_high: float
    observed: int
    sparse_strata: list[str]
    unit: str = "people"

    @property
    def unit_note(self) -> str:
        """What the counts count, when it is not simply people ("" then)."""
        if self.unit == PERSON_YEARS:
            return (
                "Counts are person-years: each year is estimated as its own population, so "
                "someone recorded in two years counts in both and the total over years is "
                "not a number of distinct people."
            )
        return ""

    @property
    def complete(self) -> bool:
        """True when every stratum could be estimated."""
        return not self.sparse_strata

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "strata": self.strata.to_dicts(),
            "total": self.total,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "observed": self.observed,
            "sparse_strata": self.sparse_strata,
            "complete": self.complete,
            "unit": self.unit,
            "unit_note": self.unit_note,
            "note": ""
            if self.complete
            else "Strata too sparse to estimate count their observed people only: "
            "the total is a lower bound for them.",
        }

    def to_frame(self) -> pl.DataFrame:
        """One row per stratum (the total is ``total``, ``ci_low``, ``ci_high``)."""
        return self.strata

    def __repr__(self) -> str:
        return (
            f"StratifiedEstimate(total {self.total:,.0f}, 95 % {self.ci_low:,.0f}–"
            f"{self.ci_high:,.0f}; {self.observed:,} observed; {self.strata.height} strata"
            + ("" if self.complete else f"; too sparse: {', '.join(self.sparse_strata)}")
            + ")"
        )


def _label(key: Sequence[Any], by: Sequence[str]) -> str:
    return ", ".join(f"{b}={k}" for b, k in zip(by, key, strict=True))


def estimate_by_strata(
    records: pl.DataFrame,
    by: Sequence[str],
    make: Callable[[], PopulationEstimator],
    *,
    person_column: str = "person_id",
    list_column: str = "list",
    min_observed: int = 20,
    ci_level: float = 0.95,
    unit: str = "people",
) -> StratifiedEstimate:
    """Fit ``make()`` within each stratum of ``records`` (one row per person and list, with the
    stratum columns ``by`` constant per person) and add up (see the module doc).

    ``unit`` names what a row's ``person_column`` counts: ``"people"``, or
    ``"person-years"`` for :func:`membership_records` stratified by year (use
    :func:`strata_unit`); it is carried into the result and its JSON."""
    needed = [person_column, list_column, *by]
    missing = [c for c in needed if c not in records.columns]
    if missing:
        raise InvalidInput(f"The records lack column(s) {', '.join(missing)} to stratify by.")
    if not by:
        raise InvalidInput("Name at least one column to stratify by (e.g. sex, year).")
    varying = (
        records.group_by(person_column)
        .agg([pl.col(b).n_unique().alias(b) for b in by])
        .filter(pl.any_horizontal([pl.col(b) > 1 for b in by]))
    )
    if varying.height:
        raise InvalidInput(
            f"{varying.height} person(s) fall in more than one stratum (e.g. person "
            f"{varying[person_column][0]}); stratify by attributes fixed per person."
        )
    z = float(ndtri(0.5 + ci_level / 2))
    rows: list[dict[str, Any]] = []
    for key, group in records.group_by(list(by), maintain_order=True):
        label = _label(key, by)
        observed = group[person_column].n_unique()
        row: dict[str, Any] = {**dict(zip(by, key, strict=True)), "observed": observed}
        reason = None
        lists = sorted(group[list_column].cast(pl.String).unique().to_list())
        if observed < min_observed:
            reason = f"only {observed} people observed (fewer than {min_observed})"
        elif len(lists) < 2:
            reason = f"only {len(lists)} list recorded anyone"
        if reason is None:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    histories = CaptureHistories.from_records(
                        group, person_column, list_column, source=label
                    )
                    est = make().fit(histories)
                low, high = est.ci_
                row.update(
                    estimate=float(est.population_),
                    ci_low=float(low),
                    ci_high=float(high),
                    model=(
                        "independence" if est.model_text_ == "()" else est.model_text_
                    ),  # LCMCR has no terms but is not the independence model
                    status="estimated",
                    note="; ".join(str(w.message) for w in caught),
                )
            except (NotIdentifiable, InvalidCaptureHistories) as exc:
                reason = f"no estimate: {exc}"
        if reason is not None:
            row.update(
                estimate=None, ci_low=None, ci_high=None, model=None,
                status="too sparse to estimate", note=reason,
            )  # fmt: skip
        rows.append(row)
    table = pl.DataFrame(rows, infer_schema_length=None)
    done = table.filter(pl.col("status") == "estimated")
    sparse = table.filter(pl.col("status") != "estimated")
    total = float(done["estimate"].sum()) + float(sparse["observed"].sum())
    variance = 0.0
    for r in done.iter_rows(named=True):
        unseen = r["estimate"] - r["observed"]
        lo, hi = r["ci_low"] - r["observed"], r["ci_high"] - r["observed"]
        if unseen > 0 and lo > 0 and math.isfinite(hi):
            se = (math.log(hi) - math.log(lo)) / (2 * z)
            variance += (unseen * se) ** 2
        elif not math.isfinite(hi):
            variance = math.inf
    observed_total = records[person_column].n_unique()
    half = z * math.sqrt(variance)
    return StratifiedEstimate(
        strata=table,
        total=total,
        ci_low=max(float(observed_total), total - half),
        ci_high=total + half,
        observed=observed_total,
        sparse_strata=[_label([r[b] for b in by], by) for r in sparse.iter_rows(named=True)],
        unit=unit,
    )


#: Strata that can be read off stored list memberships (see :func:`membership_records`).
MEMBERSHIP_STRATA = ("sex", "minor", "citizenship", "year")
PERSON_YEARS = "person-years"


def strata_unit(by: Sequence[str]) -> str:
    """What :func:`membership_records` rows count when stratified by ``by``: a person
    recorded in several years is one unit per year (``"person-years"``) when ``year`` is among
    the strata, otherwise ``"people"``."""
    return PERSON_YEARS if "year" in by else "people"


def membership_records(memberships: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Stored list memberships (``uncounted.store.frames.list_memberships_frame``) as records
    for estimation: ``person_id``, ``list`` and the strata ``by``.

    ``minor`` is age at identification under 18. ``year`` is the membership's period: each
    year is a separate population (a person recorded in two years counts in both), so the
    total over years is person-years, not people.
    """
    unknown = [b for b in by if b not in MEMBERSHIP_STRATA]
    if unknown:
        raise InvalidInput(
            f"Cannot stratify stored lists by {', '.join(unknown)}; "
            f"choose from {', '.join(MEMBERSHIP_STRATA)}."
        )
    if memberships.is_empty():
        raise InvalidInput("There are no list memberships to estimate from.")
    frame = memberships.with_columns(
        pl.col("list").cast(pl.String),
        (pl.col("age_at_identification") < 18).alias("minor"),
        pl.col("period").cast(pl.String).str.slice(0, 4).alias("year"),
        pl.col("person_id").cast(pl.String),
    )
    if "year" in by:
        frame = frame.with_columns(pl.concat_str(["person_id", "year"], separator="@"))
    return frame.select("person_id", "list", *by)


__all__ = [
    "MEMBERSHIP_STRATA",
    "PERSON_YEARS",
    "StratifiedEstimate",
    "estimate_by_strata",
    "membership_records",
    "strata_unit",
]
