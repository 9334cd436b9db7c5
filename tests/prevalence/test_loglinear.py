"""LogLinearEstimator: closed forms, exact errors for non-estimable models, warnings."""

from __future__ import annotations

import json
import warnings

import numpy as np
import polars as pl
import pytest

from uncounted.errors import InvalidInput, NotIdentifiable, SparseDataWarning
from uncounted.prevalence import CaptureHistories, LincolnPetersen, LogLinearEstimator

SATURATED = ["A:B", "A:C", "B:C"]


def _three(counts: dict[str, int]) -> CaptureHistories:
    rows = {"A": [], "B": [], "C": [], "count": []}  # type: dict[str, list[int]]
    for key, value in counts.items():
        for name in "ABC":
            rows[name].append(int(name in key))
        rows["count"].append(value)
    return CaptureHistories.from_frame(pl.DataFrame(rows))


def test_two_list_independence_is_lincoln_petersen() -> None:
    """With two lists the independence model is saturated: N = n + n10 * n01 / n11."""
    h = CaptureHistories.from_frame(
        pl.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [80, 60, 20]})
    )
    est = LogLinearEstimator().fit(h)
    assert est.population_ == pytest.approx(160 + 80 * 60 / 20, rel=1e-9)
    assert est.population_ == pytest.approx(LincolnPetersen().fit(h).population_, rel=1e-9)
    assert est.model_ == ()
    assert est.ci_[0] < est.population_ < est.ci_[1]


def test_saturated_three_lists_closed_form() -> None:
    """Saturated 3-list model: m000 = m100 m010 m001 m111 / (m110 m101 m011) (Fienberg 1972)."""
    counts = {"A": 500, "B": 400, "C": 300, "AB": 100, "AC": 80, "BC": 60, "ABC": 40}
    est = LogLinearEstimator(interactions=SATURATED).fit(_three(counts))
    unseen = 500 * 400 * 300 * 40 / (100 * 80 * 60)
    assert est.population_ == pytest.approx(1480 + unseen, rel=1e-8)
    assert est.model_ == ("A:B", "A:C", "B:C")
    assert est.deviance_ == pytest.approx(0.0, abs=1e-8)
    assert est.ranking_ is None and est.top_models_ is None and est.n_models_ == 1
    assert json.dumps(est.to_dict())


def test_interaction_order_and_spelling_are_normalised() -> None:
    counts = {"A": 50, "B": 40, "C": 30, "AB": 10, "AC": 8, "BC": 6, "ABC": 4}
    est = LogLinearEstimator(interactions=["C:A"]).fit(_three(counts))
    assert est.model_ == ("A:C",)


def test_empty_overlap_term_is_refused_by_name() -> None:
    h = _three({"A": 40, "B": 30, "C": 20, "AB": 6})
    with pytest.raises(
        NotIdentifiable,
        match=r"model \[A:C\]: nobody was recorded on both A and C, so A:C would be minus "
        r"infinity",
    ):
        LogLinearEstimator(interactions=["A:C"]).fit(h)


def test_forced_zero_histories_are_named() -> None:
    """Chan, Silverman & Vincent (2021) Table 2: with A:B the unseen count is undetermined."""
    h = _three({"A": 40, "B": 30, "C": 20, "AB": 6})
    with pytest.raises(
        NotIdentifiable,
        match=r"model \[A:B\]: the observed zeros force the fitted counts of A\+C, B\+C, "
        r"A\+B\+C to zero, so the number of people on no list is not determined",
    ):
        LogLinearEstimator(interactions=["A:B"]).fit(h)


def test_isolated_list_warns_under_independence() -> None:
    h = _three({"A": 40, "B": 30, "C": 20, "AB": 6})
    with pytest.warns(SparseDataWarning, match="list C shares nobody with any other list"):
        est = LogLinearEstimator().fit(h)
    assert est.population_ > h.n_observed


