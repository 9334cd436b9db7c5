"""Bayesian non-parametric latent-class population size estimation (LCMCR).

Model (Manrique-Vallier 2016, "Bayesian population size estimation using Dirichlet process
mixtures", *Biometrics* 72(4):1246–1254; R package LCMCR 0.4.14, ``lcmCR``): each person
belongs to one of ``K`` latent classes with weights ``nu`` from a truncated stick-breaking
(Dirichlet process) prior with concentration ``alpha ~ Gamma(a_alpha, rate=b_alpha)``;
within class ``k`` lists record people independently with probabilities
``lambda_jk ~ Beta(1, 1)``; the population size has the improper prior ``p(N) ∝ 1/N``.
The probability of a capture pattern ``x`` is therefore

    P(x) = sum_k nu_k prod_j lambda_jk^x_j (1 - lambda_jk)^(1 - x_j),

a mixture that can represent list dependence induced by heterogeneity in capture.
The posterior of ``N = n + n0`` is sampled by LCMCR's Gibbs sampler with data augmentation of
the ``n0`` unseen people (see :mod:`uncounted.prevalence._lcm_kernels`); the estimate is the
posterior median and the interval the equal-tailed credible interval (R's ``quantile``,
type 7).

Convergence diagnostics on the thinned draws of ``N``:

* effective sample size by Geyer's initial monotone sequence estimator (Geyer 1992,
  "Practical Markov chain Monte Carlo", *Statistical Science* 7:473–483);
* Geweke's (1992, *Bayesian Statistics 4*, 169–193) z-score comparing the means of the
  first 10 % and the last 50 % of the draws, each mean's variance from the same Geyer
  estimate of the spectral density at zero.

A :class:`~uncounted.errors.ConvergenceWarning` is raised when the effective sample size is
below 100 (Vehtari et al. 2021, *Bayesian Analysis* 16:667–718, ask for at least 100 per
chain before trusting tail quantiles) or when ``|z| > 3``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from uncounted.errors import ConvergenceWarning, InvalidInput
from uncounted.prevalence._base import PopulationEstimator
from uncounted.prevalence.histories import CaptureHistories

__all__ = ["LatentClassEstimator", "effective_sample_size", "geweke_z"]

MIN_ESS = 100.0
MAX_GEWEKE_Z = 3.0


class LatentClassEstimator(PopulationEstimator):
    """Population size from the Bayesian non-parametric latent class model (LCMCR).

    Formula: ``P(x) = sum_k nu_k prod_j lambda_jk^x_j (1 - lambda_jk)^(1 - x_j)`` with a
    stick-breaking prior on ``nu`` (``K = n_classes`` sticks, concentration
    ``alpha ~ Gamma(a_alpha, b_alpha)``), ``lambda_jk ~ Beta(1, 1)`` and ``p(N) ∝ 1/N``;
    ``N`` is sampled by Gibbs sampling with data augmentation.
    Source: Manrique-Vallier (2016), *Biometrics* 72:1246–1254; defaults and sampler as the
    R package LCMCR 0.4.14 (``lcmCR(K=10, a_alpha=0.25, b_alpha=0.25)``,
    ``lcmCR_PostSampl(burnin=10000, samples=1000, thinning=100)``).

    Learned attributes (besides the common ones): ``posterior_`` (draws of ``N``),
    ``alpha_samples_`` (draws of ``alpha``), ``effective_classes_`` (draws of the number of
    occupied latent classes), ``ess_`` and ``geweke_z_`` (diagnostics of ``posterior_``),
    ``seed_`` (the integer seed the chain used; refit with ``random_state=seed_`` to
    reproduce it).

    ``population_`` is the posterior median, ``ci_`` the equal-tailed credible interval at
    ``ci_level``. Results are reproducible for a given integer ``random_state`` (or a
    ``numpy.random.Generator`` in a given state); the chain itself cannot reproduce R's
    digits (a different random number generator), only its posterior.
    """

    method: ClassVar[str] = "lcmcr"

    def __init__(
        self,
        n_classes: int = 10,
        a_alpha: float = 0.25,
        b_alpha: float = 0.25,
        burnin: int = 10000,
        samples: int = 1000,
        thinning: int = 100,
        ci_level: float = 0.95,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_classes = n_classes
        self.a_alpha = a_alpha
        self.b_alpha = b_alpha
        self.burnin = burnin
        self.samples = samples
        self.thinning = thinning
        self.ci_level = ci_level
        self.random_state = random_state

    # ------------------------------------------------------------------ settings
    def _validate(self) -> None:
        super()._validate()
        name = type(self).__name__
        for setting, minimum in (
            ("n_classes", 2),
            ("burnin", 0),
            ("samples", 20),
            ("thinning", 1),
        ):
            value = getattr(self, setting)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise InvalidInput(f"{name}: {setting} must be a whole number, got {value!r}.")
            if value < minimum:
                raise InvalidInput(f"{name}: {setting} must be at least {minimum}, got {value}.")
        for setting in ("a_alpha", "b_alpha"):
            value = getattr(self, setting)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise InvalidInput(
                    f"{name}: {setting} (Gamma prior of the concentration) must be a positive "
                    f"number such as 0.25, got {value!r}."
                )
        state = self.random_state
        if state is not None and not isinstance(state, np.random.Generator):
            if isinstance(state, bool) or not isinstance(state, int | np.integer):
                raise InvalidInput(
                    f"{name}: random_state must be None, an integer or a numpy Generator, "
                    f"got {state!r}."
                )
            if not 0 <= int(state) < 2**32:
                raise InvalidInput(
                    f"{name}: random_state must be between 0 and 2**32 - 1, got {state}."
                )

    def _seed(self) -> int:
        state = self.random_state
        if state is None:
            return int(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(state, np.random.Generator):
            return int(state.integers(0, 2**32))
        return int(state)

    # ------------------------------------------------------------------ fitting
    def _fit(self, histories: CaptureHistories) -> None:
        # numba is imported (and the cached kernels loaded) only when a chain is run
        from uncounted.prevalence._lcm_kernels import run_sampler

        keep = histories.counts > 0
        patterns = np.ascontiguousarray(histories.patterns[keep], dtype=np.int64)
        counts = np.ascontiguousarray(histories.counts[keep], dtype=np.int64)
        seed = self._seed()
        n_draws, alpha, k_star = run_sampler(
            patterns,
            counts,
            int(self.n_classes),
            float(self.a_alpha),
            float(self.b_alpha),
            int(self.burnin),
            int(self.samples),
            int(self.thinning),
            seed,
        )
        tail = (1.0 - float(self.ci_level)) / 2.0
        low, high = np.quantile(n_draws, [tail, 1.0 - tail])
        self.seed_ = seed
        self.posterior_ = n_draws
        self.alpha_samples_ = alpha
        self.effective_classes_ = k_star
        self.population_ = float(np.median(n_draws))
        self.ci_ = (float(low), float(high))
        self.ci_method_ = "credible"
        self.model_ = ()
        self.ess_ = effective_sample_size(n_draws)
        self.geweke_z_ = geweke_z(n_draws)
        self._check_convergence()

    def _check_convergence(self) -> None:
        problems = []
        if self.ess_ < MIN_ESS:
            problems.append(
                f"the {self.samples} draws of N are worth only {self.ess_:.0f} independent "
                f"ones (effective sample size < {MIN_ESS:.0f})"
            )
        if math.isfinite(self.geweke_z_) and abs(self.geweke_z_) > MAX_GEWEKE_Z:
            problems.append(
                f"the start and end of the chain disagree (Geweke z = {self.geweke_z_:.1f})"
            )
        if problems:
            self._warn(
                "LCMCR sampler may not have converged: "
                + "; ".join(problems)
                + ". Increase burnin and thinning (or samples) and compare fits with "
                "different random_state values before relying on the interval.",
                ConvergenceWarning,
            )

    def _extra_dict(self) -> dict[str, Any]:
        q = np.quantile(self.posterior_, [0.025, 0.25, 0.5, 0.75, 0.975])
        return {
            "posterior_quantiles": {
                "0.025": float(q[0]),
                "0.25": float(q[1]),
                "0.5": float(q[2]),
                "0.75": float(q[3]),
                "0.975": float(q[4]),
            },
            "posterior_mean": float(np.mean(self.posterior_)),
            "effective_sample_size": _finite(self.ess_),
            "geweke_z": _finite(self.geweke_z_),
            "effective_classes_median": float(np.median(self.effective_classes_)),
            "alpha_median": float(np.median(self.alpha_samples_)),
            "seed": int(self.seed_),
        }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _long_run_variance(x: np.ndarray) -> tuple[float, float]:
    """(variance, long-run variance sigma^2 = n Var(mean)) by Geyer's initial monotone
    sequence estimator; sigma^2 is 0 for a constant chain."""
    n = x.size
    centred = x - x.mean()
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, size)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), size)[:n] / n
    if acov[0] <= 0.0:
        return 0.0, 0.0
    # Gamma_m = gamma_{2m} + gamma_{2m+1}: keep the initial positive, monotone part
    pairs = acov[: 2 * (n // 2)].reshape(-1, 2).sum(axis=1)
    positive = np.flatnonzero(pairs <= 0.0)
    pairs = pairs[: positive[0]] if positive.size else pairs
    pairs = np.minimum.accumulate(pairs)
    sigma2 = -acov[0] + 2.0 * float(pairs.sum())
    return float(acov[0]), max(sigma2, 0.0)


def effective_sample_size(x: np.ndarray) -> float:
    """Effective sample size ``n gamma_0 / sigma^2`` of one chain (Geyer 1992, initial
    monotone sequence); ``inf`` for a constant chain (nothing to estimate)."""
    values = np.asarray(x, dtype=np.float64)
    gamma0, sigma2 = _long_run_variance(values)
    if gamma0 == 0.0:
        return math.inf
    if sigma2 == 0.0:
        return float(values.size)
    return values.size * gamma0 / sigma2


def geweke_z(x: np.ndarray, first: float = 0.1, last: float = 0.5) -> float:
    """Geweke (1992) z: (mean of first 10 % - mean of last 50 %) / its standard error, the
    variances from Geyer's spectral estimate at zero; ``nan`` if both parts are constant."""
    values = np.asarray(x, dtype=np.float64)
    n = values.size
    a = values[: max(int(first * n), 2)]
    b = values[n - max(int(last * n), 2) :]
    var = sum(_long_run_variance(part)[1] / part.size for part in (a, b))
    diff = float(a.mean() - b.mean())
    if var <= 0.0:
        return math.nan if diff == 0.0 else math.copysign(math.inf, diff)
    return diff / math.sqrt(var)
