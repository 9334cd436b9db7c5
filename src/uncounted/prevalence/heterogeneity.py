"""Models for individual heterogeneity of catchability (Rcapture's Mh and Mth models).

When some people are easier for *every* agency to see than others (a frailty), people seen by
several lists are over-represented among the observed and the independence and two-list
interaction models underestimate the people no list recorded. Rcapture's heterogeneity models
(Rivest & Baillargeon 2007; Baillargeon & Rivest 2007, J. Stat. Softw. 19(5)) add to the
log-linear model terms in ``k``, the number of lists a person is on (see
:mod:`uncounted.prevalence._heterogeneity_design`): Chao's lower bound, Poisson, Darroch
(normal) and Gamma; the normal mixture integrates a normal frailty numerically (Rivest 2011).

Formula: ``N = n + exp(b0)`` with ``b0`` the intercept of the Poisson fit on the observed
histories; standard error ``sqrt(exp(b0) + exp(2 b0) var(b0))``; interval the multinomial
profile likelihood (Cormack 1992; Rcapture ``closedpCI.t``), and for the normal mixture
Chao's (1987) log-normal interval, as in Rcapture.

Reference implementation: Rcapture 1.4-4 ``closedp.t``, ``closedpCI.t(m = "Mh" | "Mth",
h = ...)``, ``closedpCI.t(mX = ~ ..., h = ...)`` and ``closedpMS.t(h = ..., maxorder = 2)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from uncounted.errors import ConvergenceWarning, InvalidInput, NotIdentifiable, SparseDataWarning
from uncounted.prevalence._base import PopulationEstimator, model_label
from uncounted.prevalence._engine import check_estimability
from uncounted.prevalence._heterogeneity_design import (
    HETEROGENEITY,
    fit_constrained,
    model_design,
)
from uncounted.prevalence._heterogeneity_search import search_pairs
from uncounted.prevalence.assumptions import heterogeneity_parts
from uncounted.prevalence.histories import CaptureHistories
from uncounted.prevalence.registry import register

__all__ = ["HeterogeneityEstimator", "heterogeneity_label"]

_MODELS = ("Mh", "Mth")
_LABELS = {
    "chao": "Chao (LB)",
    "poisson": "Poisson",
    "darroch": "Darroch",
    "gamma": "Gamma",
    "normal": "Normal",
}


def heterogeneity_label(model: str, h: str, theta: float | None = None) -> str:
    """Rcapture's model name, e.g. ``"Mth Darroch"``, ``"Mh Poisson2"``, ``"Mth Gamma3.5"``."""
    label = _LABELS[h]
    if h in ("poisson", "gamma"):
        value = HETEROGENEITY[h] if theta is None else theta
        label += f"{value:g}"
    return f"{model} {label}"


