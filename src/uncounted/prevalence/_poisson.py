"""Batched Poisson log-linear fits on the capture-history table (R's ``glm.fit``, vectorised).

Log-linear models for multiple systems estimation are Poisson GLMs with log link on the
``2**L - 1`` observable cells: ``y_c ~ Poisson(mu_c)``, ``log mu_c = x_c' beta`` where ``x_c``
holds an intercept, one main effect per list and the chosen two-list interactions. The
unobserved cell has ``x = (1, 0, ..., 0)``, so its fitted count is ``exp(beta_0)``.

Every model of a search is a subset of the columns of one *full* design (intercept, all main
effects, all ``L(L-1)/2`` two-way terms). Models are fitted together: a boolean mask picks
each model's columns, the weighted normal equations ``X'WX`` of all models come from one
matrix product ``W @ (x_c x_c')`` over cells, and the masked-out rows/columns are replaced
by the identity so that every system is solvable with one batched ``numpy.linalg.solve``.

The iteration is R's ``glm.fit`` for ``family = poisson`` (R Core Team, ``stats``): start
from ``mu = y + 0.1``; working response ``z = eta + (y - mu) / mu``, weights ``mu``; fitted
means ``max(exp(eta), DBL_EPSILON)``; stop when ``|dev - dev_old| / (|dev| + 0.1) < 1e-8``
or after 25 iterations; step halving when the deviance is not finite. ``AIC`` is R's
``-2 * sum(dpois(y, mu, log = TRUE)) + 2 * rank``. The asymptotic bias of ``N`` is
Rcapture's ``closedp.fitone`` formula (Rivest & Lévesque 2001, used for the ``infoFit``
warning "the asymptotic bias is large").
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from scipy.special import gammaln

__all__ = ["BatchFit", "concat_fits", "fit_batch", "full_design", "pair_index"]

_EPS = float(np.finfo(float).eps)
#: From this many models in a block, the compiled kernels (numba) do the IRLS steps; below
#: it NumPy/LAPACK is as fast and a command spares numba's start-up (about 0.45 CPU-s).
JIT_MIN_MODELS = 4096
MAXIT = 25
EPSILON = 1e-8


def pair_index(n_lists: int) -> list[tuple[int, int]]:
    """The two-way terms ``(i, j)``, ``i < j``, in the column order of :func:`full_design`."""
    return list(combinations(range(n_lists), 2))


def full_design(patterns: np.ndarray) -> np.ndarray:
    """Columns: intercept, the ``L`` main effects, then every two-way product (pair order)."""
    pats = patterns.astype(np.float64)
    cols = [np.ones(pats.shape[0]), *pats.T]
    cols += [pats[:, i] * pats[:, j] for i, j in pair_index(pats.shape[1])]
    return np.column_stack(cols)


@dataclass(frozen=True)
class BatchFit:
    """Fits of ``B`` models (arrays have the models on the first axis)."""

    coef: np.ndarray  # (B, P), zero where masked out
    deviance: np.ndarray  # (B,)
    aic: np.ndarray  # (B,)
    rank: np.ndarray  # (B,) number of parameters
    converged: np.ndarray  # (B,) bool
    iterations: np.ndarray  # (B,)
    var_intercept: np.ndarray  # (B,) [(X'WX)^-1]_00 at the last iteration's weights
    bias: np.ndarray  # (B,) Rcapture's asymptotic bias of N
    min_mu: np.ndarray  # (B,) smallest fitted value over cells
    max_abs_coef: np.ndarray  # (B,) largest |beta_j|, j >= 1
    mu: np.ndarray | None = None  # (B, k) only when asked for


def _deviance(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    if y.ndim == 2 and mu.ndim == 2 and y.shape == mu.shape and y.shape[0] >= JIT_MIN_MODELS:
        from uncounted.prevalence._batch_linalg import poisson_deviance

        return np.asarray(
            poisson_deviance(
                np.ascontiguousarray(y, dtype=np.float64), np.ascontiguousarray(mu, np.float64)
            )
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return np.asarray(2.0 * np.sum(term - (y - mu), axis=-1))


def _lapack_solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(np.linalg.solve(A, b[..., None])[..., 0])
    except np.linalg.LinAlgError:
        out = np.empty_like(b)
        for i in range(A.shape[0]):
            out[i] = np.linalg.lstsq(A[i], b[i], rcond=None)[0]
        return out


def _lapack_inverse(A: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(np.linalg.inv(A))
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(A))


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve every system: compiled Cholesky for large batches (the systems are positive
    definite), LAPACK for small ones and for the few that are not numerically so."""
    if A.shape[0] < JIT_MIN_MODELS:
        return _lapack_solve(A, b)
    from uncounted.prevalence._batch_linalg import cholesky_solve

    x, ok = cholesky_solve(np.ascontiguousarray(A), np.ascontiguousarray(b))
    if not ok.all():
        bad = ~ok
        x[bad] = _lapack_solve(A[bad], b[bad])
    return np.asarray(x)