def test_two_lists_with_interaction_refused() -> None:
    h = CaptureHistories.from_frame(
        pl.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [80, 60, 20]})
    )
    with pytest.raises(NotIdentifiable, match="with two lists the A:B interaction cannot"):
        LogLinearEstimator(interactions=["A:B"]).fit(h)


def test_sparse_cell_driving_the_estimate_warns() -> None:
    """Saturated model with one person on all three lists: f0 is proportional to m111."""
    counts = {"A": 50, "B": 40, "C": 30, "AB": 10, "AC": 8, "BC": 6, "ABC": 1}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = LogLinearEstimator(interactions=SATURATED).fit(_three(counts))
    sparse = [str(w.message) for w in caught if issubclass(w.category, SparseDataWarning)]
    assert any("sparse cell: 1 person on exactly A+B+C; one person more" in m for m in sparse)
    assert any("upper end is beyond 3 x the estimate" in m for m in sparse)
    assert est.sparse_sensitivity_ > 0.3
    assert sorted(est.warnings_) == sorted(sparse)


def test_search_reports_ranking_and_top_models() -> None:
    counts = {"A": 50, "B": 40, "C": 30, "AB": 10, "AC": 8, "BC": 6, "ABC": 4}
    est = LogLinearEstimator(criterion="aic", n_top=3).fit(_three(counts))
    assert est.ranking_ is not None
    assert est.ranking_.height == 8  # 2**3 models
    assert est.ranking_.columns[:3] == ["rank", "model", "terms"]
    assert est.ranking_.get_column("aic").is_sorted()
    assert est.top_models_ is not None and est.top_models_.height == 3
    assert est.estimate_range_ is not None
    low, high = est.estimate_range_
    assert low * (1 - 1e-9) <= est.population_ <= high * (1 + 1e-9)
    assert est.summary.get_column("model")[0] == est.ranking_.get_column("model")[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"criterion": "aicc"}, "criterion must be None, 'aic' or 'bic'"),
        ({"criterion": "aic", "interactions": ["A:B"]}, "either interactions .* or a criterion"),
        ({"interactions": "A:B"}, "interactions must be a list of 'A:B' strings"),
        ({"interactions": ["A-B"]}, "interaction 'A-B' is not 'A:B'"),
        ({"interactions": ["A:Z"]}, "interaction 'A:Z' is not 'A:B'"),
        ({"interactions": ["A:B", "B:A"]}, "interaction 'B:A' is given twice"),
        ({"ci": "wald"}, "ci must be 'profile'"),
        ({"ci_level": 1.5}, "ci_level must be a number strictly between 0 and 1"),
        ({"n_top": 0}, "n_top must be a positive integer"),
    ],
)
def test_bad_settings(kwargs: dict[str, object], message: str) -> None:
    h = _three({"A": 50, "B": 40, "C": 30, "AB": 10, "AC": 8, "BC": 6, "ABC": 4})
    with pytest.raises(InvalidInput, match=message):
        LogLinearEstimator(**kwargs).fit(h)  # type: ignore[arg-type]


def test_recovers_a_known_population_under_independence() -> None:
    """Known truth: 5 000 people, four independent lists (capture probabilities 0.15-0.3,
    seed 20261128). Independence is the true model: the estimate is within 5 % and 3
    standard errors of 5 000; the BIC search's choice is within 10 %."""
    rng = np.random.default_rng(20261128)
    seen = rng.random((5000, 4)) < np.array([0.15, 0.2, 0.25, 0.3])
    seen = seen[seen.any(axis=1)]
    frame = pl.DataFrame(seen.astype(np.int64), schema=["A", "B", "C", "D"])
    h = CaptureHistories.from_frame(frame, count_column=None)
    est = LogLinearEstimator().fit(h)
    assert est.population_ == pytest.approx(5000, rel=0.05)
    assert abs(est.population_ - 5000) < 3 * est.stderr_  # this seed: 4 815, 2.3 s.e. low
    searched = LogLinearEstimator(criterion="bic").fit(h)
    assert searched.population_ == pytest.approx(5000, rel=0.10)
