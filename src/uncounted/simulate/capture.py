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

:func:`simulate_demo_lists` draws lists the way the demo world does (``simulate.world``): a
log-normal catchability with standard deviation ``frailty_sd`` multiplies every agency's
detection hazard, two agencies see only their own country, and two lists depend on upstream
ones (referrals). It is the "demo-like" scenario of the coverage study.
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


def simulate_demo_lists(
    *, population: int = 4000, frailty_sd: float = 0.8, seed: int = 0
) -> SimulatedLists:
    """Five agencies' lists drawn as in the demo world (:func:`uncounted.simulate.world`'s
    default agencies and countries): person ``i`` is on agency ``a``'s list with probability
    ``1 - exp(-rate_a * c_i * scope * referral)``, ``c_i ~ LogNormal(-sd**2/2, sd)``."""
    from uncounted.simulate.world import COUNTRIES, DEFAULT_AGENCIES

    if population < 10 or frailty_sd < 0:
        raise InvalidInput("population must be at least 10 and frailty_sd non-negative.")
    rng = np.random.default_rng(seed)
    countries = np.array(list(COUNTRIES))
    weights = np.array([0.25, 0.12, 0.25, 0.18, 0.1, 0.05, 0.05])
    country = rng.choice(countries, size=population, p=weights)
    catch = rng.lognormal(-(frailty_sd**2) / 2, frailty_sd, population)
    seen: dict[str, np.ndarray] = {}
    for code, _name, _kind, scope, rate, upstream, dependence in DEFAULT_AGENCIES:
        hazard = rate * catch
        if upstream:
            hazard = hazard * np.where(seen[upstream], np.exp(dependence), 1.0)
        if scope:
            hazard = np.where(country == scope, hazard * 2.5, 0.0)
        seen[code] = rng.random(population) < 1.0 - np.exp(-hazard)
    names = [code for code, *_ in DEFAULT_AGENCIES]
    caught = np.column_stack([seen[c] for c in names])
    rows = caught[caught.any(axis=1)].astype(np.int64)
    frame = pl.DataFrame(rows, schema=names, orient="row")
    table = frame.group_by(names).len("count").sort(names)
    return SimulatedLists(table, population)


__all__ = ["SCENARIOS", "Scenario", "SimulatedLists", "simulate_demo_lists", "simulate_lists"]
