"""Capture histories from a known population, for checking estimators' bias and coverage.

Three standard scenarios of the multiple-systems-estimation literature (e.g. Chan, Silverman &
Vincent 2021, §5; Manrique-Vallier 2016, §5):

* ``independent`` — every person is on list ``j`` with probability ``p_j``, independently;
* ``dependent`` — as above, but being on list A multiplies the odds of being on list B by
  ``odds_ratio`` (a referral from one agency to another: positive dependence);
* ``heterogeneous`` — each person has a catchability ``c ~ LogNormal(−σ²/2, σ)`` (mean 1) that
  scales the log-odds of capture on every list: some people are easier for everyone to see.

The all-zero history (people on no list) is removed, as in real data; ``population`` is the
truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from uncounted.errors import InvalidInput

Scenario = Literal["independent", "dependent", "heterogeneous"]
SCENARIOS: tuple[Scenario, ...] = ("independent", "dependent", "heterogeneous")


@dataclass(frozen=True)
class SimulatedLists:
    """An aggregated capture-history table and the true population size."""

    table: pl.DataFrame  # one 0/1 column per list, and "count"
    population: int


def simulate_lists(
    scenario: Scenario = "independent",
    *,
    population: int = 2000,
    probabilities: tuple[float, ...] = (0.2, 0.25, 0.3, 0.2),
    odds_ratio: float = 4.0,
    sigma: float = 1.0,
    seed: int = 0,
) -> SimulatedLists:
    """Lists ``A, B, C, …`` drawn from ``population`` people under ``scenario``."""
    if scenario not in SCENARIOS:
        raise InvalidInput(f"scenario must be one of {', '.join(SCENARIOS)}.")
    if len(probabilities) < 2 or not all(0 < p < 1 for p in probabilities):
        raise InvalidInput("Give at least two capture probabilities, each between 0 and 1.")
    rng = np.random.default_rng(seed)
    logit = np.log(np.asarray(probabilities) / (1 - np.asarray(probabilities)))
    lin = np.tile(logit, (population, 1))
    if scenario == "heterogeneous":
        c = rng.lognormal(-(sigma**2) / 2, sigma, population)
        lin = lin + np.log(c)[:, None]
    caught = rng.random(lin.shape) < 1 / (1 + np.exp(-lin))
    if scenario == "dependent":
        boosted = logit[1] + np.log(odds_ratio)
        on_b = rng.random(population) < np.where(
            caught[:, 0], 1 / (1 + np.exp(-boosted)), 1 / (1 + np.exp(-logit[1]))
        )
        caught[:, 1] = on_b
    names = [chr(ord("A") + j) for j in range(len(probabilities))]
    seen = caught[caught.any(axis=1)].astype(np.int64)
    frame = pl.DataFrame(seen, schema=names, orient="row")
    table = frame.group_by(names).len("count").sort(names)
    return SimulatedLists(table, population)


__all__ = ["SCENARIOS", "Scenario", "SimulatedLists", "simulate_lists"]
