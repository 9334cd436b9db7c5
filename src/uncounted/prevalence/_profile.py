"""Rcapture's multinomial profile-likelihood interval for the population size.

Source: Rcapture 1.4-4, ``closedpCI.t`` (Baillargeon & Rivest 2007, J. Stat. Softw. 19(5);
Rivest & Baillargeon 2014). For a candidate total ``N`` the unobserved cell is set to
``n0 = N - n`` and the Poisson log-linear model is refitted on all ``2**L`` cells (the
unobserved cell's design row is the intercept alone). With Cormack's (1992) correction

    ct(N) = n0 - N - log(n0 / N) / 2            if N > 100 (ct = -N + log(2 pi N) / 2 when
                                                 n0 is 0 or 1)
    ct(N) = log(n0^n0 N! / (N^N n0!))           otherwise,

the profile multinomial log-likelihood is ``l(N) = -(deviance(N) - 2 ct(N)) / 2``. Its
maximum ``N_max`` is found on ``(n, 3 N_poisson)``; the interval is
``{N : l(N) >= l(N_max) - chi2_{1, level} / 2}``, the lower end searched on ``(n, N_max)``
(``n`` when there is no root) and the upper on ``(N_max, 3 N_poisson)`` (infinite when there
is no root; Rcapture prints ``">3N"``). Tolerances are R's (``optimize``/``uniroot``,
``tol = 1e-4``). The interval is therefore not centred on the Poisson estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import chdtri, gammaln

from uncounted.prevalence._engine import fit_batch

__all__ = ["ProfileInterval", "profile_interval"]

_EPS = float(np.finfo(float).eps)
_FMAX = 3.0  # Rcapture's fmaxSupCL
_TOL = 1e-4


@dataclass(frozen=True)
class ProfileInterval:
    """The interval, the multinomial maximum and whether each end was found."""

    low: float
    high: float
    n_max: float
    low_found: bool
    high_found: bool


def _cormack(n0: float, total: float) -> float:
    if total > 100:
        if n0 in (0.0, 1.0):
            return -total + 0.5 * math.log(2 * math.pi * total)
        return n0 - total - 0.5 * math.log(n0 / total)
    n0_log_n0 = n0 * math.log(n0) if n0 > 0 else 0.0
    return n0_log_n0 + float(gammaln(total + 1)) - total * math.log(total) - float(gammaln(n0 + 1))


def _deviance_from(X: np.ndarray, y: np.ndarray, beta0: np.ndarray) -> float:
    """Poisson deviance at the MLE, by Newton steps from ``beta0`` (R's stopping rule).

    The profile evaluates many nearby ``N``; starting from the fit at the Poisson estimate
    instead of R's ``mu = y + 0.1`` reaches the same maximum in a few steps. Falls back to
    R's start when a step fails (e.g. ``n0 = 0``, where the intercept runs to -infinity).
    """
    beta = beta0.copy()
    dev_old = np.inf
    for _ in range(50):
        eta = X @ beta
        mu = np.maximum(np.exp(np.minimum(eta, 700.0)), _EPS)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = 2.0 * float(np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < 1e-10:
            return dev
        dev_old = dev
        try:
            step = np.linalg.solve((X.T * mu) @ X, X.T @ (y - mu))
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        beta = beta + step
    mask = np.ones((1, X.shape[1]), dtype=bool)
    return float(fit_batch(X, y, mask).deviance[0])


def profile_interval(
    X: np.ndarray,
    y: np.ndarray,
    n_poisson: float,
    level: float = 0.95,
    deviance: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> ProfileInterval:
    """Profile interval for ``N`` under the model with design ``X`` (cells x params).

    Args:
        X: design of the observable cells (column 0 the intercept), only the model's columns.
        y: observed counts of those cells.
        n_poisson: the Poisson estimate ``n + exp(intercept)`` (sets the search range).
        level: confidence level.
        deviance: optional ``(X_aug, y_aug) -> deviance`` replacing the plain Poisson refit,
            for models fitted under constraints (Chao's lower bound drops negative terms).
    """
    y = np.asarray(y, dtype=np.float64)
    n = float(y.sum())
    zero_row = np.zeros((1, X.shape[1]))
    zero_row[0, 0] = 1.0
    X_aug = np.vstack([X, zero_row])
    mask = np.ones((1, X.shape[1]), dtype=bool)
    start = fit_batch(X_aug, np.append(y, max(n_poisson - n, 0.0)), mask).coef[0]

    def loglik(total: float) -> float:
        n0 = max(total - n, 0.0)
        y_aug = np.append(y, n0)
        dev = deviance(X_aug, y_aug) if deviance else _deviance_from(X_aug, y_aug, start)
        return -(dev - 2.0 * _cormack(n0, total)) / 2.0

    upper_search = _FMAX * n_poisson
    opt = minimize_scalar(
        lambda t: -loglik(t),
        bounds=(n, 3.0 * n_poisson),
        method="bounded",
        options={"xatol": _TOL},
    )
    n_max = float(opt.x)
    target = -float(opt.fun) - float(chdtri(1, 1.0 - level)) / 2.0

    def g(total: float) -> float:
        return loglik(total) - target

    low, low_found = n, False
    g_n = g(n)
    if g_n * g(n_max) < 0:
        low, low_found = float(brentq(g, n, n_max, xtol=_TOL)), True
    high, high_found = math.inf, False
    if g(n_max) * g(upper_search) < 0:
        high, high_found = float(brentq(g, n_max, upper_search, xtol=_TOL)), True
    return ProfileInterval(low, high, n_max, low_found, high_found)
