"""Choosing an estimator by name: the one place the CLI, the web app and the report go through.

=============  ============================================================================
method         estimator
=============  ============================================================================
loglinear      :class:`LogLinearEstimator` — independence model, given ``interactions``, or
               the best model of the search by ``criterion`` (Rcapture ``closedpMS.t``)
stepwise       :class:`StepwiseEstimator` — Chan, Silverman & Vincent (2021), SparseMSE
lcmcr          :class:`LatentClassEstimator` — Manrique-Vallier (2016), LCMCR
chapman        :class:`Chapman` — two lists, Chapman (1951) with Seber's variance
=============  ============================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from uncounted.errors import InvalidInput

if TYPE_CHECKING:
    from uncounted.prevalence._base import PopulationEstimator
    from uncounted.prevalence.histories import CaptureHistories

METHODS = ("loglinear", "stepwise", "lcmcr", "chapman")


def make_estimator(
    method: str = "loglinear",
    *,
    criterion: str | None = None,
    interactions: Sequence[str] | None = None,
    ci: str | None = None,
    seed: int | None = None,
    n_boot: int = 1000,
    ci_level: float = 0.95,
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
    if method != "loglinear" and (criterion or interactions):
        raise InvalidInput("--criterion and --interactions apply to --method loglinear only.")
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
    from uncounted.prevalence.twolist import Chapman

    return Chapman(ci=ci or "lognormal", ci_level=ci_level)


def estimate_headline(histories: CaptureHistories, truth: int | None = None) -> dict[str, str]:
    """One line for summaries: the stepwise estimate (Chan, Silverman & Vincent 2021) with its
    Wald interval, and the truth beside it when it is known (synthetic worlds)."""
    import warnings

    from uncounted.errors import UncountedWarning
    from uncounted.prevalence.stepwise import StepwiseEstimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncountedWarning)
        est = StepwiseEstimator().fit(histories)
    low, high = est.ci_
    text = f"{est.population_:,.0f} ({low:,.0f}–{high:,.0f})"
    if truth is not None:
        text += f"; truth {truth:,}"
    return {
        f"all victims, MSE over {histories.n_lists} lists (stepwise, 95% CI)": text,
        "  observed on at least one list": f"{histories.n_observed:,}",
    }


__all__ = ["METHODS", "estimate_headline", "make_estimator"]
