"""Clerical review where it matters: pairs ordered by how much their decision moves the
population estimate, with the evidence of both records side by side.

**Impact of a decision.** A pair awaiting review (``review_threshold <= p < match_threshold``)
is not a link at the match threshold. Linking it merges the two records' individuals: their
capture histories ``h_l`` and ``h_r`` become one person with ``h_l ∪ h_r``. The change in the
estimate is ``ΔN = N(linked) − N(as now)``, refitting the estimator on the changed capture
histories (the other links as they are). Two singletons of different lists make one person
seen by both: the overlap grows and ``N`` falls markedly; two records of the same list make
one person fewer on that list and move ``N`` about ``N / n`` times less. A pair whose records
are already one individual through other links moves nothing (``ΔN = 0``). ``ΔN`` depends only
on the two histories, so it is computed once per pair of histories, not once per pair.

The queue is ordered by the **expected change** ``p (1 − p) |ΔN|``: the variance of the
change in ``N`` when the pair is a link with probability ``p`` (a Bernoulli variable times
``ΔN``), that is, how much of the estimate's linkage uncertainty a decision removes.
Pairs the estimator cannot refit come last.

**Evidence.** :func:`compare_fields` puts each field of the two records side by side with its
agreement level (``same``, ``close`` — a string similarity of at least 0.85 — ``different``,
``missing``), and the pair's match weight ``log2(p / (1 − p))`` (Splink's match weight: the
log2 Bayes factor including the prior). :func:`mask_names` hides names and other identifying
fields from roles that may not see identities (the agreement levels stay: they reveal no
name).
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl

from uncounted.errors import NotIdentifiable
from uncounted.linkage.clusters import apply_decisions, cluster_records, review_queue
from uncounted.prevalence import CaptureHistories, PopulationEstimator

__all__ = [
    "COMPARED_FIELDS",
    "MASK",
    "NAME_FIELDS",
    "compare_fields",
    "evidence_table",
    "mask_names",
    "match_weight",
    "pair_evidence",
    "review_by_impact",
    "review_table",
]

#: Fields shown side by side for a pair, in order.
COMPARED_FIELDS: tuple[str, ...] = (
    "agency",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "age",
    "citizenship",
    "phone",
    "place",
)

#: Identifying fields hidden from roles that may not see identities.
NAME_FIELDS: tuple[str, ...] = ("given_name", "family_name", "birth_date", "phone", "place")

#: What a hidden value shows.
MASK = "•••"


def match_weight(p: float) -> float:
    """Splink's match weight of a match probability: ``log2(p / (1 − p))``."""
    q = min(max(p, 1e-12), 1 - 1e-12)
    return math.log2(q / (1 - q))


