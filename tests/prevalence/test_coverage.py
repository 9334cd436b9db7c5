"""A small version of the coverage study (benchmarks/coverage_study.py): on 30 simulated
populations of 2 000 with four independent lists, the independence model and the stepwise
procedure are nearly unbiased and their 95 % intervals cover the truth at least 80 % of the
time (loose: 30 worlds give a binomial standard error of about 4 points at 95 %); with
positively dependent lists, the independence model is biased low and the stepwise procedure
repairs most of it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from uncounted.errors import UncountedWarning
from uncounted.prevalence import CaptureHistories, LogLinearEstimator, StepwiseEstimator
from uncounted.simulate.capture import simulate_lists

WORLDS = 30


def _study(scenario, make):
    estimates, covered = [], 0
    for seed in range(WORLDS):
        sim = simulate_lists(scenario, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UncountedWarning)
            fit = make().fit(CaptureHistories.from_frame(sim.table))
        estimates.append(fit.population_)
        covered += fit.ci_[0] <= sim.population <= fit.ci_[1]
    return float(np.mean(estimates)) / 2000 - 1, covered / WORLDS


@pytest.mark.slow
@pytest.mark.parametrize("make", [LogLinearEstimator, StepwiseEstimator])
def test_independent_lists(make):
    bias, coverage = _study("independent", make)
    assert abs(bias) < 0.03
    assert coverage >= 0.8


@pytest.mark.slow
def test_dependent_lists_bias_independence_and_stepwise_repairs_it():
    naive_bias, naive_cover = _study("dependent", LogLinearEstimator)
    step_bias, step_cover = _study("dependent", StepwiseEstimator)
    assert naive_bias < -0.05 and naive_cover < 0.5
    assert abs(step_bias) < 0.03 and step_cover >= 0.75


def test_simulated_lists_are_reproducible():
    a = simulate_lists("heterogeneous", seed=3)
    b = simulate_lists("heterogeneous", seed=3)
    assert a.table.equals(b.table) and a.population == 2000
    assert a.table["count"].sum() < 2000


@pytest.mark.slow
def test_recommended_method_covers_under_heterogeneity():
    """The panel's recommended method (Mth Darroch + AIC pairs) against the stepwise procedure
    on 30 demo-like worlds (the demo's frailty sd 0.8, 4 000 people): the full study
    (docs/prevalence.md, 100 worlds) measured coverage 0.93 vs 0.02. Here the recommended
    method must cover at least 80 % (30 worlds: binomial sd ~5 points) and be within 5 % of the
    truth on average; the stepwise procedure covers under 30 %."""
    from uncounted.prevalence.panel import PANEL, RECOMMENDED
    from uncounted.simulate.capture import simulate_demo_lists

    def study(make):
        estimates, covered = [], 0
        for seed in range(WORLDS):
            sim = simulate_demo_lists(frailty_sd=0.8, seed=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UncountedWarning)
                fit = make().fit(CaptureHistories.from_frame(sim.table))
            estimates.append(fit.population_)
            covered += fit.ci_[0] <= sim.population <= fit.ci_[1]
        return float(np.mean(estimates)) / 4000 - 1, covered / WORLDS

    bias, coverage = study(lambda: PANEL[RECOMMENDED][1](None))
    assert coverage >= 0.8 and abs(bias) < 0.05
    _, step_cover = study(StepwiseEstimator)
    assert step_cover < 0.3
