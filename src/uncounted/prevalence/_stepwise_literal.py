"""SparseMSE 2.0.1's ``stepwisefit`` transcribed literally (R source, routines.R).

Every candidate is checked with the linear program at every cycle and every model is fitted
from R's starting values. It is slow on purpose: it is the oracle the fast search in
``_stepwise_search`` is tested against (tests/reference/test_sparsemse.py) and the same-run
baseline of ``benchmarks/bench_stepwise_bootstrap.py``. Not used by the estimators.
"""

from __future__ import annotations

import numpy as np

from uncounted.prevalence._engine import check_model, design_matrix, fit_poisson, list_pairs
from uncounted.prevalence._stepwise_search import poisson_pvalues


def stepwise_literal(
    patterns: np.ndarray, counts: np.ndarray, pthresh: float = 0.02
) -> tuple[list[int], float]:
    """SparseMSE 2.0.1 ``stepwisefit`` transcribed literally (R source, routines.R).

    Every candidate is checked with the linear program at every cycle and every model is
    fitted from R's starting values; the fast search must make the same choices.
    """
    pairs = list_pairs(patterns.shape[1])
    y = counts.astype(np.float64)
    nstar = np.array([float(np.sum(y * patterns[:, i] * patterns[:, j])) for i, j in pairs])

    def fit(model: list[int]) -> tuple[np.ndarray, np.ndarray, float]:
        X, kept, _, _ = design_matrix(patterns, counts, [pairs[p] for p in model])
        f = fit_poisson(np.ascontiguousarray(X), y[kept])
        return f.mu, kept, float(f.beta[0])

    model: list[int] = []
    mu, kept, b0 = fit(model)
    for _ in range(len(pairs)):
        pval = np.ones(len(pairs))
        for j, (i1, i2) in enumerate(pairs):
            if j in model:
                continue
            pstar = float(np.sum(mu * patterns[kept, i1] * patterns[kept, i2]))
            pval[j] = poisson_pvalues(nstar[j : j + 1], np.array([pstar]))[0]
            trial = [pairs[p] for p in [*model, j]]
            if check_model(patterns, counts, trial).error_code > 0:
                pval[j] = 1.0
        if pval.min() >= pthresh:
            break
        model.append(int(np.flatnonzero(pval == pval.min())[0]))
        mu, kept, b0 = fit(model)
    return model, float(y.sum() + np.exp(b0))


__all__ = ["stepwise_literal"]
