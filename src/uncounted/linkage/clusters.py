"""From scored pairs to individuals: thresholds, clerical decisions, clusters, accuracy.

A pair is a link when its match probability is at or above the threshold, or when a
reviewer decided "match"; a reviewer's "non-match" removes the link whatever the model said.
Individuals are the connected components of the links (the same rule as Splink's
``cluster_pairwise_predictions_at_threshold``), computed here on the pairs table so that the
same scored pairs can be re-clustered at many thresholds in milliseconds (sensitivity).
A "non-match" decision removes one link; two records can still end up together through a
chain of other links, which the review queue then shows again.

Pairwise accuracy against a known truth (Christen 2012, *Data Matching*, §7.3): every pair of
records placed in the same cluster is a predicted match; precision = true predicted pairs /
predicted pairs, recall = true predicted pairs / true pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from uncounted.errors import InvalidInput

__all__ = [
    "DECISIONS",
    "PairwiseAccuracy",
    "apply_decisions",
    "cluster_records",
    "pairwise_accuracy",
    "review_queue",
]

#: The decisions a reviewer can record on a pair.
DECISIONS: tuple[str, ...] = ("match", "non-match")


def _ordered(frame: pl.DataFrame, left: str, right: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.min_horizontal(left, right).alias("unique_id_l"),
        pl.max_horizontal(left, right).alias("unique_id_r"),
    )


def apply_decisions(pairs: pl.DataFrame, decisions: pl.DataFrame | None) -> pl.DataFrame:
    """Scored pairs with reviewers' decisions applied (``decision`` column; probability 1 or 0).

    ``decisions`` columns: ``unique_id_l``, ``unique_id_r``, ``decision`` (one of
    :data:`DECISIONS`); order within a pair does not matter. Decided pairs the model did not
    score are added.
    """
    base = _ordered(
        pairs.select("unique_id_l", "unique_id_r", "match_probability"),
        "unique_id_l",
        "unique_id_r",
    ).with_columns(pl.lit(None, dtype=pl.String).alias("decision"))
    if decisions is None or decisions.height == 0:
        return base
    bad = set(decisions.get_column("decision").unique().to_list()) - set(DECISIONS)
    if bad:
        raise InvalidInput(f"Unknown review decision(s) {sorted(bad)}; use match or non-match.")
    dec = (
        _ordered(decisions, "unique_id_l", "unique_id_r")
        .select("unique_id_l", "unique_id_r", pl.col("decision").alias("d"))
        .unique(subset=["unique_id_l", "unique_id_r"], keep="last")
    )
    merged = base.join(dec, on=["unique_id_l", "unique_id_r"], how="full", coalesce=True)
    return merged.select(
        "unique_id_l",
        "unique_id_r",
        pl.when(pl.col("d") == "match")
        .then(1.0)
        .when(pl.col("d") == "non-match")
        .then(0.0)
        .otherwise(pl.col("match_probability"))
        .alias("match_probability"),
        pl.coalesce("d", "decision").alias("decision"),
    )


def cluster_records(record_ids: pl.Series, pairs: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Connected components of the links at ``threshold``: ``unique_id``, ``cluster`` (int).

    ``pairs`` needs ``unique_id_l``, ``unique_id_r``, ``match_probability`` (after
    :func:`apply_decisions` when there are reviews). Every record gets a cluster; a record
    with no link is a cluster of one. Cluster numbers are 0-based and dense.
    """
    ids = record_ids.cast(pl.String)
    index = pl.DataFrame({"unique_id": ids, "i": np.arange(ids.len(), dtype=np.int64)})
    links = (
        pairs.filter(pl.col("match_probability") >= threshold)
        .join(index.rename({"unique_id": "unique_id_l", "i": "a"}), on="unique_id_l")
        .join(index.rename({"unique_id": "unique_id_r", "i": "b"}), on="unique_id_r")
    )
    n = ids.len()
    a = links.get_column("a").to_numpy()
    b = links.get_column("b").to_numpy()
    graph = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pl.DataFrame({"unique_id": ids, "cluster": labels.astype(np.int64)})


@dataclass(frozen=True)
class PairwiseAccuracy:
    """Pairwise precision and recall of a clustering against the truth."""

    precision: float
    recall: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _pairs_within(sizes: pl.Series) -> int:
    s = sizes.to_numpy().astype(np.int64)
    return int((s * (s - 1) // 2).sum())


def pairwise_accuracy(clusters: pl.DataFrame, truth: pl.DataFrame) -> PairwiseAccuracy:
    """Compare ``clusters`` (``unique_id``, ``cluster``) with ``truth`` (``unique_id``,
    ``person``)."""
    both = clusters.join(truth, on="unique_id", how="inner")
    if both.height != clusters.height:
        raise InvalidInput("Every clustered record needs a true person to measure accuracy.")
    predicted = _pairs_within(both.group_by("cluster").len().get_column("len"))
    true = _pairs_within(both.group_by("person").len().get_column("len"))
    correct = _pairs_within(both.group_by("cluster", "person").len().get_column("len"))
    return PairwiseAccuracy(
        precision=correct / predicted if predicted else 1.0,
        recall=correct / true if true else 1.0,
        true_pairs=true,
        predicted_pairs=predicted,
        correct_pairs=correct,
    )


def review_queue(
    pairs: pl.DataFrame, lower: float, upper: float, decided: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Pairs with ``lower <= p < upper`` not yet decided, most uncertain (closest to 0.5)
    first: ``unique_id_l``, ``unique_id_r``, ``match_probability``."""
    if not 0.0 <= lower <= upper <= 1.0:
        raise InvalidInput("The review band needs 0 <= lower <= upper <= 1.")
    band = _ordered(
        pairs.filter(pl.col("match_probability").is_between(lower, upper, closed="left")),
        "unique_id_l",
        "unique_id_r",
    ).select("unique_id_l", "unique_id_r", "match_probability")
    if decided is not None and decided.height:
        done = _ordered(decided, "unique_id_l", "unique_id_r").select("unique_id_l", "unique_id_r")
        band = band.join(done, on=["unique_id_l", "unique_id_r"], how="anti")
    return band.sort((pl.col("match_probability") - 0.5).abs())
