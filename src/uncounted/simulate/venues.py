"""Synthetic undercover venue surveys with a known true share of minors.

A population of venues per stratum, each with an expected number of people in commercial sex
``λ_v ~ Gamma(2, 4)`` and a venue-level probability that a person is a minor
``p_v ~ Beta(κ·s, κ·(1 − s))`` (mean ``s``, the round's target share; κ = 8). The **true share
of minors** is the population ratio ``Σ λ_v p_v / Σ λ_v``. A round draws ``n`` venues per stratum
by simple random sampling (weight ``N_h / n_h``) and visits each twice; a visit sees
``Poisson(λ_v)`` people, of whom ``Binomial(·, p_v)`` are minors and about a third of those
aged 15 or under; a minor is offered when one is present with probability 0.7, after
``Exponential(mean 40)`` minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class VenueSurveyRound:
    """One simulated survey round and its truth."""

    observations: pl.DataFrame
    true_share_minors: float
    true_share_venues_with_minors: float


def simulate_venue_survey(
    share_minors: float,
    *,
    strata: int = 4,
    venues_per_stratum: int = 200,
    sampled_per_stratum: int = 30,
    visits: int = 2,
    seed: int = 0,
) -> VenueSurveyRound:
    """A survey round whose venue population has the given mean share of minors."""
    rng = np.random.default_rng(seed)
    kappa = 8.0
    rows: list[tuple[str, str, float, int, int, int, bool, float | None]] = []
    num = den = with_minor = 0.0
    for h in range(strata):
        lam = rng.gamma(2.0, 4.0, venues_per_stratum)
        p = rng.beta(kappa * share_minors, kappa * (1 - share_minors), venues_per_stratum)
        num += float(np.sum(lam * p))
        den += float(np.sum(lam))
        with_minor += float(np.sum(1 - np.exp(-lam * p * visits)))
        chosen = rng.choice(venues_per_stratum, sampled_per_stratum, replace=False)
        weight = venues_per_stratum / sampled_per_stratum / visits
        for v in chosen:
            for _ in range(visits):
                seen = int(rng.poisson(lam[v]))
                minors = int(rng.binomial(seen, p[v]))
                young = int(rng.binomial(minors, 1 / 3))
                offered = bool(minors > 0 and rng.random() < 0.7)
                minutes = float(rng.exponential(40.0)) if offered else None
                rows.append((f"S{h}", f"S{h}-V{v}", weight, seen, minors, young, offered, minutes))
    obs = pl.DataFrame(
        rows,
        schema={
            "stratum": pl.String,
            "venue": pl.String,
            "weight": pl.Float64,
            "persons_seen": pl.Int64,
            "minors_seen": pl.Int64,
            "under16_seen": pl.Int64,
            "minor_offered": pl.Boolean,
            "minutes_to_offer": pl.Float64,
        },
        orient="row",
    )
    return VenueSurveyRound(obs, num / den, with_minor / (strata * venues_per_stratum))


__all__ = ["VenueSurveyRound", "simulate_venue_survey"]
