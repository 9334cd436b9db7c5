"""A synthetic migrant-worker survey where destination, sector and recruitment drive forced
labour and education and awareness do not (the finding of Kiss et al. 2020, *Journal of
Computational Social Science*, from a Bayesian network over survey data).

Generating structure (a DAG)::

    destination → sector → forced_labour
    destination → recruitment → forced_labour
    destination → forced_labour
    education → awareness                 (no path to forced_labour)

Conditional probabilities are fixed below; ``P(forced_labour = yes)`` is a logistic function of
destination, sector and recruitment effects.
"""

from __future__ import annotations

import numpy as np
import polars as pl

DESTINATIONS = ("TH", "MY", "AU")
SECTORS = ("fishing", "construction", "domestic", "agriculture", "manufacturing")
RECRUITMENT = ("broker", "informal_agent", "licensed_agency", "direct")
EDUCATION = ("none", "primary", "secondary")

#: The true edges of the generating network.
TRUE_EDGES: frozenset[tuple[str, str]] = frozenset(
    {
        ("destination", "sector"),
        ("destination", "recruitment"),
        ("destination", "forced_labour"),
        ("sector", "forced_labour"),
        ("recruitment", "forced_labour"),
        ("education", "awareness"),
    }
)

_SECTOR_GIVEN_DEST = {
    "TH": (0.40, 0.20, 0.10, 0.20, 0.10),
    "MY": (0.05, 0.30, 0.25, 0.25, 0.15),
    "AU": (0.02, 0.18, 0.10, 0.50, 0.20),
}
_RECRUIT_GIVEN_DEST = {
    "TH": (0.45, 0.35, 0.10, 0.10),
    "MY": (0.30, 0.30, 0.30, 0.10),
    "AU": (0.10, 0.10, 0.60, 0.20),
}
_LOGIT_DEST = {"TH": 1.0, "MY": 0.2, "AU": -1.4}
_LOGIT_SECTOR = {
    "fishing": 1.6,
    "construction": 0.5,
    "domestic": 0.9,
    "agriculture": 0.0,
    "manufacturing": -0.4,
}
_LOGIT_RECRUIT = {"broker": 1.0, "informal_agent": 0.7, "licensed_agency": -0.8, "direct": -0.3}


def forced_labour_probability(destination: str, sector: str, recruitment: str) -> float:
    """The generator's true ``P(forced_labour = yes | destination, sector, recruitment)``."""
    z = -1.6 + _LOGIT_DEST[destination] + _LOGIT_SECTOR[sector] + _LOGIT_RECRUIT[recruitment]
    return float(1.0 / (1.0 + np.exp(-z)))


def simulate_migrant_survey(n: int = 5000, seed: int = 0) -> pl.DataFrame:
    """``n`` respondents: destination, sector, recruitment, education, awareness, forced_labour."""
    rng = np.random.default_rng(seed)
    dest = rng.choice(DESTINATIONS, n, p=(0.45, 0.4, 0.15))
    sector = np.array([rng.choice(SECTORS, p=_SECTOR_GIVEN_DEST[d]) for d in dest])
    recruit = np.array([rng.choice(RECRUITMENT, p=_RECRUIT_GIVEN_DEST[d]) for d in dest])
    education = rng.choice(EDUCATION, n, p=(0.3, 0.45, 0.25))
    p_aware = np.select([education == "none", education == "primary"], [0.25, 0.45], 0.7)
    aware = np.where(rng.random(n) < p_aware, "yes", "no")
    p_fl = np.array(
        [forced_labour_probability(d, s, r) for d, s, r in zip(dest, sector, recruit, strict=True)]
    )
    forced = np.where(rng.random(n) < p_fl, "yes", "no")
    return pl.DataFrame(
        {
            "destination": dest,
            "sector": sector,
            "recruitment": recruit,
            "education": education,
            "awareness": aware,
            "forced_labour": forced,
        }
    )


__all__ = [
    "DESTINATIONS",
    "EDUCATION",
    "RECRUITMENT",
    "SECTORS",
    "TRUE_EDGES",
    "forced_labour_probability",
    "simulate_migrant_survey",
]
