"""Linked individuals to capture histories and a population estimate, with the linkage's
uncertainty carried along.

The chain: agencies' records → scored pairs (:mod:`uncounted.linkage.run`) → individuals at
a match threshold (:mod:`uncounted.linkage.clusters`, reviewers' decisions applied) → one row
per individual and list, with the individual's strata → capture histories → an estimator from
:mod:`uncounted.prevalence` (pooled, or per stratum and added up with
:func:`~uncounted.prevalence.stratified.estimate_by_strata`).

Linkage errors move the estimate: a missed link splits one person into two (each on fewer
lists), which inflates the estimate; a false link merges two people, which deflates it.
:func:`estimate_linked` therefore re-clusters the same scored pairs at several thresholds and
reports how the estimate moves (the sensitivity table that goes with every linked estimate).

Individual attributes: sex and citizenship are the most frequent recorded value among the
individual's records, age the youngest recorded (age at first identification; ``minor`` is
age under 18), region the most frequent place of recording, ``year`` the year of recording —
each year is a separate population, as in ``prevalence.stratified``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from uncounted.errors import InvalidInput, NotIdentifiable
from uncounted.linkage.clusters import apply_decisions, cluster_records, resolve_clusters
from uncounted.prevalence import CaptureHistories, PopulationEstimator
from uncounted.prevalence.stratified import StratifiedEstimate, estimate_by_strata, strata_unit

if TYPE_CHECKING:
    from uncounted.linkage.blocking import BlockingRecall
    from uncounted.linkage.uncertainty import LinkageUncertainty

__all__ = [
    "LINKED_STRATA",
    "LinkedEstimate",
    "estimate_linked",
    "histories_by_stratum",
    "linked_memberships",
]

#: Strata available for linked individuals.
LINKED_STRATA: tuple[str, ...] = ("sex", "minor", "citizenship", "region", "year")

Make = Callable[[], PopulationEstimator]


def _mode(column: str) -> pl.Expr:
    return pl.col(column).drop_nulls().mode().sort().first().alias(column)


def linked_memberships(
    records: pl.DataFrame, clusters: pl.DataFrame, by: Sequence[str] = ()
) -> pl.DataFrame:
    """One row per individual and list (``person_id``, ``list``) with the strata ``by``.

    ``records``: ``record_id``, ``agency``, ``period``, ``sex``, ``age``, ``citizenship`` and,
    for the region stratum, ``region`` (a record in several periods may appear once per
    period). ``clusters``: ``unique_id`` (= record_id), ``cluster``.
    """
    unknown = [b for b in by if b not in LINKED_STRATA]
    if unknown:
        raise InvalidInput(
            f"Cannot stratify linked individuals by {', '.join(unknown)}; "
            f"choose from {', '.join(LINKED_STRATA)}."
        )
    if "region" in by and "region" not in records.columns:
        raise InvalidInput("Stratifying by region needs a region column in the records.")
    joined = records.join(
        clusters.select(pl.col("unique_id").alias("record_id"), "cluster"), on="record_id"
    )
    attributes = [_mode("sex"), _mode("citizenship"), pl.col("age").min().alias("age")]
    if "region" in records.columns:
        attributes.append(_mode("region"))
    people = joined.group_by("cluster").agg(attributes)
    frame = joined.select("cluster", pl.col("agency").alias("list"), "period").join(
        people, on="cluster"
    )
    frame = frame.with_columns(
        pl.col("cluster").cast(pl.String).alias("person_id"),
        (pl.col("age") < 18).alias("minor"),
        pl.col("period").cast(pl.String).str.slice(0, 4).alias("year"),
    )
    if "year" in by:
        frame = frame.with_columns(pl.concat_str(["person_id", "year"], separator="@"))
    return frame.select("person_id", "list", *by).unique()


def histories_by_stratum(
    records: pl.DataFrame, clusters: pl.DataFrame, by: Sequence[str] = ()
) -> dict[tuple[Any, ...], CaptureHistories]:
    """Capture histories of the linked individuals, one per stratum of ``by`` (key ``()``
    without strata). Strata whose people are all on one list are left out (no histories)."""
    frame = linked_memberships(records, clusters, by)
    if not by:
        return {(): CaptureHistories.from_records(frame, "person_id", "list", source="linked")}
    out: dict[tuple[Any, ...], CaptureHistories] = {}
    for key, group in frame.group_by(list(by), maintain_order=True):
        if group.get_column("list").n_unique() >= 2:
            label = ", ".join(f"{b}={k}" for b, k in zip(by, key, strict=True))
            out[tuple(key)] = CaptureHistories.from_records(group, "person_id", "list", label)
    return out


@dataclass(frozen=True)
class LinkedEstimate:
    """A population estimate from linked records, and how it moves with the threshold.

    ``estimate`` is the fitted estimator (pooled) or a
    :class:`~uncounted.prevalence.stratified.StratifiedEstimate`; ``sensitivity`` has one row
    per threshold: ``threshold``, ``individuals``, ``estimate``, ``ci_low``, ``ci_high``.
    ``uncertainty`` (when drawn) carries linkage error into the interval
    (:mod:`uncounted.linkage.uncertainty`).
    """

    threshold: float
    individuals: int
    records: int
    estimate: Any
    sensitivity: pl.DataFrame
    clusters: pl.DataFrame
    uncertainty: LinkageUncertainty | None = None

    @property
    def total(self) -> tuple[float, float, float]:
        """(estimate, ci_low, ci_high) at the chosen threshold."""
        return _total(self.estimate)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the estimate, its interval and the sensitivity table."""
        est, low, high = self.total
        return {
            "threshold": self.threshold,
            "records": self.records,
            "individuals": self.individuals,
            "estimate": est,
            "ci_low": low,
            "ci_high": high,
            "detail": self.estimate.to_dict(),
            "sensitivity": self.sensitivity.to_dicts(),
            "linkage_uncertainty": None if self.uncertainty is None else self.uncertainty.to_dict(),
        }

    def to_frame(self) -> pl.DataFrame:
        """How the estimate moves with the match threshold, one row per threshold."""
        return self.sensitivity


