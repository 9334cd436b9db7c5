"""The model search with a heterogeneity term (Rcapture ``closedpMS.t(h = ..., maxorder = 2)``).

Every model made of the main effects, any subset of the two-list interactions and the
heterogeneity column(s) is fitted with the project's Poisson engine (Chao's negative etas
dropped as Rcapture does) and ranked by AIC or BIC (BIC = AIC + (log n - 2) p, Rcapture's).
A model is never chosen when its fit did not converge, has a fitted cell at zero (a parameter
at minus infinity) or a design not of full rank (Rcapture's ``infoFit`` warnings), or when the
number unobserved is not identifiable (the linear-programming check of
:mod:`uncounted.prevalence._engine`). Exhaustive up to 6 lists (32 768 models);
beyond, a greedy search that adds or drops one pair while the criterion improves.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from uncounted.errors import NotIdentifiable
from uncounted.prevalence._engine import check_estimability, full_design, pair_index
from uncounted.prevalence._heterogeneity_design import fit_constrained, h_columns, model_design
from uncounted.prevalence._loglinear_search import exhaustive_masks

__all__ = ["search_pairs"]

_FITTED_ZERO = 10.0 * float(np.finfo(float).eps)


def search_pairs(
    patterns: np.ndarray,
    y: np.ndarray,
    lists: tuple[str, ...],
    h: str,
    theta: float | None,
    criterion: str,
) -> tuple[list[tuple[int, int]], pl.DataFrame]:
    """Best set of two-list terms (heterogeneity term always in) and the ranking of every
    model fitted: exhaustive up to 6 lists (Rcapture ``closedpMS.t``), greedy add-or-drop-one
    beyond (a local optimum). Raises NotIdentifiable when no good model is identifiable."""
    full = full_design(patterns)
    hx, _hn = h_columns(patterns.sum(axis=1), h, theta)
    X = np.column_stack([full, hx])
    n_pairs = len(pair_index(len(lists)))
    n = float(y.sum())

    def evaluate(pm: np.ndarray) -> dict[str, np.ndarray]:
        masks = np.concatenate(
            [
                np.ones((pm.shape[0], 1 + len(lists)), dtype=bool),
                pm,
                np.ones((pm.shape[0], hx.shape[1]), dtype=bool),
            ],
            axis=1,
        )
        fit, _used = fit_constrained(X, y, masks, full.shape[1], h == "chao")
        with np.errstate(over="ignore"):
            est = n + np.exp(fit.coef[:, 0])
        bic = fit.aic + (np.log(n) - 2.0) * fit.rank
        # As Rcapture's infoFit flags: never choose a fit that did not converge, that has
        # a fitted cell at zero (a parameter at minus infinity) or a design not of full
        # rank.
        rank = np.concatenate(
            [
                np.linalg.matrix_rank(X[None, :, :] * m[:, None, :]) == m.sum(1)
                for m in np.array_split(masks, max(1, masks.shape[0] // 1024))
            ]
        )
        eligible = fit.converged & (fit.min_mu >= _FITTED_ZERO) & rank
        crit = fit.aic if criterion == "aic" else bic
        return {
            "pm": pm,
            "aic": fit.aic,
            "bic": bic,
            "est": est,
            "rank": fit.rank,
            "eligible": eligible,
            "score": np.where(eligible, crit, np.inf),
        }

    exhaustive = len(lists) <= 6
    res = evaluate(exhaustive_masks(n_pairs)) if exhaustive else _greedy(evaluate, n_pairs)
    crit = res["aic"] if criterion == "aic" else res["bic"]
    order = np.lexsort((crit, ~res["eligible"]))
    names = np.array([f"{lists[i]}:{lists[j]}" for i, j in pair_index(len(lists))])
    pm = res["pm"]
    ranking = pl.DataFrame(
        {
            "rank": np.arange(1, order.size + 1),
            "model": [" + ".join(names[pm[i]]) or "()" for i in order],
            "n_params": res["rank"][order].astype(np.int64),
            "aic": res["aic"][order],
            "bic": res["bic"][order],
            "estimate": res["est"][order],
            "eligible": res["eligible"][order],
        }
    )
    pairs_all = pair_index(len(lists))
    for i in order[:20]:
        if not res["eligible"][i]:
            break
        pairs = [p for p, on in zip(pairs_all, pm[i], strict=True) if on]
        design = model_design(patterns, "Mth", h, theta, pairs, lists)
        if check_estimability(lists, patterns, y, design.X, pairs).identifiable:
            return pairs, ranking
    raise NotIdentifiable(
        "no model among the best of the search has a converged fit with an identifiable "
        "number unobserved; merge lists or collect more overlap."
    )


def _greedy(
    evaluate: Callable[[np.ndarray], dict[str, np.ndarray]], n_pairs: int
) -> dict[str, np.ndarray]:
    """From main effects only, move to the best model that adds or drops one pair while the
    criterion improves; returns every model fitted."""
    seen: list[dict[str, np.ndarray]] = []
    current = np.zeros((1, n_pairs), dtype=bool)
    first = evaluate(current)
    seen.append(first)
    best = float(first["score"][0])
    for _ in range(4 * n_pairs):
        neighbours = np.repeat(current, n_pairs, axis=0)
        neighbours[np.arange(n_pairs), np.arange(n_pairs)] ^= True
        res = evaluate(neighbours)
        seen.append(res)
        j = int(np.argmin(res["score"]))
        if not res["score"][j] < best:
            break
        current, best = neighbours[j : j + 1], float(res["score"][j])
    return {k: np.concatenate([r[k] for r in seen]) for k in seen[0]}