def _codes(clusters: pl.DataFrame, lists: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Each individual's capture history as a bit code (bit i: on list ``names[i]``)."""
    bit = {name: 1 << i for i, name in enumerate(names)}
    return (
        clusters.join(lists, on="unique_id")
        .select("cluster", pl.col("list").replace_strict(bit, return_dtype=pl.Int64).alias("b"))
        .unique()
        .group_by("cluster")
        .agg(pl.col("b").sum().alias("code"))
    )


def _fit(make: Callable[[], PopulationEstimator], names: list[str], counts: dict[int, int]) -> Any:
    codes = [c for c, n in counts.items() if n > 0]
    patterns = np.array([[(c >> i) & 1 for i in range(len(names))] for c in codes], np.uint8)
    histories = CaptureHistories(
        tuple(names), patterns, np.array([counts[c] for c in codes], np.int64), "review"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(make().fit(histories).population_)


def _label(code: int, names: list[str]) -> str:
    return "+".join(n for i, n in enumerate(names) if (code >> i) & 1)


def review_by_impact(
    lists: pl.DataFrame,
    pairs: pl.DataFrame,
    make: Callable[[], PopulationEstimator],
    *,
    lower: float = 0.5,
    threshold: float = 0.9,
    decisions: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The review queue ordered by expected change in the estimate (module docstring).

    ``lists``: ``record_id`` and ``agency`` (one row per record and list); ``pairs``: scored
    pairs (``unique_id_l``, ``unique_id_r``, ``match_probability``); ``decisions`` as in
    :func:`~uncounted.linkage.clusters.apply_decisions` (decided pairs leave the queue and fix
    the links). Columns: ``unique_id_l``, ``unique_id_r``, ``match_probability``,
    ``match_weight``, ``history_l``, ``history_r`` (the lists each side's individual is on),
    ``delta_estimate`` (``ΔN``), ``expected_change`` (``p (1 − p) |ΔN|``).
    """
    decided = apply_decisions(pairs, decisions)
    queue = review_queue(decided.filter(pl.col("decision").is_null()), lower, threshold, decisions)
    membership = lists.select(
        pl.col("record_id").cast(pl.String).alias("unique_id"), pl.col("agency").alias("list")
    ).unique()
    names = sorted(membership.get_column("list").unique().to_list())
    ids = membership.get_column("unique_id").unique(maintain_order=True)
    clusters = cluster_records(ids, decided, threshold)
    codes = _codes(clusters, membership, names)
    counts: dict[int, int] = dict(codes.group_by("code").len().iter_rows())
    cluster_of = dict(clusters.iter_rows())
    code_of = dict(codes.iter_rows())
    try:
        base = _fit(make, names, counts)
    except NotIdentifiable:
        base = math.nan
    cache: dict[tuple[int, int], float] = {}
    rows = []
    for left, right, p in queue.select(
        "unique_id_l", "unique_id_r", "match_probability"
    ).iter_rows():
        cl, cr = cluster_of.get(left), cluster_of.get(right)
        hl = code_of.get(cl, 0) if cl is not None else 0
        hr = code_of.get(cr, 0) if cr is not None else 0
        if cl is None or cr is None or cl == cr:
            delta: float | None = 0.0
        else:
            key = (min(hl, hr), max(hl, hr))
            if key not in cache:
                changed = dict(counts)
                changed[hl] -= 1
                changed[hr] -= 1
                changed[hl | hr] = changed.get(hl | hr, 0) + 1
                try:
                    cache[key] = _fit(make, names, changed) - base
                except NotIdentifiable:
                    cache[key] = math.nan
            delta = None if math.isnan(cache[key]) else cache[key]
        rows.append(
            {
                "unique_id_l": left,
                "unique_id_r": right,
                "match_probability": p,
                "match_weight": match_weight(p),
                "history_l": _label(hl, names),
                "history_r": _label(hr, names),
                "delta_estimate": delta,
                "expected_change": None if delta is None else p * (1 - p) * abs(delta),
            }
        )
    schema = {
        "unique_id_l": pl.String,
        "unique_id_r": pl.String,
        "match_probability": pl.Float64,
        "match_weight": pl.Float64,
        "history_l": pl.String,
        "history_r": pl.String,
        "delta_estimate": pl.Float64,
        "expected_change": pl.Float64,
    }
    frame = pl.DataFrame(rows, schema=schema)
    return frame.sort(
        [pl.col("expected_change"), (pl.col("match_probability") - 0.5).abs()],
        descending=[True, False],
        nulls_last=True,
    )


def _level(a: Any, b: Any) -> str:
    if a is None or b is None or a == "" or b == "":
        return "missing"
    x, y = str(a).strip().casefold(), str(b).strip().casefold()
    if x == y:
        return "same"
    if difflib.SequenceMatcher(None, x, y).ratio() >= 0.85:
        return "close"
    return "different"


def compare_fields(
    left: dict[str, Any], right: dict[str, Any], fields: Sequence[str] = COMPARED_FIELDS
) -> pl.DataFrame:
    """Two records side by side: ``field``, ``left``, ``right``, ``agreement`` (``same``,
    ``close``, ``different``, ``missing``)."""
    shown = [f for f in fields if f in left or f in right]
    return pl.DataFrame(
        {
            "field": shown,
            "left": [None if left.get(f) is None else str(left.get(f)) for f in shown],
            "right": [None if right.get(f) is None else str(right.get(f)) for f in shown],
            "agreement": [_level(left.get(f), right.get(f)) for f in shown],
        },
        schema={"field": pl.String, "left": pl.String, "right": pl.String, "agreement": pl.String},
    )


def mask_names(evidence: pl.DataFrame, may_see: bool) -> pl.DataFrame:
    """``evidence`` (from :func:`compare_fields`) with identifying values replaced by
    :data:`MASK` unless ``may_see`` (``store.access.sees_identities``); agreement kept."""
    if may_see:
        return evidence
    hidden = pl.col("field").is_in(list(NAME_FIELDS))
    return evidence.with_columns(
        *(
            pl.when(hidden & pl.col(side).is_not_null())
            .then(pl.lit(MASK))
            .otherwise(pl.col(side))
            .alias(side)
            for side in ("left", "right")
        )
    )


def pair_evidence(
    queue: pl.DataFrame, details: pl.DataFrame, may_see: bool
) -> list[dict[str, Any]]:
    """Each pair of ``queue`` (from :func:`review_by_impact`) with its evidence: ``record_l``,
    ``record_r``, the impact columns (``match_probability``, ``match_weight``, ``history_l``,
    ``history_r``, ``delta_estimate``, ``expected_change``) and ``fields``: one dict per
    compared field (``field``, ``left``, ``right``, ``agreement``), identifying values masked
    unless ``may_see``. ``details``: ``record_id`` and the fields of the records shown."""
    by_id = {str(r["record_id"]): r for r in details.iter_rows(named=True)}
    out = []
    for pair in queue.iter_rows(named=True):
        left = by_id.get(str(pair["unique_id_l"]), {})
        right = by_id.get(str(pair["unique_id_r"]), {})
        evidence = mask_names(compare_fields(left, right), may_see)
        out.append(
            {
                "record_l": pair["unique_id_l"],
                "record_r": pair["unique_id_r"],
                **{k: v for k, v in pair.items() if k not in ("unique_id_l", "unique_id_r")},
                "fields": evidence.to_dicts(),
            }
        )
    return out


def review_table(queue: pl.DataFrame, details: pl.DataFrame, may_see: bool) -> pl.DataFrame:
    """One row per pair of ``queue`` (from :func:`review_by_impact`): its impact columns, then
    each field of both records (``<field>_l``, ``<field>_r``, masked unless ``may_see``) and
    its agreement (``<field>_agreement``): :func:`pair_evidence` flattened, for tables and
    CSV. ``details``: ``record_id`` and the fields."""
    return evidence_table(pair_evidence(queue, details, may_see))


def evidence_table(pairs: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Pairs of :func:`pair_evidence` as one flat row each (:func:`review_table`'s columns)."""
    rows = []
    for pair in pairs:
        row: dict[str, Any] = {k: v for k, v in pair.items() if k != "fields"}
        for field in pair["fields"]:
            name = field["field"]
            row[f"{name}_l"], row[f"{name}_r"] = field["left"], field["right"]
            row[f"{name}_agreement"] = field["agreement"]
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)