@register
class HeterogeneityEstimator(PopulationEstimator):
    """Log-linear model with a heterogeneity term in the number of captures (Rcapture Mh/Mth).

    Formula: ``N = n + exp(b0)``, ``b0`` the intercept of the Poisson GLM on the observed
    histories with design: intercept, ``k`` (``model="Mh"``) or one main effect per list
    (``"Mth"``), optional two-list ``interactions``, and the heterogeneity term(s) of
    ``heterogeneity`` (Chao's ``eta_j = max(k-j+1, 0)`` with negative ``eta`` dropped,
    Poisson ``theta**k - 1``, Darroch ``k**2/2``, Gamma ``-log(theta+k) + log(theta)``), or the
    normal mixture (Rivest 2011). Source: Rivest & Baillargeon (2007); Rcapture 1.4-4.

    Chao's model is a *lower bound*: it assumes only that catchability varies, not how, and
    its estimate is the smallest population consistent with that (Rivest 2011).

    Settings:
        heterogeneity: ``"chao"``, ``"poisson"``, ``"darroch"`` (default), ``"gamma"`` or
            ``"normal"``.
        model: ``"Mth"`` (lists differ in coverage; default) or ``"Mh"`` (all lists alike).
        theta: the Poisson (default 2) or Gamma (default 3.5) parameter.
        interactions: two-list terms ``"A:B"`` added to an Mth model.
        criterion: ``"aic"`` or ``"bic"``: search every set of two-list terms with the
            heterogeneity term always in (Rcapture ``closedpMS.t(h = ..., maxorder = 2)``),
            exhaustive up to 6 lists, greedy (add or drop one pair) beyond; not with
            ``"normal"``.
        ci_level: confidence level.

    Learned: ``population_``, ``ci_``, ``model_`` (interaction terms), ``model_name_``
    (Rcapture's name), ``stderr_``, ``deviance_``, ``df_``, ``aic_``, ``bic_``, ``coef_``,
    ``profile_mle_`` (profile models), ``dropped_terms_`` (Chao's negative ``eta``),
    ``sigma_`` (normal mixture), ``ranking_`` (search).
    """

    method: ClassVar[str] = "heterogeneity"
    label: ClassVar[str] = "Mth/Mh: heterogeneity of catchability (Rcapture)"
    n_lists: ClassVar[tuple[int, int | None]] = (3, None)
    options: ClassVar[tuple[str, ...] | None] = (
        "heterogeneity",
        "interactions",
        "criterion",
        "ci_level",
        "model",
        "theta",
    )
    ci_methods: ClassVar[tuple[str, ...]] = ("profile",)
    #: Whether ``fit`` computes the profile interval. Off only in the point fits of
    #: :func:`~uncounted.prevalence.diagnostics.check_heterogeneity`, which read the estimate
    #: and AIC alone: the profile is most of a fit's cost.
    _profile: ClassVar[bool] = True

    def _assumption_parts(self) -> tuple[str, str, str]:
        return heterogeneity_parts(self.get_params())

    def __init__(
        self,
        heterogeneity: str = "darroch",
        model: str = "Mth",
        theta: float | None = None,
        interactions: Sequence[str] | None = None,
        criterion: str | None = None,
        ci_level: float = 0.95,
    ) -> None:
        self.heterogeneity = heterogeneity
        self.model = model
        self.theta = theta
        self.interactions = interactions
        self.criterion = criterion
        self.ci_level = ci_level

    # ------------------------------------------------------------------ settings
    def _validate(self) -> None:
        super()._validate()
        name = type(self).__name__
        kinds = [k for k in HETEROGENEITY if k != "none"]
        if self.heterogeneity not in kinds:
            raise InvalidInput(
                f"{name}: heterogeneity must be one of {', '.join(kinds)}, "
                f"got {self.heterogeneity!r}."
            )
        if self.model not in _MODELS:
            raise InvalidInput(f"{name}: model must be 'Mh' or 'Mth', got {self.model!r}.")
        if self.theta is not None and (
            self.heterogeneity not in ("poisson", "gamma")
            or isinstance(self.theta, bool)
            or not isinstance(self.theta, int | float)
            or not self.theta > 0
        ):
            raise InvalidInput(
                f"{name}: theta is a positive number for the poisson or gamma terms only, "
                f"got {self.theta!r}."
            )
        if self.criterion not in (None, "aic", "bic"):
            raise InvalidInput(f"{name}: criterion must be None, 'aic' or 'bic'.")
        if (self.interactions or self.criterion) and self.model != "Mth":
            raise InvalidInput(f"{name}: interactions and a search need model='Mth'.")
        if self.interactions and self.criterion:
            raise InvalidInput(f"{name}: give either interactions or a criterion, not both.")
        if self.criterion and self.heterogeneity == "normal":
            raise InvalidInput(
                f"{name}: the model search runs with chao, poisson, darroch or gamma terms; "
                "fit the normal mixture to one model (interactions) instead."
            )
        if self.interactions is not None and (
            isinstance(self.interactions, str)
            or not all(isinstance(t, str) for t in self.interactions)
        ):
            raise InvalidInput(f"{name}: interactions must be a list of 'A:B' strings.")

    def _pairs(self, lists: tuple[str, ...]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for term in self.interactions or []:
            parts = term.split(":")
            if len(parts) != 2 or parts[0] not in lists or parts[1] not in lists:
                raise InvalidInput(
                    f"interaction {term!r} is not 'A:B' with A and B among the lists "
                    f"({', '.join(lists)})."
                )
            pair = tuple(sorted((lists.index(parts[0]), lists.index(parts[1]))))
            if pair[0] == pair[1] or pair in out:
                raise InvalidInput(f"interaction {term!r} is repeated or pairs a list with itself.")
            out.append((pair[0], pair[1]))
        return sorted(out)

    # ------------------------------------------------------------------ fitting
    def _fit(self, histories: CaptureHistories) -> None:
        with threadpool_limits(limits=1, user_api="blas"):
            self._fit_single_threaded(histories)

    def _fit_single_threaded(self, histories: CaptureHistories) -> None:
        lists = histories.lists
        if len(lists) < 3:
            raise NotIdentifiable(
                "heterogeneity models need at least three lists: with two, the number of "
                "lists a person is on cannot separate heterogeneity from list coverage. Use "
                "Chapman, and read it as a lower bound."
            )
        empty = [name for name, size in histories.list_sizes.items() if size == 0]
        if empty:
            raise NotIdentifiable(
                f"list(s) {', '.join(empty)} recorded nobody; drop them "
                "(CaptureHistories.drop_lists)."
            )
        h = str(self.heterogeneity)
        theta = None if self.theta is None else float(self.theta)
        patterns, y = histories.complete()
        y = y.astype(np.float64)
        n = histories.n_observed
        self.ranking_: pl.DataFrame | None = None
        self.sigma_: float | None = None
        self.dropped_terms_: tuple[str, ...] = ()
        self.profile_mle_: float | None = None
        self.model_name_ = heterogeneity_label(str(self.model), h, theta)
        pairs = self._search(histories, patterns, y) if self.criterion else self._pairs(lists)
        self.model_ = tuple(f"{lists[i]}:{lists[j]}" for i, j in pairs)
        if self.model_:
            self.model_name_ += " + " + model_label(self.model_)
        if h == "normal":
            self._fit_normal(patterns, y, n, pairs)
            return
        design = model_design(patterns, str(self.model), h, theta, pairs, lists)
        if not self.criterion:
            self._refuse_if_not_identifiable(lists, patterns, y, design.X, pairs)
        mask = np.ones((1, design.X.shape[1]), dtype=bool)
        fit, used = fit_constrained(design.X, y, mask, design.n_base, design.chao)
        keep = used[0]
        Xm = design.X[:, keep]
        b = fit.coef[0][keep]
        self.dropped_terms_ = tuple(nm for nm, on in zip(design.names, keep, strict=True) if not on)
        self.coef_ = {nm: float(v) for nm, v in zip(np.array(design.names)[keep], b, strict=True)}
        self.population_ = float(n + np.exp(b[0]))
        var0 = float(fit.var_intercept[0])
        self.stderr_ = float(np.sqrt(np.exp(b[0]) + np.exp(2 * b[0]) * var0))
        self.deviance_ = float(fit.deviance[0])
        self.df_ = int(Xm.shape[0] - Xm.shape[1])
        self.aic_ = float(fit.aic[0])
        self.bic_ = float(fit.aic[0] + (np.log(n) - 2.0) * fit.rank[0])
        if not fit.converged[0]:
            self._warn(
                f"the Poisson fit of {self.model_name_} did not converge; its estimate is "
                "unreliable.",
                ConvergenceWarning,
            )
        if abs(float(fit.bias[0])) > 0.1 * self.population_:
            self._warn(
                f"the asymptotic bias of {self.model_name_} is large (Rcapture's infoFit "
                "warning): more than 10 % of the estimate.",
                SparseDataWarning,
            )

        if not self._profile:
            self.ci_ = (float("nan"), float("nan"))
            self.ci_method_ = "none"
            return
        # Imported here: the profile brings scipy.optimize (~0.15 s), which the point fits of
        # the heterogeneity checks do not need.
        from uncounted.prevalence._profile import profile_interval

        def chao_deviance(X_aug: np.ndarray, y_aug: np.ndarray) -> float:
            m = np.ones((1, X_aug.shape[1]), dtype=bool)
            return float(fit_constrained(X_aug, y_aug, m, design.n_base, True)[0].deviance[0])

        prof = profile_interval(
            design.X if design.chao else Xm,
            y,
            self.population_,
            float(self.ci_level),
            deviance=chao_deviance if design.chao else None,
        )
        self.ci_ = (prof.low, prof.high)
        self.ci_method_ = "profile"
        self.profile_mle_ = prof.n_max
        if not prof.high_found:
            self._warn(
                f"the profile interval's upper end is beyond 3 x the estimate "
                f"({3 * self.population_:.0f}); the data do not bound the population above.",
                SparseDataWarning,
            )

    def _refuse_if_not_identifiable(
        self,
        lists: tuple[str, ...],
        patterns: np.ndarray,
        y: np.ndarray,
        X: np.ndarray,
        pairs: list[tuple[int, int]],
    ) -> None:
        verdict = check_estimability(lists, patterns, y, X, pairs)
        if not verdict.identifiable:
            raise NotIdentifiable(
                f"{self.model_name_}: the observed zeros "
                f"({', '.join(verdict.forced_zero) or 'too few histories'}) leave the number "
                "unobserved undetermined; drop interactions, use model='Mh', or merge lists."
            )

    def _fit_normal(
        self, patterns: np.ndarray, y: np.ndarray, n: int, pairs: list[tuple[int, int]]
    ) -> None:
        from scipy.stats import norm

        from uncounted.prevalence._normal_mixture import fit_normal_mixture  # scipy.optimize

        lists = self.histories_.lists
        darroch = model_design(patterns, str(self.model), "darroch", None, pairs, lists)
        mask = np.ones((1, darroch.X.shape[1]), dtype=bool)
        start_fit, _ = fit_constrained(darroch.X, y, mask, darroch.n_base, False)
        Xb = darroch.X[:, : darroch.n_base]
        nbcap = patterns.sum(axis=1)
        fit = fit_normal_mixture(Xb, y, nbcap, start_fit.coef[0][: darroch.n_base])
        names = darroch.names[: darroch.n_base]
        self.coef_ = {nm: float(v) for nm, v in zip(names, fit.coef, strict=True)}
        self.sigma_ = fit.sigma
        self.population_ = fit.population
        self.stderr_ = fit.stderr
        self.rcapture_stderr_ = fit.rcapture_stderr
        self.deviance_ = fit.deviance
        self.df_ = int(Xb.shape[0] - Xb.shape[1] - 1)
        self.aic_ = fit.aic
        self.bic_ = fit.bic
        if not fit.converged:
            self._warn("the normal-mixture fit did not converge.", ConvergenceWarning)
        if fit.sigma < 1e-3:
            self._warn(
                "the normal mixture's sigma is zero: the lists show no heterogeneity of this "
                "kind, and the model reduces to the one without it (Rcapture warns the same)."
            )
        # Chao (1987), eq. 12: log-normal interval for the number unobserved.
        f0 = self.population_ - n
        z = float(norm.ppf(0.5 + float(self.ci_level) / 2))
        c = float(np.exp(z * np.sqrt(np.log1p(self.stderr_**2 / max(f0, 1e-12) ** 2))))
        self.ci_ = (n + f0 / c, n + f0 * c)
        self.ci_method_ = "lognormal"

    def _search(
        self, histories: CaptureHistories, patterns: np.ndarray, y: np.ndarray
    ) -> list[tuple[int, int]]:
        theta = None if self.theta is None else float(self.theta)
        pairs, self.ranking_ = search_pairs(
            patterns, y, histories.lists, str(self.heterogeneity), theta, str(self.criterion)
        )
        return pairs

    # ------------------------------------------------------------------ results
    @property
    def summary(self) -> pl.DataFrame:
        """The base summary with ``model`` as Rcapture names it (e.g. "Mth Darroch + A:B")."""
        return super().summary.with_columns(pl.lit(self.model_name_).alias("model"))

    def _extra_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model_name": self.model_name_,
            "stderr": self.stderr_,
            "deviance": self.deviance_,
            "aic": self.aic_,
            "bic": self.bic_,
            "dropped_terms": list(self.dropped_terms_),
        }
        if self.profile_mle_ is not None:
            out["profile_mle"] = self.profile_mle_
        if self.sigma_ is not None:
            out["sigma"] = self.sigma_
        if self.ranking_ is not None:
            out["search"] = {
                "criterion": self.criterion,
                "n_models": self.ranking_.height,
                "top_models": self.ranking_.head(5).to_dicts(),
            }
        return out
