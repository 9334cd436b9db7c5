"""Bayesian model averaging over decomposable graphical models (Madigan & York 1997; dga).

Madigan & York (1997, "Bayesian methods for estimation of the size of a closed population",
*Biometrika* 84(1):19–31) put a hyper-Dirichlet prior on the cell probabilities of each
decomposable graphical log-linear model ``g`` of the ``L``-list table, so that the marginal
likelihood of the *complete* table (the observed cells plus ``n0`` people on no list) is a
product over the graph's cliques ``C`` divided by a product over its separators ``S``:

    log p(y, n0 | g) = sum_C c_C(n0) - sum_S c_S(n0) + (|C| - |S|) d(n0) + m(n0)

    c_A(n0) = log G(y_A,0 + n0 + delta_A) + sum_{cells x != 0 of margin A} log G(y_A,x + delta_A)
              - 2^|A| log G(delta_A),                      delta_A = delta 2^(L - |A|)
    d(n0)   = log G(2^L delta) - log G(n + n0 + 2^L delta)
    m(n0)   = log G(n + n0 + 1) - sum_x log G(y_x + 1) - log G(n0 + 1)

(``G`` the gamma function, ``y_A,x`` the margin of the observed table on the lists of ``A``,
its cell ``0`` being "on none of them"). With a prior ``p(N)`` on ``N = n + n0`` and prior
model weights ``p(g)``, the joint posterior is

    p(g, n0 | y) ∝ p(y, n0 | g) p(N = n + n0) p(g)

on a grid of ``n0``; summing over graphs gives the model-averaged posterior of ``N``, summing
over ``n0`` the posterior model probabilities. Defaults are the R package dga 2.0.2's
(``bma.cr``): every decomposable graph, equally weighted; ``p(N) ∝ 1/N``; and the
hyper-Dirichlet parameter ``delta = 2^-L`` its help page suggests (one prior observation
spread over the table). The estimate is the posterior median, the interval equal-tailed;
Madigan & York's "Bayes estimate" ``E[1/N] / E[1/N^2]`` (optimal under relative squared
error) and the posterior mode are reported too.

The graphs come from :mod:`uncounted.prevalence._decomposable` (8, 61 and 822 on 3, 4 and 5
lists, as dga's ``graphs3/4/5``). The grid of ``n0`` is ``0 .. max_missing``, by default
``max(1 000, 10 n)``; dga asks the user for it (``Nmissing``). The grid end matters: graphs
near the saturated one barely constrain ``n0``, and under ``p(N) ∝ 1/N`` their posterior tail
decays only like ``1/N``, so it never vanishes. A ``SparseDataWarning`` says when more than
0.1 % of the posterior lies in the last fifth of the grid. Cost: graphs × grid, in blocks of
4 096 values of ``n0``, so memory stays bounded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
from scipy.special import gammaln, logsumexp

from uncounted.errors import InvalidInput, SparseDataWarning
from uncounted.prevalence._base import PopulationEstimator
from uncounted.prevalence._decomposable import DecomposableGraph, decomposable_graphs
from uncounted.prevalence.assumptions import NO_HETEROGENEITY
from uncounted.prevalence.histories import CaptureHistories
from uncounted.prevalence.registry import register

__all__ = ["DecomposableBMA"]

_PRIORS = ("1/N", "uniform")
_TAIL = 1e-3  # posterior mass in the last fifth of the grid that makes the end matter
_BLOCK = 4096


@register
class DecomposableBMA(PopulationEstimator):
    """Population size by Bayesian model averaging over decomposable graphs (dga).

    Formula: see the module doc (Madigan & York 1997, *Biometrika* 84:19–31); defaults as
    the R package dga 2.0.2 ``bma.cr``: ``delta = 2^-L``, ``p(N) ∝ 1/N``, all decomposable
    graphs equally likely a priori. For 2 to 5 lists.

    Settings:
        delta: hyper-Dirichlet parameter; ``None`` means ``2^-L``.
        prior_n: ``"1/N"`` (dga's default), ``"uniform"``, or a function of the array of
            ``N`` values returning the log prior (unnormalised), as dga's ``logprior``.
        max_missing: largest number unseen on the grid (dga's ``Nmissing`` is
            ``0:max_missing``); ``None`` is ``max(1 000, 10 n)``.
        log_model_prior: log prior weight of each graph, in the order of
            ``graphs_`` (dga's ``log.prior.model.weights``); ``None`` is uniform.
        ci_level: level of the equal-tailed credible interval.

    Learned: ``population_`` (posterior median of ``N``), ``ci_``, ``posterior_n_`` (the
    ``N`` grid), ``posterior_`` (its probabilities), ``model_weights_`` (posterior
    probability of each graph), ``graphs_``, ``bayes_estimate_`` (``E[1/N]/E[1/N^2]``),
    ``posterior_mode_``, ``posterior_mean_``, ``model_`` (the edges of the most probable
    graph as "A:B" terms), ``top_models_`` (the five most probable graphs).
    """

    method: ClassVar[str] = "dga"
    label: ClassVar[str] = "Model averaging over decomposable graphs, Bayesian (dga; 2 to 5 lists)"
    n_lists: ClassVar[tuple[int, int | None]] = (2, 5)
    ci_methods: ClassVar[tuple[str, ...]] = ("credible",)
    assumes: ClassVar[tuple[str, str, str] | None] = (
        "any decomposable graph of dependence between lists, averaged by posterior weight "
        "(Madigan & York 1997)",
        NO_HETEROGENEITY,
        "Lists may depend in any decomposable pattern, averaged over; no heterogeneity.",
    )

    def __init__(
        self,
        delta: float | None = None,
        prior_n: str | Callable[[np.ndarray], np.ndarray] = "1/N",
        max_missing: int | None = None,
        log_model_prior: Sequence[float] | None = None,
        ci_level: float = 0.95,
    ) -> None:
        self.delta = delta
        self.prior_n = prior_n
        self.max_missing = max_missing
        self.log_model_prior = log_model_prior
        self.ci_level = ci_level

    def _validate(self) -> None:
        super()._validate()
        name = type(self).__name__
        d = self.delta
        if d is not None and (
            isinstance(d, bool)
            or not isinstance(d, int | float)
            or not (math.isfinite(d) and d > 0)
        ):
            raise InvalidInput(f"{name}: delta must be a positive number or None, got {d!r}.")
        if not (callable(self.prior_n) or self.prior_n in _PRIORS):
            raise InvalidInput(
                f"{name}: prior_n must be '1/N', 'uniform' or a function of N giving the log "
                f"prior, got {self.prior_n!r}."
            )
        m = self.max_missing
        if m is not None and (isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1):
            raise InvalidInput(f"{name}: max_missing must be a positive whole number, got {m!r}.")

    # ------------------------------------------------------------------ fitting
    def _fit(self, histories: CaptureHistories) -> None:
        L = histories.n_lists
        if L > 5:
            raise InvalidInput(
                f"{type(self).__name__}: model averaging over decomposable graphs is "
                f"implemented for 2 to 5 lists (dga's limit), got {L}; merge lists first "
                "(CaptureHistories.merge_lists)."
            )
        graphs = decomposable_graphs(L)
        model_prior = np.zeros(len(graphs))
        if self.log_model_prior is not None:
            model_prior = np.asarray(self.log_model_prior, dtype=np.float64)
            if model_prior.shape != (len(graphs),):
                raise InvalidInput(
                    f"log_model_prior must have one value per graph ({len(graphs)} on {L} "
                    f"lists), got shape {model_prior.shape}."
                )
        delta = float(self.delta) if self.delta is not None else 2.0**-L
        n = histories.n_observed
        table = _Table(histories, delta, graphs)
        upper = int(self.max_missing) if self.max_missing is not None else max(1000, 10 * n)
        log_joint_n, log_models = table.posterior(upper, self._log_prior_n, model_prior)
        total = logsumexp(log_joint_n)
        prob = np.exp(log_joint_n - total)
        prob /= prob.sum()
        n_values = n + np.arange(upper + 1, dtype=np.float64)
        weights = np.exp(log_models - total)
        weights /= weights.sum()
        self.graphs_ = graphs
        self.posterior_n_ = n_values
        self.posterior_ = prob
        self.model_weights_ = weights
        self.delta_ = delta
        tail = (1.0 - float(self.ci_level)) / 2.0
        cdf = np.cumsum(prob)
        self.population_ = float(_quantile(n_values, cdf, 0.5))
        self.ci_ = (
            float(_quantile(n_values, cdf, tail)),
            float(_quantile(n_values, cdf, 1 - tail)),
        )
        self.ci_method_ = "credible"
        self.posterior_mean_ = float(prob @ n_values)
        self.posterior_mode_ = float(n_values[int(np.argmax(prob))])
        self.bayes_estimate_ = float((prob @ (1.0 / n_values)) / (prob @ n_values**-2.0))
        lists = histories.lists
        order = np.argsort(-weights, kind="stable")
        self.model_ = _terms(graphs[int(order[0])], lists)
        self.top_models_ = [
            {
                "model": " + ".join(_terms(graphs[int(i)], lists)) or "()",
                "weight": float(weights[i]),
            }
            for i in order[:5]
        ]
        edge = float(prob[int(0.8 * upper) :].sum())
        self.grid_tail_mass_ = edge
        if edge > _TAIL:
            self._warn(
                f"the posterior of N still has {edge:.1e} of its mass beyond "
                f"{n + int(0.8 * upper):,} on a grid ending at {n + upper:,}: the data barely "
                "bound the population above; the median and interval depend on where the grid "
                "ends (set max_missing to move it).",
                SparseDataWarning,
            )

    def _log_prior_n(self, n_values: np.ndarray) -> np.ndarray:
        if callable(self.prior_n):
            out = np.asarray(self.prior_n(n_values), dtype=np.float64)
            if out.shape != n_values.shape:
                raise InvalidInput("prior_n must return one log prior value per N.")
            return out
        if self.prior_n == "uniform":
            return np.zeros_like(n_values)
        return np.asarray(-np.log(n_values))

    def _extra_dict(self) -> dict[str, Any]:
        return {
            "delta": self.delta_,
            "posterior_mean": self.posterior_mean_,
            "posterior_mode": self.posterior_mode_,
            "bayes_estimate": self.bayes_estimate_,
            "n_graphs": len(self.graphs_),
            "top_models": self.top_models_,
            "grid_max": float(self.posterior_n_[-1]),
        }


def _terms(graph: DecomposableGraph, lists: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{lists[i]}:{lists[j]}" for i, j in graph.edges)


def _quantile(values: np.ndarray, cdf: np.ndarray, q: float) -> float:
    """Smallest value whose cumulative probability reaches ``q`` (a discrete quantile)."""
    idx = int(np.searchsorted(cdf, q - 1e-12, side="left"))
    return float(values[min(idx, values.size - 1)])


class _Table:
    """The clique terms ``c_A`` of every non-empty list subset, and each graph's incidence."""

    def __init__(
        self, histories: CaptureHistories, delta: float, graphs: tuple[DecomposableGraph, ...]
    ) -> None:
        L = histories.n_lists
        pats = histories.patterns.astype(np.int64)
        counts = histories.counts.astype(np.float64)
        self.n = histories.n_observed
        self.delta_total = delta * 2.0**L
        self.log_mult = -float(gammaln(counts + 1.0).sum())
        n_subsets = (1 << L) - 1
        # per subset A: margin cell 0 (observed, on none of A), and the constant part
        self.zero_cell = np.zeros(n_subsets)
        self.delta_a = np.zeros(n_subsets)
        self.const = np.zeros(n_subsets)
        weights = 1 << np.arange(L)
        for mask in range(1, 1 << L):
            members = [j for j in range(L) if mask >> j & 1]
            size = len(members)
            d_a = delta * 2.0 ** (L - size)
            cell = (pats[:, members] * weights[:size]).sum(axis=1)
            margin = np.bincount(cell, weights=counts, minlength=1 << size)
            self.zero_cell[mask - 1] = margin[0]
            self.delta_a[mask - 1] = d_a
            self.const[mask - 1] = float(gammaln(margin[1:] + d_a).sum()) - (1 << size) * float(
                gammaln(d_a)
            )
        self.incidence = np.zeros((len(graphs), n_subsets))
        self.n_factors = np.zeros(len(graphs))
        for g, graph in enumerate(graphs):
            for c in graph.cliques:
                self.incidence[g, c - 1] += 1.0
            for s in graph.separators:
                self.incidence[g, s - 1] -= 1.0
            self.n_factors[g] = len(graph.cliques) - len(graph.separators)

    def posterior(
        self,
        upper: int,
        log_prior_n: Callable[[np.ndarray], np.ndarray],
        log_model_prior: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(log p(n0, y) summed over graphs, for n0 = 0..upper; log p(g, y) summed over n0),
        both unnormalised on the same scale."""
        by_n = np.empty(upper + 1)
        by_model = np.full(self.incidence.shape[0], -np.inf)
        for start in range(0, upper + 1, _BLOCK):
            n0 = np.arange(start, min(upper + 1, start + _BLOCK), dtype=np.float64)
            comp = (
                gammaln(self.zero_cell[:, None] + n0[None, :] + self.delta_a[:, None])
                + self.const[:, None]
            )
            total = self.n + n0
            denom = gammaln(self.delta_total) - gammaln(total + self.delta_total)
            common = gammaln(total + 1.0) + self.log_mult - gammaln(n0 + 1.0) + log_prior_n(total)
            log_w = (
                self.incidence @ comp
                + self.n_factors[:, None] * denom[None, :]
                + common[None, :]
                + log_model_prior[:, None]
            )
            # one exponential per entry, scaled by the block's maximum: entries more than
            # ~745 below it underflow to 0, i.e. a relative weight under 1e-323
            top = float(log_w.max())
            scaled = np.exp(log_w - top)
            with np.errstate(divide="ignore"):
                by_n[start : start + n0.size] = top + np.log(scaled.sum(axis=0))
                by_model = np.logaddexp(by_model, top + np.log(scaled.sum(axis=1)))
        return by_n, by_model
