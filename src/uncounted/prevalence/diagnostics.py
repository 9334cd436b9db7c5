"""Signs that catchability varies between people (heterogeneity), read from the lists.

Individual heterogeneity of catchability (some people easier for every agency to see) makes
people on several lists over-represented, and the log-linear models without a heterogeneity
term then underestimate the people no list recorded — confidently: their intervals shrink
around the wrong number. It is the most common failure of MSE for trafficking data. Three
checks, each a sentence when it fires (Rivest & Baillargeon 2007; Chao 1987; Bird & King
2018):

1. **Chao's lower bound above the estimate** (by more than 2 %): the Mth Chao model
   (Rcapture ``closedp.t``) is the least population consistent with *any* heterogeneity; an
   estimate below it is too low if catchability varies at all.
2. **A heterogeneity model preferred by AIC**: Mth with Darroch's or Chao's term fits better
   than the independence model Mt by more than 2 AIC units (and, given a log-linear fit,
   better than that fit too).
3. **The estimate rises with the number of lists**: the median independence estimate over
   every subset of ``m`` lists never falls as ``m`` grows and rises by more than 5 % from two
   lists to all — each added list reveals more hard-to-see people, as heterogeneity does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Any

import numpy as np

from uncounted.errors import HeterogeneityWarning, NotIdentifiable, UncountedWarning
from uncounted.prevalence._engine import fit_batch, full_design
from uncounted.prevalence.heterogeneity import HeterogeneityEstimator
from uncounted.prevalence.histories import CaptureHistories

__all__ = ["HeterogeneityCheck", "check_heterogeneity", "rising_with_lists"]

_AIC_MARGIN = 2.0
_RISE = 0.05
_CHAO_MARGIN = 0.02  # the bound must exceed the estimate by 2 %, not by noise


@dataclass(frozen=True)
class HeterogeneityCheck:
    """The checks' numbers and the warnings they raise."""

    chao_lower_bound: float | None
    aic_independence: float | None
    aic_heterogeneity: dict[str, float] = field(default_factory=dict)
    by_number_of_lists: dict[int, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    short: list[str] = field(default_factory=list)  # one phrase per message, for summaries

    @property
    def likely(self) -> bool:
        """Whether any check fired."""
        return bool(self.messages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "heterogeneity_likely": self.likely,
            "chao_lower_bound": self.chao_lower_bound,
            "aic_independence": self.aic_independence,
            "aic_heterogeneity": dict(self.aic_heterogeneity),
            "median_estimate_by_number_of_lists": {
                str(k): v for k, v in self.by_number_of_lists.items()
            },
            "messages": list(self.messages),
            "short": list(self.short),
        }


class _PointFit(HeterogeneityEstimator):
    """Mth Chao/Darroch fitted for its estimate and AIC only (no profile interval, whose
    search for the interval's ends costs more than the fit itself). Not registered: it is
    not a method users choose, only the checks' instrument."""

    _profile = False


def _independence(histories: CaptureHistories) -> tuple[float, float]:
    """Independence-model estimate and AIC (Poisson GLM with main effects)."""
    patterns, y = histories.complete()
    X = full_design(patterns)[:, : 1 + histories.n_lists]
    fit = fit_batch(X, y.astype(np.float64), np.ones((1, X.shape[1]), dtype=bool))
    return float(histories.n_observed + np.exp(fit.coef[0, 0])), float(fit.aic[0])


def rising_with_lists(histories: CaptureHistories) -> dict[int, float]:
    """Median independence estimate over every subset of ``m`` lists, ``m = 2 .. L``.

    Subsets in which some list shares nobody with the others are skipped (no estimate)."""
    out: dict[int, float] = {}
    lists = histories.lists
    for m in range(2, len(lists) + 1):
        values = []
        for subset in combinations(lists, m):
            sub = histories.subset(list(subset)) if m < len(lists) else histories
            patterns, y = sub.complete()
            if np.any(np.asarray(list(sub.list_sizes.values())) == 0):
                continue
            if m == 2 and y[patterns.sum(axis=1) == 2].sum() == 0:
                continue
            est, _ = _independence(sub)
            if np.isfinite(est):
                values.append(est)
        if values:
            out[m] = float(np.median(values))
    return out


def check_heterogeneity(
    histories: CaptureHistories,
    estimate: float | None = None,
    aic: float | None = None,
    *,
    emit: bool = True,
) -> HeterogeneityCheck:
    """Run the three checks on ``histories``; ``estimate`` (and its log-linear ``aic``) is the
    result being judged. With ``emit``, each message is also a :class:`HeterogeneityWarning`.
    """
    if histories.n_lists < 3:
        return HeterogeneityCheck(None, None)
    messages: list[str] = []
    short: list[str] = []
    fits: dict[str, _PointFit] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncountedWarning)
        for h in ("chao", "darroch"):
            try:
                fits[h] = _PointFit(h).fit(histories)
            except NotIdentifiable:
                continue
        try:
            n_ind, aic_ind = _independence(histories)
        except (ValueError, np.linalg.LinAlgError):
            n_ind, aic_ind = float("nan"), float("nan")
    chao = fits["chao"].population_ if "chao" in fits else None
    target = n_ind if estimate is None else estimate
    if chao is not None and np.isfinite(target) and chao > target * (1 + _CHAO_MARGIN):
        what = "this estimate" if estimate is not None else "the independence estimate"
        messages.append(
            f"Chao's lower bound ({chao:,.0f}) is above {what} ({target:,.0f}): if "
            "catchability varies between people, the estimate is too low."
        )
    aic_het = {h: float(f.aic_) for h, f in fits.items()}
    if aic_het and np.isfinite(aic_ind):
        best_h = min(aic_het, key=lambda k: aic_het[k])
        if aic_het[best_h] < aic_ind - _AIC_MARGIN:
            messages.append(
                f"a heterogeneity model (Mth {best_h.capitalize()}) fits better than the "
                f"independence model by {aic_ind - aic_het[best_h]:.1f} AIC units: people "
                "differ in how visible they are."
            )
            short.append("AIC prefers a heterogeneity model")
        elif aic is not None and aic_het[best_h] < aic - _AIC_MARGIN:
            messages.append(
                f"a heterogeneity model (Mth {best_h.capitalize()}) fits better than this "
                f"model by {aic - aic_het[best_h]:.1f} AIC units."
            )
            short.append("AIC prefers a heterogeneity model")
    by_m = rising_with_lists(histories) if histories.n_lists <= 8 else {}
    if len(by_m) >= 2:
        ms = sorted(by_m)
        values = [by_m[m] for m in ms]
        rising = all(b >= a for a, b in pairwise(values))
        if rising and values[-1] > values[0] * (1 + _RISE):
            messages.append(
                f"the independence estimate rises with the number of lists used (median "
                f"{values[0]:,.0f} with {ms[0]} lists, {values[-1]:,.0f} with {ms[-1]}): each "
                "list reveals more hard-to-see people, a sign of heterogeneity."
            )
            short.append("estimate rises with more lists")
    if emit:
        for message in messages:
            warnings.warn(message, HeterogeneityWarning, stacklevel=2)
    return HeterogeneityCheck(
        chao, aic_ind if np.isfinite(aic_ind) else None, aic_het, by_m, messages, short
    )
