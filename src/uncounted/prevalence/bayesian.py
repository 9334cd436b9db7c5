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

``n_chains`` independent chains (default 4; R's LCMCR runs one) are run with seeds drawn from
``random_state``, each with LCMCR's burn-in, thinning and number of draws; the estimate and
interval pool their draws. The posterior of ``N`` can be multimodal (Ned_5, Ned, UKdat) and
one chain of 110 000 sweeps rarely crosses between modes, so a single chain's answer depends
on where it settled; several chains show it.

Convergence diagnostics on the thinned draws of ``N``
(:mod:`uncounted.prevalence._mcmc_diagnostics`):

* rank-normalised split-R-hat over the chains, the larger of bulk and tail (Vehtari,
  Gelman, Simpson, Carpenter & Bürkner 2021, *Bayesian Analysis* 16:667–718);
* bulk effective sample size over all chains (same paper);
* Geweke's (1992, *Bayesian Statistics 4*, 169–193) z-score per chain comparing the means of
  the first 10 % and the last 50 % of its draws (the largest in absolute value is kept).

A :class:`~uncounted.errors.ConvergenceWarning` is raised when R-hat exceeds 1.01 or the
bulk effective sample size is below 100 per chain (Vehtari et al. 2021's thresholds), or,
for a single chain, when ``|z| > 3``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from uncounted.errors import ConvergenceWarning, InvalidInput
from uncounted.prevalence._base import PopulationEstimator
from uncounted.prevalence._mcmc_diagnostics import bulk_ess, split_rhat
from uncounted.prevalence.histories import CaptureHistories
from uncounted.prevalence.registry import register

__all__ = ["LatentClassEstimator", "effective_sample_size", "geweke_z"]

MIN_ESS = 100.0  # per chain
MAX_RHAT = 1.01
MAX_GEWEKE_Z = 3.0


@register
class LatentClassEstimator(PopulationEstimator):
    """Population size from the Bayesian non-parametric latent class model (LCMCR).

    Formula: ``P(x) = sum_k nu_k prod_j lambda_jk^x_j (1 - lambda_jk)^(1 - x_j)`` with a
    stick-breaking prior on ``nu`` (``K = n_classes`` sticks, concentration
    ``alpha ~ Gamma(a_alpha, b_alpha)``), ``lambda_jk ~ Beta(1, 1)`` and ``p(N) ∝ 1/N``;
    ``N`` is sampled by Gibbs sampling with data augmentation.
    Source: Manrique-Vallier (2016), *Biometrics* 72:1246–1254; defaults and sampler as the
    R package LCMCR 0.4.14 (``lcmCR(K=10, a_alpha=0.25, b_alpha=0.25)``,
    ``lcmCR_PostSampl(burnin=10000, samples=1000, thinning=100)``).

    Learned attributes (besides the common ones): ``posterior_`` (draws of ``N``, the
    chains one after another), ``chains_`` (the same draws as ``(n_chains, samples)``),
    ``alpha_samples_`` (draws of ``alpha``), ``effective_classes_`` (draws of the number of
    occupied latent classes), ``rhat_`` (split-R-hat of ``N``), ``ess_`` (bulk effective
    sample size over all chains), ``geweke_z_``, ``seed_`` (the integer seed; refit with
    ``random_state=seed_`` to reproduce the fit) and ``chain_seeds_``.

    ``population_`` is the posterior median of the pooled draws, ``ci_`` the equal-tailed
    credible interval at ``ci_level``. Results are reproducible for a given integer
    ``random_state`` (or a ``numpy.random.Generator`` in a given state); the chains cannot
    reproduce R's digits (a different random number generator), only its posterior.
    """

    method: ClassVar[str] = "lcmcr"
    label: ClassVar[str] = "Latent classes, Bayesian (LCMCR)"
    ci_methods: ClassVar[tuple[str, ...]] = ("credible",)
    assumes: ClassVar[tuple[str, str, str] | None] = (
        "lists are independent within each of a few latent classes of people; dependence "
        "arises between classes",
        "people fall into latent classes that differ in catchability on each list "
        "(Manrique-Vallier 2016)",
        "A few hidden groups of people differ in how visible they are to each list.",
    )

    def __init__(
        self,
        n_classes: int = 10,
        a_alpha: float = 0.25,
        b_alpha: float = 0.25,
        burnin: int = 10000,
        samples: int = 1000,
        thinning: int = 100,
        n_chains: int = 4,
        ci_level: float = 0.95,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_classes = n_classes
        self.a_alpha = a_alpha
        self.b_alpha = b_alpha
        self.burnin = burnin
        self.samples = samples
        self.thinning = thinning
        self.n_chains = n_chains
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
            ("n_chains", 1),
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
        chains = int(self.n_chains)
        seeds = (
            [seed]
            if chains == 1
            else [int(v) for v in np.random.SeedSequence(seed).generate_state(chains)]
        )
        runs = [
            run_sampler(
                patterns,
                counts,
                int(self.n_classes),
                float(self.a_alpha),
                float(self.b_alpha),
                int(self.burnin),
                int(self.samples),
                int(self.thinning),
                np.random.default_rng(chain_seed),  # PCG64, one stream per chain
            )
            for chain_seed in seeds
        ]
        draws = np.stack([run[0] for run in runs])
        n_draws = draws.reshape(-1)
        tail = (1.0 - float(self.ci_level)) / 2.0
        low, high = np.quantile(n_draws, [tail, 1.0 - tail])
        self.seed_ = seed
        self.chain_seeds_ = tuple(seeds)
        self.chains_ = draws
        self.posterior_ = n_draws
        self.alpha_samples_ = np.concatenate([run[1] for run in runs])
        self.effective_classes_ = np.concatenate([run[2] for run in runs])
        self.population_ = float(np.median(n_draws))
        self.ci_ = (float(low), float(high))
        self.ci_method_ = "credible"
        self.model_ = ()
        self.rhat_ = split_rhat(draws)
        self.ess_ = bulk_ess(draws)
        zs = [geweke_z(chain) for chain in draws]
        finite = [z for z in zs if math.isfinite(z)]
        self.geweke_z_ = max(finite, key=abs) if finite else zs[0]
        self._check_convergence()

    @property
    def model_text_(self) -> str:
        """A latent-class mixture has no log-linear terms: say what was fitted instead of
        the "()" that means "main effects only" for the log-linear methods."""
        _ = self.population_  # NotFitted before fit
        return f"latent-class mixture (K = {self.n_classes})"

    def _check_convergence(self) -> None:
        problems = []
        chains = int(self.n_chains)
        if self.rhat_ > MAX_RHAT:  # nan (too few draws) compares False
            what = f"the {chains} chains" if chains > 1 else "the two halves of the chain"
            problems.append(
                f"{what} disagree (split-R-hat {self.rhat_:.3f} > {MAX_RHAT}); the posterior "
                "may have several modes that a chain does not cross between"
            )
        if self.ess_ < MIN_ESS * chains:
            problems.append(
                f"the {chains * self.samples} draws of N are worth only {self.ess_:.0f} "
                f"independent ones (effective sample size < {MIN_ESS * chains:.0f})"
            )
        if chains == 1 and math.isfinite(self.geweke_z_) and abs(self.geweke_z_) > MAX_GEWEKE_Z:
            problems.append(
                f"the start and end of the chain disagree (Geweke z = {self.geweke_z_:.1f})"
            )
        if problems:
            self._warn(
                "LCMCR sampler may not have converged: "
                + "; ".join(problems)
                + ". Increase burnin and thinning (or samples and n_chains) before relying "
                "on the interval.",
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
            "n_chains": int(self.n_chains),
            "rhat": _finite(self.rhat_),
            "effective_sample_size": _finite(self.ess_),
            "geweke_z": _finite(self.geweke_z_),
            "chain_medians": [float(np.median(chain)) for chain in self.chains_],
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
