"""StepwiseEstimator: settings, results, and equivalence with SparseMSE's literal algorithm."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from uncounted.errors import InvalidInput, NotFitted, NotIdentifiable
from uncounted.prevalence import CaptureHistories, StepwiseEstimator
from uncounted.prevalence._stepwise_search import StepwiseSearch, poisson_pvalues
from uncounted.prevalence.histories import all_patterns

# Madigan & York (1997) 3-list data (the dga test example), as in the reference folder.
MY3 = pl.DataFrame(
    {
        "A": [1, 0, 1, 0, 1, 0, 1],
        "B": [0, 1, 1, 0, 0, 1, 1],
        "C": [0, 0, 0, 1, 1, 1, 1],
        "count": [60, 49, 4, 247, 112, 142, 12],
    }
)


@pytest.fixture
def my3() -> CaptureHistories:
    return CaptureHistories.from_frame(MY3)


def test_poisson_pvalue_is_the_smaller_tail() -> None:
    """min(P(X <= n), P(X >= n)) for X ~ Poisson(mu), with P(X >= 0) = 1 (R's ppois)."""
    p = poisson_pvalues(np.array([0.0, 2.0, 10.0, 3.0]), np.array([3.0, 2.0, 4.0, 0.0]))
    assert p[0] == pytest.approx(np.exp(-3.0))
    assert p[1] == pytest.approx(1 - np.exp(-2.0) * (1 + 2.0))  # P(X >= 2) = 0.594 < P(X<=2)
    assert p[2] == pytest.approx(0.0081322, rel=1e-4)  # P(X >= 10 | 4)
    assert p[3] == 0.0  # seen 3 where none can be


def test_main_effects_only_is_the_independence_estimate(my3: CaptureHistories) -> None:
    """pthresh = 0 fits main effects only: Rcapture's Mt N for Madigan-York (763.9, README)."""
    est = StepwiseEstimator(pthresh=0.0).fit(my3)
    assert est.model_ == ()
    assert est.population_ == pytest.approx(763.9, abs=0.05)
    assert est.steps_.height == 0


def test_pthresh_one_takes_every_term_when_estimable(my3: CaptureHistories) -> None:
    """pthresh = 1 fits the model with all two-list terms if it passes the checks (R)."""
    est = StepwiseEstimator(pthresh=1.0).fit(my3)
    assert est.model_ == ("A:B", "A:C", "B:C")


def test_steps_table_records_the_path(my3: CaptureHistories) -> None:
    """One row per term added (p < pthresh) and a last row for the best term not added."""
    est = StepwiseEstimator().fit(my3)
    steps = est.steps_
    assert steps.columns == [
        "step",
        "term",
        "observed",
        "expected",
        "p_value",
        "added",
        "population",
    ]
    added = steps.filter(pl.col("added"))
    assert tuple(added["term"]) == est.model_ == ("A:B",)
    assert (added["p_value"] < 0.02).all()
    assert added["population"][-1] == pytest.approx(est.population_)
    assert added["observed"][0] == 16  # A:B overlap = 4 + 12
    last = steps.row(-1, named=True)
    assert last["added"] is False and last["p_value"] >= 0.02 and last["population"] is None


def test_wald_interval_is_on_the_log_of_the_unobserved(my3: CaptureHistories) -> None:
    est = StepwiseEstimator().fit(my3)
    z = 1.959963984540054
    dark = est.population_ - est.observed_
    assert est.ci_[0] == pytest.approx(est.observed_ + dark * np.exp(-z * est.se_log_dark_))
    assert est.ci_[1] == pytest.approx(est.observed_ + dark * np.exp(z * est.se_log_dark_))
    narrow = StepwiseEstimator(ci_level=0.8).fit(my3)
    assert est.ci_[0] < narrow.ci_[0] < narrow.ci_[1] < est.ci_[1]


def test_bootstrap_is_reproducible_and_seed_dependent(my3: CaptureHistories) -> None:
    a = StepwiseEstimator(ci="bootstrap", n_boot=200, random_state=7).fit(my3)
    b = StepwiseEstimator(ci="bootstrap", n_boot=200, random_state=7).fit(my3)
    c = StepwiseEstimator(ci="bootstrap", n_boot=200, random_state=8).fit(my3)
    assert np.array_equal(a.bootstrap_estimates_, b.bootstrap_estimates_)
    assert a.ci_ == b.ci_
    assert not np.array_equal(a.bootstrap_estimates_, c.bootstrap_estimates_)
    assert a.ci_method_ == "bca-bootstrap"
    assert a.ci_[0] < a.population_ < a.ci_[1]
    assert a.wald_ci_ == StepwiseEstimator().fit(my3).ci_
    d = a.to_dict()
    assert d["bootstrap"]["n_boot"] == 200
    json.dumps(d)


def test_random_state_generator_is_accepted(my3: CaptureHistories) -> None:
    est = StepwiseEstimator(ci="bootstrap", n_boot=50, random_state=np.random.default_rng(1))
    assert est.fit(my3).bootstrap_estimates_.shape == (50,)


@pytest.mark.parametrize(
    "settings",
    [
        {"pthresh": -0.1},
        {"pthresh": 1.5},
        {"pthresh": "0.02"},
        {"ci": "profile"},
        {"n_boot": 5},
        {"n_boot": 100.0},
        {"random_state": -1},
        {"random_state": "x"},
        {"ci_level": 1.0},
    ],
)
def test_bad_settings_are_refused_at_fit(
    settings: dict[str, object], my3: CaptureHistories
) -> None:
    est = StepwiseEstimator(**settings)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        est.fit(my3)


def test_not_fitted() -> None:
    with pytest.raises(NotFitted):
        _ = StepwiseEstimator().steps_


def test_lists_without_overlap_are_not_identifiable() -> None:
    h = CaptureHistories.from_frame(pl.DataFrame({"A": [1, 0], "B": [0, 1], "count": [5, 7]}))
    with pytest.raises(NotIdentifiable, match=r"A\+B"):
        StepwiseEstimator().fit(h)


def test_search_reuses_its_caches() -> None:
    """Designs are built once per model; repeated searches solve no new linear programs."""
    patterns = all_patterns(4)
    rng = np.random.default_rng(0)
    y = rng.poisson(20.0, size=patterns.shape[0])
    search = StepwiseSearch(4)
    first = search.run(y)
    n_designs, n_lp = len(search._designs), search.n_lp
    again = search.run(y)
    assert again.terms == first.terms and again.population == first.population
    assert len(search._designs) == n_designs and search.n_lp == n_lp


def test_irls_matches_the_closed_form_for_two_lists() -> None:
    """Two lists, main effects: unobserved = n10 n01 / n11 and var(log) = sum of 1/n (exact).

    The model is saturated on the three observable histories, so the MLE is in closed form
    (the Lincoln-Petersen estimate, Seber 1982 section 3.1).
    """
    from uncounted.prevalence._engine import fit_poisson

    n10, n01, n11 = 60.0, 45.0, 15.0
    X = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    fit = fit_poisson(X, np.array([n10, n01, n11]))
    assert fit.converged and fit.ok and fit.min_step > -0.5
    assert np.exp(fit.beta[0]) == pytest.approx(n10 * n01 / n11, rel=1e-8)
    assert fit.var_intercept == pytest.approx(1 / n10 + 1 / n01 + 1 / n11, rel=1e-6)
    # no overlap: the MLE does not exist and the certificate must not claim it does
    empty = fit_poisson(X, np.array([n10, n01, 0.0]))
    assert not (empty.ok and empty.converged and empty.min_step > -0.5)


def test_a_list_holding_everyone_leaves_the_unseen_undetermined() -> None:
    """Everyone observed is on A: histories without A are forced to zero (no estimate)."""
    h = CaptureHistories.from_frame(
        pl.DataFrame({"A": [1, 1, 1], "B": [0, 1, 1], "C": [1, 0, 1], "count": [5, 6, 7]})
    )
    with pytest.raises(NotIdentifiable, match=r"forced to zero.*Merge or drop the lists"):
        StepwiseEstimator().fit(h)
