"""Regressions for the bugs of issue 17 item 7, one test each: memory over many lists, the
runaway "shift" percentage, the reason for a null ``ci_high``, person-years in year strata,
the label of a latent-class fit, and learned attributes other estimators lack."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import polars as pl
import pytest

from uncounted.errors import NotFitted, SparseDataWarning
from uncounted.prevalence import CaptureHistories, LatentClassEstimator, LogLinearEstimator
from uncounted.prevalence.stratified import estimate_by_strata, membership_records, strata_unit
from uncounted.prevalence.twolist import Chapman

THREE = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])


def _many_lists(n_lists: int, seed: int = 1) -> CaptureHistories:
    rng = np.random.default_rng(seed)
    x = (rng.random((3000, n_lists)) < rng.uniform(0.05, 0.25, n_lists)).astype(np.uint8)
    patterns, counts = np.unique(x[x.sum(axis=1) > 0], axis=0, return_counts=True)
    return CaptureHistories(tuple(f"L{j}" for j in range(n_lists)), patterns, counts)


def test_many_lists_memory_is_not_quadratic_in_the_cells() -> None:
    """12 lists (4 095 cells, 456 observed, almost all sparse). Before the fix the sparse-cell
    check built ``np.eye(4095)`` twice and the existence LP a dense identity: 813 MB traced
    peak here, and 23 GB (killed) at 15 lists. Now 53 MB traced peak at 12 lists; 15 lists
    ran in 24 s with 0.95 GB resident (``uncounted estimate``, 1 078 observed cells). The
    bound 200 MB leaves room for NumPy versions while failing the quadratic version 4x over."""
    histories = _many_lists(12)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SparseDataWarning)
            est = LogLinearEstimator().fit(histories)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200e6
    assert histories.n_observed < est.population_ < 2 * histories.n_observed


def test_runaway_sparse_cell_is_said_in_words_not_a_huge_percentage() -> None:
    """Saturated three-list model with 1 person on exactly A+B: f0 = m100 m010 m001 m111 /
    (m110 m101 m011), so without that person the estimate is infinite. The warning used to
    read "moves the estimate by 470554486258 %"."""
    h = CaptureHistories(("A", "B", "C"), THREE, np.array([60, 50, 40, 1, 12, 9, 5]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = LogLinearEstimator(interactions=["A:B", "A:C", "B:C"]).fit(h)
    messages = [str(w.message) for w in caught]
    assert any(
        "1 person on exactly A+B; with one person fewer there the model has no finite estimate" in m
        for m in messages
    )
    assert not any(" %." in m and "moves the estimate" in m for m in messages)
    assert est.sparse_sensitivity_ == float("inf")


def test_null_ci_high_says_why() -> None:
    """Same table: the profile upper end is beyond Rcapture's 3N search limit, so ``ci_high``
    is JSON null; ``ci_note`` now says why (and the limit, 3 x 5 732.6 = 17 198)."""
    h = CaptureHistories(("A", "B", "C"), THREE, np.array([60, 50, 40, 1, 12, 9, 5]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseDataWarning)
        out = LogLinearEstimator(interactions=["A:B", "A:C", "B:C"]).fit(h).to_dict()
    assert out["ci_high"] is None
    assert "ci_high is null because the profile likelihood" in out["ci_note"]
    assert "(17198," in out["ci_note"]
    finite = CaptureHistories(
        ("A", "B"), np.array([[1, 0], [0, 1], [1, 1]]), np.array([80, 60, 20])
    )
    assert LogLinearEstimator().fit(finite).to_dict()["ci_note"] is None


def test_year_strata_are_labelled_person_years() -> None:
    """A person recorded in 2019 and 2020 is one unit in each year: the result says so."""
    rng = np.random.default_rng(3)
    rows = []
    for person in range(400):
        for year in ("2019", "2020"):
            for name, p in zip("ABC", (0.4, 0.5, 0.3), strict=True):
                if rng.random() < p:
                    rows.append((f"p{person}", name, f"{year}-06", "Female", 30))
    memberships = pl.DataFrame(
        rows,
        schema=["person_id", "list", "period", "sex", "age_at_identification"],
        orient="row",
    )
    by = ["year"]
    records = membership_records(memberships, by)
    result = estimate_by_strata(records, by, LogLinearEstimator, unit=strata_unit(by))
    out = result.to_dict()
    assert out["unit"] == "person-years" and "counts in both" in out["unit_note"]
    assert result.observed > memberships["person_id"].n_unique()  # person-years > people
    assert strata_unit(["sex"]) == "people"
    plain = estimate_by_strata(
        membership_records(memberships, ["sex"]), ["sex"], LogLinearEstimator
    )
    assert plain.to_dict()["unit"] == "people" and plain.unit_note == ""


def test_latent_class_fit_is_not_labelled_main_effects() -> None:
    h = CaptureHistories(("A", "B", "C"), THREE, np.array([60, 50, 40, 20, 12, 9, 5]))
    est = LatentClassEstimator(burnin=200, samples=50, thinning=2, random_state=1, n_chains=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(h)
    assert est.summary["model"][0] == "latent-class mixture (K = 10)"
    assert est.to_dict()["model"] == "latent-class mixture (K = 10)"
    assert est.to_dict()["terms"] == []
    with pytest.raises(NotFitted):
        _ = LatentClassEstimator().model_text_
    # the same label in a stratified table (it used to read "independence")
    rng = np.random.default_rng(5)
    rows = [
        (f"{sex}{i}", name, sex)
        for sex, n in (("F", 300), ("M", 250))
        for i in range(n)
        for name, p in zip("ABC", (0.4, 0.5, 0.3), strict=True)
        if rng.random() < p
    ]
    records = pl.DataFrame(rows, schema=["person_id", "list", "sex"], orient="row")

    def make() -> LatentClassEstimator:
        return LatentClassEstimator(burnin=100, samples=40, thinning=2, n_chains=1, random_state=2)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = estimate_by_strata(records, ["sex"], make)
    assert set(result.strata["model"].to_list()) == {"latent-class mixture (K = 10)"}


def test_fitted_estimator_without_a_ranking_reads_as_absent() -> None:
    """The CLI asks ``getattr(est, "ranking_", None)``: after fit that must be None for
    estimators without a search, not NotFitted (which made ``--method chapman`` exit 6)."""
    h = CaptureHistories(("A", "B"), np.array([[1, 0], [0, 1], [1, 1]]), np.array([50, 40, 20]))
    est = Chapman().fit(h)
    assert getattr(est, "ranking_", None) is None
    with pytest.raises(NotFitted):
        _ = Chapman().population_
