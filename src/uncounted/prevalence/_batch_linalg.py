"""Batched Cholesky solves and inverses of small symmetric positive-definite systems (numba).

The log-linear search solves one ``P x P`` weighted normal-equation system ``X'WX b = X'Wz``
per model and iteration (``P = 22`` for 6 lists, 32 768 models). ``numpy.linalg.solve`` calls
LAPACK's LU once per matrix, and for matrices this small its per-call overhead dominates; a
compiled Cholesky loop does the same work in a fraction of the time. ``X'WX`` is symmetric
positive definite whenever the model's design has full rank and every weight is positive,
which IRLS guarantees (``mu >= DBL_EPSILON``); a system whose Cholesky pivot is not
positive is reported in ``ok`` and left to the caller's LAPACK fallback.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["cholesky_inverse", "cholesky_solve"]


@njit(cache=True)
def _factor(a: np.ndarray, L: np.ndarray) -> bool:  # pragma: no cover - compiled
    n = a.shape[0]
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 0.0:
            return False
        d = np.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, n):
            t = a[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / d
    return True


@njit(cache=True)
def _substitute(L: np.ndarray, b: np.ndarray, x: np.ndarray) -> None:  # pragma: no cover
    n = L.shape[0]
    for i in range(n):  # L y = b
        t = b[i]
        for k in range(i):
            t -= L[i, k] * x[k]
        x[i] = t / L[i, i]
    for i in range(n - 1, -1, -1):  # L' x = y
        t = x[i]
        for k in range(i + 1, n):
            t -= L[k, i] * x[k]
        x[i] = t / L[i, i]


@njit(cache=True)
def cholesky_solve(
    A: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Solve ``A[i] x[i] = b[i]`` for every ``i``; ``ok[i]`` is False where ``A[i]`` is not
    numerically positive definite (``x[i]`` is then undefined)."""
    m, n = b.shape
    x = np.zeros((m, n))
    ok = np.zeros(m, dtype=np.bool_)
    L = np.zeros((n, n))
    for i in range(m):
        if _factor(A[i], L):
            _substitute(L, b[i], x[i])
            ok[i] = True
    return x, ok


@njit(cache=True)
def cholesky_inverse(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """The inverse of every ``A[i]``; ``ok[i]`` as in :func:`cholesky_solve`."""
    m, n, _ = A.shape
    out = np.zeros((m, n, n))
    ok = np.zeros(m, dtype=np.bool_)
    L = np.zeros((n, n))
    S = np.zeros((n, n))
    e = np.zeros(n)
    col = np.zeros(n)
    active = np.empty(n, dtype=np.int64)
    for i in range(m):
        # rows that are exactly the identity's (masked-out terms) stay the identity: invert
        # only the block of the other rows
        p = 0
        for r in range(n):
            unit = A[i, r, r] == 1.0
            if unit:
                for q in range(n):
                    if q != r and (A[i, r, q] != 0.0 or A[i, q, r] != 0.0):
                        unit = False
                        break
            if unit:
                out[i, r, r] = 1.0
            else:
                active[p] = r
                p += 1
        for a in range(p):
            for b in range(p):
                S[a, b] = A[i, active[a], active[b]]
        if not _factor(S[:p, :p], L[:p, :p]):
            continue
        for j in range(p):
            e[:p] = 0.0
            e[j] = 1.0
            _substitute(L[:p, :p], e[:p], col[:p])
            for a in range(p):
                out[i, active[a], active[j]] = col[a]
        ok[i] = True
    return out, ok


@njit(cache=True)
def irls_normal_solve(
    M: np.ndarray,
    Z: np.ndarray,
    mask: np.ndarray,
    indptr: np.ndarray,
    cells: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """One IRLS step of many Poisson log-linear models in one pass.

    For model ``i`` with weights ``M[i]`` (fitted means), working response ``Z[i]`` and
    columns ``mask[i]`` of a 0/1 full design ``X`` (``P`` columns): solve
    ``X'WX b = X'W z`` on its columns (identity rows elsewhere). Since ``X`` is 0/1,
    ``(X'WX)[r, q]`` is the sum of the weights of the cells where columns ``r`` and ``q``
    are both 1: ``cells[indptr[r * P + q]:indptr[r * P + q + 1]]`` lists them (and, with
    ``q = 0``, the intercept, the cells of column ``r`` for ``X'Wz``). Returns ``b`` and
    ``ok`` as :func:`cholesky_solve`.
    """
    n, k = M.shape
    P = mask.shape[1]
    out = np.zeros((n, P))
    ok = np.zeros(n, dtype=np.bool_)
    A = np.empty((P, P))
    L = np.zeros((P, P))
    b = np.empty(P)
    x = np.empty(P)
    mz = np.empty(k)
    active = np.empty(P, dtype=np.int64)
    for i in range(n):
        p = 0  # the model's own columns: solve the p x p system only
        for r in range(P):
            if mask[i, r]:
                active[p] = r
                p += 1
        for c in range(k):
            mz[c] = M[i, c] * Z[i, c]
        for a in range(p):
            r = active[a]
            for e in range(a + 1):
                j = r * P + active[e]
                s = 0.0
                for t in range(indptr[j], indptr[j + 1]):
                    s += M[i, cells[t]]
                A[a, e] = s
                A[e, a] = s
            j = r * P
            s = 0.0
            for t in range(indptr[j], indptr[j + 1]):
                s += mz[cells[t]]
            b[a] = s
        if _factor(A[:p, :p], L[:p, :p]):
            _substitute(L[:p, :p], b[:p], x[:p])
            for a in range(p):
                out[i, active[a]] = x[a]
            ok[i] = True
    return out, ok


@njit(cache=True)
def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Row-wise Poisson deviance ``2 * sum(y log(y / mu) - (y - mu))`` (``0 log 0 = 0``)."""
    n, k = y.shape
    out = np.empty(n)
    for i in range(n):
        dev = 0.0
        for c in range(k):
            yc, mc = y[i, c], mu[i, c]
            if yc > 0.0:
                dev += yc * np.log(yc / mc) - (yc - mc)
            else:
                dev += mc
        out[i] = 2.0 * dev
    return out
