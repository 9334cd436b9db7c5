"""Choosing an estimator by name from the CLI's options: the one translation of ``--method``,
``--criterion``, ``--interactions``, ``--heterogeneity``, ``--ci``, ``--seed``, ``--n-boot``
and ``--set NAME=VALUE`` into an estimator of the registry
(:mod:`uncounted.prevalence.registry`; list them with :func:`methods`).

A method name means the estimator with its own defaults, in the CLI, the web app and the
report alike: ``loglinear`` is the independence model (Rcapture ``closedp.t``'s Mt), given
``--interactions`` a fixed model, and ``--criterion aic`` (or ``bic``) the best model of the
search (Rcapture ``closedpMS.t``). ``panel`` (several methods side by side) is
:func:`uncounted.prevalence.panel.estimate_panel`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from uncounted.errors import UncountedWarning
from uncounted.prevalence.registry import estimator_names
from uncounted.prevalence.registry import make_estimator as _make

if TYPE_CHECKING:
    from uncounted.prevalence._base import PopulationEstimator
    from uncounted.prevalence.histories import CaptureHistories

_FLAGS = {"random_state": "--seed", "n_boot": "--n-boot", "ci_level": "--ci-level"}


def methods() -> tuple[str, ...]:
    """The method names ``--method`` takes (the registry's, in registration order)."""
    return estimator_names()


def __getattr__(name: str) -> Any:
    if name == "METHODS":  # the registry's names when read (a toy estimator included)
        return estimator_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    settings: dict[str, Any] | None = None,
) -> PopulationEstimator:
    """An unfitted estimator for ``method`` with the settings that apply to it.

    ``ci`` is the interval method (``profile`` for log-linear models; ``wald`` or
    ``bootstrap`` for the stepwise procedure; ``lognormal`` or ``wald`` for Chapman);
    ``settings`` are further settings by name (``--set``). A setting that does not apply to
    the method is an error rather than silently ignored; ``seed``, ``n_boot`` and
    ``ci_level`` go to the methods that take them.
    """
    options: dict[str, Any] = {
        "criterion": criterion,
        "interactions": list(interactions) if interactions else None,
        "heterogeneity": heterogeneity,
        **(settings or {}),
    }
    return _make(
        method,
        options,
        ci=ci,
        soft={"random_state": seed, "n_boot": n_boot, "ci_level": ci_level},
        flag=lambda o: _FLAGS.get(o, "--" + o.replace("_", "-")),
    )


def estimate_json(estimator: PopulationEstimator, histories: CaptureHistories) -> dict[str, Any]:
    """Fit ``estimator`` on ``histories`` and return the JSON of the result, the same from the
    CLI (``uncounted estimate --format json``) and the API (``/api/prevalence``): the
    estimator's ``to_dict`` with ``model`` as the list of interaction terms ("A:B", with the
    lists' names) and ``model_label`` as text, every caveat raised during the fit in
    ``warnings``, and the heterogeneity ``diagnostics``."""
    from uncounted.prevalence.diagnostics import check_heterogeneity

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UncountedWarning)
        estimator.fit(histories)
    data: dict[str, Any] = estimator.to_dict()
    shown = [str(w.message) for w in caught if issubclass(w.category, UncountedWarning)]
    check = check_heterogeneity(
        histories, data.get("estimate"), estimator.__dict__.get("aic_"), emit=False
    )
    return {
        **data,
        "model_label": data.get("model"),
        "model": data.get("terms", []),
        "warnings": list(dict.fromkeys([*data.get("warnings", []), *shown])),
        "diagnostics": check.to_dict(),
    }


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


__all__ = ["estimate_headline", "estimate_json", "make_estimator", "methods"]
