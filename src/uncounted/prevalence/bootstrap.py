"""Bootstrap intervals for estimators on aggregated capture histories (BCa).

Resampling: the ``n`` observed people are drawn again with replacement, which for an
aggregated table is one multinomial draw of ``n`` over the observed histories with
probabilities ``counts / n`` (Chan, Silverman & Vincent 2021, JASA, section 3.3; SparseMSE
``estimatepopulation``).

Interval: the bias-corrected and accelerated (BCa) percentile interval of Efron (1987) as
given by DiCiccio & Efron (1996, Statistical Science 11:189-228) and coded in SparseMSE's
``bcaconfvalues``::

    z0    = Phi^-1( #{replicates < estimate} / B )
    a     = sum_h c_h d_h^3 / (6 (sum_h c_h d_h^2)^(3/2)),  d_h = mean_c(theta_(h)) - theta_(h)
    q(al) = Phi( z0 + (z0 + z_al) / (1 - a (z0 + z_al)) )
    limit = quantile(replicates, q(al), Hyndman-Fan type 8)

where ``theta_(h)`` is the estimate with one person of history ``h`` removed (the
jackknife over people, each history weighted by its count ``c_h``).

The functions take any statistic of a count vector, so every estimator can reuse them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from uncounted.errors import InvalidInput

__all__ = [
    "BCaResult",
    "bca_bootstrap",
    "bca_limits",
    "jackknife_acceleration",
    "jackknife_estimates",
    "multinomial_resamples",
]


def multinomial_resamples(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, k)`` resampled count vectors: multinomial(sum(counts), counts / sum)."""
    c = np.asarray(counts, dtype=np.int64)
    total = int(c.sum())
    if total <= 0:
        raise InvalidInput("cannot bootstrap a table with no observed people.")
    return rng.multinomial(total, c / total, size=n_boot).astype(np.int64)


def jackknife_estimates(statistic: Callable[[np.ndarray], float], counts: np.ndarray) -> np.ndarray:
    """The statistic with one person removed from each history with a positive count.

    Entries for histories with count zero are 0 (they get zero weight), as in SparseMSE.
    """
    c = np.asarray(counts, dtype=np.int64)
    out = np.zeros(c.shape[0])
    for h in np.flatnonzero(c > 0):
        reduced = c.copy()
        reduced[h] -= 1
        out[h] = statistic(reduced)
    return out


def jackknife_acceleration(jack: np.ndarray, counts: np.ndarray) -> float:
    """The BCa acceleration from delete-one-person jackknife estimates (weights = counts)."""
    w = np.asarray(counts, dtype=np.float64)
    j = np.asarray(jack, dtype=np.float64)
    d = np.sum(w * j) / np.sum(w) - j
    denom = 6.0 * np.sum(w * d**2) ** 1.5
    if denom == 0.0:
        return 0.0
    return float(np.sum(w * d**3) / denom)


def bca_limits(
    replicates: np.ndarray, estimate: float, acceleration: float, probs: Sequence[float]
) -> tuple[np.ndarray, float]:
    """BCa limits at the nominal probabilities ``probs``; also returns ``z0``.

    ``quantile(..., type = 8)`` of R is numpy's ``method="median_unbiased"``.
    """
    reps = np.asarray(replicates, dtype=np.float64)
    reps = reps[np.isfinite(reps)]
    frac = float(np.mean(reps < estimate))
    z0 = float(ndtri(frac))
    za = ndtri(np.asarray(probs, dtype=np.float64))
    za0 = za + z0
    with np.errstate(invalid="ignore", divide="ignore"):
        q = ndtr(z0 + za0 / (1.0 - acceleration * za0))
    q = np.where(np.isnan(q), np.where(za < 0, 0.0, 1.0), q)
    return np.quantile(reps, np.clip(q, 0.0, 1.0), method="median_unbiased"), z0


@dataclass(frozen=True)
class BCaResult:
    """A BCa bootstrap: replicates, jackknife acceleration, bias correction and interval."""

    estimate: float
    replicates: np.ndarray
    jackknife: np.ndarray
    acceleration: float
    bias_correction: float  # z0
    interval: tuple[float, float]
    level: float


def bca_bootstrap(
    statistic: Callable[[np.ndarray], float],
    counts: np.ndarray,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    rng: np.random.Generator,
    estimate: float | None = None,
    batch: Callable[[np.ndarray], np.ndarray] | None = None,
) -> BCaResult:
    """BCa interval for ``statistic(counts)`` by resampling people (see module docstring).

    ``batch`` may evaluate many resampled count vectors at once (rows of a 2-D array); by
    default ``statistic`` is called on each. ``estimate`` defaults to ``statistic(counts)``.
    """
    c = np.asarray(counts, dtype=np.int64)
    est = float(statistic(c)) if estimate is None else float(estimate)
    samples = multinomial_resamples(c, n_boot, rng)
    if batch is not None:
        reps = np.asarray(batch(samples), dtype=np.float64)
    else:
        reps = np.array([statistic(row) for row in samples], dtype=np.float64)
    jack = jackknife_estimates(statistic, c)
    acc = jackknife_acceleration(jack, c)
    alpha = (1.0 - level) / 2.0
    limits, z0 = bca_limits(reps, est, acc, (alpha, 1.0 - alpha))
    return BCaResult(
        estimate=est,
        replicates=reps,
        jackknife=jack,
        acceleration=acc,
        bias_correction=z0,
        interval=(float(limits[0]), float(limits[1])),
        level=level,
    )
