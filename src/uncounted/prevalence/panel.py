"""A panel of methods on one table: the comparison a user should see before any single number.

Multiple systems estimates depend on assumptions the data cannot check (closed population,
perfect linkage, the form of dependence between lists and of heterogeneity between people).
Different methods make different assumptions, and on real trafficking data they often
disagree by more than any one method's interval (Silverman 2020, JRSS-A 183:1; Bird & King
2018). The panel fits several methods on the same lists and reports:

* the number **observed** — a hard floor, people someone has seen;
* **Chao's lower bound** (Rcapture's Mth Chao): the least population consistent with
  heterogeneous catchability;
* each method's estimate and interval, rounded to three significant figures, with one
  sentence on what it assumes (:mod:`uncounted.prevalence.assumptions`);
* the **spread** across methods, stated as the real uncertainty;
* the heterogeneity diagnostics (:mod:`uncounted.prevalence.diagnostics`);
* the method recommended by default (:data:`RECOMMENDED`), chosen by the coverage study
  (``benchmarks/coverage_study.py``; ``docs/prevalence.md``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from uncounted.errors import InvalidInput, NotIdentifiable, UncountedWarning
from uncounted.prevalence._base import PopulationEstimator
from uncounted.prevalence.diagnostics import check_heterogeneity
from uncounted.prevalence.histories import CaptureHistories
from uncounted.prevalence.registry import estimators, get_spec

__all__ = [
    "DEFAULT_PANEL",
    "PANEL",
    "RECOMMENDED",
    "VARIANTS",
    "PanelResult",
    "PanelRow",
    "estimate_panel",
    "panel_methods",
    "round_sig",
]

#: In :data:`VARIANTS`, the panel's seed (``seed``, else :data:`DEFAULT_SEED`).
SEED: Any = object()

#: The panel's named variants of registered estimators: key -> (label, method, settings).
#: Every registered estimator is also in the panel under its own name, with its defaults
#: (:func:`panel_methods`).
VARIANTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "independence": ("Log-linear, independent lists (Mt)", "loglinear", {}),
    "loglinear-aic": (
        "Log-linear, pairs chosen by AIC (Rcapture)",
        "loglinear",
        {"criterion": "aic"},
    ),
    "stepwise": ("Stepwise log-linear (SparseMSE)", "stepwise", {}),
    "mth-chao": (
        "Mth Chao: lower bound (Rcapture)",
        "heterogeneity",
        {"heterogeneity": "chao"},
    ),
    "mth-darroch": ("Mth Darroch: heterogeneity (Rcapture)", "heterogeneity", {}),
    "mth-darroch-aic": (
        "Mth Darroch + pairs by AIC: heterogeneity and dependence (Rcapture)",
        "heterogeneity",
        {"heterogeneity": "darroch", "criterion": "aic"},
    ),
    "mth-normal": (
        "Mth normal mixture: heterogeneity (Rivest 2011)",
        "heterogeneity",
        {"heterogeneity": "normal"},
    ),
    "lcmcr": ("Latent classes, Bayesian (LCMCR)", "lcmcr", {"random_state": SEED}),
}

#: The seed of random methods when the panel is given none (reproducible panels).
DEFAULT_SEED = 1234


def _factory(method: str, settings: dict[str, Any]) -> Callable[[int | None], PopulationEstimator]:
    def make(seed: int | None) -> PopulationEstimator:
        given = {
            k: (DEFAULT_SEED if seed is None else seed) if v is SEED else v
            for k, v in settings.items()
        }
        return get_spec(method).cls(**given)

    return make


def panel_methods() -> dict[str, tuple[str, Callable[[int | None], PopulationEstimator]]]:
    """The panel's methods: key -> (label, factory taking a seed): the :data:`VARIANTS`, then
    every other registered estimator under its name with its defaults."""
    out = {key: (label, _factory(m, kw)) for key, (label, m, kw) in VARIANTS.items()}
    for name, spec in estimators().items():
        seeded = {"random_state": SEED} if "random_state" in spec.options else {}
        out.setdefault(name, (spec.label, _factory(name, seeded)))
    return out


class _Panel(Mapping[str, tuple[str, Callable[[int | None], PopulationEstimator]]]):
    """:func:`panel_methods` as a mapping read when used (a newly registered estimator is in
    it)."""

    def __getitem__(self, key: str) -> tuple[str, Callable[[int | None], PopulationEstimator]]:
        return panel_methods()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(panel_methods())

    def __len__(self) -> int:
        return len(panel_methods())


#: The panel's methods: key -> (label, factory taking a seed).
PANEL = _Panel()


#: The methods of the default panel, in display order.
DEFAULT_PANEL = (
    "independence",
    "loglinear-aic",
    "stepwise",
    "mth-chao",
    "mth-darroch-aic",
    "mth-normal",
    "lcmcr",
)

#: The method the panel recommends by default: Mth with Darroch's heterogeneity term and the
#: two-list interactions chosen by AIC (Rcapture ``closedpMS.t(h = "Darroch")``). In the
#: coverage study (docs/prevalence.md) it is the method closest to 95 % coverage across the
#: independent, dependent, heterogeneous and demo-like scenarios, where the log-linear models
#: fall to 0-70 %; its price is an interval two to four times wider — the honest width when
#: people differ in how visible they are.
RECOMMENDED = "mth-darroch-aic"

_CAVEAT = (
    "Every method assumes a closed population and perfect linkage; they differ in the "
    "dependence and heterogeneity they allow. Read the spread across methods, not one "
    "interval, as the uncertainty."
)


def round_sig(x: float | None, digits: int = 3) -> float | None:
    """``x`` rounded to ``digits`` significant figures (``None`` and non-finite pass)."""
    if x is None or not math.isfinite(x) or x == 0:
        return x
    return float(round(x, digits - 1 - math.floor(math.log10(abs(x)))))


@dataclass(frozen=True)
class PanelRow:
    """One method's result in the panel (or why it has none)."""

    key: str
    label: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    assumes: str
    result: dict[str, Any] | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "estimate": _json(self.estimate),
            "ci_low": _json(self.ci_low),
            "ci_high": _json(self.ci_high),
            "assumes": self.assumes,
            "error": self.error,
            "result": self.result,
        }


