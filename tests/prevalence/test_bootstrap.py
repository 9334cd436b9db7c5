"""BCa bootstrap machinery (SparseMSE ``bcaconfvalues`` / ``estimatepopulation``)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from uncounted.errors import InvalidInput
from uncounted.prevalence.bootstrap import (
    bca_bootstrap,
    bca_limits,
    jackknife_acceleration,
    jackknife_estimates,
    multinomial_resamples,
)


def test_bca_without_bias_or_acceleration_is_the_type_8_percentile() -> None:
    """z0 = 0, a = 0: the limits are R's quantile(type = 8) at 2.5 % and 97.5 %.

    Hyndman & Fan (1996) type 8: h = (n + 1/3) p + 1/3, interpolate x[floor h], x[ceil h].
    For x = 1..100: h = 2.8417 and 98.1583, so the limits are those values.
    """
    reps = np.arange(1.0, 101.0)
    limits, z0 = bca_limits(reps, 50.5, 0.0, (0.025, 0.975))
    assert z0 == 0.0
    assert limits[0] == pytest.approx(100.3333333 * 0.025 + 1 / 3, rel=1e-6)
    assert limits[1] == pytest.approx(100.3333333 * 0.975 + 1 / 3, rel=1e-6)


def test_bca_adjusted_levels() -> None:
    """q = Phi(z0 + (z0 + z_al) / (1 - a (z0 + z_al))) with z0 from the share below."""
    reps = np.linspace(0.0, 1.0, 1001)
    est, a = 0.3, 0.05
    limits, z0 = bca_limits(reps, est, a, (0.025, 0.975))
    assert z0 == pytest.approx(norm.ppf(300 / 1001))
    za = norm.ppf([0.025, 0.975])
    q = norm.cdf(z0 + (z0 + za) / (1 - a * (z0 + za)))
    assert limits == pytest.approx(np.quantile(reps, q, method="median_unbiased"))


def test_jackknife_acceleration_by_hand() -> None:
    """Values (0, 0, 3), weights 1: d = (1, 1, -2), a = -6 / (6 * 6**1.5)."""
    assert jackknife_acceleration(np.array([0.0, 0.0, 3.0]), np.ones(3)) == pytest.approx(
        -1 / 6**1.5
    )
    assert jackknife_acceleration(np.array([1.0, 2.0, 3.0]), np.ones(3)) == 0.0
    # a history with count 2 counts as two people with the same jackknife value
    grouped = jackknife_acceleration(np.array([0.0, 3.0]), np.array([2, 1]))
    assert grouped == pytest.approx(-1 / 6**1.5)
    assert jackknife_acceleration(np.array([2.0, 2.0]), np.array([3, 1])) == 0.0


def test_jackknife_removes_one_person_per_observed_history() -> None:
    counts = np.array([3, 0, 2])
    jack = jackknife_estimates(lambda c: float(c[0] * 10 + c[2]), counts)
    assert jack.tolist() == [22.0, 0.0, 31.0]


def test_multinomial_resamples_keep_total_and_zeros() -> None:
    counts = np.array([5, 0, 3, 12])
    samples = multinomial_resamples(counts, 200, np.random.default_rng(0))
    assert samples.shape == (200, 4)
    assert (samples.sum(axis=1) == 20).all()
    assert (samples[:, 1] == 0).all()
    assert samples.mean(axis=0) == pytest.approx(counts, abs=0.6)
    with pytest.raises(InvalidInput):
        multinomial_resamples(np.zeros(3, dtype=int), 5, np.random.default_rng(0))


def test_bca_bootstrap_of_a_proportion_is_near_the_binomial_interval() -> None:
    """30 of 100: the exact (Clopper-Pearson) 95 % interval is 21.2 %-40.0 %; the BCa
    interval of 2 000 resamples must be within 2.5 points of it (Monte Carlo and
    discreteness)."""
    counts = np.array([30, 70])
    res = bca_bootstrap(
        lambda c: 100.0 * c[0] / c.sum(), counts, n_boot=2000, rng=np.random.default_rng(4)
    )
    assert res.estimate == 30.0
    assert res.interval[0] == pytest.approx(21.2, abs=2.5)
    assert res.interval[1] == pytest.approx(40.0, abs=2.5)
    assert res.replicates.shape == (2000,)
