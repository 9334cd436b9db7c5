"""Rcapture's normal-mixture heterogeneity model (``closedpCI.t(h = "Normal")``).

Rivest (2011, "A lower bound model for multiple record systems estimation with heterogeneous
catchability", Int. J. Biostat. 7(1), eq. 3 and p. 7): a person's log-odds of capture on every
list is shifted by ``sigma * Z``, ``Z ~ N(0, 1)``. Conditionally on being observed, the expected
count of a history ``c`` with ``k`` captures is

    mu_c = exp(x_c' b + phi(k)),   phi(k) = log( E[exp(k sigma Z) C(sigma Z)] / E[C(sigma Z)] ),
    C(a) = exp(b_0) / (exp(b_0) + sum_c exp(x_c' b + k_c a))   (probability of no capture),

the expectations taken by 20-point Gauss–Hermite quadrature (Abramowitz & Stegun 1972, p. 924).
The parameters ``(b, sigma)`` minimise the Poisson deviance (R's ``optim``, BFGS, from the
Darroch model's coefficients and ``sigma = 0.2``); ``N = n + exp(b_0)``.

Variance. Rcapture takes ``solve(optim hessian)`` of the *deviance* as the covariance matrix;
the deviance is ``-2`` times the log-likelihood, so that matrix is half the inverse observed
information and Rcapture's standard error is too small by about ``sqrt(2)`` on the variance
term. We use the inverse information (twice Rcapture's matrix); ``rcapture_stderr`` gives
Rcapture's value for comparison. The interval is Chao's (1987) log-normal one, as Rcapture's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite import hermgauss
from scipy.optimize import minimize
from scipy.special import gammaln

__all__ = ["NormalMixtureFit", "fit_normal_mixture"]

_NODES, _WEIGHTS = hermgauss(20)


def _mu(param: np.ndarray, X: np.ndarray, nbcap: np.ndarray) -> np.ndarray:
    # Far from the optimum the line search may try huge sigma: let exp overflow to inf there
    # (the deviance is then infinite and the step is rejected).
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _mu_raw(param, X, nbcap)


def _mu_raw(param: np.ndarray, X: np.ndarray, nbcap: np.ndarray) -> np.ndarray:
    b, sig = param[:-1], param[-1]
    eta = X @ b
    a = np.sqrt(2.0) * sig * _NODES  # (20,)
    with np.errstate(over="ignore"):
        tot = np.exp(eta[None, :] + nbcap[None, :] * a[:, None]).sum(axis=1)
        C = np.exp(b[0]) / (np.exp(b[0]) + tot)
    ks = np.arange(1, int(nbcap.max()) + 1)
    num = (_WEIGHTS[None, :] * np.exp(ks[:, None] * a[None, :]) * C[None, :]).sum(axis=1)
    phi = np.log(num / np.sum(_WEIGHTS * C))
    with np.errstate(over="ignore"):
        return np.asarray(np.exp(eta + phi[nbcap - 1]))


def _deviance(param: np.ndarray, X: np.ndarray, y: np.ndarray, nbcap: np.ndarray) -> float:
    mu = _mu(param, X, nbcap)
    if not np.all(np.isfinite(mu)) or np.any(mu <= 0):
        return float("inf")
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return float(2.0 * np.sum(term - (y - mu)))


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian (R's ``optimhess`` uses ``ndeps = 1e-3``)."""
    p = x.size
    H = np.empty((p, p))
    for i in range(p):
        for j in range(i, p):
            ei = np.zeros(p)
            ej = np.zeros(p)
            ei[i] = step
            ej[j] = step
            val = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * step * step
            )
            H[i, j] = H[j, i] = val
    return H


@dataclass(frozen=True)
class NormalMixtureFit:
    """The fitted normal-mixture model."""

    coef: np.ndarray  # log-linear coefficients (intercept first)
    sigma: float
    deviance: float
    aic: float
    bic: float
    population: float
    stderr: float
    rcapture_stderr: float
    converged: bool
    mu: np.ndarray


def fit_normal_mixture(
    X: np.ndarray, y: np.ndarray, nbcap: np.ndarray, start: np.ndarray, sigma0: float = 0.2
) -> NormalMixtureFit:
    """Fit the model with design ``X`` (intercept first, no heterogeneity column).

    ``start`` are the log-linear coefficients to start from (Rcapture: the Darroch fit's).
    """
    y = np.asarray(y, dtype=np.float64)
    nbcap = np.asarray(nbcap, dtype=np.int64)
    n = float(y.sum())
    x0 = np.append(np.asarray(start, dtype=np.float64), sigma0)

    def f(p: np.ndarray) -> float:
        return _deviance(p, X, y, nbcap)

    with np.errstate(over="ignore", invalid="ignore"):  # inf deviance at wild trial steps
        res = minimize(f, x0, method="BFGS", options={"gtol": 1e-6, "maxiter": 2000})
    par = np.asarray(res.x)
    if par[-1] < 0:  # sigma enters only through sigma * Z with Z symmetric
        par[-1] = -par[-1]
    H = _hessian(f, par)
    try:
        half_cov = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        half_cov = np.linalg.pinv(H)
    b0 = float(par[0])
    mu = _mu(par, X, nbcap)
    loglik = float(np.sum(y * np.log(mu) - mu - gammaln(y + 1.0)))
    k = par.size
    with np.errstate(over="ignore", invalid="ignore"):
        se_r = float(np.sqrt(np.exp(b0) + np.exp(2 * b0) * half_cov[0, 0]))
        se = float(np.sqrt(np.exp(b0) + np.exp(2 * b0) * 2.0 * half_cov[0, 0]))
    return NormalMixtureFit(
        coef=par[:-1],
        sigma=float(par[-1]),
        deviance=float(res.fun),
        aic=-2.0 * loglik + 2.0 * k,
        bic=-2.0 * loglik + np.log(n) * k,
        population=n + float(np.exp(b0)),
        stderr=se,
        rcapture_stderr=se_r,
        # BFGS with a numerical gradient often stops on "precision loss" at the optimum;
        # R's optim (reltol 1e-8) would call that converged: judge by the gradient.
        converged=bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-3,
        mu=mu,
    )
