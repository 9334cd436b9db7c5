"""Linked individuals to capture histories per stratum, on records small enough to check."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.linkage import histories_by_stratum, linked_memberships

RECORDS = pl.DataFrame(
    {
        "record_id": ["p1", "n1", "n2", "l1", "p2", "l2"],
        "agency": ["POLICE", "NGO", "NGO", "LAB", "POLICE", "LAB"],
        "period": ["2023", "2023", "2024", "2024", "2024", "2023"],
        "recorded_on": [dt.date(2023, 5, 1)] * 6,
        "sex": ["Female", "Female", None, "Male", "Male", "Female"],
        "age": [16, 17, 30, 40, 41, 25],
        "citizenship": ["KH", "KH", "TH", "TH", "TH", "MM"],
        "region": ["TH", "TH", "TH", "TH", "TH", "MY"],
    }
)
# individuals: {p1, n1} (a minor), {n2, l1, p2}, {l2}
CLUSTERS = pl.DataFrame(
    {"unique_id": ["p1", "n1", "n2", "l1", "p2", "l2"], "cluster": [0, 0, 1, 1, 1, 2]}
)


def test_one_row_per_individual_and_list_with_resolved_attributes():
    frame = linked_memberships(RECORDS, CLUSTERS, ["sex", "minor"]).sort("person_id", "list")
    assert frame.select("person_id", "list").rows() == [
        ("0", "NGO"),
        ("0", "POLICE"),
        ("1", "LAB"),
        ("1", "NGO"),
        ("1", "POLICE"),
        ("2", "LAB"),
    ]
    people = frame.unique("person_id").sort("person_id")
    assert people["sex"].to_list() == ["Female", "Male", "Female"]  # the null is outvoted
    assert people["minor"].to_list() == [True, False, False]  # youngest recorded age


def test_histories_pooled_and_by_stratum():
    pooled = histories_by_stratum(RECORDS, CLUSTERS)[()]
    assert pooled.lists == ("LAB", "NGO", "POLICE")
    assert pooled.n_observed == 3
    by_sex = histories_by_stratum(RECORDS, CLUSTERS, ["sex"])
    assert set(by_sex) == {("Female",), ("Male",)}
    assert by_sex[("Male",)].n_observed == 1
    by_year = histories_by_stratum(RECORDS, CLUSTERS, ["year"])
    assert by_year[("2024",)].list_sizes == {"LAB": 1, "NGO": 1, "POLICE": 1}


def test_unknown_strata_are_refused():
    with pytest.raises(InvalidInput, match="choose from"):
        linked_memberships(RECORDS, CLUSTERS, ["exploitation"])
