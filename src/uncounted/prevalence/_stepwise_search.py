"""The stepwise search of Chan, Silverman & Vincent (2021), on count vectors, made fast.

This is SparseMSE 2.0.1's ``stepwisefit`` (R) step for step:

1. Fit the main-effects Poisson log-linear model to all ``2**L - 1`` observable histories.
2. For every two-list term ``(i, j)`` not yet in the model, let ``n*`` be the number of
   people seen on both lists and ``mu*`` the fitted expected number (the sum of the current
   fitted values over the histories containing both lists). Its p-value is
   ``min(P(X <= n*), P(X >= n*))`` for ``X ~ Poisson(mu*)``.
3. A term whose model would have no MLE, or an unidentifiable one (see
   :mod:`uncounted.prevalence._engine`), gets p-value 1.
4. Add the term with the smallest p-value (the first in list-pair order on ties) if that
   p-value is below ``pthresh``; otherwise stop. A term whose lists share nobody enters as
   minus infinity: the histories holding both lists leave the table.

R checks every candidate with a linear program at every step. Here candidates are visited
in order of p-value and only until one is admissible (the same choice), and admissibility
is settled by the fit itself whenever it can be: the fit's final Newton step certifies that
a strictly positive vector with the observed sufficient statistics exists (see
:mod:`uncounted.prevalence._engine`), which proves existence; only when that certificate
fails is SparseMSE's linear program solved. Designs, ranks and linear-program verdicts
(which depend on the counts only through which histories were seen) are cached per search
object, so the bootstrap's thousands of searches share them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import pdtr, pdtrc

from uncounted.prevalence._engine import PoissonFit, fit_poisson, full_rank, list_pairs, mle_exists
from uncounted.prevalence.histories import all_patterns

__all__ = ["SearchResult", "Step", "StepwiseSearch", "poisson_pvalues"]

_CERTIFY = -0.5  # min Newton step in eta above this proves existence (x = mu (1 + d_eta) > 0)


def poisson_pvalues(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``min(P(X <= n), P(X >= n))`` for ``X ~ Poisson(expected)`` (R: ``ppois`` twice)."""
    n = np.asarray(observed, dtype=np.float64)
    m = np.asarray(expected, dtype=np.float64)
    lower = pdtr(n, m)
    upper = np.where(n > 0, pdtrc(np.maximum(n - 1.0, 0.0), m), 1.0)
    return np.asarray(np.minimum(lower, upper), dtype=np.float64)


@dataclass(frozen=True)
class Step:
    """One considered addition: the term (pair index), counts, p-value, and the result."""

    pair: int
    observed: int
    expected: float
    p_value: float
    added: bool
    population: float  # after adding (nan when not added)


@dataclass
class SearchResult:
    """Outcome of one stepwise search."""

    terms: list[int]  # pair indices, in the order added
    empty: list[int]  # the added pairs whose lists share nobody
    observed: int
    log_dark: float  # intercept = log of the expected number on no list
    var_log_dark: float
    converged: bool
    steps: list[Step] = field(default_factory=list)

    @property
    def population(self) -> float:
        """Observed + exp(intercept)."""
        return float(self.observed + np.exp(self.log_dark))


@dataclass
class _Design:
    X: np.ndarray
    kept: np.ndarray  # indices of kept histories
    cols: np.ndarray  # indices into the full column set (1 + L + n_pairs)
    full_rank: bool


@dataclass
class _Model:
    pos: int  # bitmask of overlapping pairs in the model
    empty: int  # bitmask of empty pairs in the model
    design: _Design
    fit: PoissonFit


