"""Drivers of forced labour: a discrete Bayesian network over migrant-worker survey data.

Following Kiss et al. (2020, *Journal of Computational Social Science*), the network is either
**learned** — greedy hill-climbing over DAGs scored by BIC (Schwarz 1978; the decomposable
discrete BIC, ``log L − ½·log(n)·#parameters``, as in pgmpy's ``bic-d``) — or **given** by
experts as a list of edges. Conditional probability tables are then fitted with a BDeu prior
(equivalent sample size 5; Heckerman, Geiger & Chickering 1995) so that rare combinations get no
zero probabilities. Queries use exact inference (variable elimination).

The **sensitivity table** answers "what changes the risk?": for each other variable ``X`` and
each of its states ``x``, ``P(outcome = state | X = x)`` and its difference from the marginal
``P(outcome = state)``; the spread (max − min over ``x``) ranks the drivers. Association in the
network is not proof of cause: the table says where risk concentrates, not why.

pgmpy (the established library for this) does the learning, fitting and inference.
"""

from __future__ import annotations

import warnings
from typing import Any, Self

import polars as pl

from uncounted.errors import InvalidInput, NotFitted


def _pgmpy() -> tuple[Any, Any, Any, Any]:
    from uncounted._extras import require

    with warnings.catch_warnings():  # pgmpy 1.1 warns about its own renamed modules on import
        warnings.simplefilter("ignore", FutureWarning)
        require("pgmpy")  # a clear message when the 'drivers' extra is not installed
        from pgmpy.causal_discovery import HillClimbSearch
        from pgmpy.inference import VariableElimination
        from pgmpy.models import DiscreteBayesianNetwork
        from pgmpy.parameter_estimator import DiscreteBayesianEstimator
    return HillClimbSearch, DiscreteBayesianNetwork, DiscreteBayesianEstimator, VariableElimination


class DriverNetwork:
    """A Bayesian network of forced-labour drivers: ``fit(survey)``, then query it.

    Settings: ``outcome`` (the column whose risk is explained), ``edges`` (expert structure;
    ``None`` learns it), ``max_indegree`` (cap on parents during learning),
    ``equivalent_sample_size`` (strength of the BDeu prior).
    Learned: ``edges_``, ``states_``, ``n_``.
    """

    def __init__(
        self,
        outcome: str = "forced_labour",
        edges: list[tuple[str, str]] | None = None,
        max_indegree: int | None = 3,
        equivalent_sample_size: float = 5.0,
    ) -> None:
        self.outcome = outcome
        self.edges = edges
        self.max_indegree = max_indegree
        self.equivalent_sample_size = equivalent_sample_size

    def fit(self, survey: pl.DataFrame | Any) -> Self:
        """Learn (or take) the structure and fit the probability tables on ``survey`` (one
        row per respondent; a Polars or pandas DataFrame, or a dict of columns)."""
        from uncounted._tables import require_frame

        survey = require_frame(survey, "the survey (one row per respondent)")
        if self.outcome not in survey.columns:
            raise InvalidInput(f"The survey has no column {self.outcome!r} (the outcome).")
        if survey.height < 50:
            raise InvalidInput("A Bayesian network needs at least 50 respondents to learn from.")
        if self.equivalent_sample_size <= 0:
            raise InvalidInput("equivalent_sample_size must be positive.")
        data = survey.select(pl.all().cast(pl.String)).drop_nulls()
        if data.height < survey.height:
            raise InvalidInput(
                f"{survey.height - data.height} respondent(s) have missing answers; drop or "
                "impute them first (the network is fitted on complete answers)."
            )
        frame = data.to_pandas()
        search, network, bayes, _ = _pgmpy()
        if self.edges is None:
            learner = search(
                scoring_method="bic-d",
                max_indegree=self.max_indegree,
                return_type="dag",
                show_progress=False,
            ).fit(frame)
            edges = sorted((str(a), str(b)) for a, b in learner.causal_graph_.edges())
        else:
            unknown = {v for e in self.edges for v in e} - set(frame.columns)
            if unknown:
                raise InvalidInput(f"Edges name unknown variables: {', '.join(sorted(unknown))}.")
            edges = sorted(self.edges)
        model = network(edges)
        model.add_nodes_from(list(frame.columns))
        model.fit(frame, estimator=bayes(equivalent_sample_size=self.equivalent_sample_size))
        self._model = model
        self.edges_ = edges
        self.states_ = {c: sorted(data[c].unique().to_list()) for c in data.columns}
        self.n_ = data.height
        return self

    def _check(self) -> None:
        if not hasattr(self, "_model"):
            raise NotFitted("Call fit(survey) before querying the network.")

    def query(self, evidence: dict[str, str] | None = None) -> dict[str, float]:
        """``P(outcome | evidence)`` as {state: probability}."""
        self._check()
        evidence = dict(evidence or {})
        for var, value in evidence.items():
            if var not in self.states_:
                raise InvalidInput(f"Unknown variable {var!r}; known: {', '.join(self.states_)}.")
            if value not in self.states_[var]:
                raise InvalidInput(
                    f"{value!r} is not a state of {var}; states: {', '.join(self.states_[var])}."
                )
        *_, elimination = _pgmpy()
        result = elimination(self._model).query(
            [self.outcome], evidence=evidence or None, show_progress=False
        )
        names = result.state_names[self.outcome]
        return {str(s): float(p) for s, p in zip(names, result.values, strict=True)}

    def sensitivity(self, state: str = "yes") -> pl.DataFrame:
        """For every variable and state, ``P(outcome = state | X = x)`` and its difference from
        the marginal; sorted by each variable's spread (the strongest driver first)."""
        self._check()
        base = self.query()[state]
        rows = []
        for var, values in self.states_.items():
            if var == self.outcome:
                continue
            probs = {v: self.query({var: v})[state] for v in values}
            spread = max(probs.values()) - min(probs.values())
            rows += [
                {
                    "variable": var,
                    "state": v,
                    "probability": p,
                    "difference": p - base,
                    "spread": spread,
                }
                for v, p in probs.items()
            ]
        return pl.DataFrame(rows).sort(["spread", "variable", "probability"], descending=True)

    def parents(self, variable: str | None = None) -> list[str]:
        """The parents of ``variable`` (default: the outcome) in the fitted network."""
        self._check()
        target = variable or self.outcome
        return sorted(a for a, b in self.edges_ if b == target)


__all__ = ["DriverNetwork"]
