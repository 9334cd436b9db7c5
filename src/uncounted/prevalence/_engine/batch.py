"""Batched Poisson log-linear fits on the capture-history table (R's ``glm.fit``, vectorised).

Log-linear models for multiple systems estimation are Poisson GLMs with log link on the
``2**L - 1`` observable cells: ``y_c ~ Poisson(mu_c)``, ``log mu_c = x_c' beta`` where ``x_c``
holds an intercept, one main effect per list and the chosen two-list interactions. The
unobserved cell has ``x = (1, 0, ..., 0)``, so its fitted count is ``exp(beta_0)``.

Every model of a search is a subset of the columns of one *full* design (intercept, all main
effects, all ``L(L-1)/2`` two-way terms). A boolean mask picks each model's columns; the
models are fitted one after the other in compiled code by the same IRLS loop as a single fit
(:mod:`uncounted.prevalence._engine.irls`), which is faster than solving them as one batch
of masked systems in NumPy (``benchmarks/bench_loglinear_search.py``).

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

from uncounted.prevalence._engine.irls import fit_models

__all__ = ["BatchFit", "concat_fits", "fit_batch", "full_design", "pair_index"]

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
        chunk: models per block (bounds the memory of the fitted means).
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


def _fit_block(X: np.ndarray, y: np.ndarray, masks: np.ndarray, keep_mu: bool) -> BatchFit:
    P = X.shape[1]
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(np.atleast_2d(np.asarray(y, dtype=np.float64)))
    masks = np.ascontiguousarray(masks, dtype=np.bool_)
    coef, dev, converged, iterations, var0, bias, loglik, mu = fit_models(
        X, Y, masks, MAXIT, EPSILON
    )
    rank = masks.sum(axis=1)
    B = masks.shape[0]
    return BatchFit(
        coef=coef,
        deviance=dev,
        aic=-2.0 * loglik + 2.0 * rank,
        rank=rank,
        converged=converged,
        iterations=iterations,
        var_intercept=var0,
        bias=bias,
        min_mu=mu.min(axis=1),
        max_abs_coef=np.abs(coef[:, 1:]).max(axis=1) if P > 1 else np.zeros(B),
        mu=mu if keep_mu else None,
    )