def _inverse(A: np.ndarray) -> np.ndarray:
    if A.shape[0] < JIT_MIN_MODELS:
        return _lapack_inverse(A)
    from uncounted.prevalence._batch_linalg import cholesky_inverse

    inv, ok = cholesky_inverse(np.ascontiguousarray(A))
    if not ok.all():
        bad = ~ok
        inv[bad] = _lapack_inverse(A[bad])
    return np.asarray(inv)


def fit_batch(
    X: np.ndarray,
    y: np.ndarray,
    masks: np.ndarray,
    *,
    keep_mu: bool = False,
    chunk: int = 4096,
) -> BatchFit:
    """Fit ``B`` Poisson log-linear models sharing the full design ``X`` (k cells, P columns).

    Args:
        X: ``(k, P)`` full design (column 0 is the intercept).
        y: ``(k,)`` counts shared by all models, or ``(B, k)`` one count vector per model.
        masks: ``(B, P)`` bool, the columns each model uses (column 0 must be on).
        keep_mu: also return the fitted means.
        chunk: models solved per block (bounds memory at about ``chunk * P * P`` floats).
    """
    masks = np.asarray(masks, dtype=bool)
    B = masks.shape[0]
    parts = [
        _fit_block(X, y if y.ndim == 1 else y[s : s + chunk], masks[s : s + chunk], keep_mu)
        for s in range(0, B, chunk)
    ]
    return concat_fits(parts)


def concat_fits(parts: list[BatchFit]) -> BatchFit:
    """Stack the fits of several batches (in order)."""
    if len(parts) == 1:
        return parts[0]
    fields: dict[str, Any] = {}
    for name in BatchFit.__dataclass_fields__:
        values = [getattr(p, name) for p in parts]
        fields[name] = None if values[0] is None else np.concatenate(values)
    return BatchFit(**fields)


