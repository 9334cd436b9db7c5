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
predicted pairs, recall = true predicted pairs / true pairs. Pairwise figures weigh a cluster
by the square of its size, so one large false merge dominates them; B-cubed accuracy
(:func:`bcubed_accuracy`, Bagga & Baldwin 1998) weighs every record once.

Connected components chain: one false link merges two people and everyone linked to them.
:func:`resolve_clusters` splits such chains with the rule that one list holds a person once
(see its docstring).
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
    "BCubedAccuracy",
    "PairwiseAccuracy",
    "apply_decisions",
    "bcubed_accuracy",
    "cluster_records",
    "pairwise_accuracy",
    "resolve_clusters",
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


def resolve_clusters(
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    threshold: float,
    *,
    same_list_threshold: float = 0.99,
) -> pl.DataFrame:
    """Clusters that resist chaining: one list holds a person once.

    ``records``: ``unique_id`` and ``agency`` (the list); ``pairs`` as for
    :func:`cluster_records`. Returns ``unique_id``, ``cluster`` like it.

    Method — a constrained single-linkage (Kruskal) pass: the links at ``threshold`` are taken
    strongest first and two clusters are merged unless the merged cluster would hold two
    records of the same list that are not themselves linked directly at
    ``same_list_threshold`` or above. This is the *cannot-link* constraint of constrained
    clustering (Wagstaff et al. 2001, ICML, COP-k-means) with the record-linkage knowledge
    that an agency's list records a person once — the one-to-one constraint between two
    files (Christen 2012, *Data Matching*, §6.10; Sadinle 2017, JASA 112:600, bipartite
    matching) extended to many lists. A false link that would join two people is usually
    weaker than the true links around it, so the strong true links form each person's cluster
    first and the weak link then finds both ends already holding the same list, and is cut.
    A list that does hold someone twice (an agency's own duplicate) keeps both records when
    they match directly with high probability (``same_list_threshold``); a reviewer's "match"
    decision has probability 1 and always does.

    Scale: connected components are found for all records at once (sparse graph); only the
    components that hold a list twice — few, and small — go through the ordered pass.
    """
    if not 0.0 < threshold <= same_list_threshold <= 1.0:
        raise InvalidInput("Need 0 < threshold <= same_list_threshold <= 1.")
    base = cluster_records(records.get_column("unique_id"), pairs, threshold)
    lists = base.join(
        records.select(pl.col("unique_id").cast(pl.String), pl.col("agency").cast(pl.String)),
        on="unique_id",
        how="left",
    )
    doubled = (
        lists.group_by("cluster", "agency")
        .len()
        .filter(pl.col("len") > 1)
        .select("cluster")
        .unique()
    )
    if doubled.height == 0:
        return base
    involved = lists.join(doubled, on="cluster")
    agency_of = dict(
        zip(involved["unique_id"].to_list(), involved["agency"].to_list(), strict=True)
    )
    ids = set(agency_of)
    links = (
        _ordered(
            pairs.filter(pl.col("match_probability") >= threshold), "unique_id_l", "unique_id_r"
        )
        .filter(pl.col("unique_id_l").is_in(ids) & pl.col("unique_id_r").is_in(ids))
        .sort("match_probability", "unique_id_l", "unique_id_r", descending=[True, False, False])
    )
    left = links["unique_id_l"].to_list()
    right = links["unique_id_r"].to_list()
    prob = links["match_probability"].to_list()
    strong = {(a, b) for a, b, p in zip(left, right, prob, strict=True) if p >= same_list_threshold}
    parent = {i: i for i in ids}
    members: dict[str, dict[str, list[str]]] = {i: {agency_of[i]: [i]} for i in ids}

    def find(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def compatible(x: dict[str, list[str]], y: dict[str, list[str]]) -> bool:
        for agency in x.keys() & y.keys():
            for a in x[agency]:
                for b in y[agency]:
                    if (min(a, b), max(a, b)) not in strong:
                        return False
        return True

    for a, b in zip(left, right, strict=True):
        ra, rb = find(a), find(b)
        if ra == rb or not compatible(members[ra], members[rb]):
            continue
        if sum(map(len, members[ra].values())) < sum(map(len, members[rb].values())):
            ra, rb = rb, ra
        parent[rb] = ra
        for agency, recs in members.pop(rb).items():
            members[ra].setdefault(agency, []).extend(recs)
    roots = pl.DataFrame(
        {"unique_id": list(ids), "root": [find(i) for i in ids]},
        schema={"unique_id": pl.String, "root": pl.String},
    )
    out = base.join(roots, on="unique_id", how="left").with_columns(
        pl.coalesce(pl.col("root"), pl.col("cluster").cast(pl.String)).alias("key")
    )
    # root ids and cluster numbers cannot collide: prefix to keep them apart, then renumber
    out = out.with_columns(
        pl.when(pl.col("root").is_null())
        .then(pl.lit("c:") + pl.col("key"))
        .otherwise(pl.lit("r:") + pl.col("key"))
        .rank("dense")
        .sub(1)
        .cast(pl.Int64)
        .alias("cluster")
    )
    return out.select("unique_id", "cluster")


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


@dataclass(frozen=True)
class BCubedAccuracy:
    """B-cubed precision and recall of a clustering against the truth (record averages)."""

    precision: float
    recall: float
    records: int

    @property
    def f1(self) -> float:
        """Harmonic mean of B-cubed precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def bcubed_accuracy(clusters: pl.DataFrame, truth: pl.DataFrame) -> BCubedAccuracy:
    """B-cubed precision and recall (Bagga & Baldwin 1998, *Algorithms for scoring
    coreference chains*, LREC workshop; Amigó et al. 2009, *Inf. Retrieval* 12:461).

    For each record ``r`` with predicted cluster ``C(r)`` and true person ``T(r)``:
    ``precision(r) = |C(r) ∩ T(r)| / |C(r)|`` and ``recall(r) = |C(r) ∩ T(r)| / |T(r)|``;
    B-cubed precision and recall are their means over all ``N`` records. Grouping records by
    (cluster, person) with counts ``n_ct``, cluster sizes ``n_c`` and person sizes ``n_t``:
    precision ``= Σ n_ct² / n_c / N`` and recall ``= Σ n_ct² / n_t / N``. A singleton
    clustering has precision 1; one cluster of everything has recall 1.

    ``clusters``: ``unique_id``, ``cluster``; ``truth``: ``unique_id``, ``person``.
    """
    both = clusters.join(truth, on="unique_id", how="inner")
    if both.height != clusters.height:
        raise InvalidInput("Every clustered record needs a true person to measure accuracy.")
    if both.height == 0:
        return BCubedAccuracy(1.0, 1.0, 0)
    cells = (
        both.group_by("cluster", "person")
        .len("n_ct")
        .with_columns(
            pl.col("n_ct").sum().over("cluster").alias("n_c"),
            pl.col("n_ct").sum().over("person").alias("n_t"),
        )
    )
    n = both.height
    sq = pl.col("n_ct").cast(pl.Float64) ** 2
    sums = cells.select(
        (sq / pl.col("n_c")).sum().alias("p"), (sq / pl.col("n_t")).sum().alias("r")
    )
    return BCubedAccuracy(float(sums["p"][0]) / n, float(sums["r"][0]) / n, n)


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
