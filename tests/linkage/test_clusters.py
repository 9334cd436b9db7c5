"""Clusters, reviewers' decisions and pairwise accuracy, on pairs small enough to check by hand."""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.linkage import apply_decisions, cluster_records, pairwise_accuracy, review_queue

IDS = pl.Series(["a", "b", "c", "d", "e"])
PAIRS = pl.DataFrame(
    {
        "unique_id_l": ["a", "b", "d", "a"],
        "unique_id_r": ["b", "c", "e", "e"],
        "match_probability": [0.99, 0.95, 0.6, 0.3],
    }
)


def _groups(clusters: pl.DataFrame) -> set[frozenset[str]]:
    return {frozenset(g["unique_id"].to_list()) for _, g in clusters.group_by("cluster")}


def test_connected_components_at_a_threshold():
    assert _groups(cluster_records(IDS, PAIRS, 0.9)) == {
        frozenset("abc"),
        frozenset("d"),
        frozenset("e"),
    }
    assert _groups(cluster_records(IDS, PAIRS, 0.5)) == {frozenset("abc"), frozenset("de")}
    assert _groups(cluster_records(IDS, PAIRS, 0.2)) == {frozenset("abcde")}


def test_decisions_override_the_model_in_either_order():
    decisions = pl.DataFrame(
        {"unique_id_l": ["c", "e"], "unique_id_r": ["b", "d"], "decision": ["non-match", "match"]}
    )
    decided = apply_decisions(PAIRS, decisions)
    assert _groups(cluster_records(IDS, decided, 0.9)) == {
        frozenset("ab"),
        frozenset("c"),
        frozenset("de"),
    }
    with pytest.raises(InvalidInput, match="Unknown review decision"):
        apply_decisions(PAIRS, decisions.with_columns(pl.lit("maybe").alias("decision")))


def test_pairwise_precision_and_recall_by_hand():
    clusters = cluster_records(IDS, PAIRS, 0.5)  # {a,b,c}, {d,e}
    truth = pl.DataFrame({"unique_id": list("abcde"), "person": [1, 1, 2, 2, 3]})
    acc = pairwise_accuracy(clusters, truth)
    # predicted pairs: ab ac bc de = 4; true pairs: ab, cd = 2; correct: ab = 1
    assert (acc.predicted_pairs, acc.true_pairs, acc.correct_pairs) == (4, 2, 1)
    assert acc.precision == pytest.approx(0.25)
    assert acc.recall == pytest.approx(0.5)
    assert acc.f1 == pytest.approx(1 / 3)


def test_review_queue_is_the_band_without_decided_pairs_most_uncertain_first():
    queue = review_queue(PAIRS, 0.5, 0.97)
    assert queue["unique_id_l"].to_list() == ["d", "b"]
    done = pl.DataFrame({"unique_id_l": ["e"], "unique_id_r": ["d"], "decision": ["match"]})
    assert review_queue(PAIRS, 0.5, 0.97, done)["unique_id_l"].to_list() == ["b"]
    with pytest.raises(InvalidInput):
        review_queue(PAIRS, 0.9, 0.5)
