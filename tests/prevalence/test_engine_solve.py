"""The IRLS step's Cholesky solve: LAPACK's answer on positive definite normal equations,
and a refusal (so that the caller takes LAPACK's path) on singular ones."""

from __future__ import annotations

import numpy as np

from uncounted.prevalence._engine.irls import _cholesky_solve


def test_cholesky_equals_lapack_on_normal_equations() -> None:
    rng = np.random.default_rng(3)
    for p in (1, 4, 22):
        X = rng.integers(0, 2, size=(63, p)).astype(float)
        X[:, 0] = 1.0
        w = rng.uniform(0.1, 50.0, size=63)
        A = X.T @ (w[:, None] * X) + 1e-9 * np.eye(p)
        b = rng.normal(size=p)
        x, positive = _cholesky_solve(A, b)
        assert positive
        assert np.allclose(x, np.linalg.solve(A, b), rtol=1e-9, atol=1e-12)


def test_a_singular_system_is_left_to_lapack() -> None:
    X = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])  # columns 2 = 3
    A = X.T @ X
    _, positive = _cholesky_solve(A, np.ones(3))
    assert not positive
