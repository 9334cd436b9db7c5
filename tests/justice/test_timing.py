"""Kaplan–Meier and Aalen–Johansen equal lifelines; the truncation-corrected delays by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter

from uncounted.errors import InvalidInput
from uncounted.justice import cumulative_incidence, delay_distribution, kaplan_meier
from uncounted.justice.timing import cumulative_incidences


@pytest.fixture()
def spells():
    rng = np.random.default_rng(7)
    t = rng.integers(1, 400, 500).astype(float)
    return t, rng.random(500) < 0.6, np.floor(t * rng.random(500))


@pytest.mark.parametrize("with_entry", [False, True])
def test_kaplan_meier_equals_lifelines(spells, with_entry):
    t, d, entry = spells
    entry = entry if with_entry else None
    ours = kaplan_meier(t, d, entry)
    ref = KaplanMeierFitter().fit(t, d, entry=entry)
    np.testing.assert_allclose(ours.timeline, ref.survival_function_.index.values)
    np.testing.assert_allclose(ours.survival, ref.survival_function_.iloc[:, 0], atol=1e-12)
    np.testing.assert_allclose(ours.lower, ref.confidence_interval_.iloc[:, 0], atol=1e-12)
    np.testing.assert_allclose(ours.upper, ref.confidence_interval_.iloc[:, 1], atol=1e-12)
    assert ours.quantile(0.5)[0] == ref.median_survival_time_


def test_cumulative_incidence_equals_lifelines_without_ties():
    rng = np.random.default_rng(3)
    t = rng.random(300) * 500  # continuous: lifelines would jitter ties
    outcome = rng.integers(0, 4, 300)  # 0 open, 1 convicted, 2 acquitted, 3 dismissed
    for k in (1, 2, 3):
        ours = cumulative_incidence(t, outcome, k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = AalenJohansenFitter(calculate_variance=True).fit(t, outcome, k)
        np.testing.assert_allclose(ours.incidence, ref.cumulative_density_.iloc[:, 0], atol=1e-12)
        ref_var = ref.variance_.values
        finite = np.isfinite(ref_var)  # lifelines gives NaN where everyone left has the event
        assert finite.sum() >= len(ref_var) - 2
        np.testing.assert_allclose(ours.variance[finite], ref_var[finite], atol=1e-12)
    total = sum(cumulative_incidence(t, outcome, k).final()[0] for k in (1, 2, 3))
    assert total == pytest.approx(1 - kaplan_meier(t, outcome > 0).survival[-1])


@pytest.mark.parametrize("low, high", [(0, 400), (-30, 40), (0, 100_000)])
def test_whole_days_count_as_the_general_path(low, high):
    """Integer durations take the counting shortcut; the curves are identical to floats'
    (the last case spans too wide a range and falls back to the general path)."""
    rng = np.random.default_rng(5)
    t = rng.integers(low, high, 800)
    d = rng.random(800) < 0.6
    ours, general = kaplan_meier(t, d), kaplan_meier(t.astype(float), d)
    for name in ("timeline", "survival", "lower", "upper", "at_risk", "observed"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(general, name))
    outcome = np.where(d, rng.integers(1, 4, 800), 0)
    curves = cumulative_incidences(t, outcome, [1, 2, 3])
    for k, curve in zip((1, 2, 3), curves, strict=True):
        alone = cumulative_incidence(t.astype(float), outcome, k)
        for name in ("timeline", "incidence", "lower", "upper", "variance"):
            np.testing.assert_array_equal(getattr(curve, name), getattr(alone, name))


def test_delay_distribution_by_hand():
    # Delays 1, 2, 3 with windows 3, 2, 3. Risk sets R(v) = #{D ≤ v ≤ W}:
    # R(3) = 2 (the delay-2 person could not have shown a delay of 3), R(2) = 2, R(1) = 1.
    # F(2) = 1 − 1/2 = 1/2, F(1) = 1/2 × (1 − 1/2) = 1/4, F(3) = 1. (Naive: 1/3, 2/3, 1.)
    curve = delay_distribution([1, 2, 3], [3, 2, 3])
    np.testing.assert_allclose(curve.cdf, [0.25, 0.5, 1.0])
    assert curve.quantile(0.5)[0] == 2
    assert curve.quantile(0.25)[0] == 1


def test_delay_distribution_recovers_a_truncated_gamma():
    rng = np.random.default_rng(11)
    delay = np.round(rng.gamma(2.0, 150.0, 20_000))
    window = np.round(rng.random(20_000) * 1600)
    seen = delay <= window
    q, lo, hi = delay_distribution(delay[seen], window[seen]).quantile(0.5)
    # True median of gamma(2, scale 150) = 251.75; the naive median of what was seen is ~227.
    assert lo - 0.5 <= 251.75 <= hi + 0.5
    assert lo <= q <= hi
    assert np.median(delay[seen]) < lo


def test_bad_input_is_refused():
    with pytest.raises(InvalidInput):
        kaplan_meier([1.0, np.nan], [True, False])
    with pytest.raises(InvalidInput):
        delay_distribution([5.0], [3.0])
