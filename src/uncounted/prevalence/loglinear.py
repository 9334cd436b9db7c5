"""Log-linear models for multiple systems estimation, as Rcapture fits them.

A log-linear model treats the counts of the ``2**L - 1`` observable capture histories as
independent Poisson counts with ``log mu = intercept + sum of main effects + chosen two-list
interactions`` (Fienberg 1972; Cormack 1989). The history "on no list" has design
``(1, 0, ..., 0)``, so the number of people no list recorded is estimated by
``exp(intercept)`` and the population by ``N = n + exp(intercept)``. Interactions let two
lists' captures depend on each other (referral between agencies, shared visibility).

Reference implementation: Rcapture 1.4-4 (Baillargeon & Rivest 2007, J. Stat. Softw.
19(5)): ``closedpCI.t(X, dfreq = TRUE, m = "Mt")`` for independence, ``closedpCI.t(X,
dfreq = TRUE, mX = ~ ...)`` for given interactions, ``closedpMS.t(X, dfreq = TRUE,
maxorder = 2)`` for the search. Point estimate, standard error
``sqrt(exp(b0) + exp(2 b0) var(b0))`` and profile interval are Rcapture's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from uncounted.errors import (
    ConvergenceWarning,
    InvalidInput,
    NotIdentifiable,
    SparseDataWarning,
)
from uncounted.prevalence._base import PopulationEstimator, model_label
from uncounted.prevalence._engine import (
    BatchFit,
    check_estimability,
    fit_batch,
    full_design,
    pair_index,
    pattern_name,
)
from uncounted.prevalence._loglinear_search import (
    SearchResult,
    ranking_frame,
    search_models,
)
from uncounted.prevalence._profile import profile_interval
from uncounted.prevalence.assumptions import loglinear_parts
from uncounted.prevalence.histories import CaptureHistories
from uncounted.prevalence.registry import register

__all__ = ["LogLinearEstimator"]

_CRITERIA = (None, "aic", "bic")
_SPARSE_COUNT = 5  # a cell with at most this many people is "sparse"
_SPARSE_SHIFT = 0.10  # ... and drives the estimate if one person more or less moves N by 10 %
_SPARSE_REFITS = 40  # at most this many sparse cells are refitted (the most influential)
_RUNAWAY_COEF = 12.0  # a refit with |beta| beyond this has no finite estimate (as the search)


@register
class LogLinearEstimator(PopulationEstimator):
    """Poisson log-linear model: independence, given two-list interactions, or a search.

    Formula: ``N = n + exp(b0)`` where ``b0`` is the intercept of the Poisson GLM with log
    link fitted to the observed cells (R's ``glm.fit``); profile-likelihood interval from
    the multinomial likelihood (Rcapture ``closedpCI.t``; Cormack 1992).

    Settings:
        interactions: two-list terms ``"A:B"`` (list names). ``None`` or ``[]`` with no
            criterion is the independence model (Rcapture's ``Mt``).
        criterion: ``"aic"`` or ``"bic"`` to search every model made of the main effects and
            any subset of two-list terms (Rcapture ``closedpMS.t(maxorder = 2)``), ranked with
            Rcapture's definitions (AIC of the Poisson fit; BIC = AIC + (log n - 2) p).
            Exhaustive up to ``max_exhaustive_lists`` lists, greedy stepwise beyond (see
            :mod:`uncounted.prevalence._loglinear_search`).
        ci: ``"profile"`` (Rcapture's multinomial profile likelihood).
        ci_level: confidence level of the interval.
        n_top: how many of the best models to report in ``top_models_``.
        max_exhaustive_lists: largest number of lists searched exhaustively (<= 7).

    Learned: ``population_``, ``ci_``, ``model_``, ``stderr_``, ``deviance_``, ``aic_``,
    ``bic_``, ``coef_`` (name -> value), ``profile_mle_`` (multinomial maximum),
    ``fit_flags_``, and for a search ``ranking_`` (every model, best first),
    ``top_models_`` and ``estimate_range_`` (min and max estimate among the top models).

    Raises :class:`~uncounted.errors.NotIdentifiable` when a *given* model's estimate does
    not exist or is not determined (a term whose lists share nobody; histories forced to
    zero), naming the lists and overlaps at fault. Warns
    :class:`~uncounted.errors.SparseDataWarning` when one sparse cell drives the estimate.
    """

    method: ClassVar[str] = "loglinear"
    label: ClassVar[str] = "Log-linear model: independence, given pairs, or a search (Rcapture)"
    options: ClassVar[tuple[str, ...] | None] = ("interactions", "criterion", "ci", "ci_level")

    def _assumption_parts(self) -> tuple[str, str, str]:
        return loglinear_parts(self.get_params())

    def __init__(
        self,
        interactions: Sequence[str] | None = None,
        criterion: str | None = None,
        ci: str = "profile",
        ci_level: float = 0.95,
        n_top: int = 5,
        max_exhaustive_lists: int = 6,
    ) -> None:
        self.interactions = interactions
        self.criterion = criterion
        self.ci = ci
        self.ci_level = ci_level
        self.n_top = n_top
        self.max_exhaustive_lists = max_exhaustive_lists

    # ------------------------------------------------------------------ settings
    def _validate(self) -> None:
        super()._validate()
        name = type(self).__name__
        if self.criterion not in _CRITERIA:
            raise InvalidInput(
                f"{name}: criterion must be None, 'aic' or 'bic', got {self.criterion!r}."
            )
        if self.criterion is not None and self.interactions:
            raise InvalidInput(
                f"{name}: give either interactions (one model) or a criterion (a search), not both."
            )
        if self.interactions is not None and (
            isinstance(self.interactions, str)
            or not all(isinstance(t, str) for t in self.interactions)
        ):
            raise InvalidInput(
                f"{name}: interactions must be a list of 'A:B' strings, e.g. ['LA:NG'], "
                f"got {self.interactions!r}."
            )
        if self.ci != "profile":
            raise InvalidInput(f"{name}: ci must be 'profile', got {self.ci!r}.")
        if isinstance(self.n_top, bool) or not isinstance(self.n_top, int) or self.n_top < 1:
            raise InvalidInput(f"{name}: n_top must be a positive integer, got {self.n_top!r}.")
        if (
            isinstance(self.max_exhaustive_lists, bool)
            or not isinstance(self.max_exhaustive_lists, int)
            or not 2 <= self.max_exhaustive_lists <= 7
        ):
            raise InvalidInput(
                f"{name}: max_exhaustive_lists must be an integer from 2 to 7, got "
                f"{self.max_exhaustive_lists!r}."
            )

    def _pairs(self, lists: tuple[str, ...]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for term in self.interactions or []:
            parts = term.split(":")
            if len(parts) != 2 or parts[0] not in lists or parts[1] not in lists:
                raise InvalidInput(
                    f"{type(self).__name__}: interaction {term!r} is not 'A:B' with A and B "
                    f"among the lists ({', '.join(lists)})."
                )
            if parts[0] == parts[1]:
                raise InvalidInput(f"interaction {term!r} pairs a list with itself.")
            pair = tuple(sorted((lists.index(parts[0]), lists.index(parts[1]))))
            if pair in out:
                raise InvalidInput(f"interaction {term!r} is given twice.")
            out.append((pair[0], pair[1]))
        return sorted(out)

    # ------------------------------------------------------------------ fitting
    def _fit(self, histories: CaptureHistories) -> None:
        # Thousands of small matrix products: BLAS threads only add contention (measured
        # 4-6x slower on a shared 2-core machine), so run them single-threaded.
        with threadpool_limits(limits=1, user_api="blas"):
            self._fit_single_threaded(histories)

    def _fit_single_threaded(self, histories: CaptureHistories) -> None:
        lists = histories.lists
        empty = [name for name, size in histories.list_sizes.items() if size == 0]
        if empty:
            raise NotIdentifiable(
                f"list{'s' if len(empty) > 1 else ''} {', '.join(empty)} recorded nobody, so "
                "the capture probability is zero and no model can use it; drop "
                f"{'them' if len(empty) > 1 else 'it'} (CaptureHistories.drop_lists)."
            )
        patterns, y = histories.complete()
        X = full_design(patterns)
        pairs_all = pair_index(len(lists))
        names = [f"{lists[i]}:{lists[j]}" for i, j in pairs_all]
        self.ranking_: pl.DataFrame | None = None
        self.top_models_: pl.DataFrame | None = None
        self.estimate_range_: tuple[float, float] | None = None
        self.search_method_: str | None = None
        self.n_models_ = 1
        if self.criterion is None:
            pairs = self._pairs(lists)
            if len(lists) == 2 and pairs:
                raise NotIdentifiable(
                    f"with two lists the {names[0]} interaction cannot be estimated: three "
                    "observed histories cannot fix four parameters. Use the independence "
                    "model (Lincoln-Petersen / Chapman) or add a list."
                )
            self._refuse_if_not_estimable(lists, patterns, y, X, pairs)
        else:
            pairs = self._search(lists, patterns, y, X, names)
        self._fit_model(histories, patterns, y, X, pairs)

    def _columns(self, n_lists: int, pairs: Sequence[tuple[int, int]]) -> list[int]:
        index = {p: k for k, p in enumerate(pair_index(n_lists))}
        return list(range(1 + n_lists)) + [1 + n_lists + index[p] for p in pairs]

    def _refuse_if_not_estimable(
        self,
        lists: tuple[str, ...],
        patterns: np.ndarray,
        y: np.ndarray,
        X: np.ndarray,
        pairs: list[tuple[int, int]],
    ) -> None:
        Xm = X[:, self._columns(len(lists), pairs)]
        verdict = check_estimability(lists, patterns, y, Xm, pairs)
        model = model_label(tuple(f"{lists[i]}:{lists[j]}" for i, j in pairs))
        if verdict.empty_terms:
            terms = verdict.empty_terms
            detail = "; ".join(
                f"nobody was recorded on both {t.split(':')[0]} and {t.split(':')[1]}"
                for t in terms
            )
            raise NotIdentifiable(
                f"model [{model}]: {detail}, so {', '.join(terms)} would be minus infinity and "
                "the maximum-likelihood estimate does not exist. Drop "
                f"{', '.join(terms)} from the interactions, or merge those lists."
            )
        if not verdict.exists or not verdict.identifiable:
            what = (
                "the number of people on no list is not determined"
                if not verdict.identifiable
                else "the maximum-likelihood estimate does not exist"
            )
            raise NotIdentifiable(
                f"model [{model}]: the observed zeros force the fitted counts of "
                f"{', '.join(verdict.forced_zero) or 'some histories'} to zero, so {what}. "
                "Use fewer interactions among those lists, merge lists, or let the "
                "stepwise search (StepwiseEstimator) choose only estimable terms."
            )
        shared = patterns.sum(axis=1) > 1
        isolated = [
            lists[i]
            for i in range(len(lists))
            if len(lists) > 2 and y[(patterns[:, i] > 0) & shared].sum() == 0
        ]
        for name in isolated:
            self._warn(
                f"list {name} shares nobody with any other list: the estimate of the people it "
                "misses rests entirely on the model's independence assumptions for it.",
                SparseDataWarning,
            )

    def _search(
        self,
        lists: tuple[str, ...],
        patterns: np.ndarray,
        y: np.ndarray,
        X: np.ndarray,
        names: list[str],
    ) -> list[tuple[int, int]]:
        crit = str(self.criterion)
        result: SearchResult = search_models(X, y, len(lists), crit, self.max_exhaustive_lists)
        self.search_method_ = result.method
        self.n_models_ = int(result.masks.shape[0])
        ranking = ranking_frame(result, names, crit)
        order = result.order(crit)
        pairs_all = pair_index(len(lists))
        chosen: list[tuple[int, int]] | None = None
        skipped: list[str] = []
        chosen_biased = False
        for i in order[: max(self.n_top, 10)]:
            if not result.eligible[i]:
                break
            chosen_biased = bool(result.large_bias[i])
            pairs = [p for p, on in zip(pairs_all, result.masks[i], strict=True) if on]
            Xm = X[:, self._columns(len(lists), pairs)]
            verdict = check_estimability(lists, patterns, y, Xm, pairs)
            if verdict.identifiable:
                chosen = pairs
                if not verdict.exists:
                    self._warn(
                        f"the chosen model's fit puts "
                        f"{', '.join(verdict.empty_terms or verdict.forced_zero)} at minus "
                        "infinity (empty overlaps); the estimate is the extended maximum-"
                        "likelihood estimate, as Rcapture reports it.",
                        SparseDataWarning,
                    )
                break
            skipped.append(
                model_label(tuple(names[k] for k, on in enumerate(result.masks[i]) if on))
            )
        if chosen is None:
            raise NotIdentifiable(
                f"no model of the {crit.upper()} search has an identifiable estimate on these "
                "lists (their overlaps are too sparse); merge lists or collect more overlap."
            )
        if chosen_biased:
            self._warn(
                f"every model of the {crit.upper()} search that can be fitted has a large "
                "asymptotic bias (more than 10 % of its estimate, Rcapture's warning); the "
                "best of them is reported, but its estimate is doubtful.",
                SparseDataWarning,
            )
        criterion_values = result.criterion(crit)
        clean = result.eligible & ~result.large_bias
        passed = int(
            np.sum(
                result.eligible
                & result.large_bias
                & (criterion_values < np.min(criterion_values[clean], initial=np.inf))
            )
        )
        self.passed_over_large_bias_ = passed if clean.any() else 0
        if skipped:
            self._warn(
                f"skipped the best-ranked model(s) {'; '.join(skipped)}: the number unobserved "
                "is not identifiable there.",
                SparseDataWarning,
            )
        self.ranking_ = ranking
        top = ranking.filter(pl.col("eligible")).head(self.n_top)
        self.top_models_ = top.select("rank", "model", crit, "estimate", "flags")
        est = top.get_column("estimate")
        self.estimate_range_ = (float(est.min()), float(est.max()))  # type: ignore[arg-type]
        return chosen

    def _fit_model(
        self,
        histories: CaptureHistories,
        patterns: np.ndarray,
        y: np.ndarray,
        X: np.ndarray,
        pairs: list[tuple[int, int]],
    ) -> None:
        lists = histories.lists
        n = histories.n_observed
        cols = self._columns(len(lists), pairs)
        Xm = X[:, cols]
        fit = fit_batch(Xm, y.astype(np.float64), np.ones((1, len(cols)), dtype=bool))
        b = fit.coef[0]
        self.model_ = tuple(f"{lists[i]}:{lists[j]}" for i, j in pairs)
        self.population_ = float(n + np.exp(b[0]))
        self.stderr_ = float(np.sqrt(np.exp(b[0]) + np.exp(2 * b[0]) * fit.var_intercept[0]))
        self.deviance_ = float(fit.deviance[0])
        self.df_ = int(Xm.shape[0] - Xm.shape[1])
        self.aic_ = float(fit.aic[0])
        self.bic_ = float(fit.aic[0] + (np.log(n) - 2.0) * fit.rank[0])
        coef_names = ["(Intercept)", *lists, *self.model_]
        self.coef_ = {k: float(v) for k, v in zip(coef_names, b, strict=True)}
        flags = []
        if not fit.converged[0]:
            flags.append("not-converged")
            self._warn(
                f"the Poisson fit of model [{model_label(self.model_)}] did not converge in 25 "
                "iterations; its estimate is unreliable.",
                ConvergenceWarning,
            )
        if abs(fit.bias[0]) > 0.1 * self.population_:
            flags.append("large-bias")
        self.fit_flags_ = tuple(flags)
        prof = profile_interval(Xm, y, self.population_, float(self.ci_level))
        self.ci_ = (prof.low, prof.high)
        self.ci_method_ = "profile"
        self.profile_mle_ = prof.n_max
        self.profile_search_limit_ = 3.0 * self.population_
        if not prof.high_found:
            self._warn(
                f"the profile interval's upper end is beyond 3 x the estimate "
                f"({3 * self.population_:.0f}); the data do not bound the population above.",
                SparseDataWarning,
            )
        self._check_sparse_cells(lists, patterns, y, Xm, fit)

    def _check_sparse_cells(
        self,
        lists: tuple[str, ...],
        patterns: np.ndarray,
        y: np.ndarray,
        Xm: np.ndarray,
        fit: BatchFit,
    ) -> None:
        """Warn when one more or one fewer person in one sparse cell moves N by > 10 %.

        Each sparse observed cell is refitted with one person more and one fewer. With more
        than ``_SPARSE_REFITS`` sparse cells only that many are refitted: those whose count
        moves N most to first order, ``dN/dy_c = 1 + mu_0 [(X'WX)^-1 x_c]_0`` (the Poisson
        score's derivative in ``y_c`` is ``x_c``), so the check stays linear in the number of
        cells however many lists there are. A refit that does not converge or whose terms run
        off to infinity means that, without that person, the model has no finite estimate;
        that is said in words rather than as a percentage.
        """
        cells = np.flatnonzero((y >= 1) & (y <= _SPARSE_COUNT))
        self.sparse_sensitivity_ = 0.0
        if cells.size == 0:
            return
        if cells.size > _SPARSE_REFITS:
            b = fit.coef[0]
            with np.errstate(over="ignore"):
                mu = np.exp(Xm @ b)
            info = Xm.T @ (mu[:, None] * Xm)
            e0 = np.zeros(Xm.shape[1])
            e0[0] = 1.0
            row = np.linalg.lstsq(info, e0, rcond=None)[0]
            influence = np.abs(Xm[cells] @ row)
            cells = np.sort(cells[np.argsort(-influence, kind="stable")[:_SPARSE_REFITS]])
        # one refit per (cell, +1 or -1): rows of y with a single cell moved, built in place
        # (a dense identity over all 2**L - 1 cells took 8 GB per copy at 15 lists)
        rows = np.arange(2 * cells.size)
        Y = np.repeat(y[None, :].astype(np.float64), rows.size, axis=0)
        Y[rows, np.concatenate([cells, cells])] += np.repeat([1.0, -1.0], cells.size)
        masks = np.ones((Y.shape[0], Xm.shape[1]), dtype=bool)
        refit = fit_batch(Xm, Y, masks)
        with np.errstate(over="ignore"):
            totals = Y.sum(axis=1) + np.exp(refit.coef[:, 0])
        # no finite estimate: the fit diverges with the unseen count growing (a term running
        # to minus infinity while the intercept falls, unseen -> 0, is a finite answer)
        diverged = ~refit.converged | (refit.max_abs_coef > _RUNAWAY_COEF)
        runaway = ~np.isfinite(totals) | (diverged & (totals > self.population_))
        change = np.where(runaway, np.inf, np.abs(totals / self.population_ - 1.0))
        worst = int(np.argmax(change))
        self.sparse_sensitivity_ = float(change[worst])
        if change[worst] > _SPARSE_SHIFT:
            cell = int(np.concatenate([cells, cells])[worst])
            who = pattern_name(lists, patterns[cell])
            count = int(y[cell])
            people = "person" if count == 1 else "people"
            if runaway[worst]:
                sign = "more" if worst < cells.size else "fewer"
                effect = (
                    f"with one person {sign} there the model has no finite estimate (its "
                    "terms run off to infinity)"
                )
            else:
                effect = (
                    "one person more or fewer there moves the estimate by "
                    f"{100 * change[worst]:.0f} %"
                )
            self._warn(
                f"the estimate is driven by a sparse cell: {count} {people} on exactly "
                f"{who}; {effect}. Treat the estimate with caution.",
                SparseDataWarning,
            )

    def _ci_note(self) -> str | None:
        if math.isfinite(self.ci_[1]):
            return None
        return (
            "ci_high is null because the profile likelihood does not fall to the "
            f"{100 * float(self.ci_level):g} % cut-off anywhere up to 3 x the estimate "
            f"({self.profile_search_limit_:.0f}, Rcapture's search limit, printed '>3N' "
            "there): the data do not bound the population above. Add lists or overlap, or "
            "use a simpler model."
        )

    def _extra_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stderr": self.stderr_,
            "deviance": self.deviance_,
            "aic": self.aic_,
            "bic": self.bic_,
            "profile_mle": self.profile_mle_,
            "fit_flags": list(self.fit_flags_),
        }
        if self.top_models_ is not None and self.estimate_range_ is not None:
            out["search"] = {
                "criterion": self.criterion,
                "method": self.search_method_,
                "n_models": self.n_models_,
                "estimate_range": list(self.estimate_range_),
                "passed_over_large_bias": self.passed_over_large_bias_,
                "top_models": self.top_models_.to_dicts(),
            }
        return out