def _total(est: Any) -> tuple[float, float, float]:
    if isinstance(est, StratifiedEstimate):
        return est.total, est.ci_low, est.ci_high
    low, high = est.ci_
    return float(est.population_), float(low), float(high)


def _fit(frame: pl.DataFrame, by: Sequence[str], make: Make) -> Any:
    if by:
        return estimate_by_strata(frame, list(by), make, unit=strata_unit(by))
    histories = CaptureHistories.from_records(frame, "person_id", "list", source="linked")
    return make().fit(histories)


def estimate_linked(
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    make: Make,
    *,
    threshold: float = 0.9,
    sensitivity_thresholds: Sequence[float] = (0.5, 0.7, 0.9, 0.97, 0.99),
    by: Sequence[str] = (),
    decisions: pl.DataFrame | None = None,
    draws: int = 0,
    random_state: int | None = 0,
    one_record_per_list: bool = False,
    same_list_threshold: float = 0.99,
    blocking: BlockingRecall | None = None,
    outside: pl.DataFrame | None = None,
) -> LinkedEstimate:
    """Cluster at ``threshold`` (decisions applied), estimate, and repeat at every
    sensitivity threshold. ``make`` returns a fresh unfitted estimator (e.g.
    ``lambda: LogLinearEstimator(criterion="aic")``). With ``one_record_per_list`` the
    clusters are :func:`~uncounted.linkage.clusters.resolve_clusters` (one list holds a
    person once; a same-list pair stays together only at ``same_list_threshold``). With
    ``draws`` > 0, also draw that many plausible linkages and carry linkage error into the
    interval (:func:`~uncounted.linkage.uncertainty.linkage_uncertainty`, seeded by
    ``random_state``; ``blocking`` and ``outside`` carry the true pairs blocking never
    compared, see :mod:`uncounted.linkage.blocking`)."""
    if not 0.0 < threshold < 1.0:
        raise InvalidInput("The match threshold must be a probability in (0, 1).")
    decided = apply_decisions(pairs, decisions)
    ids = records.get_column("record_id").unique(maintain_order=True)
    rows: list[dict[str, Any]] = []
    chosen: tuple[Any, pl.DataFrame] | None = None
    lists = records.select(pl.col("record_id").cast(pl.String).alias("unique_id"), "agency").unique(
        "unique_id", keep="first", maintain_order=True
    )
    for t in sorted({*sensitivity_thresholds, threshold}):
        if one_record_per_list:
            clusters = resolve_clusters(
                lists, decided, t, same_list_threshold=max(t, same_list_threshold)
            )
        else:
            clusters = cluster_records(ids, decided, t)
        frame = linked_memberships(records, clusters, by)
        caught: list[warnings.WarningMessage] = []
        try:
            if t == threshold:  # the estimate reported: its caveats reach the caller
                est = _fit(frame, by, make)
            else:  # the sensitivity rows: caveats go in their note
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    est = _fit(frame, by, make)
        except NotIdentifiable as exc:
            if t == threshold:
                raise
            rows.append(
                {
                    "threshold": t,
                    "individuals": clusters["cluster"].n_unique(),
                    "estimate": None,
                    "ci_low": None,
                    "ci_high": None,
                    "note": str(exc),
                }
            )
            continue
        total, low, high = _total(est)
        rows.append(
            {
                "threshold": t,
                "individuals": clusters["cluster"].n_unique(),
                "estimate": total,
                "ci_low": low,
                "ci_high": high,
                "note": "; ".join(str(w.message) for w in caught),
            }
        )
        if t == threshold:
            chosen = (est, clusters)
    assert chosen is not None
    est, clusters = chosen
    uncertainty = None
    if draws > 0:
        from uncounted.linkage.uncertainty import linkage_uncertainty

        uncertainty = linkage_uncertainty(
            records,
            pairs,
            make,
            decisions=decisions,
            n_draws=draws,
            by=by,
            random_state=random_state,
            one_record_per_list=one_record_per_list,
            same_list_threshold=same_list_threshold,
            blocking=blocking,
            outside=outside,
        )
    return LinkedEstimate(
        threshold=threshold,
        individuals=clusters["cluster"].n_unique(),
        records=ids.len(),
        estimate=est,
        sensitivity=pl.DataFrame(rows, infer_schema_length=None),
        clusters=clusters,
        uncertainty=uncertainty,
    )
