"""The estimator contract (DESIGN.md §4.2), run over every population estimator.

Each helper adds its estimator to ``CASES``: a factory for a configured estimator and the
histories to fit (two-list estimators get two lists). Checks: reading results before
``fit`` raises NotFitted; ``fit`` returns ``self``; settings are unchanged by ``fit``;
``to_dict`` is JSON-serialisable with the required keys; ``summary`` has one row and the
required columns; random estimators are reproducible with ``random_state``.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable

import polars as pl
import pytest

from uncounted.errors import InvalidInput, NotFitted
from uncounted.prevalence import (
    CaptureHistories,
    Chapman,
    DecomposableBMA,
    HeterogeneityEstimator,
    LatentClassEstimator,
    LincolnPetersen,
    LogLinearEstimator,
    PopulationEstimator,
    StepwiseEstimator,
)
from uncounted.prevalence.assumptions import COMMON
from uncounted.prevalence.methods import estimate_json
from uncounted.prevalence.registry import estimator_names, get_spec

REQUIRED_KEYS = {
    "method",
    "lists",
    "observed",
    "estimate",
    "dark_figure",
    "ci_low",
    "ci_high",
    "ci_method",
    "model",
    "warnings",
    "assumptions",
}
SUMMARY_COLUMNS = ["method", "lists", "observed", "estimate", "dark_figure", "ci_low", "ci_high"]


def three_lists() -> CaptureHistories:
    """A well-behaved three-list table (every history observed, overlaps of 40 and more)."""
    return CaptureHistories.from_frame(
        pl.DataFrame(
            {
                "A": [1, 0, 0, 1, 1, 0, 1],
                "B": [0, 1, 0, 1, 0, 1, 1],
                "C": [0, 0, 1, 0, 1, 1, 1],
                "count": [500, 400, 300, 100, 80, 60, 40],
            }
        )
    )


def two_lists() -> CaptureHistories:
    return CaptureHistories.from_frame(
        pl.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [80, 60, 20]})
    )


Case = tuple[Callable[[], PopulationEstimator], Callable[[], CaptureHistories]]

CASES: dict[str, Case] = {
    "loglinear-independence": (LogLinearEstimator, three_lists),
    "loglinear-given": (lambda: LogLinearEstimator(interactions=["A:B"]), three_lists),
    "loglinear-aic": (lambda: LogLinearEstimator(criterion="aic"), three_lists),
    "loglinear-bic": (lambda: LogLinearEstimator(criterion="bic", ci_level=0.9), three_lists),
    "heterogeneity-darroch": (HeterogeneityEstimator, three_lists),
    "heterogeneity-chao-mh": (
        lambda: HeterogeneityEstimator("chao", model="Mh"),
        three_lists,
    ),
    "heterogeneity-poisson": (lambda: HeterogeneityEstimator("poisson", theta=2.5), three_lists),
    "heterogeneity-gamma": (lambda: HeterogeneityEstimator("gamma"), three_lists),
    "heterogeneity-normal": (lambda: HeterogeneityEstimator("normal"), three_lists),
    "heterogeneity-aic": (
        lambda: HeterogeneityEstimator("darroch", criterion="aic"),
        three_lists,
    ),
    "lincoln-petersen": (LincolnPetersen, two_lists),
    "chapman": (lambda: Chapman(ci="wald"), two_lists),
    "stepwise-wald": (lambda: StepwiseEstimator(random_state=0), three_lists),
    "stepwise-bootstrap": (
        lambda: StepwiseEstimator(ci="bootstrap", n_boot=100, random_state=3),
        three_lists,
    ),
    # three lists barely identify a latent-class model: thin hard and draw enough that the two
    # chains agree and the effective sample size passes 200 (200 draws each warned on 4 of 10
    # seeds; 400 on none of 12)
    "lcmcr": (
        lambda: LatentClassEstimator(
            burnin=2000, samples=400, thinning=250, n_chains=2, random_state=1
        ),
        three_lists,
    ),
    "dga": (DecomposableBMA, three_lists),
    "dga-settings": (lambda: DecomposableBMA(delta=0.5, max_missing=20000), three_lists),
}

params = pytest.mark.parametrize("case", list(CASES))


@params
def test_not_fitted(case: str) -> None:
    est = CASES[case][0]()
    for name in ("population_", "ci_", "model_", "dark_figure_", "observed_"):
        with pytest.raises(NotFitted, match=r"call fit\(histories\) first"):
            getattr(est, name)
    with pytest.raises(NotFitted):
        _ = est.summary
    with pytest.raises(NotFitted):
        est.to_dict()


@params
def test_fit_returns_self_and_keeps_settings(case: str) -> None:
    make, data = CASES[case]
    est = make()
    before = copy.deepcopy(est.get_params())
    assert est.fit(data()) is est
    assert est.get_params() == before
    assert type(est).__name__ in repr(est)


@params
def test_learned_values(case: str) -> None:
    make, data = CASES[case]
    h = data()
    est = make().fit(h)
    assert est.observed_ == h.n_observed
    assert est.histories_ is h
    assert isinstance(est.population_, float) and math.isfinite(est.population_)
    assert est.population_ >= h.n_observed
    low, high = est.ci_
    assert low <= est.population_ <= high
    assert est.dark_figure_ == pytest.approx(est.population_ - h.n_observed)
    assert isinstance(est.model_, tuple) and all(isinstance(t, str) for t in est.model_)
    assert isinstance(est.ci_method_, str) and est.ci_method_
    assert est.warnings_ == []


@params
def test_to_dict_is_json(case: str) -> None:
    make, data = CASES[case]
    out = make().fit(data()).to_dict()
    assert set(out) >= REQUIRED_KEYS
    again = json.loads(json.dumps(out))
    assert again["method"] == make().method
    assert again["observed"] == data().n_observed


@params
def test_summary_row(case: str) -> None:
    make, data = CASES[case]
    est = make().fit(data())
    summary = est.summary
    assert summary.height == 1
    assert summary.columns[: len(SUMMARY_COLUMNS)] == SUMMARY_COLUMNS
    assert "model" in summary.columns
    assert summary.get_column("estimate")[0] == pytest.approx(est.population_)


@params
def test_seeded_reproducibility(case: str) -> None:
    """Two fits with the same settings agree; random estimators' cases must fix a seed."""
    make, data = CASES[case]
    params = make().get_params()
    if "random_state" in params:
        assert params["random_state"] is not None, "give the case a fixed random_state"
    first, second = make().fit(data()), make().fit(data())
    assert first.to_dict() == second.to_dict()


