"""The compiled batched solves of the log-linear search equal LAPACK's (numpy.linalg)."""

from __future__ import annotations

import numpy as np

from uncounted.prevalence._batch_linalg import (
    cholesky_inverse,
    cholesky_solve,
    irls_normal_solve,
    poisson_deviance,
)
from uncounted.prevalence._poisson import full_design
from uncounted.prevalence.histories import all_patterns


def _spd(rng: np.random.Generator, m: int, n: int) -> np.ndarray:
    G = rng.normal(size=(m, n, n))
    return np.asarray(G @ G.transpose(0, 2, 1) + n * np.eye(n))


def test_cholesky_solve_and_inverse_equal_lapack():
    rng = np.random.default_rng(1)
    A, b = _spd(rng, 50, 8), rng.normal(size=(50, 8))
    x, ok = cholesky_solve(A, b)
    assert ok.all()
    np.testing.assert_allclose(x, np.linalg.solve(A, b[..., None])[..., 0], rtol=1e-10)
    inv, ok = cholesky_inverse(A)
    assert ok.all()
    np.testing.assert_allclose(inv, np.linalg.inv(A), rtol=1e-9, atol=1e-12)
    A[3] = -np.eye(8)  # not positive definite: reported, not silently wrong
    assert not cholesky_solve(A, b)[1][3]


def test_irls_step_equals_the_masked_normal_equations():
    rng = np.random.default_rng(2)
    X = full_design(all_patterns(4))  # 15 cells, 1 + 4 + 6 columns
    k, P = X.shape
    masks = rng.random((20, P)) < 0.6
    masks[:, :5] = True  # intercept and main effects always in
    M = rng.uniform(0.5, 50.0, size=(20, k))
    Z = rng.normal(size=(20, k))
    XX = (X[:, :, None] * X[:, None, :]).reshape(k, P * P)
    col, cells = np.nonzero(XX.T)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(col, minlength=P * P))])
    got, ok = irls_normal_solve(M, Z, masks, indptr, cells)
    assert ok.all()
    for i in range(20):
        cols = np.flatnonzero(masks[i])
        Xi = X[:, cols]
        want = np.linalg.solve(Xi.T @ (M[i, :, None] * Xi), Xi.T @ (M[i] * Z[i]))
        np.testing.assert_allclose(got[i, cols], want, rtol=1e-9)
        assert np.all(got[i, ~masks[i]] == 0.0)


def test_poisson_deviance():
    y = np.array([[0.0, 3.0, 5.0]])
    mu = np.array([[0.5, 2.0, 6.0]])
    want = 2 * (0.5 + 3 * np.log(3 / 2) - 1 + 5 * np.log(5 / 6) + 1)
    np.testing.assert_allclose(poisson_deviance(y, mu), [want])