class StepwiseSearch:
    """Runs the stepwise search for tables over ``n_lists`` lists (complete count vectors).

    Count vectors are over :func:`~uncounted.prevalence.histories.all_patterns` order.
    """

    def __init__(self, n_lists: int, pthresh: float = 0.02) -> None:
        self.n_lists = n_lists
        self.pthresh = float(pthresh)
        self.patterns = all_patterns(n_lists).astype(np.float64)
        self.pairs = list_pairs(n_lists)
        self.n_pairs = len(self.pairs)
        self.Q = (
            np.column_stack([self.patterns[:, i] * self.patterns[:, j] for i, j in self.pairs])
            if self.pairs
            else np.zeros((self.patterns.shape[0], 0))
        )
        self.X_full = np.ascontiguousarray(
            np.column_stack([np.ones(self.patterns.shape[0]), self.patterns, self.Q])
        )
        self._designs: dict[tuple[int, int], _Design] = {}
        self._kept: dict[int, np.ndarray] = {}
        self._lp: dict[tuple[bytes, int, int], bool] = {}
        self.n_lp = 0  # linear programs actually solved (for tests and benchmarks)
        self.n_certified = 0  # existence settled by the fit's certificate

    # ----------------------------------------------------------------- caches
    def _kept_rows(self, empty: int) -> np.ndarray:
        kept = self._kept.get(empty)
        if kept is None:
            mask = np.ones(self.patterns.shape[0], dtype=bool)
            for p in range(self.n_pairs):
                if empty >> p & 1:
                    mask &= self.Q[:, p] == 0
            kept = np.flatnonzero(mask)
            self._kept[empty] = kept
        return kept

    def _design(self, pos: int, empty: int) -> _Design:
        key = (pos, empty)
        d = self._designs.get(key)
        if d is None:
            kept = self._kept_rows(empty)
            L = self.n_lists
            cols = np.array(
                [*range(1 + L), *(1 + L + p for p in range(self.n_pairs) if pos >> p & 1)],
                dtype=np.int64,
            )
            X = np.ascontiguousarray(self.X_full[np.ix_(kept, cols)])
            d = _Design(X, kept, cols, full_rank(X))
            self._designs[key] = d
        return d

    def _exists_lp(self, y: np.ndarray, pos: int, empty: int, design: _Design) -> bool:
        key = ((y > 0).tobytes(), pos, empty)
        verdict = self._lp.get(key)
        if verdict is None:
            self.n_lp += 1
            verdict = mle_exists(design.X, y[design.kept])
            self._lp[key] = verdict
        return verdict

    # ----------------------------------------------------------------- fitting
    def _fit(self, y: np.ndarray, pos: int, empty: int, warm: np.ndarray | None) -> _Model:
        d = self._design(pos, empty)
        yk = y[d.kept]
        beta0 = None if warm is None else warm[d.cols]
        fit = fit_poisson(d.X, yk, beta0)
        if beta0 is not None and not (fit.ok and fit.converged):
            fit = fit_poisson(d.X, yk)  # R's own start
        return _Model(pos, empty, d, fit)

    def _admissible(self, y: np.ndarray, model: _Model) -> bool:
        if not model.design.full_rank:
            return False
        f = model.fit
        if f.ok and f.converged and f.min_step > _CERTIFY:
            self.n_certified += 1
            return True
        return self._exists_lp(y, model.pos, model.empty, model.design)

    def _full_beta(self, model: _Model) -> np.ndarray:
        beta = np.zeros(self.X_full.shape[1])
        beta[model.design.cols] = model.fit.beta
        return beta

    def _population(self, y: np.ndarray, model: _Model) -> float:
        return float(y.sum() + np.exp(model.fit.beta[0]))

    # ----------------------------------------------------------------- search
    def run(self, counts: np.ndarray, record: bool = False) -> SearchResult:
        """The stepwise search on one complete count vector."""
        y = np.asarray(counts, dtype=np.float64)
        nstar = y @ self.Q
        full_mask = (1 << self.n_pairs) - 1
        model = self._fit(y, 0, 0, None)
        steps: list[Step] = []
        included = 0
        if self.pthresh == 1.0:
            pos = sum(1 << p for p in range(self.n_pairs) if nstar[p] > 0)
            full = self._fit(y, pos, full_mask & ~pos, None)
            if full.design.full_rank and self._exists_lp(y, full.pos, full.empty, full.design):
                return self._result(y, full, list(range(self.n_pairs)), steps)
        order_added: list[int] = []
        if self.pthresh > 0.0:
            while included != full_mask:
                d = model.design
                mu = model.fit.mu
                pstar = mu @ self.Q[d.kept]
                pval = poisson_pvalues(nstar, pstar)
                cand = [p for p in range(self.n_pairs) if not included >> p & 1]
                cand.sort(key=lambda p: (pval[p], p))
                warm = self._full_beta(model)
                chosen: _Model | None = None
                for p in cand:
                    if pval[p] >= self.pthresh:
                        break
                    bit = 1 << p
                    if nstar[p] > 0:
                        trial = self._fit(y, model.pos | bit, model.empty, warm)
                    else:
                        trial = self._fit(y, model.pos, model.empty | bit, warm)
                    if self._admissible(y, trial):
                        chosen = trial
                        included |= bit
                        order_added.append(p)
                        if record:
                            steps.append(
                                Step(
                                    p,
                                    int(nstar[p]),
                                    float(pstar[p]),
                                    float(pval[p]),
                                    True,
                                    self._population(y, trial),
                                )
                            )
                        break
                if chosen is None:
                    if record:
                        steps.extend(self._stopping_step(y, model, cand, nstar, pstar, pval))
                    break
                model = chosen
        return self._result(y, model, order_added, steps)

    def _stopping_step(
        self,
        y: np.ndarray,
        model: _Model,
        cand: list[int],
        nstar: np.ndarray,
        pstar: np.ndarray,
        pval: np.ndarray,
    ) -> list[Step]:
        """The best admissible candidate that was not added (for the record only)."""
        warm = self._full_beta(model)
        for p in cand:
            bit = 1 << p
            if nstar[p] > 0:
                trial = self._fit(y, model.pos | bit, model.empty, warm)
            else:
                trial = self._fit(y, model.pos, model.empty | bit, warm)
            if self._admissible(y, trial):
                return [Step(p, int(nstar[p]), float(pstar[p]), float(pval[p]), False, np.nan)]
        return []

    def _result(
        self, y: np.ndarray, model: _Model, order: list[int], steps: list[Step]
    ) -> SearchResult:
        return SearchResult(
            terms=order,
            empty=[p for p in order if model.empty >> p & 1],
            observed=int(y.sum()),
            log_dark=float(model.fit.beta[0]),
            var_log_dark=float(model.fit.var_intercept),
            converged=bool(model.fit.converged),
            steps=steps,
        )

    def main_effects_ok(self, counts: np.ndarray) -> bool:
        """Whether the main-effects model has an MLE (certificate, else the LP)."""
        y = np.asarray(counts, dtype=np.float64)
        return self._admissible(y, self._fit(y, 0, 0, None))

    def population(self, counts: np.ndarray) -> float:
        """Point estimate (observed + exp(intercept)) of the stepwise model for ``counts``."""
        return self.run(counts).population

    def populations(self, samples: np.ndarray) -> np.ndarray:
        """Point estimates for each row of ``samples`` (complete count vectors)."""
        return np.array([self.run(row).population for row in samples], dtype=np.float64)
