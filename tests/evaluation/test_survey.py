"""Venue-survey estimators: hand-worked values, a reference library, and known truth."""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest

from uncounted.errors import InvalidInput, SparseDataWarning
from uncounted.evaluation import compare_estimates, compare_surveys, estimate_survey, ratio_estimate
from uncounted.simulate.venues import simulate_venue_survey


def test_hand_worked_ratio():
    """Two strata of two venues, one visit each, all weights 2 (worked by hand).

    y = minors = (1, 0 | 2, 1), x = people = (4, 4 | 6, 6), w = 2.
    R = Σwy/Σwx = 2·4 / 2·20 = 0.2.  X̂ = 40.
    z = w(y − 0.2x)/X̂ = 2·(0.2, −0.8 | 0.8, −0.2)/40 = (0.01, −0.04 | 0.04, −0.01).
    Stratum a: mean −0.015, Σ(z − z̄)² = 0.025² + 0.025² = 0.00125, × n/(n−1) = 2 → 0.0025.
    Stratum b: same → 0.0025.  v = 0.005, se = 0.0707107.
    """
    r = ratio_estimate(
        np.array([1, 0, 2, 1]),
        np.array([4, 4, 6, 6]),
        np.full(4, 2.0),
        np.array(["a", "a", "b", "b"]),
        np.array(["v1", "v2", "v3", "v4"]),
        lonely_psu="error",
    )
    assert r.estimate == pytest.approx(0.2)
    assert r.se == pytest.approx(math.sqrt(0.005))
    assert r.ci_low == pytest.approx(0.2 - 1.959964 * math.sqrt(0.005), rel=1e-6)
    assert (r.n_psu, r.n_strata) == (4, 2)


@pytest.fixture(autouse=True)
def _quiet_sparse():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseDataWarning)
        yield


def test_matches_samplics_taylor_ratio():
    """Equal to samplics' TaylorEstimator(PopParam.ratio) (Taylor linearisation, stratified
    clustered design, t interval on #PSU − #strata df) to 1e-10 on a random design."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from samplics import PopParam, TaylorEstimator

    rng = np.random.default_rng(1)
    n = 60
    strata = np.repeat(["a", "b", "c"], 20)
    venue = np.array([f"{s}{i // 2}" for s, i in zip(strata, range(n), strict=True)])
    x = rng.integers(1, 10, n).astype(float)
    y = rng.binomial(x.astype(int), 0.1).astype(float)
    w = rng.uniform(1, 5, n)
    ref = TaylorEstimator(PopParam.ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.estimate(y=y, x=x, samp_weight=w, stratum=strata, psu=venue, remove_nan=True)
    ours = ratio_estimate(y, x, w, strata, venue, df="design")
    assert ours.estimate == pytest.approx(ref.point_est, abs=1e-12)
    assert ours.se == pytest.approx(ref.stderror, rel=1e-10)
    assert ours.ci_low == pytest.approx(ref.lower_ci, rel=1e-10)
    assert ours.ci_high == pytest.approx(ref.upper_ci, rel=1e-10)


def test_single_venue_stratum():
    args = (np.array([1, 2]), np.array([3, 4]), np.ones(2), np.array(["a", "b"]), np.array([1, 2]))
    with pytest.raises(InvalidInput, match="single venue"):
        ratio_estimate(*args)
    adjusted = ratio_estimate(*args, lonely_psu="adjust")
    assert adjusted.se > 0


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"venue": ["a"]}), "lack column"),
        (
            pl.DataFrame(
                {
                    "stratum": ["s"],
                    "venue": ["v"],
                    "weight": [1.0],
                    "persons_seen": [2],
                    "minors_seen": [3],
                }
            ),
            "more minors than people",
        ),
        (
            pl.DataFrame(
                {
                    "stratum": ["s", "s"],
                    "venue": ["v", "w"],
                    "weight": [1.0, -1.0],
                    "persons_seen": [2, 2],
                    "minors_seen": [0, 1],
                }
            ),
            "weights must be positive",
        ),
        (
            pl.DataFrame(
                {
                    "stratum": ["s", "s"],
                    "venue": ["v", "w"],
                    "weight": [1.0, 1.0],
                    "persons_seen": [0, 0],
                    "minors_seen": [0, 0],
                }
            ),
            "denominator",
        ),
    ],
)
def test_bad_observations(frame, message):
    with pytest.raises(InvalidInput, match=message):
        estimate_survey(frame)


def test_recovers_known_shares_before_and_after():
    """A synthetic baseline (share 8.16 %, as Cambodia 2012) and endline (2.2 %, 2015):
    both estimates cover the true population ratio, and the fall is significant."""
    base = simulate_venue_survey(0.0816, seed=3)
    end = simulate_venue_survey(0.022, seed=4)
    b, e = estimate_survey(base.observations), estimate_survey(end.observations)
    assert b.share_minors.ci_low <= base.true_share_minors <= b.share_minors.ci_high
    assert e.share_minors.ci_low <= end.true_share_minors <= e.share_minors.ci_high
    changes = {c.name: c for c in compare_surveys(b, e)}
    fall = changes["share_minors"]
    assert fall.absolute < 0 and fall.p_value < 0.001
    true_rel = end.true_share_minors / base.true_share_minors - 1
    assert fall.relative_ci[0] <= true_rel <= fall.relative_ci[1]
    assert b.minutes_to_offer is not None and 20 < b.minutes_to_offer.estimate < 60


def test_interval_coverage_is_near_nominal():
    """Over 200 simulated rounds, the 95 % interval covers the truth 90–99 % of the time."""
    hits = 0
    for seed in range(200):
        rnd = simulate_venue_survey(0.08, strata=3, sampled_per_stratum=20, seed=seed)
        est = estimate_survey(rnd.observations).share_minors
        hits += est.ci_low <= rnd.true_share_minors <= est.ci_high
    assert 0.90 <= hits / 200 <= 0.99


def test_compare_no_change_is_not_significant():
    a = simulate_venue_survey(0.05, seed=10)
    b = simulate_venue_survey(0.05, seed=11)
    change = compare_estimates(
        estimate_survey(a.observations).share_minors, estimate_survey(b.observations).share_minors
    )
    assert change.absolute_ci[0] < 0 < change.absolute_ci[1] or change.p_value > 0.01
