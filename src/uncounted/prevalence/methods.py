"""Choosing an estimator by name: the one place the CLI, the web app and the report go through.

=============  ============================================================================
method         estimator
=============  ============================================================================
loglinear      :class:`LogLinearEstimator` — independence model, given ``interactions``, or
               the best model of the search by ``criterion`` (Rcapture ``closedpMS.t``)
stepwise       :class:`StepwiseEstimator` — Chan, Silverman & Vincent (2021), SparseMSE
lcmcr          :class:`LatentClassEstimator` — Manrique-Vallier (2016), LCMCR
chapman        :class:`Chapman` — two lists, Chapman (1951) with Seber's variance
dga            :class:`DecomposableBMA` — Bayesian model averaging over decomposable graphs,
               Madigan & York (1997), R package dga (2 to 5 lists)
heterogeneity  :class:`HeterogeneityEstimator` — Rcapture's Mth/Mh with a heterogeneity term
               (``heterogeneity``: chao, poisson, darroch, gamma, normal), optionally with
               given ``interactions`` or a ``criterion`` search (``closedpMS.t(h = ...)``)
panel          several methods side by side (:func:`uncounted.prevalence.panel.estimate_panel`)
=============  ============================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from uncounted.errors import InvalidInput

if TYPE_CHECKING:
    from uncounted.prevalence._base import PopulationEstimator
    from uncounted.prevalence.histories import CaptureHistories

METHODS = ("loglinear", "stepwise", "lcmcr", "chapman", "dga", "heterogeneity")


def make_estimator(
    method: str = "loglinear",
    *,
    criterion: str | None = None,
    interactions: Sequence[str] | None = None,
    ci: str | None = None,
    seed: int | None = None,
    n_boot: int = 1000,
    ci_level: float = 0.95,
    heterogeneity: str | None = None,
) -> PopulationEstimator:
    """An unfitted estimator for ``method`` with the settings that apply to it.

    ``ci`` is the interval method (``profile`` for log-linear models; ``wald`` or
    ``bootstrap`` for the stepwise procedure; ``lognormal`` or ``wald`` for Chapman); a setting
    that does not apply to the method is an error rather than silently ignored.
    """
    # Each method's module is imported only when chosen: the latent class sampler needs no
    # SciPy optimisers, the log-linear search no sampler kernels (start-up of the CLI).
    if method not in METHODS:
        raise InvalidInput(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}.")
    if method not in ("loglinear", "heterogeneity") and (criterion or interactions):
        raise InvalidInput("--criterion and --interactions apply to --method loglinear only.")
    if heterogeneity and method != "heterogeneity":
        raise InvalidInput("--heterogeneity applies to --method heterogeneity only.")
    if criterion and interactions:
        raise InvalidInput("Give either --interactions (a fixed model) or --criterion (search).")
    if method == "loglinear":
        from uncounted.prevalence.loglinear import LogLinearEstimator

        return LogLinearEstimator(
            interactions=list(interactions) if interactions else None,
            criterion=criterion,
            ci=ci or "profile",
            ci_level=ci_level,
        )
    if method == "heterogeneity":
        if ci not in (None, "profile"):
            raise InvalidInput("--method heterogeneity gives a profile (or log-normal) interval.")
        from uncounted.prevalence.heterogeneity import HeterogeneityEstimator

        return HeterogeneityEstimator(
            heterogeneity=heterogeneity or "darroch",
            interactions=list(interactions) if interactions else None,
            criterion=criterion,
            ci_level=ci_level,
        )
    if method == "stepwise":
        from uncounted.prevalence.stepwise import StepwiseEstimator

        return StepwiseEstimator(
            ci=ci or "wald", n_boot=n_boot, ci_level=ci_level, random_state=seed
        )
    if method == "lcmcr":
        if ci not in (None, "credible"):
            raise InvalidInput("--method lcmcr gives a posterior credible interval only.")
        from uncounted.prevalence.bayesian import LatentClassEstimator

        return LatentClassEstimator(ci_level=ci_level, random_state=seed)
    if method == "dga":
        if ci not in (None, "credible"):
            raise InvalidInput("--method dga gives a posterior credible interval only.")
        from uncounted.prevalence.dga import DecomposableBMA

        return DecomposableBMA(ci_level=ci_level)
    from uncounted.prevalence.twolist import Chapman

    return Chapman(ci=ci or "lognormal", ci_level=ci_level)


def estimate_headline(
    histories: CaptureHistories,
    truth: int | None = None,
    low_heterogeneity: CaptureHistories | None = None,
    low_truth: int | None = None,
) -> dict[str, str]:
    """Lines for summaries (the demo): the panel of methods beside the truth, the diagnostics
    (never suppressed) and the caveat; optionally a second, low-heterogeneity world, where the
    log-linear models are right, for contrast."""
    from uncounted.prevalence.panel import PANEL, RECOMMENDED, estimate_panel, round_sig

    def fmt(x: float | None) -> str:
        value = round_sig(x)
        return "unbounded" if value is None or value == float("inf") else f"{value:,.0f}"

    panel = estimate_panel(histories, truth=truth, emit=False)
    title = f"all victims, MSE over {histories.n_lists} lists (panel of methods, 95% CI)"
    lines = {title: f"{histories.n_observed:,} observed"}
    for row in panel.rows:
        mark = " (recommended)" if row.key == RECOMMENDED else ""
        lines[f"  {row.label}{mark}"] = (
            f"{fmt(row.estimate)} ({fmt(row.ci_low)}–{fmt(row.ci_high)})"
            if row.estimate is not None
            else "no estimate"
        )
    if truth is not None:
        lines["  truth (known only in this synthetic world)"] = f"{truth:,}"
    if panel.spread is not None:
        low, high = panel.spread
        lines["  spread across methods: the real uncertainty"] = f"{fmt(low)}–{fmt(high)}"
    for i, phrase in enumerate(panel.diagnostics.get("short", []), start=1):
        lines[f"  warning {i}: heterogeneity likely"] = phrase
    lines["  caveat: people differ in how visible they are (frailty)"] = (
        "models without it are too low"
    )
    if low_heterogeneity is not None:
        low_panel = estimate_panel(
            low_heterogeneity, ["independence", "loglinear-aic", "stepwise"], emit=False
        )
        lines["contrast: a low-heterogeneity world (same agencies, no frailty)"] = (
            f"{low_heterogeneity.n_observed:,} observed"
        )
        for row in low_panel.rows:
            lines[f"  no frailty: {PANEL[row.key][0]}"] = (
                f"{fmt(row.estimate)} ({fmt(row.ci_low)}–{fmt(row.ci_high)})"
            )
        if low_truth is not None:
            lines["  no frailty: truth"] = f"{low_truth:,}"
    return lines


__all__ = ["METHODS", "estimate_headline", "make_estimator"]