_UNIQUE_MAX_CELLS = 4095  # up to 12 lists
_PRODUCTS: dict[tuple[tuple[int, ...], bytes], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _products(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell-wise outer products ``x_c x_c'`` (flattened), their distinct columns and the map.

    The products of 0/1 columns take few distinct values (one per union of the terms'
    lists): ``W @ distinct`` then a gather is several times less work than ``W @ XX``.
    Cached per design, since searches and profile intervals reuse one design many times.
    """
    key = (X.shape, X.tobytes())
    hit = _PRODUCTS.get(key)
    if hit is None:
        k, P = X.shape
        XX = (X[:, :, None] * X[:, None, :]).reshape(k, P * P)
        if k > _UNIQUE_MAX_CELLS:  # sorting P*P columns of 2**L cells costs more than it saves
            distinct, gather = XX, np.arange(P * P)
        else:
            distinct, gather = np.unique(XX, axis=1, return_inverse=True)
        hit = (XX, np.ascontiguousarray(distinct), gather.reshape(-1))
        if len(_PRODUCTS) >= 16:
            _PRODUCTS.pop(next(iter(_PRODUCTS)))
        _PRODUCTS[key] = hit
    return hit


def _fit_block(X: np.ndarray, y: np.ndarray, masks: np.ndarray, keep_mu: bool) -> BatchFit:
    k, P = X.shape
    B = masks.shape[0]
    Y = np.broadcast_to(np.asarray(y, dtype=np.float64), (B, k))
    XX, distinct, gather = _products(X)
    # float, not bool: multiplying by a bool array casts it on every iteration (6x slower)
    pair_mask = (masks[:, :, None] & masks[:, None, :]).reshape(B, P * P).astype(np.float64)
    off_eye = (~masks).astype(np.float64)
    diag = np.arange(P) * (P + 1)
    lgam = gammaln(Y + 1.0)
    # the cells where each pair of (0/1) columns is 1, column by column of X'X flattened; the
    # compiled kernel needs a 0/1 design (log-linear models), heterogeneity terms (numbers of
    # captures, their squares) take the LAPACK path
    col, cells = np.nonzero(XX.T)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(col, minlength=P * P))])
    binary = bool(np.all((XX == 0) | (XX == 1)))

    # Outputs over all models, and a working set of the models still iterating (compacted
    # as models converge, so late iterations only touch the slow, boundary fits).
    mu_out = np.empty((B, k))
    coef = np.zeros((B, P))
    dev_out = np.empty(B)
    converged = np.zeros(B, dtype=bool)
    iterations = np.zeros(B, dtype=np.int64)
    W_last = np.empty((B, k))  # the weights of each model's last normal equations

    ids = np.arange(B)
    y_a = np.array(Y)
    m_a = y_a + 0.1
    eta_a = np.log(m_a)
    coef_a = np.zeros((B, P))
    dev_old = _deviance(y_a, m_a)
    pm_a, off_a, mk_a, mb_a = pair_mask, off_eye, masks.astype(np.float64), masks
    jit = B >= JIT_MIN_MODELS and binary
    if jit:
        from uncounted.prevalence._batch_linalg import irls_normal_solve
    for it in range(MAXIT):
        z = eta_a + (y_a - m_a) / m_a
        if jit and ids.size >= 64:
            new, ok = irls_normal_solve(m_a, z, mb_a, indptr, cells)
        else:
            new, ok = np.empty((ids.size, P)), np.zeros(ids.size, dtype=bool)
        if not ok.all():  # small batches, or not numerically positive definite: LAPACK
            bad = ~ok
            A = (m_a[bad] @ distinct)[:, gather] * pm_a[bad]
            A[:, diag] += off_a[bad]
            rhs = ((m_a[bad] * z[bad]) @ X) * mk_a[bad]
            new[bad] = _solve(A.reshape(-1, P, P), rhs)
        w_used = m_a
        eta_new = new @ X.T
        with np.errstate(over="ignore"):
            mu_new = np.maximum(np.exp(eta_new), _EPS)
        dev = _deviance(y_a, mu_new)
        bad = ~np.isfinite(dev)
        halvings = 0
        while bad.any() and halvings < 30:  # glm.fit: "step size truncated due to divergence"
            new[bad] = (new[bad] + coef_a[bad]) / 2.0
            eta_new[bad] = new[bad] @ X.T
            with np.errstate(over="ignore"):
                mu_new[bad] = np.maximum(np.exp(eta_new[bad]), _EPS)
            dev[bad] = _deviance(y_a[bad], mu_new[bad])
            bad = ~np.isfinite(dev)
            halvings += 1
        coef_a, eta_a, m_a = new, eta_new, mu_new
        done = np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < EPSILON
        dev_old = dev
        last = it == MAXIT - 1
        out = done | last if last else done
        if out.any():
            gid = ids[out]
            coef[gid], mu_out[gid], dev_out[gid] = coef_a[out], m_a[out], dev[out]
            W_last[gid] = w_used[out]
            iterations[gid] = it + 1
            converged[gid] = done[out]
            keep = ~out
            if not keep.any():
                break
            ids, y_a, m_a, eta_a, coef_a, dev_old = (
                ids[keep],
                y_a[keep],
                m_a[keep],
                eta_a[keep],
                coef_a[keep],
                dev_old[keep],
            )
            pm_a, off_a, mk_a, mb_a = pm_a[keep], off_a[keep], mk_a[keep], mb_a[keep]
    mu = mu_out
    A_last = (W_last @ distinct)[:, gather] * pair_mask
    A_last[:, diag] += off_eye
    A_last = A_last.reshape(B, P, P)
    # Masked-out rows/columns of A are the identity: zero them in the inverse.
    Ainv0 = _inverse(A_last).reshape(B, P * P) * pair_mask
    var0 = Ainv0[:, 0].copy()
    # Rcapture's asymptotic bias of N (closedp.fitone): xi_c = -x_c' V x_c / 2,
    # psi = -2 X' diag(mu) xi - e_0, bias = exp(b0) * (-V psi)_0 / 2.
    quad = Ainv0 @ XX.T  # (B, k): x_c' V x_c
    xi = -0.5 * quad
    psi = -2.0 * ((mu * xi) @ X) * masks
    psi[:, 0] -= 1.0
    V = Ainv0.reshape(B, P, P)
    vec0 = -np.einsum("bj,bj->b", V[:, 0, :], psi)
    with np.errstate(over="ignore"):
        bias = 0.5 * np.exp(coef[:, 0]) * vec0
    rank = masks.sum(axis=1)
    with np.errstate(divide="ignore"):
        loglik = np.sum(Y * np.log(mu) - mu - lgam, axis=1)
    aic = -2.0 * loglik + 2.0 * rank
    return BatchFit(
        coef=coef,
        deviance=dev_out,
        aic=aic,
        rank=rank,
        converged=converged,
        iterations=iterations,
        var_intercept=var0,
        bias=bias,
        min_mu=mu.min(axis=1),
        max_abs_coef=np.abs(coef[:, 1:]).max(axis=1) if P > 1 else np.zeros(B),
        mu=mu.copy() if keep_mu else None,
    )
