"""StepwiseEstimator against R's SparseMSE 2.0.1 ``estimatepopulation``.

Expected values: ../shared/data/README.md, "What the R reference packages print" (R 4.2.2,
SparseMSE 2.0.1, ``estimatepopulation(dat, nboot=1000, pthresh=0.02, iseed=1234)``).

SparseMSE reports the model as its ``glm`` formula, which leaves out two-list terms whose
lists share nobody (those enter at minus infinity by removing histories; SparseMSE lists them
separately as ``emptyoverlaps``). We keep them in ``model_`` in the order added and name them
in ``empty_overlaps_``, so the comparison is on ``model_`` minus ``empty_overlaps_``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from uncounted.prevalence import CaptureHistories, StepwiseEstimator
from uncounted.prevalence._engine import list_pairs
from uncounted.prevalence._stepwise_literal import stepwise_literal
from uncounted.prevalence._stepwise_search import StepwiseSearch
from uncounted.prevalence.bootstrap import multinomial_resamples
from uncounted.prevalence.histories import all_patterns

# dataset: (terms as printed by SparseMSE, N, Wald low, Wald high, BCa low, BCa high)
SPARSEMSE: dict[str, tuple[tuple[str, ...], float, float, float, float, float]] = {
    "UKdat": (
        ("PF:NCA", "LA:NG", "NG:GP", "LA:PF", "PF:GP", "GO:GP", "NG:GO"),
        11418.0,
        9977.3,
        13145.7,
        9267.0,
        14306.8,
    ),
    "UKdat_5": (
        ("LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"),
        11313.0,
        9884.4,
        13027.4,
        8784.8,
        14700.5,
    ),
    "UKdat_4": (("LA:NG", "LA:PFNCA", "NG:GO"), 11015.2, 9582.3, 12735.3, 9027.8, 13481.6),
    "Ned": (
        ("O:Z", "P:Z", "I:Z", "P:R", "O:P", "K:O"),
        111139.4,
        92439.9,
        133991.5,
        45758.9,
        171107.9,
    ),
    "Ned_5": (
        ("IO:Z", "P:Z", "P:R", "IO:P", "IO:K"),
        121521.6,
        98675.4,
        150138.9,
        47393.1,
        162845.5,
    ),
    "Rcapture_HIV": ((), 11124.6, 9519.5, 13067.5, 8550.4, 13498.6),
    "Rcapture_lesbian": (("A:D", "C:D", "B:D", "B:C"), 5350.5, 4838.6, 5961.2, 4356.9, 7299.9),
    "Rcapture_diabetes": (("c2:c4", "c3:c4"), 2279.2, 2251.6, 2311.0, 2253.9, 2310.6),
    "MadiganYork_3": (("A:B",), 730.9, 707.5, 761.1, 708.6, 756.5),
}

# Monte Carlo standard deviation (relative) of our BCa limits with n_boot = 1000, measured
# as the standard deviation over seeds 0..19 (benchmarks/stepwise_bca_mc_error.py):
# dataset: (sd of low / low, sd of high / high)
MC_SD: dict[str, tuple[float, float]] = {
    "UKdat": (0.036, 0.023),
    "UKdat_5": (0.018, 0.040),
    "UKdat_4": (0.017, 0.016),
    "Ned": (0.031, 0.052),
    "Ned_5": (0.018, 0.034),
    "Rcapture_HIV": (0.019, 0.013),
    "Rcapture_lesbian": (0.028, 0.019),
    "Rcapture_diabetes": (0.0008, 0.0009),
    "MadiganYork_3": (0.0017, 0.0022),
}

SIX_LISTS = {"UKdat", "Ned"}


@pytest.mark.parametrize("name", sorted(SPARSEMSE))
def test_stepwise_model_estimate_and_wald_interval(
    name: str, load_mse: Callable[[str], CaptureHistories]
) -> None:
    """Selected terms equal SparseMSE's (order too); N within 0.5 %; Wald ends within 1 %.

    Source: README (SparseMSE 2.0.1 ``estimatepopulation``, values printed to 0.1).
    """
    terms, n_hat, low, high, _, _ = SPARSEMSE[name]
    est = StepwiseEstimator(pthresh=0.02, ci="wald").fit(load_mse(name))
    printed = tuple(t for t in est.model_ if t not in est.empty_overlaps_)
    assert printed == terms
    assert est.population_ == pytest.approx(n_hat, rel=0.005)
    assert est.ci_[0] == pytest.approx(low, rel=0.01)
    assert est.ci_[1] == pytest.approx(high, rel=0.01)
    assert est.ci_method_ == "wald"
    # the numbers are in fact reproduced to the printed precision
    assert abs(est.population_ - n_hat) <= 0.051
    assert abs(est.ci_[0] - low) <= 0.051 and abs(est.ci_[1] - high) <= 0.051


def test_empty_overlap_terms_of_ned(load_mse: Callable[[str], CaptureHistories]) -> None:
    """Ned's search adds K:R and I:K, lists that share nobody (SparseMSE ``emptyoverlaps``).

    They are why R's printed formula has six terms while the model has eight.
    """
    est = StepwiseEstimator().fit(load_mse("Ned"))
    assert est.model_ == ("O:Z", "P:Z", "I:Z", "P:R", "O:P", "K:R", "I:K", "K:O")
    assert est.empty_overlaps_ == ("K:R", "I:K")


def _bca_params() -> list[object]:
    out: list[object] = []
    for name in sorted(SPARSEMSE):
        marks = [pytest.mark.slow] if name in SIX_LISTS else []
        out.append(pytest.param(name, marks=marks))
    return out


@pytest.mark.parametrize("name", _bca_params())
def test_bca_bootstrap_interval_within_monte_carlo_error(
    name: str, load_mse: Callable[[str], CaptureHistories]
) -> None:
    """Full 1000-replicate BCa interval vs SparseMSE's (iseed 1234) within Monte Carlo error.

    Our random numbers are numpy's, not R's, so the limits are two independent draws of a
    Monte Carlo quantity: their difference has standard deviation sqrt(2) * sd, with sd the
    Monte Carlo sd of one limit (MC_SD, measured over 20 seeds). We allow 4 such standard
    deviations, i.e. |ours - R| <= 4 * sqrt(2) * sd (about 5.7 sd). The BCa limits sit far in
    the tails of the bootstrap distribution, so their Monte Carlo distribution is skewed and
    heavy-tailed. The largest gap is UKdat_5's lower limit: R's 8 784.8 is 2.8 sd below our
    20-seed mean (9 242). It is about the 2nd smallest of R's 1 000 replicates; our bootstrap
    distribution (20 000 replicates) puts 0.05 % of its mass below 8 784.8, so a set of 1 000
    has two such values with probability about 9 %: a tail draw, not a different method.
    """
    _, n_hat, _, _, bca_low, bca_high = SPARSEMSE[name]
    sd_low, sd_high = MC_SD[name]
    est = StepwiseEstimator(ci="bootstrap", n_boot=1000, random_state=1234).fit(load_mse(name))
    assert est.ci_method_ == "bca-bootstrap"
    assert est.bootstrap_estimates_.shape == (1000,)
    k = 4.0 * 2.0**0.5
    assert est.ci_[0] == pytest.approx(bca_low, rel=k * sd_low)
    assert est.ci_[1] == pytest.approx(bca_high, rel=k * sd_high)
    assert est.ci_[0] < n_hat < est.ci_[1]


def _check_equivalence(h: CaptureHistories, n_samples: int, seed: int) -> None:
    patterns, counts = h.complete()
    search = StepwiseSearch(h.n_lists, 0.02)
    samples = np.vstack(
        [counts, multinomial_resamples(counts, n_samples, np.random.default_rng(seed))]
    )
    for row in samples:
        fast = search.run(row)
        terms, population = stepwise_literal(patterns, row)
        assert fast.terms == terms
        assert fast.population == pytest.approx(population, rel=1e-6)


@pytest.mark.parametrize(
    "name", ["Artificial_3", "Korea", "MadiganYork_3", "Rcapture_HIV", "Western", "NewOrl_5"]
)
def test_fast_search_equals_literal_sparsemse(
    name: str, load_mse: Callable[[str], CaptureHistories]
) -> None:
    """Same terms, same order and the same N as the literal algorithm, on the data and on
    10 bootstrap resamples (where empty overlaps and non-existent MLEs occur)."""
    _check_equivalence(load_mse(name), 10, seed=5)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["UKdat_5", "Ned_5", "Australia"])
def test_fast_search_equals_literal_sparsemse_on_more_resamples(
    name: str, load_mse: Callable[[str], CaptureHistories]
) -> None:
    """As above on 5-list data (offline we checked 200 resamples each of Artificial_3,
    Korea, Western, NewOrl_5, Australia, MadiganYork_5, UKdat_4 and Ned_5: no difference)."""
    _check_equivalence(load_mse(name), 8, seed=8)


def test_fast_search_equals_literal_sparsemse_on_random_tables() -> None:
    """Random sparse 4-list tables: same terms, order and N as SparseMSE's literal loop."""
    rng = np.random.default_rng(21)
    patterns = all_patterns(4)
    search = StepwiseSearch(4, 0.02)
    for _ in range(25):
        counts = rng.poisson(rng.uniform(0.5, 30.0), size=15) * (rng.random(15) < 0.7)
        counts[:4] += 1  # every list seen
        fast = search.run(counts)
        terms, population = stepwise_literal(patterns, counts)
        assert fast.terms == terms
        assert fast.population == pytest.approx(population, rel=1e-6)


