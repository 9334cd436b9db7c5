"""The review queue ordered by how much each decision moves the estimate, and the evidence
side by side with names hidden from roles that may not see them
(:mod:`uncounted.linkage.review`)."""

from __future__ import annotations

import math

import polars as pl
import pytest

from uncounted.linkage.review import (
    MASK,
    compare_fields,
    mask_names,
    match_weight,
    review_by_impact,
)
from uncounted.prevalence import LogLinearEstimator
from uncounted.store.access import Principal, Role, sees_identities


def _lists() -> pl.DataFrame:
    """Two lists: 40 people on both (A-i, B-i linked for sure), 60 on A only, 50 on B only,
    and two singletons on A (a1, a2), one on B (b1) whose pairs await review."""
    ids_a = [f"A{i}" for i in range(100)] + ["a1", "a2"]
    ids_b = [f"B{i}" for i in range(40)] + [f"B{i}" for i in range(100, 150)] + ["b1"]
    return pl.DataFrame(
        {"record_id": ids_a + ids_b, "agency": ["A"] * len(ids_a) + ["B"] * len(ids_b)}
    )


def _pairs() -> pl.DataFrame:
    sure = pl.DataFrame(
        {
            "unique_id_l": [f"A{i}" for i in range(40)],
            "unique_id_r": [f"B{i}" for i in range(40)],
            "match_probability": [0.999] * 40,
        }
    )
    review = pl.DataFrame(
        {
            "unique_id_l": ["a1", "a1", "A0"],
            "unique_id_r": ["a2", "b1", "B0"],
            "match_probability": [0.6, 0.6, 0.6],
        }
    )
    return pl.concat([sure, review])


def _make() -> LogLinearEstimator:
    return LogLinearEstimator()


def test_a_pair_across_lists_moves_the_estimate_most():
    queue = review_by_impact(_lists(), _pairs(), _make, lower=0.5, threshold=0.9)
    assert queue.height == 3
    first, second, third = queue.iter_rows(named=True)
    # Lincoln–Petersen as now: n_A = 102, n_B = 91, m = 40 -> N = 102 * 91 / 40 = 232.05
    # a1 + b1 (A only and B only): n_A 102, n_B 91, m 41 -> 226.39, ΔN = -5.66
    assert {first["unique_id_l"], first["unique_id_r"]} == {"a1", "b1"}
    assert first["delta_estimate"] == pytest.approx(102 * 91 / 41 - 102 * 91 / 40, rel=1e-3)
    assert (first["history_l"], first["history_r"]) == ("A", "B")
    # a1 + a2 (both on A only): n_A 101 -> 229.78, ΔN = -2.28: less than half as much
    assert {second["unique_id_l"], second["unique_id_r"]} == {"a1", "a2"}
    assert second["delta_estimate"] == pytest.approx(101 * 91 / 40 - 102 * 91 / 40, rel=1e-3)
    assert abs(first["delta_estimate"]) > 2 * abs(second["delta_estimate"])
    # A0 and B0 are already one person: the decision moves nothing
    assert third["delta_estimate"] == 0.0 and third["expected_change"] == 0.0
    assert first["expected_change"] == pytest.approx(0.24 * abs(first["delta_estimate"]))
    assert first["match_weight"] == pytest.approx(math.log2(0.6 / 0.4))


def test_decided_pairs_leave_the_queue_and_the_probability_weighs_the_change():
    pairs = _pairs().with_columns(
        pl.when(pl.col("unique_id_r") == "a2")
        .then(0.5)
        .otherwise(pl.col("match_probability"))
        .alias("match_probability")
    )
    decisions = pl.DataFrame(
        {"unique_id_l": ["a1"], "unique_id_r": ["b1"], "decision": ["non-match"]}
    )
    queue = review_by_impact(_lists(), pairs, _make, decisions=decisions)
    assert [set(r) for r in queue.select("unique_id_l", "unique_id_r").rows()] == [
        {"a1", "a2"},
        {"A0", "B0"},
    ]
    assert queue["expected_change"][0] == pytest.approx(0.25 * abs(queue["delta_estimate"][0]))


def test_evidence_side_by_side_and_masked_for_roles_without_identities():
    left = {"agency": "A", "given_name": "Srey Mom", "family_name": "Chan", "sex": "Female",
            "birth_date": None, "age": 17}  # fmt: skip
    right = {"agency": "B", "given_name": "Sreymom", "family_name": "Chan", "sex": "Female",
             "birth_date": "2007-01-01", "age": 19}  # fmt: skip
    evidence = compare_fields(left, right)
    levels = dict(evidence.select("field", "agreement").iter_rows())
    assert levels == {
        "agency": "different",
        "given_name": "close",
        "family_name": "same",
        "birth_date": "missing",
        "sex": "same",
        "age": "different",
    }
    analyst = Principal(None, "ana", Role.ANALYST)
    caseworker = Principal(None, "cas", Role.CASEWORKER, agency_id=1)
    shown = mask_names(evidence, sees_identities(caseworker))
    assert shown.filter(pl.col("field") == "given_name")["left"][0] == "Srey Mom"
    hidden = mask_names(evidence, sees_identities(analyst))
    names = hidden.filter(pl.col("field").is_in(["given_name", "family_name"]))
    assert set(names["left"]) | set(names["right"]) == {MASK}
    assert hidden.filter(pl.col("field") == "birth_date")["left"][0] is None  # missing stays
    assert hidden["agreement"].to_list() == evidence["agreement"].to_list()
    assert hidden.filter(pl.col("field") == "sex")["left"][0] == "Female"
    assert match_weight(0.5) == 0.0
