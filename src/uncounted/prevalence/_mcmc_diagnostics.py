"""Multi-chain convergence diagnostics: rank-normalised split-R-hat and bulk effective sample
size (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, "Rank-normalization, folding, and
localization: an improved R-hat for assessing convergence of MCMC", *Bayesian Analysis*
16(2):667–718).

Draws are an ``(M, S)`` array, one row per chain. Each chain is split in half (so a single
drifting chain also shows), the draws are replaced by their normal scores
``z = Phi^-1((rank - 3/8) / (MS + 1/4))`` (robust to heavy tails such as the upper tail of a
population size), and

    R-hat = sqrt(var+ / W),  var+ = (n - 1)/n W + B/n,

with ``W`` the mean within-chain variance and ``B/n`` the variance of the chain means over
the ``2M`` half-chains of length ``n``. The reported R-hat is the larger of the bulk value and
the tail value (the same on the folded draws ``|x - median|``). The bulk effective sample size
is ``2M n / tau`` with ``tau = -1 + 2 sum_t rho_t``, ``rho_t = 1 - (W - mean_m gamma_m(t)) /
var+`` summed over Geyer's initial positive, monotone sequence of pairs (Vehtari et al.
2021, eq. 10; Geyer 1992).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

__all__ = ["bulk_ess", "split_rhat"]


def _split(draws: np.ndarray) -> np.ndarray:
    x = np.atleast_2d(np.asarray(draws, dtype=np.float64))
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half :]], axis=0)


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n over all of ``x``, ties given their average rank (SciPy's ``rankdata``
    with ``method="average"``, without importing ``scipy.stats`` into a command)."""
    flat = x.ravel()
    order = np.argsort(flat, kind="mergesort")
    ordered = flat[order]
    starts = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, flat.size))
    ranks = np.empty(flat.size)
    ranks[order] = (first + (counts + 1) / 2.0)[np.cumsum(starts) - 1]
    return ranks.reshape(x.shape)


_PROBIT = np.vectorize(NormalDist().inv_cdf, otypes=[np.float64])


def _normal_scores(x: np.ndarray) -> np.ndarray:
    """Rank-normalised draws (Vehtari et al. 2021): Blom's ``(r - 3/8) / (n + 1/4)``, probit."""
    return np.asarray(_PROBIT((_average_ranks(x) - 0.375) / (x.size + 0.25)))


def _rhat(x: np.ndarray) -> float:
    n = x.shape[1]
    within = float(np.mean(np.var(x, axis=1, ddof=1)))
    between_n = float(np.var(np.mean(x, axis=1), ddof=1))  # B / n
    if within <= 0.0:
        return 1.0 if between_n <= 0.0 else math.inf
    var_plus = (n - 1) / n * within + between_n
    return math.sqrt(var_plus / within)


def split_rhat(draws: np.ndarray) -> float:
    """Rank-normalised split-R-hat, max of bulk and tail (Vehtari et al. 2021); 1 is ideal,
    above 1.01 the chains disagree. ``draws`` is ``(chains, draws)``; needs >= 4 draws."""
    x = _split(draws)
    if x.shape[1] < 2:
        return math.nan
    bulk = _rhat(_normal_scores(x))
    folded = np.abs(x - np.median(x))
    tail = _rhat(_normal_scores(folded))
    return max(bulk, tail)


def bulk_ess(draws: np.ndarray) -> float:
    """Bulk effective sample size over all chains (rank-normalised split chains)."""
    x = _split(draws)
    m, n = x.shape
    if n < 4:
        return math.nan
    z = _normal_scores(x)
    centred = z - z.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), size, axis=1)[:, :n] / n
    within = float(np.mean(acov[:, 0]) * n / (n - 1))
    var_plus = (n - 1) / n * within + float(np.var(z.mean(axis=1), ddof=1))  # m >= 2 halves
    if var_plus <= 0.0:
        return float(m * n)
    rho = 1.0 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    pairs = rho[: 2 * (n // 2)].reshape(-1, 2).sum(axis=1)
    stop = np.flatnonzero(pairs <= 0.0)
    pairs = pairs[: stop[0]] if stop.size else pairs
    pairs = np.minimum.accumulate(pairs)
    tau = -1.0 + 2.0 * float(pairs.sum())
    tau = max(tau, 1.0 / math.log10(m * n))  # Stan's cap on antithetic chains
    return float(m * n / tau)
