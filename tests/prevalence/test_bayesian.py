"""LatentClassEstimator: settings, reproducibility, diagnostics and recovery of a known N."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from uncounted.errors import ConvergenceWarning, InvalidInput, NotFitted
from uncounted.prevalence import CaptureHistories, LatentClassEstimator
from uncounted.prevalence.bayesian import effective_sample_size, geweke_z

SHORT = {"burnin": 1000, "samples": 200, "thinning": 50}


def simulate_histories(
    n: int, weights: list[float], capture: list[list[float]], seed: int
) -> CaptureHistories:
    """A closed population of ``n`` people in latent classes (``weights``) whose class-``k``
    members are on list ``j`` independently with probability ``capture[k][j]``; the people on
    no list are dropped, as in real data."""
    rng = np.random.default_rng(seed)
    classes = rng.choice(len(weights), size=n, p=weights)
    probs = np.asarray(capture)[classes]
    on = (rng.random(probs.shape) < probs).astype(np.uint8)
    seen = on[on.sum(axis=1) > 0]
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    lists = tuple(f"L{j + 1}" for j in range(on.shape[1]))
    return CaptureHistories(lists, patterns, counts.astype(np.int64))


@pytest.fixture(scope="module")
def small() -> CaptureHistories:
    """Homogeneous capture on four lists: the chain mixes fast, so short runs suffice."""
    return simulate_histories(1000, [1.0], [[0.3, 0.4, 0.5, 0.35]], seed=3)


def test_settings_are_stored_unchanged() -> None:
    est = LatentClassEstimator(n_classes=5, a_alpha=1.0, random_state=7)
    assert est.get_params() == {
        "n_classes": 5,
        "a_alpha": 1.0,
        "b_alpha": 0.25,
        "burnin": 10000,
        "samples": 1000,
        "thinning": 100,
        "n_chains": 4,
        "ci_level": 0.95,
        "random_state": 7,
    }
    with pytest.raises(NotFitted):
        _ = est.population_


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("n_classes", 1, "n_classes must be at least 2"),
        ("n_classes", 2.5, "n_classes must be a whole number"),
        ("samples", 5, "samples must be at least 20"),
        ("thinning", 0, "thinning must be at least 1"),
        ("n_chains", 0, "n_chains must be at least 1"),
        ("a_alpha", 0.0, "a_alpha"),
        ("b_alpha", math.nan, "b_alpha"),
        ("random_state", -1, "random_state must be between 0 and 2\\*\\*32 - 1"),
        ("random_state", "seed", "random_state must be None, an integer"),
        ("ci_level", 1.5, "ci_level"),
    ],
)
def test_bad_settings_are_refused_at_fit(
    small: CaptureHistories, setting: str, value: object, message: str
) -> None:
    est = LatentClassEstimator(**{setting: value})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=message):
        est.fit(small)


@pytest.mark.filterwarnings("ignore::uncounted.errors.ConvergenceWarning")
def test_same_seed_same_chain_and_generator_accepted(small: CaptureHistories) -> None:
    a = LatentClassEstimator(**SHORT, random_state=11).fit(small)
    b = LatentClassEstimator(**SHORT, random_state=11).fit(small)
    c = LatentClassEstimator(**SHORT, random_state=12).fit(small)
    assert np.array_equal(a.posterior_, b.posterior_)
    assert not np.array_equal(a.posterior_, c.posterior_)
    g = LatentClassEstimator(**SHORT, random_state=np.random.default_rng(5)).fit(small)
    again = LatentClassEstimator(**SHORT, random_state=g.seed_).fit(small)
    assert np.array_equal(g.posterior_, again.posterior_)


@pytest.mark.filterwarnings("ignore::uncounted.errors.ConvergenceWarning")
def test_learned_attributes_and_summary(small: CaptureHistories) -> None:
    est = LatentClassEstimator(**SHORT, random_state=1).fit(small)
    assert est.posterior_.shape == (800,)  # 4 chains of 200
    assert est.chains_.shape == (4, 200)
    assert np.array_equal(est.chains_.reshape(-1), est.posterior_)
    assert est.alpha_samples_.shape == (800,)
    assert est.effective_classes_.shape == (800,)
    assert len(set(est.chain_seeds_)) == 4
    assert np.all(est.posterior_ >= small.n_observed)
    assert np.all((est.effective_classes_ >= 1) & (est.effective_classes_ <= 10))
    assert np.all(est.alpha_samples_ > 0)
    assert est.population_ == float(np.median(est.posterior_))
    low, high = est.ci_
    assert (low, high) == tuple(np.quantile(est.posterior_, [0.025, 0.975]))
    assert est.ci_method_ == "credible"
    assert est.model_ == ()
    row = est.summary.row(0, named=True)
    assert row["method"] == "lcmcr"
    assert row["dark_figure"] == est.population_ - small.n_observed
    extra = est.to_dict()
    assert extra["seed"] == 1
    assert extra["n_chains"] == 4 and len(extra["chain_medians"]) == 4
    assert extra["rhat"] == est.rhat_ and 0.99 < est.rhat_ < 1.2
    assert extra["effective_sample_size"] == est.ess_
    assert extra["posterior_quantiles"]["0.5"] == est.population_


@pytest.mark.filterwarnings("ignore::uncounted.errors.ConvergenceWarning")
def test_recovers_a_known_population_with_heterogeneous_capture() -> None:
    """20 000 people in an easily-seen class (60 %, capture probabilities 0.35–0.5 on six
    lists) and a hard-to-see one (40 %, 0.1–0.2), so a third of the hard class is on no list.
    The 95 % credible interval must cover the true N and the median be within 3 % of it.

    One-off study (not a test: 6 populations of 20 000, thinning 50): every interval covered
    N and the median/N ratios were 0.988–0.999. With only 3 000 people the same design gave
    coverage 26/30 and a median ratio of 0.976 (the latent-class posterior shrinks the hard
    class's dark figure), which is the model's small-sample behaviour, not the sampler's: at
    30 000 the ratio was 0.990–1.003. Coverage is judged whether or not a chain warns of slow
    mixing (the warning is tested on its own below)."""
    n = 20000
    for seed in (400, 401, 402):
        histories = simulate_histories(
            n,
            [0.6, 0.4],
            [[0.5, 0.4, 0.45, 0.35, 0.5, 0.4], [0.15, 0.2, 0.1, 0.2, 0.15, 0.2]],
            seed=seed,
        )
        est = LatentClassEstimator(burnin=10000, samples=300, thinning=100, random_state=seed).fit(
            histories
        )
        low, high = est.ci_
        assert low <= n <= high, (seed, est.ci_)
        assert est.population_ == pytest.approx(n, rel=0.03)
        assert est.population_ > histories.n_observed * 1.1


def test_credible_interval_is_calibrated_when_capture_is_homogeneous() -> None:
    """20 populations of 2 000 with the same capture probabilities on four lists: a
    calibrated 95 % interval misses about one; we allow up to four misses (P(more than four)
    = 0.3 % for a calibrated interval). A one-off run of 40 such fits covered 38.
    Short chains are used, so some fits warn of poor mixing (an occasional spurious second
    class): calibration is judged over all of them, warnings included."""
    covered = 0
    for seed in range(20):
        histories = simulate_histories(2000, [1.0], [[0.2, 0.3, 0.25, 0.15]], seed=100 + seed)
        est = LatentClassEstimator(burnin=2000, samples=200, thinning=50, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(histories)
        covered += est.ci_[0] <= 2000 <= est.ci_[1]
    assert covered >= 16


def test_effective_sample_size_of_ar1_matches_theory() -> None:
    """AR(1) with coefficient phi has ESS = n (1 - phi) / (1 + phi) (Geyer 1992, sec. 3)."""
    rng = np.random.default_rng(0)
    n, phi = 40000, 0.6
    x = np.empty(n)
    x[0] = rng.normal()
    noise = rng.normal(size=n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + noise[t]
    expected = n * (1 - phi) / (1 + phi)
    assert effective_sample_size(x) == pytest.approx(expected, rel=0.1)
    iid = rng.normal(size=5000)
    assert effective_sample_size(iid) == pytest.approx(5000, rel=0.15)
    assert effective_sample_size(np.ones(50)) == math.inf


def test_geweke_z_flags_a_drifting_chain() -> None:
    rng = np.random.default_rng(1)
    iid = rng.normal(size=2000)
    assert abs(geweke_z(iid)) < 3
    drifting = iid + np.linspace(5, 0, 2000)
    assert geweke_z(drifting) > 5


def test_poor_mixing_raises_convergence_warning(small: CaptureHistories) -> None:
    """With no thinning, 20 consecutive sweeps are far from 100 independent draws."""
    est = LatentClassEstimator(burnin=0, samples=20, thinning=1, random_state=2)
    with pytest.warns(ConvergenceWarning, match="effective sample size"):
        est.fit(small)
    assert est.warnings_ and "may not have converged" in est.warnings_[0]


def test_split_rhat_and_bulk_ess_on_known_chains() -> None:
    """Four AR(1) chains with phi = 0.9, 4 000 draws each: the effective sample size is
    ``MS (1 - phi) / (1 + phi)`` = 842 in theory; rank-normalised bulk ESS gave 739 (the
    normal scores of a finite AR(1) are not exactly AR(1)); allow 25 %. R-hat of agreeing
    chains is 1.00; one chain shifted by 3 standard deviations gives 1.46 (> 1.01)."""
    from uncounted.prevalence._mcmc_diagnostics import bulk_ess, split_rhat

    rng = np.random.default_rng(0)
    x = np.zeros((4, 4000))
    e = rng.normal(size=(4, 4000))
    for t in range(1, 4000):
        x[:, t] = 0.9 * x[:, t - 1] + e[:, t]
    assert bulk_ess(x) == pytest.approx(4 * 4000 * 0.1 / 1.9, rel=0.25)
    assert split_rhat(x) < 1.01
    iid = rng.normal(size=(4, 1000))
    assert bulk_ess(iid) == pytest.approx(4000, rel=0.1)
    shifted = iid + np.array([[0.0], [0.0], [0.0], [3.0]])
    assert split_rhat(shifted) > 1.3


def test_chains_that_disagree_raise_convergence_warning() -> None:
    """Ned_5-like trouble in small: chains of 20 unthinned sweeps cannot agree; the warning
    names split-R-hat and the result reports it."""
    h = simulate_histories(
        3000, [0.6, 0.4], [[0.05, 0.1, 0.08, 0.06], [0.6, 0.5, 0.7, 0.4]], seed=9
    )
    est = LatentClassEstimator(burnin=0, samples=20, thinning=1, random_state=4)
    with pytest.warns(ConvergenceWarning, match="split-R-hat"):
        est.fit(h)
    assert est.to_dict()["rhat"] > 1.01


def test_prior_on_n_is_truncated_at_21_n_as_in_lcmcr() -> None:
    """LCMCR 0.4.14 redraws the number unseen while it exceeds 20 n (``sam_n0``), so its
    prior on N is 1/N truncated at 21 n. Three lists that barely overlap leave N almost
    unbounded: every draw must still be at most 21 n (before issue 17 draws reached beyond;
    R's chains on Ned stop at 170 914 < 21 × 8 234 = 172 914)."""
    h = CaptureHistories(
        ("A", "B", "C"),
        np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1]]),
        np.array([300, 300, 300, 1, 1]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # four chains (the default): one short chain need not wander up to the bound
        est = LatentClassEstimator(
            burnin=500, samples=200, thinning=5, n_chains=4, random_state=3
        ).fit(h)
    assert est.posterior_.max() <= 21 * h.n_observed
    assert est.posterior_.max() > 10 * h.n_observed  # the bound is reached, not idle


def test_rank_normalisation_equals_scipys() -> None:
    """The R-hat's rank normalisation (average ranks of ties, Blom scores, probit) is SciPy's
    ``rankdata`` + ``ndtri``, computed without importing scipy.stats into the command."""
    from scipy import special, stats

    from uncounted.prevalence._mcmc_diagnostics import _average_ranks, _normal_scores

    rng = np.random.default_rng(1)
    for x in (rng.normal(size=(4, 500)), rng.integers(0, 7, size=(8, 250)).astype(float)):
        ranks = stats.rankdata(x, method="average").reshape(x.shape)
        assert np.array_equal(_average_ranks(x), ranks)
        expected = special.ndtri((ranks - 0.375) / (x.size + 0.25))
        assert np.allclose(_normal_scores(x), expected, rtol=0, atol=1e-12)