@params
def test_assumptions_are_stated(case: str) -> None:
    """Every result says what it assumes: closed population, perfect linkage, the dependence
    and heterogeneity it allows, and one sentence (issue #17, item 4)."""
    out = CASES[case][0]().fit(CASES[case][1]()).to_dict()
    assumptions = out["assumptions"]
    assert set(assumptions) == {
        "closed_population",
        "perfect_linkage",
        "dependence",
        "heterogeneity",
        "summary",
    }
    assert all(isinstance(v, str) and len(v) > 10 for v in assumptions.values())


@params
def test_fit_rejects_non_histories(case: str) -> None:
    est = CASES[case][0]()
    with pytest.raises(InvalidInput, match="Estimators need capture histories"):
        est.fit(42)
    with pytest.raises(InvalidInput, match="no count column"):
        est.fit(pl.DataFrame({"A": [1]}))


@params
def test_fit_takes_polars_pandas_and_plain_tables(case: str) -> None:
    """A notebook user's tables: the same answer from every form of the same table."""
    import pandas as pd

    make, data = CASES[case]
    table = data().to_frame()
    expected = make().fit(data()).to_dict()
    assert make().fit(table).to_dict() == expected
    assert make().fit(table.to_pandas()).to_dict() == expected
    assert make().fit(pd.DataFrame(table.to_dict(as_series=False))).to_dict() == expected
    assert make().fit(table.to_dict(as_series=False)).to_dict() == expected


@params
def test_repr_shows_the_estimate_and_to_frame_the_summary(case: str) -> None:
    make, data = CASES[case]
    est = make()
    assert "estimate" not in repr(est)
    est.fit(data())
    text = repr(est)
    low, high = est.ci_
    assert f"estimate {est.population_:,.0f}" in text and f"{low:,.0f}–{high:,.0f}" in text
    assert est.to_frame().equals(est.summary)
    # a learned attribute of another method is simply absent once fitted (the CLI asks for
    # ranking_ with getattr(est, "ranking_", None) on every method)
    assert getattr(est, "no_such_attribute_", None) is None


# ---------------------------------------------------------------------------- the registry
#: Settings that keep a registered estimator's battery quick (a sampler's chain length).
QUICK: dict[str, dict[str, object]] = {
    "lcmcr": {"burnin": 2000, "samples": 400, "thinning": 250, "n_chains": 2},
}


def registered_case(name: str) -> Case:
    """The registered estimator ``name`` with its defaults (quick settings for samplers, a
    fixed seed for random ones), on the table with as many lists as it takes."""
    spec = get_spec(name)
    settings = dict(QUICK.get(name, {}))
    if "random_state" in spec.options:
        settings["random_state"] = 1
    data = two_lists if not spec.takes(3) else three_lists
    return (lambda: spec.cls(**settings)), data


def check_estimator(name: str, make: Callable[[], PopulationEstimator], data: Case[1]) -> None:
    """The contract battery for one registered estimator (scikit-learn's ``check_estimator``):
    its registry metadata, not fitted before ``fit``, ``fit`` returns ``self`` and keeps the
    settings, ``repr`` names every setting, ``to_dict`` survives a JSON round trip, the JSON
    of the CLI and the API (``estimate_json``), and ``summary``."""
    spec = get_spec(name)
    est = make()
    assert type(est) is spec.cls and est.method == name
    assert spec.label and spec.assumes and spec.n_lists[0] >= 2
    assert set(spec.options) <= set(est.get_params())
    with pytest.raises(NotFitted):
        _ = est.population_
    before = copy.deepcopy(est.get_params())
    h = data()
    assert est.fit(h) is est
    assert est.get_params() == before
    text = repr(est)
    assert text.startswith(f"{type(est).__name__}(")
    assert all(f"{k}=" in text for k in before)
    out = est.to_dict()
    assert set(out) >= REQUIRED_KEYS and out["method"] == name
    assert json.loads(json.dumps(out)) == out
    assert set(out["assumptions"]) == set(COMMON) | {"dependence", "heterogeneity", "summary"}
    payload = estimate_json(make(), h)
    assert payload["estimate"] == out["estimate"] and payload["model"] == out["terms"]
    assert json.loads(json.dumps(payload)) == payload
    assert est.summary.height == 1 and est.summary["method"][0] == name


@pytest.mark.parametrize("name", estimator_names())
def test_every_registered_estimator_keeps_the_contract(name: str) -> None:
    check_estimator(name, *registered_case(name))


def test_a_new_estimator_is_checked_by_registering_it(toy_estimator: type) -> None:
    """Registering a class is all the contract battery needs (issue #19, item 1)."""
    assert "toy" in estimator_names()
    check_estimator("toy", *registered_case("toy"))
