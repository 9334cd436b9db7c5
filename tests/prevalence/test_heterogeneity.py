"""Heterogeneity models, the heterogeneity diagnostics and the panel of methods (issue #17).

Reference values against Rcapture are in ``tests/reference/test_rcapture_heterogeneity.py``;
these tests check behaviour: recovery of a known truth, the warnings, the panel's shape and
its JSON, and errors that say what to do.
"""

from __future__ import annotations

import json
import math
import warnings

import polars as pl
import pytest

from uncounted.errors import HeterogeneityWarning, InvalidInput, NotIdentifiable, UncountedWarning
from uncounted.prevalence import CaptureHistories, HeterogeneityEstimator, LogLinearEstimator
from uncounted.prevalence.bias_corrected import bias_corrected
from uncounted.prevalence.diagnostics import check_heterogeneity
from uncounted.prevalence.panel import RECOMMENDED, estimate_panel, round_sig
from uncounted.simulate.capture import simulate_demo_lists, simulate_lists


def _histories(sim) -> CaptureHistories:
    return CaptureHistories.from_frame(sim.table)


def _quiet(est, histories):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncountedWarning)
        return est.fit(histories)


def test_darroch_recovers_a_heterogeneous_population_that_independence_misses():
    """Normal frailty sd 0.8 on the log-odds (the Darroch model's own assumption), 2 000
    people: the independence model is ~20 % low and its interval misses; Mth Darroch's covers
    (the coverage study measures this over 100 worlds: 0.97 vs 0.00)."""
    h = _histories(simulate_lists("heterogeneous", sigma=0.8, seed=11))
    naive = _quiet(LogLinearEstimator(), h)
    darroch = _quiet(HeterogeneityEstimator("darroch"), h)
    assert naive.ci_[1] < 2000
    assert darroch.ci_[0] <= 2000 <= darroch.ci_[1]
    assert darroch.population_ > naive.population_ * 1.1


def test_chao_is_a_lower_bound_and_drops_negative_etas():
    h = _histories(simulate_lists("heterogeneous", sigma=0.8, seed=3))
    chao = _quiet(HeterogeneityEstimator("chao"), h)
    darroch = _quiet(HeterogeneityEstimator("darroch"), h)
    assert chao.population_ < darroch.population_
    assert all(v >= 0 for k, v in chao.coef_.items() if k.startswith("eta"))
    assert "Chao" in chao.model_name_ and chao.ci_method_ == "profile"
    out = json.loads(json.dumps(chao.to_dict()))
    assert out["model_name"] == "Mth Chao (LB)" and isinstance(out["dropped_terms"], list)


def test_search_beyond_six_lists_is_greedy_and_summary_names_the_model():
    sim = simulate_lists(
        "heterogeneous", probabilities=(0.2, 0.25, 0.3, 0.2, 0.25, 0.3, 0.2), sigma=0.8, seed=2
    )
    est = _quiet(HeterogeneityEstimator("darroch", criterion="aic"), _histories(sim))
    assert est.ranking_.height < 2**21  # not exhaustive: 21 pairs
    assert est.summary["model"][0] == est.model_name_
    assert est.model_name_.startswith("Mth Darroch")
    assert est.ci_[0] <= 2000 <= est.ci_[1]


def test_normal_mixture_reports_sigma_and_a_lognormal_interval():
    h = _histories(simulate_lists("heterogeneous", sigma=0.8, seed=5))
    est = _quiet(HeterogeneityEstimator("normal"), h)
    assert est.ci_method_ == "lognormal" and est.sigma_ > 0.2
    assert est.ci_[0] < est.population_ < est.ci_[1]
    assert est.stderr_ > est.rcapture_stderr_


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"heterogeneity": "beta"}, "heterogeneity must be one of"),
        ({"model": "Mb"}, "model must be 'Mh' or 'Mth'"),
        ({"heterogeneity": "darroch", "theta": 2.0}, "theta is a positive number"),
        ({"model": "Mh", "criterion": "aic"}, "need model='Mth'"),
        ({"heterogeneity": "normal", "criterion": "aic"}, "model search runs with"),
        ({"interactions": ["A:B"], "criterion": "aic"}, "either interactions or a criterion"),
        ({"interactions": ["A:Z"]}, "not 'A:B' with A and B among the lists"),
    ],
)
def test_settings_errors_say_what_to_do(kwargs, message):
    h = _histories(simulate_lists("independent", seed=1))
    with pytest.raises(InvalidInput, match=message):
        HeterogeneityEstimator(**kwargs).fit(h)


