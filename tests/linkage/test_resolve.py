"""Anti-chaining clusters (one list holds a person once) and B-cubed accuracy, by hand."""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.linkage import bcubed_accuracy, cluster_records, resolve_clusters


def _groups(clusters: pl.DataFrame) -> set[frozenset[str]]:
    return {frozenset(g["unique_id"].to_list()) for _, g in clusters.group_by("cluster")}


def test_chain_through_a_weak_link_is_cut_where_a_list_would_hold_a_person_twice():
    # A (police) ~ B (ngo) strongly, B ~ C (police) weakly; A and C do not match directly.
    records = pl.DataFrame({"unique_id": ["A", "B", "C"], "agency": ["POL", "NGO", "POL"]})
    pairs = pl.DataFrame(
        {"unique_id_l": ["A", "B"], "unique_id_r": ["B", "C"], "match_probability": [0.99, 0.92]}
    )
    assert _groups(cluster_records(records["unique_id"], pairs, 0.9)) == {frozenset("ABC")}
    assert _groups(resolve_clusters(records, pairs, 0.9)) == {frozenset("AB"), frozenset("C")}


def test_the_stronger_link_wins_whichever_end_it_is():
    records = pl.DataFrame({"unique_id": ["A", "B", "C"], "agency": ["POL", "NGO", "POL"]})
    pairs = pl.DataFrame(
        {"unique_id_l": ["B", "A"], "unique_id_r": ["C", "B"], "match_probability": [0.995, 0.91]}
    )
    assert _groups(resolve_clusters(records, pairs, 0.9)) == {frozenset("BC"), frozenset("A")}


def test_a_direct_strong_match_within_one_list_is_kept():
    # the agency recorded the person twice: A and C match directly at 0.995
    records = pl.DataFrame({"unique_id": ["A", "B", "C"], "agency": ["POL", "NGO", "POL"]})
    pairs = pl.DataFrame(
        {
            "unique_id_l": ["A", "B", "A"],
            "unique_id_r": ["B", "C", "C"],
            "match_probability": [0.99, 0.92, 0.995],
        }
    )
    assert _groups(resolve_clusters(records, pairs, 0.9)) == {frozenset("ABC")}
    # ...unless the same-list bar is higher than that: A and C may then never meet
    assert _groups(resolve_clusters(records, pairs, 0.9, same_list_threshold=0.999)) == {
        frozenset("AB"),
        frozenset("C"),
    }


def test_components_without_a_doubled_list_are_connected_components():
    records = pl.DataFrame({"unique_id": list("abcdef"), "agency": ["P", "N", "L", "P", "N", "P"]})
    pairs = pl.DataFrame(
        {
            "unique_id_l": ["a", "b", "d", "e"],
            "unique_id_r": ["b", "c", "e", "f"],
            "match_probability": [0.95, 0.93, 0.97, 0.91],
        }
    )
    # {a,b,c} has one record per list; {d,e,f} holds P twice (d, f) through e: f is cut
    assert _groups(resolve_clusters(records, pairs, 0.9)) == {
        frozenset("abc"),
        frozenset("de"),
        frozenset("f"),
    }
    out = resolve_clusters(records, pairs, 0.9)
    assert sorted(out["cluster"].unique().to_list()) == [0, 1, 2]
    with pytest.raises(InvalidInput):
        resolve_clusters(records, pairs, 0.9, same_list_threshold=0.5)


def test_bcubed_by_hand():
    # clusters {a,b,c} {d,e}; truth {a,b} {c,d} {e}
    clusters = pl.DataFrame({"unique_id": list("abcde"), "cluster": [0, 0, 0, 1, 1]})
    truth = pl.DataFrame({"unique_id": list("abcde"), "person": [1, 1, 2, 2, 3]})
    acc = bcubed_accuracy(clusters, truth)
    # precision per record: a 2/3, b 2/3, c 1/3, d 1/2, e 1/2 -> mean 8/15
    # recall per record:    a 1,   b 1,   c 1/2, d 1/2, e 1   -> mean 4/5
    assert acc.precision == pytest.approx(8 / 15)
    assert acc.recall == pytest.approx(4 / 5)
    assert acc.f1 == pytest.approx(2 * (8 / 15) * (4 / 5) / (8 / 15 + 4 / 5))
    assert acc.records == 5


def test_bcubed_extremes():
    truth = pl.DataFrame({"unique_id": list("abcd"), "person": [1, 1, 2, 2]})
    singletons = pl.DataFrame({"unique_id": list("abcd"), "cluster": [0, 1, 2, 3]})
    one = pl.DataFrame({"unique_id": list("abcd"), "cluster": [0, 0, 0, 0]})
    perfect = pl.DataFrame({"unique_id": list("abcd"), "cluster": [5, 5, 7, 7]})
    s, o, p = (bcubed_accuracy(c, truth) for c in (singletons, one, perfect))
    assert (s.precision, s.recall) == (1.0, pytest.approx(0.5))
    assert (o.precision, o.recall) == (pytest.approx(0.5), 1.0)
    assert (p.precision, p.recall, p.f1) == (1.0, 1.0, 1.0)
    with pytest.raises(InvalidInput):
        bcubed_accuracy(one, truth.head(3))
