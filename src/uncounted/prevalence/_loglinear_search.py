"""Model search over log-linear models with all main effects and any two-way terms.

Rcapture's ``closedpMS.t(X, dfreq = TRUE, maxorder = 2)`` (Baillargeon & Rivest 2007) fits
every such model — ``2**(L(L-1)/2)`` of them: 64 for 4 lists, 1 024 for 5, 32 768 for 6 —
and ranks them by

    AIC = -2 log L(Poisson fit) + 2 p          (R's glm AIC)
    BIC = AIC + (log n - 2) p                  (n = number of people observed)

with ``p`` the number of parameters including the intercept. We fit all of them at once
(:mod:`uncounted.prevalence._engine`) up to ``max_exhaustive`` lists (default 6). Beyond,
the number of models explodes (2**28 for 8 lists) and we run a **greedy stepwise search**
instead: start from main effects only; at each step fit every model that adds or drops
one two-way term and move to the best by the criterion; stop when nothing improves. It
finds a local optimum, not necessarily the global one.

Doubtful fits are flagged, after Rcapture's ``infoFit``: ``not-converged`` (glm's 25
iterations were not enough), ``fitted-zero`` (a fitted cell fell below 10 DBL_EPSILON —
R's warning "fitted rates numerically 0 occurred": a parameter runs to minus infinity),
``large-bias`` (Rcapture's asymptotic bias of N exceeds 10 % of N) and ``boundary`` (a
log-linear parameter beyond ±12, i.e. heading to ±infinity). Fits flagged ``not-converged``
or ``fitted-zero`` are ranked after all others and are never chosen. Fits flagged
``large-bias`` (Rcapture's ``infoFit`` 1) are ranked after every eligible fit without it, so
one is chosen only when every eligible fit has a large bias (and the estimator then warns):
a fit whose own asymptotic bias exceeds 10 % of its estimate is not a model to report.
``boundary`` is a caveat only. This is "the best model by the criterion among the fits
Rcapture reports without a warning"; it gives Rcapture's published choice on all twenty
reference choices (``tests/reference/test_rcapture.py``), six of which are ``boundary``
fits and none ``large-bias``, and Rcapture 1.4-4's first ``infoFit`` 0 fit on NewOrl_5,
NewOrl_5_MSE120, Western and Australia too. Rcapture itself ranks every fit, flagged or not:
on Ned_5 its three best AIC fits have fitted zeros (``infoFit`` 3), on NewOrl_5 its best AIC
fit has a large bias (N = 2 750, ``infoFit`` 1; the rule takes N = 1 066).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from uncounted.prevalence._engine import BatchFit, concat_fits, fit_batch

__all__ = ["SearchResult", "search_models"]

_FITTED_ZERO = 10.0 * float(np.finfo(float).eps)
_BOUNDARY = 12.0
_BIAS = 0.1
# The exhaustive search does not depend on the criterion: keep the last few, so that an AIC
# and a BIC choice on the same table cost one search.
_CACHE: dict[tuple[bytes, bytes, tuple[int, ...]], SearchResult] = {}
_CACHE_SIZE = 4


@dataclass(frozen=True)
class SearchResult:
    """Every model fitted by a search, in the order they were fitted."""

    masks: np.ndarray  # (M, C) bool: which two-way terms each model has
    fit: BatchFit
    n_observed: int
    method: str  # "exhaustive" or "greedy"

    @property
    def estimate(self) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.asarray(self.n_observed + np.exp(self.fit.coef[:, 0]))

    @property
    def aic(self) -> np.ndarray:
        return self.fit.aic

    @property
    def bic(self) -> np.ndarray:
        return np.asarray(self.fit.aic + (np.log(self.n_observed) - 2.0) * self.fit.rank)

    def criterion(self, name: str) -> np.ndarray:
        return self.aic if name == "aic" else self.bic

    @property
    def eligible(self) -> np.ndarray:
        return np.asarray(self.fit.converged & (self.fit.min_mu >= _FITTED_ZERO))

    @property
    def large_bias(self) -> np.ndarray:
        """Rcapture's warning "the asymptotic bias is large": |bias| > 10 % of N."""
        with np.errstate(invalid="ignore"):
            return np.asarray(np.abs(self.fit.bias) > _BIAS * self.estimate)

    def order(self, criterion: str) -> np.ndarray:
        """Model indices, best first: eligible fits without a large asymptotic bias by the
        criterion, then eligible fits with one, then the others."""
        value = self.criterion(criterion)
        return np.lexsort((value, self.large_bias, ~self.eligible))

    def flags(self) -> list[str]:
        f = self.fit
        est = self.estimate
        cols = [
            (~f.converged, "not-converged"),
            (f.min_mu < _FITTED_ZERO, "fitted-zero"),
            (np.abs(f.bias) > _BIAS * est, "large-bias"),
            (f.max_abs_coef > _BOUNDARY, "boundary"),
        ]
        out = []
        for i in range(self.masks.shape[0]):
            out.append(",".join(name for mask, name in cols if mask[i]))
        return out


