"""Design matrices and fits of Rcapture's heterogeneity models (Mh, Mth and a search).

Rivest & Baillargeon (2007) and Baillargeon & Rivest (2007, J. Stat. Softw. 19(5)) write a
closed-population model with individual heterogeneity of catchability as a Poisson log-linear
model on the ``2**L - 1`` observable capture histories with extra columns that are functions
of ``k``, the number of lists a history is on (Rcapture 1.4-4, ``Xclosedp``):

=========  ==============================================  ==================================
h          column(s)                                       heterogeneity distribution
=========  ==============================================  ==================================
Chao       ``eta_j = max(k - j + 1, 0)``, j = 3 .. L;       lower bound (Chao 1987; Rivest &
           negative ``eta`` are dropped one by one         Baillargeon 2007): any mixture
Poisson    ``theta**k - 1`` (theta = 2)                     Poisson heterogeneity
Darroch    ``k**2 / 2``                                     normal (Darroch et al. 1993)
Gamma      ``-log(theta + k) + log(theta)`` (theta = 3.5)   gamma
=========  ==============================================  ==================================

``Mh`` has the intercept, ``k`` and the heterogeneity column(s) (every list equally likely to
record a person); ``Mth`` has the intercept, one main effect per list, optional two-list
interactions, and the heterogeneity column(s). The fit is the project's Poisson engine
(:func:`~uncounted.prevalence._engine.fit_batch`, R's ``glm.fit``). For Chao's model
Rcapture refits after removing the first negative ``eta`` until none is negative
(``Chao.neg``); :func:`fit_constrained` does the same, for one model or a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from uncounted.prevalence._engine import BatchFit, fit_batch, full_design, pair_index

__all__ = ["HETEROGENEITY", "HDesign", "fit_constrained", "h_columns", "model_design"]

#: Heterogeneity terms and their defaults for ``theta``.
HETEROGENEITY: dict[str, float | None] = {
    "chao": None,
    "poisson": 2.0,
    "darroch": None,
    "gamma": 3.5,
    "normal": None,
    "none": None,
}


def h_columns(nbcap: np.ndarray, h: str, theta: float | None) -> tuple[np.ndarray, list[str]]:
    """The heterogeneity column(s) for histories with ``nbcap`` captures, and their names."""
    k = nbcap.astype(np.float64)
    n_lists = int(nbcap.max())
    if h == "chao":
        cols = [np.maximum(k - j + 1.0, 0.0) for j in range(3, n_lists + 1)]
        return np.column_stack(cols), [f"eta{j}" for j in range(3, n_lists + 1)]
    if h == "poisson":
        t = 2.0 if theta is None else float(theta)
        return (t**k - 1.0)[:, None], ["tau"]
    if h == "darroch":
        return (k**2 / 2.0)[:, None], ["tau"]
    if h == "gamma":
        t = 3.5 if theta is None else float(theta)
        return (-np.log(t + k) + np.log(t))[:, None], ["tau"]
    return np.zeros((k.size, 0)), []


@dataclass(frozen=True)
class HDesign:
    """A heterogeneity model's design on the observable cells."""

    X: np.ndarray  # (cells, params): intercept first
    names: list[str]
    n_base: int  # columns before the heterogeneity terms (Rcapture's ``nca``)
    chao: bool


def model_design(
    patterns: np.ndarray,
    model: str,
    h: str,
    theta: float | None,
    pairs: Sequence[tuple[int, int]] = (),
    lists: Sequence[str] | None = None,
) -> HDesign:
    """Columns: intercept, ``k`` (Mh) or the main effects and ``pairs`` (Mth), then h-terms."""
    n_lists = patterns.shape[1]
    names_l = list(lists) if lists is not None else [f"c{i + 1}" for i in range(n_lists)]
    nbcap = patterns.sum(axis=1)
    if model == "Mh":
        base = np.column_stack([np.ones(patterns.shape[0]), nbcap.astype(np.float64)])
        names = ["(Intercept)", "k"]
    else:
        full = full_design(patterns)
        index = {p: i for i, p in enumerate(pair_index(n_lists))}
        cols = list(range(1 + n_lists)) + [1 + n_lists + index[p] for p in pairs]
        base = full[:, cols]
        names = ["(Intercept)", *names_l, *(f"{names_l[i]}:{names_l[j]}" for i, j in pairs)]
    hx, hn = h_columns(nbcap, h, theta)
    return HDesign(np.column_stack([base, hx]), names + hn, base.shape[1], h == "chao")


def fit_constrained(
    X: np.ndarray, y: np.ndarray, masks: np.ndarray, n_base: int, chao: bool
) -> tuple[BatchFit, np.ndarray]:
    """Fit every model of ``masks``; for Chao's terms drop negative ``eta`` as Rcapture does.

    Returns the fits and the final masks (with the dropped ``eta`` columns switched off).
    Rcapture (``Chao.neg``) removes the *first* negative ``eta`` and refits, until none is
    negative.
    """
    masks = np.array(masks, dtype=bool)
    fit = fit_batch(X, y, masks)
    if not chao or X.shape[1] == n_base:
        return fit, masks
    coef = fit.coef.copy()
    fields = {
        name: getattr(fit, name).copy() for name in BatchFit.__dataclass_fields__ if name != "mu"
    }
    fields["mu"] = None
    for _ in range(X.shape[1] - n_base):
        eta = coef[:, n_base:]
        neg = (eta < 0) & masks[:, n_base:]
        todo = np.flatnonzero(neg.any(axis=1))
        if todo.size == 0:
            break
        first = np.argmax(neg[todo], axis=1)
        masks[todo, n_base + first] = False
        refit = fit_batch(X, y if y.ndim == 1 else y[todo], masks[todo])
        for name in BatchFit.__dataclass_fields__:
            if name != "mu":
                fields[name][todo] = getattr(refit, name)
        coef = fields["coef"]
    return BatchFit(**fields), masks
