"""Stepwise log-linear estimation for sparse lists (Chan, Silverman & Vincent 2021).

The population-size estimator of Chan, L., Silverman, B. W. & Vincent, K. (2021),
"Multiple systems estimation for sparse capture data: inferential challenges when there are
nonoverlapping lists", JASA 116:1297-1306, as implemented by R's SparseMSE 2.0.1
(``estimatepopulation(dat, nboot, pthresh = 0.02, iseed)``).

Model search (``stepwisefit``): start from the Poisson log-linear model with main effects
only; at each step, for every two-list term not yet in the model compute the one-sided
Poisson p-value ``min(P(X <= n*), P(X >= n*))`` of the observed overlap ``n*`` (people on
both lists) with ``X ~ Poisson(mu*)``, ``mu*`` the overlap the current model expects; among
the terms whose model still has an MLE that exists and is identifiable (the linear program
of Fienberg & Rinaldo 2012, see :func:`~uncounted.prevalence.diagnose`) add the one with
the smallest p-value, while that p-value is below ``pthresh``. A term whose lists share
nobody enters at minus infinity (the histories containing both lists leave the table).

Estimate: ``N = n_obs + exp(beta_0)``, the intercept being the log expected count of the
all-zero history. Wald interval (``ci="wald"``): ``n_obs + exp(beta_0 -/+ z se(beta_0))``.
Bootstrap interval (``ci="bootstrap"``): resample the observed people multinomially
``n_boot`` times, rerun the whole search on each, and take the BCa interval with the
acceleration from the delete-one-person jackknife (see :mod:`uncounted.prevalence.bootstrap`).

The random numbers differ from R's, so bootstrap limits agree with SparseMSE's within Monte
Carlo error, not digit for digit; the model, estimate and Wald interval agree exactly.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import polars as pl
from scipy.special import ndtri

from uncounted.errors import ConvergenceWarning, InvalidInput, SparseDataWarning
from uncounted.prevalence._base import PopulationEstimator
from uncounted.prevalence._engine import diagnose
from uncounted.prevalence._stepwise_search import SearchResult, StepwiseSearch
from uncounted.prevalence.assumptions import NO_HETEROGENEITY
from uncounted.prevalence.bootstrap import bca_bootstrap
from uncounted.prevalence.histories import CaptureHistories
from uncounted.prevalence.registry import register

__all__ = ["StepwiseEstimator"]

_CI_CHOICES = ("wald", "bootstrap")


@register
class StepwiseEstimator(PopulationEstimator):
    """Stepwise Poisson log-linear model search for sparse lists (SparseMSE).

    Args:
        pthresh: add a two-list term only while its Poisson p-value is below this (0 gives
            main effects only; 1 gives every term if that model is estimable).
        ci: ``"wald"`` (Wald on the log of the unobserved count) or ``"bootstrap"`` (BCa).
        n_boot: bootstrap replicates (``ci="bootstrap"``).
        ci_level: coverage of the interval.
        random_state: seed or ``numpy.random.Generator`` for the bootstrap.

    Learned attributes (besides the common ones): ``steps_`` (the search path, one row per
    term added and a last row for the best term not added), ``empty_overlaps_`` (model terms
    whose lists share nobody, fitted at minus infinity), ``wald_ci_``, ``se_log_dark_`` and,
    with the bootstrap, ``bootstrap_estimates_``, ``acceleration_`` and
    ``bias_correction_``.

    Formula and source: see the module docstring (Chan, Silverman & Vincent 2021, JASA;
    SparseMSE 2.0.1 ``estimatepopulation``).
    """

    method: ClassVar[str] = "stepwise"
    label: ClassVar[str] = "Stepwise log-linear (SparseMSE)"
    assumes: ClassVar[tuple[str, str, str] | None] = (
        "two-list interactions added one at a time while their overlap is significant "
        "(p <= 0.02) and the estimate exists",
        NO_HETEROGENEITY,
        "Lists may depend in pairs, added while significant; no heterogeneity.",
    )

    def __init__(
        self,
        pthresh: float = 0.02,
        ci: str = "wald",
        n_boot: int = 1000,
        ci_level: float = 0.95,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.pthresh = pthresh
        self.ci = ci
        self.n_boot = n_boot
        self.ci_level = ci_level
        self.random_state = random_state

    def _validate(self) -> None:
        super()._validate()
        p = self.pthresh
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= float(p) <= 1.0:
            raise InvalidInput(
                f"StepwiseEstimator: pthresh must be a number from 0 to 1 (SparseMSE uses "
                f"0.02), got {p!r}."
            )
        if self.ci not in _CI_CHOICES:
            raise InvalidInput(
                f"StepwiseEstimator: ci must be one of {', '.join(_CI_CHOICES)}, got {self.ci!r}."
            )
        nb = self.n_boot
        if isinstance(nb, bool) or not isinstance(nb, int | np.integer) or int(nb) < 20:
            raise InvalidInput(
                f"StepwiseEstimator: n_boot must be a whole number of at least 20 (1000 is "
                f"usual for BCa intervals), got {nb!r}."
            )
        rs = self.random_state
        if not (
            rs is None
            or isinstance(rs, np.random.Generator)
            or (isinstance(rs, int | np.integer) and not isinstance(rs, bool) and rs >= 0)
        ):
            raise InvalidInput(
                "StepwiseEstimator: random_state must be None, a non-negative integer seed or "
                f"a numpy.random.Generator, got {rs!r}."
            )

    # ------------------------------------------------------------------ fitting
    def _fit(self, histories: CaptureHistories) -> None:
        _, counts = histories.complete()
        search = StepwiseSearch(histories.n_lists, float(self.pthresh))
        if not search.main_effects_ok(counts):
            diagnose(histories, ()).raise_if_not_estimable()
        result = search.run(counts, record=True)
        lists = histories.lists
        names = [f"{lists[i]}:{lists[j]}" for i, j in search.pairs]
        self.model_ = tuple(names[p] for p in result.terms)
        self.empty_overlaps_ = tuple(names[p] for p in result.empty)
        self.population_ = result.population
        self.se_log_dark_ = math.sqrt(result.var_log_dark)
        self.wald_ci_ = self._wald(result)
        self.steps_ = self._steps_frame(result, names)
        if not result.converged:
            self._warn(
                "the fit of the selected model did not converge in 25 iterations; the "
                "estimate may be unreliable.",
                ConvergenceWarning,
            )
        if self.ci == "wald":
            self.ci_ = self.wald_ci_
            self.ci_method_ = "wald"
            return
        rng = (
            self.random_state
            if isinstance(self.random_state, np.random.Generator)
            else np.random.default_rng(self.random_state)
        )
        boot = bca_bootstrap(
            search.population,
            counts,
            n_boot=int(self.n_boot),
            level=float(self.ci_level),
            rng=rng,
            estimate=self.population_,
            batch=search.populations,
        )
        self.bootstrap_estimates_ = boot.replicates
        self.acceleration_ = boot.acceleration
        self.bias_correction_ = boot.bias_correction
        self.ci_ = boot.interval
        self.ci_method_ = "bca-bootstrap"
        failed = int(np.sum(~np.isfinite(boot.replicates)))
        if failed:
            self._warn(
                f"{failed} of {int(self.n_boot)} bootstrap fits failed (overflow in the "
                "fit) and were left out of the interval.",
                ConvergenceWarning,
            )
        if not math.isfinite(boot.bias_correction):
            self._warn(
                "every bootstrap estimate fell on one side of the estimate, so the BCa "
                "interval is only the range of the replicates; increase n_boot or use "
                "ci='wald'.",
                SparseDataWarning,
            )

    def _wald(self, result: SearchResult) -> tuple[float, float]:
        z = float(ndtri(0.5 + float(self.ci_level) / 2.0))
        se = math.sqrt(result.var_log_dark)
        low = result.observed + math.exp(result.log_dark - z * se)
        high = result.observed + math.exp(result.log_dark + z * se)
        return (low, high)

    @staticmethod
    def _steps_frame(result: SearchResult, names: list[str]) -> pl.DataFrame:
        rows = result.steps
        return pl.DataFrame(
            {
                "step": [k + 1 for k in range(len(rows))],
                "term": [names[s.pair] for s in rows],
                "observed": [s.observed for s in rows],
                "expected": [s.expected for s in rows],
                "p_value": [s.p_value for s in rows],
                "added": [s.added for s in rows],
                "population": [s.population if s.added else None for s in rows],
            },
            schema={
                "step": pl.Int64,
                "term": pl.String,
                "observed": pl.Int64,
                "expected": pl.Float64,
                "p_value": pl.Float64,
                "added": pl.Boolean,
                "population": pl.Float64,
            },
        )

    def _extra_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "empty_overlaps": list(self.empty_overlaps_),
            "wald_ci": [float(x) for x in self.wald_ci_],
            "steps": self.steps_.to_dicts(),
        }
        if self.ci == "bootstrap":
            extra["bootstrap"] = {
                "n_boot": int(self.n_boot),
                "acceleration": float(self.acceleration_),
                "bias_correction": float(self.bias_correction_),
            }
        return extra