def _design_masks(pair_masks: np.ndarray, n_lists: int) -> np.ndarray:
    main = np.ones((pair_masks.shape[0], 1 + n_lists), dtype=bool)
    return np.concatenate([main, pair_masks], axis=1)


def exhaustive_masks(n_pairs: int) -> np.ndarray:
    """All ``2**C`` subsets of the two-way terms (row ``m`` = bits of ``m``)."""
    codes = np.arange(2**n_pairs, dtype=np.int64)
    return np.asarray(((codes[:, None] >> np.arange(n_pairs)) & 1).astype(bool))


def search_models(
    X: np.ndarray,
    y: np.ndarray,
    n_lists: int,
    criterion: str,
    max_exhaustive: int = 6,
) -> SearchResult:
    """Fit the search's models on the full design ``X`` and counts ``y``."""
    n_pairs = X.shape[1] - 1 - n_lists
    y = np.asarray(y, dtype=np.float64)
    n = int(y.sum())
    if n_lists <= max_exhaustive:
        key = (X.tobytes(), y.tobytes(), X.shape)
        cached = _CACHE.get(key)
        if cached is None:
            masks = exhaustive_masks(n_pairs)
            cached = SearchResult(
                masks, fit_batch(X, y, _design_masks(masks, n_lists)), n, "exhaustive"
            )
            _CACHE[key] = cached
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
        return cached
    return _greedy(X, y, n_lists, n_pairs, criterion, n)


def _greedy(
    X: np.ndarray, y: np.ndarray, n_lists: int, n_pairs: int, criterion: str, n: int
) -> SearchResult:
    seen: dict[bytes, float] = {}
    masks_all: list[np.ndarray] = []
    fits: list[BatchFit] = []

    def evaluate(cands: np.ndarray) -> list[float]:
        new = np.array([m for m in cands if m.tobytes() not in seen])
        if new.size:
            part = SearchResult(new, fit_batch(X, y, _design_masks(new, n_lists)), n, "greedy")
            value = np.where(part.eligible & ~part.large_bias, part.criterion(criterion), np.inf)
            for m, v in zip(new, value, strict=True):
                seen[m.tobytes()] = float(v)
            masks_all.extend(new)
            fits.append(part.fit)
        return [seen[m.tobytes()] for m in cands]

    current = np.zeros(n_pairs, dtype=bool)
    best = evaluate(current[None, :])[0]
    for _ in range(4 * n_pairs):
        neighbours = np.repeat(current[None, :], n_pairs, axis=0)
        neighbours[np.arange(n_pairs), np.arange(n_pairs)] ^= True
        scores = evaluate(neighbours)
        j = int(np.argmin(scores))
        if not scores[j] < best:
            break
        current, best = neighbours[j], scores[j]
    merged = concat_fits(fits)
    return SearchResult(np.array(masks_all), merged, n, "greedy")


def ranking_frame(result: SearchResult, term_names: list[str], criterion: str) -> pl.DataFrame:
    """The ranked table, best first; ``eligible`` is False for fits that are never chosen."""
    order = result.order(criterion)
    f = result.fit
    flags = result.flags()
    names = np.array(term_names, dtype=object)
    labels = [" + ".join(names[result.masks[i]]) or "()" for i in order]
    b0 = f.coef[order, 0]
    with np.errstate(over="ignore", invalid="ignore"):
        stderr = np.sqrt(np.exp(b0) + np.exp(2 * b0) * f.var_intercept[order])
    return (
        pl.DataFrame(
            {
                "rank": np.arange(1, order.size + 1),
                "model": labels,
                "n_params": f.rank[order].astype(np.int64),
                "deviance": f.deviance[order],
                "aic": result.aic[order],
                "bic": result.bic[order],
                "estimate": result.estimate[order],
                "stderr": stderr,
                "converged": f.converged[order],
                "flags": [flags[i] for i in order],
                "eligible": result.eligible[order],
            }
        )
        .with_columns(
            terms=pl.when(pl.col("model") == "()")
            .then(pl.lit([], dtype=pl.List(pl.String)))
            .otherwise(pl.col("model").str.split(" + "))
        )
        .select("rank", "model", "terms", pl.exclude("rank", "model", "terms"))
    )
