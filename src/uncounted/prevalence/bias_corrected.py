"""Bias-corrected population estimates for small samples (Rcapture's ``closedp.bc``).

Rivest & Lévesque (2001, "Improved log-linear model estimators of abundance in capture-recapture
experiments", Can. J. Stat. 29:555-572) reduce the small-sample bias of log-linear estimators
by adding small constants ``delta_k`` to the frequencies of histories caught ``k = 1, 2, 3``
times before fitting; ``N = n + exp(b0)`` with ``n`` the original number observed. Rcapture
1.4-4 ``closedp.bc``:

==================  ============================================================================
model               correction
==================  ============================================================================
Mt                  Seber (1982, pp. 131-133) on frequencies corrected by ``(t + 2) / (2t)``
                    per list and ``t/2`` overall: solve ``prod(1 - n_i'/N) = 1 - n'/N``
Mh Chao             closed form: ``N = n + (t-1) f1 (f1-1) / (2t (f2+1))`` and its variance
Mh Poisson/Darroch  frequencies ``f_k`` plus ``(-(1+c)/2, 1+c, (1-c)/2)`` for ``k = 1,2,3``,
/Gamma              ``c = (h(2) - 2h(1)) / (h(3) - 2h(2) + h(1))``, fitted on ``f_k`` with offset
                    ``log C(t, k)``
Mth Chao            each history plus ``((t-2)/(2t), 2/(t(t-1)), 0)``
Mth Poisson2        plus ``((2t-5)/(4t), 3/(t(t-1)), 3/(2t(t-1)(t-2)))``
Mth Darroch         plus ``((t-3)/(2t), 4/(t(t-1)), 0)``
==================  ============================================================================

The frequency fit with offset ``log C(t, k)`` is the same Poisson fit as one on the histories
with each history given ``f_k / C(t, k)`` (the design depends on ``k`` only), so the project's
single Poisson engine fits all of them. The result has no interval in Rcapture; we give the
estimate and its standard error only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from uncounted.errors import InvalidInput, NotIdentifiable
from uncounted.prevalence._heterogeneity_design import fit_constrained, h_columns, model_design
from uncounted.prevalence.histories import CaptureHistories

__all__ = ["BiasCorrected", "bias_corrected"]


@dataclass(frozen=True)
class BiasCorrected:
    """A bias-corrected estimate (Rcapture ``closedp.bc``)."""

    model: str
    heterogeneity: str
    population: float
    stderr: float


def _h(k: float, h: str, theta: float | None) -> float:
    col, _ = h_columns(np.array([k, 3.0]), h, theta)
    return float(col[0, 0])


def bias_corrected(
    histories: CaptureHistories,
    model: str = "Mth",
    heterogeneity: str = "chao",
    theta: float | None = None,
) -> BiasCorrected:
    """The bias-corrected estimate of ``model`` (``"Mt"``, ``"Mh"``, ``"Mth"``) with
    ``heterogeneity`` (``chao``, ``poisson``, ``darroch``, ``gamma``; ignored for ``Mt``)."""
    t = histories.n_lists
    if t < 3:
        raise NotIdentifiable("the bias correction needs at least three lists (Rcapture).")
    h = "none" if model == "Mt" else heterogeneity
    if model not in ("Mt", "Mh", "Mth") or h not in ("none", "chao", "poisson", "darroch", "gamma"):
        raise InvalidInput(
            "bias_corrected: model is Mt, Mh or Mth; heterogeneity chao, poisson, darroch, gamma."
        )
    if model == "Mth" and (h == "gamma" or (h == "poisson" and theta not in (None, 2, 2.0))):
        raise InvalidInput(
            "Rcapture has no bias correction for Mth Gamma, nor for Mth Poisson with theta != 2."
        )
    patterns, y = histories.complete()
    y = y.astype(np.float64)
    n = float(histories.n_observed)
    k = patterns.sum(axis=1)
    if model == "Mt":
        return _mt(histories, patterns, y)
    if model == "Mh" and h == "chao":
        f1, f2 = float(y[k == 1].sum()), float(y[k == 2].sum())
        extra = (t - 1) * f1 * (f1 - 1) / (2 * t * (f2 + 1))
        var = extra + (t - 1) ** 2 * f1 * (f1 - 1) * (f1**2 + 4 * f1 * f2 + 3 * f1 - 6 * f2 - 6) / (
            4 * t**2 * (f2 + 1) ** 2 * (f2 + 2)
        )
        return BiasCorrected(model, h, n + extra, math.sqrt(var))
    if model == "Mh":
        c = (_h(2, h, theta) - 2 * _h(1, h, theta)) / (
            _h(3, h, theta) - 2 * _h(2, h, theta) + _h(1, h, theta)
        )
        delta = (-(1 + c) / 2, 1 + c, (1 - c) / 2)
        freq = np.array([y[k == j].sum() for j in range(1, t + 1)])
        for j, d in enumerate(delta, start=1):
            freq[j - 1] = max(0.0, freq[j - 1] + d)
        sizes = np.array([math.comb(t, j) for j in range(1, t + 1)], dtype=np.float64)
        y_adj = (freq / sizes)[k - 1]
    else:
        delta = {
            "chao": ((t - 2) / (2 * t), 2 / (t * (t - 1)), 0.0),
            "poisson": ((2 * t - 5) / (4 * t), 3 / (t * (t - 1)), 3 / (2 * t * (t - 1) * (t - 2))),
            "darroch": ((t - 3) / (2 * t), 4 / (t * (t - 1)), 0.0),
        }[h]
        y_adj = y.copy()
        for j, d in enumerate(delta, start=1):
            y_adj[k == j] += d
        y_adj = np.maximum(0.0, y_adj)
    design = model_design(patterns, model, h, theta)
    mask = np.ones((1, design.X.shape[1]), dtype=bool)
    fit, _ = fit_constrained(design.X, y_adj, mask, design.n_base, design.chao)
    b0 = float(fit.coef[0, 0])
    se = math.sqrt(math.exp(b0) + math.exp(2 * b0) * float(fit.var_intercept[0]))
    return BiasCorrected(model, h, n + math.exp(b0), se)


def _mt(histories: CaptureHistories, patterns: np.ndarray, y: np.ndarray) -> BiasCorrected:
    t = histories.n_lists
    n = float(y.sum())
    ni = np.array(list(histories.list_sizes.values()), dtype=np.float64)
    m0 = model_design(patterns, "Mh", "none", None)
    fit, _ = fit_constrained(m0.X, y, np.ones((1, m0.X.shape[1]), dtype=bool), 2, False)
    n_prelim = n + math.exp(float(fit.coef[0, 0]))
    ni_c = ni + (t + 2) / (2 * t)
    n_c = n + t / 2

    def eqn(total: float) -> float:
        return float(np.prod(1 - ni_c / total) - (1 - n_c / total))

    root = float(brentq(eqn, n, 2 * n_prelim, xtol=1e-8))
    var = 1.0 / (1 / (root - n_c) + (t - 1) / root - float(np.sum(1 / (root - ni_c))))
    return BiasCorrected("Mt", "none", root - t / 2, math.sqrt(var))
