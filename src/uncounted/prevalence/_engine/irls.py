"""The Poisson log-linear fit (iteratively reweighted least squares), compiled: one loop
(:func:`_iterate`) for a single model (:func:`fit_poisson`, the stepwise search and its
bootstrap) and for many models of one design (:func:`fit_models`, behind
:func:`uncounted.prevalence._engine.batch.fit_batch`: the model search and profile intervals).

Model: ``y_i ~ Poisson(mu_i)``, ``log mu = X beta``. The loop is R's ``glm.fit`` for the
Poisson family with the canonical log link (R Core Team, ``stats::glm.fit``): start from
``mu = y + 0.1`` (or from a given ``beta``), repeat the weighted least-squares step with
working response ``z = eta + (y - mu) / mu`` and weights ``w = mu``, and stop when the
deviance changes by less than ``rtol * (|deviance| + 0.1)`` (R: ``epsilon = 1e-8``,
``maxit = 25``; fitted means are ``max(exp(eta), DBL_EPSILON)``). The variance of the
intercept, ``[(X'WX)^-1]_00``, is taken from the last step's weights, as ``summary.glm`` does.

One more Newton step is evaluated at the end: its change in the linear predictor,
``d_eta``, is an exact certificate that the maximum-likelihood estimate exists when
``min(d_eta) > -1/2``: then ``x = mu * (1 + d_eta)`` is strictly positive and has the same
sufficient statistics ``X'x = X'y`` (see :mod:`uncounted.prevalence._engine.identifiability`).
When the estimate does not exist the fitted values of some cells shrink by a factor of
about ``e`` per step and ``d_eta`` stays near ``-1`` there, so the certificate fails and the
caller falls back to the linear program.

Fits of 2**L - 1 <= 255 cells with at most 37 parameters take tens of microseconds, which is
what makes the bootstrap of the whole stepwise search fast.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from uncounted.prevalence._numba import njit

__all__ = ["PoissonFit", "fit_models", "fit_poisson"]

_MAXIT = 25
_EPS = float(np.finfo(np.float64).eps)  # R's poisson()$linkinv: pmax(exp(eta), eps)
_RTOL = 1e-8


class PoissonFit(NamedTuple):
    """Result of :func:`fit_poisson` (arrays over the rows of the design given)."""

    beta: np.ndarray
    mu: np.ndarray
    var_intercept: float
    deviance: float
    converged: bool
    iterations: int
    min_step: float  # min over cells of the next Newton step in eta (existence certificate)
    ok: bool  # False when the weighted normal equations were singular or overflowed


@njit(cache=True)
def _deviance(y: np.ndarray, mu: np.ndarray) -> float:  # pragma: no cover - compiled
    dev = 0.0
    for i in range(y.shape[0]):
        if y[i] > 0.0:
            dev += y[i] * np.log(y[i] / mu[i]) - (y[i] - mu[i])
        else:
            dev += mu[i]
    return 2.0 * dev


@njit(cache=True)
def _normal(X: np.ndarray, w: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # pragma: no cover - compiled
    n, p = X.shape
    A = np.zeros((p, p))
    b = np.zeros(p)
    for i in range(n):
        wi = w[i]
        ri = r[i]
        for j in range(p):
            xij = X[i, j]
            if xij != 0.0:
                wx = wi * xij
                b[j] += wx * ri
                for k in range(j, p):
                    A[j, k] += wx * X[i, k]
    for j in range(p):
        for k in range(j):
            A[j, k] = A[k, j]
    return A, b


@njit(cache=True)
def _cholesky_solve(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
    # pragma: no cover - compiled
    """Solve ``A x = b`` for a symmetric positive definite ``A`` (the normal equations
    ``X'WX``) by Cholesky, in place of LAPACK's LU: half the work, and no copy to Fortran
    order, which is most of the cost for the small systems of the model search. ``False``
    when a pivot is not clearly positive (``A`` singular or nearly so): the caller then
    takes the LAPACK path as before."""
    p = A.shape[0]
    L = np.zeros((p, p))
    for j in range(p):
        s = A[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 1e-12 * abs(A[j, j]) or not np.isfinite(s):
            return b, False
        d = math.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, p):
            t = A[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / d
    z = np.empty(p)
    for i in range(p):
        t = b[i]
        for k in range(i):
            t -= L[i, k] * z[k]
        z[i] = t / L[i, i]
    x = np.empty(p)
    for i in range(p - 1, -1, -1):
        t = z[i]
        for k in range(i + 1, p):
            t -= L[k, i] * x[k]
        x[i] = t / L[i, i]
    return x, True


@njit(cache=True)
def _iterate(
    X: np.ndarray,
    y: np.ndarray,
    beta0: np.ndarray,
    warm: bool,
    maxit: int,
    rtol: float,
    robust: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, bool, int, bool]:
    # pragma: no cover - compiled
    """R's ``glm.fit`` loop for the Poisson family: ``(beta, mu, A, deviance, converged,
    iterations, ok)``, ``A`` the last step's ``X'WX``. ``robust`` (the model search) solves a
    singular step by least squares and halves a step whose deviance is not finite, as
    ``glm.fit`` does; otherwise (the stepwise search, which falls back to the linear program)
    such a fit stops with ``ok`` false."""
    p = X.shape[1]
    beta = np.zeros(p)
    if warm:
        eta = X @ beta0
        mu = np.maximum(np.exp(eta), _EPS)
        if robust:
            beta = beta0.copy()
    else:
        mu = y + 0.1
        eta = np.log(mu)
    dev_old = _deviance(y, mu)
    dev = dev_old
    converged = False
    A = np.eye(p)
    it = 0
    for it in range(1, maxit + 1):
        z = eta + (y - mu) / mu
        A, b = _normal(X, mu, z)
        new, positive = _cholesky_solve(A, b)
        if not positive:
            try:
                new = np.linalg.solve(A, b)
            except Exception:
                if not robust:
                    return beta, mu, A, np.nan, False, it, False
                new = np.linalg.lstsq(A, b)[0]
        eta = X @ new
        mu = np.maximum(np.exp(eta), _EPS)
        if not robust and not np.all(np.isfinite(mu)):
            return new, mu, A, np.nan, False, it, False
        dev = _deviance(y, mu)
        halvings = 0
        while robust and not np.isfinite(dev) and halvings < 30:
            new = (new + beta) / 2.0  # glm.fit: "step size truncated due to divergence"
            eta = X @ new
            mu = np.maximum(np.exp(eta), _EPS)
            dev = _deviance(y, mu)
            halvings += 1
        beta = new
        if abs(dev - dev_old) / (abs(dev) + 0.1) < rtol:
            converged = True
            break
        dev_old = dev
    return beta, mu, A, dev, converged, it, True


@njit(cache=True)
def _irls(
    X: np.ndarray, y: np.ndarray, beta0: np.ndarray, warm: bool, maxit: int, rtol: float
) -> tuple[np.ndarray, np.ndarray, float, float, bool, int, float, bool]:
    # pragma: no cover - compiled
    n, p = X.shape
    beta, mu, A, dev, converged, it, ok = _iterate(X, y, beta0, warm, maxit, rtol, False)
    if not ok:
        return beta, mu, np.nan, np.nan, False, it, -np.inf, False
    e0 = np.zeros(p)
    e0[0] = 1.0
    try:
        var0 = np.linalg.solve(A, e0)[0]
        A2, s = _normal(X, mu, y / mu - 1.0)
        delta = np.linalg.solve(A2, s)
    except Exception:
        return beta, mu, np.nan, dev, converged, it, -np.inf, False
    d_eta = X @ delta
    min_step = d_eta.min() if n > 0 else 0.0
    if not np.isfinite(min_step):
        min_step = -np.inf
    return beta, mu, var0, dev, converged, it, min_step, True


@njit(cache=True)
def fit_models(
    X: np.ndarray, Y: np.ndarray, masks: np.ndarray, maxit: int, rtol: float
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]:
    # pragma: no cover - compiled
    """Fit the models ``masks`` (B, P) picking columns of the full design ``X`` (k, P) on the
    counts ``Y`` (1 or B rows), one after the other with :func:`_iterate` (robust). Returns
    ``(coef, deviance, converged, iterations, var_intercept, bias, loglik_terms, mu)``;
    ``bias`` is Rcapture's asymptotic bias of ``N`` (``closedp.fitone``)."""
    k, P = X.shape
    B = masks.shape[0]
    coef = np.zeros((B, P))
    dev_out = np.empty(B)
    converged = np.zeros(B, dtype=np.bool_)
    iterations = np.zeros(B, dtype=np.int64)
    var0 = np.empty(B)
    bias = np.empty(B)
    loglik = np.empty(B)
    mu_out = np.empty((B, k))
    empty = np.zeros(0)
    for m in range(B):
        y = Y[m] if Y.shape[0] > 1 else Y[0]
        cols = np.flatnonzero(masks[m])
        p = cols.size
        Xm = np.empty((k, p))
        for i in range(k):
            for j in range(p):
                Xm[i, j] = X[i, cols[j]]
        beta, mu, A, dev, conv, it, _ok = _iterate(Xm, y, empty, False, maxit, rtol, True)
        try:
            V = np.linalg.inv(A)
        except Exception:
            V = np.linalg.pinv(A)
        # xi_c = -x_c' V x_c / 2, psi = -2 X' diag(mu) xi - e_0, bias = exp(b0) (-V psi)_0 / 2
        psi = np.zeros(p)
        ll = 0.0
        for i in range(k):
            q = 0.0
            for j in range(p):
                if Xm[i, j] != 0.0:
                    s = 0.0
                    for c in range(p):
                        s += V[j, c] * Xm[i, c]
                    q += Xm[i, j] * s
            for j in range(p):
                psi[j] += mu[i] * q * Xm[i, j]  # -2 * mu * (-q / 2) * x
            ll += y[i] * np.log(mu[i]) - mu[i] - math.lgamma(y[i] + 1.0)
        psi[0] -= 1.0
        v = 0.0
        for j in range(p):
            v -= V[0, j] * psi[j]
        bias[m] = 0.5 * np.exp(beta[0]) * v
        for j in range(p):
            coef[m, cols[j]] = beta[j]
        dev_out[m] = dev
        converged[m] = conv
        iterations[m] = it
        var0[m] = V[0, 0]
        loglik[m] = ll
        mu_out[m] = mu
    return coef, dev_out, converged, iterations, var0, bias, loglik, mu_out


def fit_poisson(
    X: np.ndarray,
    y: np.ndarray,
    beta0: np.ndarray | None = None,
    maxit: int = _MAXIT,
    rtol: float = _RTOL,
) -> PoissonFit:
    """Fit ``log E[y] = X beta`` by IRLS as R's ``glm(family = poisson)`` does.

    ``X`` is (n, p) with the intercept in column 0 (made C-contiguous float64 if it is not).
    ``beta0`` warm-starts the iteration (the answer is the same MLE when it exists).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)  # one compiled layout (no copy if so)
    y = np.ascontiguousarray(y, dtype=np.float64)
    warm = beta0 is not None
    start = np.ascontiguousarray(beta0 if warm else np.zeros(X.shape[1]), dtype=np.float64)
    beta, mu, var0, dev, conv, it, min_step, ok = _irls(X, y, start, warm, maxit, rtol)
    return PoissonFit(beta, mu, float(var0), float(dev), bool(conv), int(it), float(min_step), ok)