def test_two_lists_are_refused():
    h = CaptureHistories.from_frame(
        pl.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [80, 60, 20]})
    )
    with pytest.raises(NotIdentifiable, match="at least three lists"):
        HeterogeneityEstimator().fit(h)


def test_bias_corrected_refuses_what_rcapture_refuses():
    h = _histories(simulate_lists("independent", seed=1))
    with pytest.raises(InvalidInput, match="Mth Gamma"):
        bias_corrected(h, "Mth", "gamma")
    result = bias_corrected(h, "Mth", "chao")
    assert result.population > h.n_observed and result.stderr > 0


def test_diagnostics_fire_on_heterogeneity_and_not_on_independent_lists():
    het = _histories(simulate_demo_lists(frailty_sd=0.8, seed=2))
    with pytest.warns(HeterogeneityWarning):
        check = check_heterogeneity(het)
    assert check.likely and len(check.messages) >= 2
    indep = _histories(simulate_lists("independent", seed=2))
    quiet = check_heterogeneity(indep, emit=False)
    assert not quiet.likely, quiet.messages
    assert json.loads(json.dumps(quiet.to_dict()))["heterogeneity_likely"] is False


def test_round_sig():
    assert round_sig(3007.4) == 3010.0
    assert round_sig(2739.0) == 2740.0
    assert round_sig(0.012345) == 0.0123
    assert round_sig(None) is None and round_sig(math.inf) == math.inf


def test_panel_on_a_demo_like_world():
    """The panel shows observed, Chao's bound, every method with what it assumes, the spread,
    and the diagnostics; its JSON is plain JSON; the recommended method is Mth Darroch with
    AIC-chosen pairs."""
    sim = simulate_demo_lists(population=3000, frailty_sd=0.8, seed=7)
    panel = estimate_panel(
        _histories(sim),
        ["independence", "stepwise", "mth-chao", "mth-darroch-aic"],
        truth=sim.population,
        emit=False,
    )
    assert panel.recommended == RECOMMENDED == "mth-darroch-aic"
    assert panel.observed == int(sim.table["count"].sum())
    assert panel.lower_bound is not None and panel.lower_bound.estimate > panel.observed
    low, high = panel.spread
    assert panel.observed < low <= high
    assert "Treat this range as the uncertainty" in panel.spread_sentence()
    out = json.loads(json.dumps(panel.to_dict()))
    assert out["method"] == "panel" and out["truth"] == 3000
    assert [m["key"] for m in out["methods"]] == [
        "independence",
        "stepwise",
        "mth-chao",
        "mth-darroch-aic",
    ]
    for row in out["methods"]:
        assert row["assumes"] and row["result"]["assumptions"]["closed_population"]
        assert row["estimate"] == round_sig(row["estimate"])
    assert out["diagnostics"]["heterogeneity_likely"] is True
    assert panel.summary.height == 4


def test_panel_keeps_a_row_for_a_method_that_cannot_estimate():
    h = CaptureHistories.from_frame(
        pl.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [80, 60, 20]})
    )
    panel = estimate_panel(h, ["independence", "mth-darroch"], emit=False)
    rows = {r.key: r for r in panel.rows}
    assert rows["independence"].estimate == pytest.approx(100 * 80 / 20)
    assert rows["mth-darroch"].estimate is None and "three lists" in rows["mth-darroch"].error
    assert panel.recommended == "independence"


def test_panel_rejects_unknown_methods():
    h = _histories(simulate_lists("independent", seed=1))
    with pytest.raises(InvalidInput, match="Unknown panel method"):
        estimate_panel(h, ["magic"])