UNLISTED = [
    "Western",
    "Australia",
    "Korea",
    "Kosovo",
    "NewOrl",
    "NewOrl_5",
    "NewOrl_MSE120",
    "NewOrl_5_MSE120",
    "MadiganYork_5",
]


@pytest.mark.parametrize("name", UNLISTED)
def test_datasets_without_published_stepwise_answers(
    name: str, load_mse: Callable[[str], CaptureHistories]
) -> None:
    """Reference datasets with no SparseMSE numbers in the README: what we check.

    * the fit raises no warning (pytest turns warnings into errors) and the estimate is at
      least the number observed, with a finite Wald interval around it;
    * the selected model is the one SparseMSE's literal algorithm selects (same terms, same
      order, same N to 1e-6) — so it is SparseMSE's answer even without a printed number;
    * every added term had p < pthresh, the best term left out has p >= pthresh, and the
      selected model passes both of SparseMSE's checks (MLE exists and is identifiable);
    * a 200-replicate BCa interval (seed 1) is finite and contains the estimate.
    """
    from uncounted.prevalence._engine import diagnose

    h = load_mse(name)
    est = StepwiseEstimator().fit(h)
    assert est.observed_ == h.n_observed
    assert est.population_ >= est.observed_
    assert est.ci_[0] < est.population_ < est.ci_[1] < float("inf")
    patterns, counts = h.complete()
    terms, population = stepwise_literal(patterns, counts)
    pairs = list_pairs(h.n_lists)
    assert est.model_ == tuple(f"{h.lists[pairs[p][0]]}:{h.lists[pairs[p][1]]}" for p in terms)
    assert est.population_ == pytest.approx(population, rel=1e-6)
    added = est.steps_.filter(est.steps_["added"])
    assert (added["p_value"] < 0.02).all()
    left = est.steps_.filter(~est.steps_["added"])
    assert (left["p_value"] >= 0.02).all()
    assert diagnose(h, est.model_).ok
    boot = StepwiseEstimator(ci="bootstrap", n_boot=200, random_state=1).fit(h)
    assert np.isfinite(boot.bootstrap_estimates_).all()
    assert boot.ci_[0] <= boot.population_ <= boot.ci_[1]


def test_kosovo_equals_the_lcmcr_aggregate(load_mse: Callable[[str], CaptureHistories]) -> None:
    """Kosovo and LCMCR's kosovo_aggregate are the same table (index.csv), so same answer."""
    a = StepwiseEstimator().fit(load_mse("Kosovo"))
    b = StepwiseEstimator().fit(load_mse("kosovo_aggregate_LCMCR"))
    assert a.model_ == b.model_
    assert a.population_ == pytest.approx(b.population_, rel=1e-12)