@dataclass(frozen=True)
class PanelResult:
    """The panel: observed, lower bound, every method, the spread and the diagnostics."""

    lists: tuple[str, ...]
    observed: int
    rows: list[PanelRow]
    recommended: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    ci_level: float = 0.95
    truth: int | None = None

    @property
    def lower_bound(self) -> PanelRow | None:
        """Chao's lower bound (the ``mth-chao`` row), when it was fitted."""
        return next((r for r in self.rows if r.key == "mth-chao" and r.estimate), None)

    @property
    def spread(self) -> tuple[float, float] | None:
        """Lowest and highest point estimate across the methods that gave one."""
        values = [r.estimate for r in self.rows if r.estimate is not None]
        return (min(values), max(values)) if values else None

    @property
    def envelope(self) -> tuple[float, float] | None:
        """Lowest interval end and highest interval end across the methods."""
        lows = [r.ci_low for r in self.rows if r.ci_low is not None]
        highs = [r.ci_high for r in self.rows if r.ci_high is not None]
        return (min(lows), max(highs)) if lows and highs else None

    def spread_sentence(self) -> str:
        """The spread across methods as one sentence."""
        spread, env = self.spread, self.envelope
        if spread is None or env is None:
            return "No method gave an estimate."
        hi = "unbounded" if not math.isfinite(env[1]) else f"{round_sig(env[1]):,.0f}"
        return (
            f"Across methods the estimate ranges from {round_sig(spread[0]):,.0f} to "
            f"{round_sig(spread[1]):,.0f} (intervals from {round_sig(env[0]):,.0f} to {hi}); "
            f"{self.observed:,} people were observed. Treat this range as the uncertainty."
        )

    @property
    def summary(self) -> pl.DataFrame:
        """One row per method: label, estimate, interval (rounded), what it assumes."""
        star = {self.recommended: " *"}
        return pl.DataFrame(
            {
                "method": [r.label + star.get(r.key, "") for r in self.rows],
                "estimate": [round_sig(r.estimate) for r in self.rows],
                "ci_low": [round_sig(r.ci_low) for r in self.rows],
                "ci_high": [round_sig(r.ci_high) for r in self.rows],
                "assumes": [r.error or r.assumes for r in self.rows],
            },
            schema={
                "method": pl.String,
                "estimate": pl.Float64,
                "ci_low": pl.Float64,
                "ci_high": pl.Float64,
                "assumes": pl.String,
            },
        )

    def to_dict(self) -> dict[str, Any]:
        lb = self.lower_bound
        spread, env = self.spread, self.envelope
        return {
            "method": "panel",
            "lists": list(self.lists),
            "observed": self.observed,
            "lower_bound": None
            if lb is None
            else {"estimate": round_sig(lb.estimate), "method": lb.label},
            "ci_level": self.ci_level,
            "methods": [r.to_dict() for r in self.rows],
            "recommended": self.recommended,
            "spread": None if spread is None else [round_sig(v) for v in spread],
            "envelope": None if env is None else [_json(v) for v in env],
            "spread_sentence": self.spread_sentence(),
            "caveat": _CAVEAT,
            "diagnostics": self.diagnostics,
            "truth": self.truth,
        }


def _json(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round_sig(x)


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def estimate_panel(
    histories: CaptureHistories,
    methods: Sequence[str] | None = None,
    *,
    seed: int | None = None,
    truth: int | None = None,
    emit: bool = True,
) -> PanelResult:
    """Fit the panel's ``methods`` (default :data:`DEFAULT_PANEL`) on ``histories``.

    A method that cannot estimate from these lists (``NotIdentifiable``; heterogeneity models
    need three lists) keeps its row with the reason. Statistical caveats of each fit are in
    its ``result["warnings"]``; the heterogeneity diagnostics are kept in ``diagnostics`` and,
    with ``emit``, raised as :class:`~uncounted.errors.HeterogeneityWarning`.
    """
    keys = list(methods) if methods is not None else list(DEFAULT_PANEL)
    panel = panel_methods()
    unknown = [k for k in keys if k not in panel]
    if unknown:
        raise InvalidInput(f"Unknown panel method(s) {unknown}; choose from {', '.join(panel)}.")
    rows: list[PanelRow] = []
    for key in keys:
        label, factory = panel[key]
        est = factory(seed)
        assumes = est.assumptions["summary"]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UncountedWarning)
                est.fit(histories)
        except (NotIdentifiable, InvalidInput) as exc:  # e.g. too few or too many lists
            rows.append(PanelRow(key, label, None, None, None, assumes, None, str(exc)))
            continue
        low, high = est.ci_
        rows.append(
            PanelRow(
                key,
                label,
                float(est.population_),
                _num(low),
                _num(high) if math.isfinite(high) else math.inf,
                assumes,
                est.to_dict(),
            )
        )
    check = check_heterogeneity(histories, emit=emit)
    return PanelResult(
        lists=histories.lists,
        observed=histories.n_observed,
        rows=rows,
        recommended=RECOMMENDED if RECOMMENDED in keys else keys[0],
        diagnostics=check.to_dict(),
        truth=truth,
    )
