"""A synthetic world with a known truth, for the demo, the tests and the benchmarks.

The generator draws, from one seed:

1. a **hidden population** of victims across countries of exploitation, each with sex, age,
   citizenship, exploitation type, year and a latent *catchability* (log-normal frailty, so
   some people are much easier for every agency to see than others);
2. **agency lists**: each agency records a victim with probability
   ``1 - exp(-base_rate * catchability)`` (restricted to its country where it is national),
   and some lists depend on others (an NGO that takes police referrals is likelier to record
   people the police recorded) — the raw material of multiple systems estimation;
3. **cases** grouping identified victims with suspects, whose suspects move through the
   justice stages with the transition probabilities and gamma-distributed delays of
   :class:`JusticeTruth`, censored at ``config.end``; some cases are cross-border, with a
   linked proceeding in the victim's country;
4. **survivors** in aftercare with repeated assessments (intake, 6 months, then yearly) whose
   domain scores recover at person-specific rates.

Everything is returned as Polars frames named after the store's tables, plus the truth.
Same seed, same world.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from uncounted.errors import InvalidInput
from uncounted.simulate._justice import simulate_justice
from uncounted.simulate._names import random_identity
from uncounted.simulate.survivors import ASSESSMENT_ITEMS, simulate_assessments

COUNTRIES: dict[str, str] = {
    "PH": "Philippines",
    "KH": "Cambodia",
    "TH": "Thailand",
    "MY": "Malaysia",
    "ID": "Indonesia",
    "MM": "Myanmar",
    "AU": "Australia",
}

#: (code, name, HTCDS org_Type, country or "" for regional, base detection rate,
#:  list it takes referrals from or "", strength of that dependence)
DEFAULT_AGENCIES: tuple[tuple[str, str, str, str, float, str, float], ...] = (
    ("PNP", "Philippine National Police AITF", "LawEnforcement", "PH", 0.35, "", 0.0),
    ("TH-DSI", "Thai Dept. of Special Investigation", "LawEnforcement", "TH", 0.30, "", 0.0),
    ("NGO-SEA", "Regional shelter NGO", "NGO", "", 0.10, "PNP", 1.2),
    ("LAB-INSP", "Regional labour inspectorate", "LabourInspectorate", "", 0.07, "", 0.0),
    ("IOM-RET", "Return and reintegration programme", "NGO", "", 0.05, "NGO-SEA", 0.8),
)

EXPLOITATION_TYPES = ("SexualExploitation", "ForcedLabour", "ForcedMarriage", "Other")


@dataclass(frozen=True)
class JusticeTruth:
    """The true stage transition probabilities and mean delays (days) of the generator.

    ``p_*`` are conditional on reaching the previous stage; delays are gamma with shape 2 and
    the given mean. A suspect's verdict is conviction with ``p_convicted``, acquittal with
    ``p_acquitted``, dismissal otherwise.
    """

    p_investigation: float = 0.9
    p_arrest: float = 0.6
    p_charge: float = 0.7
    p_trafficking_charge: float = 0.75
    p_trial: float = 0.85
    p_convicted: float = 0.6
    p_acquitted: float = 0.3
    p_appeal: float = 0.3
    p_upheld: float = 0.7
    p_custodial: float = 0.8
    mean_days: dict[str, float] = field(
        default_factory=lambda: {
            "report->investigation": 20.0,
            "investigation->arrest": 90.0,
            "arrest->charge": 60.0,
            "charge->trial": 150.0,
            "trial->verdict": 240.0,
            "verdict->sentence": 30.0,
            "verdict->appeal": 300.0,
        }
    )

    @property
    def median_days(self) -> dict[str, float]:
        """True median delay of each transition (gamma, shape 2, median ≈ 0.8392 × mean)."""
        from scipy.stats import gamma

        return {k: float(gamma(2, scale=m / 2).median()) for k, m in self.mean_days.items()}


@dataclass(frozen=True)
class WorldConfig:
    """Settings of a synthetic world; the defaults make a small, realistic demo."""

    seed: int = 2026
    n_victims: int = 4000
    start: dt.date = dt.date(2021, 1, 1)
    end: dt.date = dt.date(2025, 6, 30)
    frailty_sd: float = 0.8
    minor_share: float = 0.25
    cross_border_share: float = 0.45
    linked_proceeding_share: float = 0.3
    agencies: tuple[tuple[str, str, str, str, float, str, float], ...] = DEFAULT_AGENCIES
    justice: JusticeTruth = field(default_factory=JusticeTruth)
    restoration_threshold: float = 3.0

    def validate(self) -> None:
        """Raise :class:`InvalidInput` for settings that cannot make a world."""
        if self.n_victims < 10:
            raise InvalidInput("A world needs at least 10 victims (n_victims).")
        if self.end <= self.start:
            raise InvalidInput("The world's end date must come after its start date.")
        if len(self.agencies) < 2:
            raise InvalidInput("A world needs at least two agencies' lists.")


@dataclass(frozen=True)
class WorldTruth:
    """What really happened in the world, to check estimators against."""

    population: int
    population_by_country: dict[str, int]
    list_rates: dict[str, float]
    justice: JusticeTruth
    victim_ids_by_list: dict[str, frozenset[int]]
    restoration_rate: dict[str, float]


@dataclass(frozen=True)
class World:
    """A synthetic world: frames named after the store's tables, and the truth."""

    config: WorldConfig
    frames: dict[str, pl.DataFrame]
    truth: WorldTruth
    population: pl.DataFrame  # the hidden population, one row per true victim

    def summary(self) -> dict[str, Any]:
        """Row counts per table and the true population, for the demo's printout."""
        return {
            "population": self.truth.population,
            **{name: frame.height for name, frame in self.frames.items()},
        }


def _gamma_days(rng: np.random.Generator, mean: float) -> int:
    return max(1, round(float(rng.gamma(2.0, mean / 2.0))))


def simulate_world(config: WorldConfig | None = None) -> World:
    """Generate a world from ``config`` (same seed, same world)."""
    cfg = config or WorldConfig()
    cfg.validate()
    rng = np.random.default_rng(cfg.seed)
    population = _hidden_population(cfg, rng)
    agencies = _agencies(cfg)
    jurisdictions = pl.DataFrame(
        {
            "id": list(range(1, len(COUNTRIES) + 1)),
            "country": list(COUNTRIES),
            "subdivision": [None] * len(COUNTRIES),
            "name": list(COUNTRIES.values()),
        },
        schema_overrides={"subdivision": pl.String},
    )
    jid = dict(zip(jurisdictions["country"], jurisdictions["id"], strict=True))
    memberships, seen_by = _lists(cfg, rng, population, agencies)
    seen = sorted(set().union(*seen_by.values()))
    pop_seen = population.filter(pl.col("victim").is_in(seen))
    persons, identities, person_of = _victim_persons(rng, pop_seen, cfg)
    memberships = memberships.with_columns(
        pl.col("victim").replace_strict(person_of).alias("person_id")
    ).drop("victim")
    memberships = memberships.with_row_index("id", offset=1).with_columns(pl.col("id").cast(int))
    justice = simulate_justice(cfg, rng, pop_seen, persons, identities, agencies, jid)
    survivors = simulate_assessments(
        rng, justice.pop("_aftercare_starts"), cfg.end, cfg.restoration_threshold
    )
    frames: dict[str, pl.DataFrame] = {
        "agencies": agencies.select("id", "code", "name", "org_type", "country"),
        "jurisdictions": jurisdictions,
        **justice,
        "list_memberships": memberships.select(
            "id", "person_id", "agency_id", "period", "recorded_on"
        ),
        **survivors.frames,
    }
    listing = agencies.filter(pl.col("rate") > 0)
    codes = dict(zip(listing["code"], listing["id"], strict=True))
    truth = WorldTruth(
        population=population.height,
        population_by_country=dict(
            population.group_by("country").len().sort("country").iter_rows()
        ),
        list_rates={a[0]: a[4] for a in cfg.agencies},
        justice=cfg.justice,
        victim_ids_by_list={
            code: frozenset(person_of[v] for v in seen_by[codes[code]]) for code in codes
        },
        restoration_rate=survivors.truth,
    )
    return World(config=cfg, frames=frames, truth=truth, population=population)


def _hidden_population(cfg: WorldConfig, rng: np.random.Generator) -> pl.DataFrame:
    n = cfg.n_victims
    countries = np.array(list(COUNTRIES))
    weights = np.array([0.25, 0.12, 0.25, 0.18, 0.1, 0.05, 0.05])
    country = rng.choice(countries, size=n, p=weights)
    home = np.where(
        rng.random(n) < cfg.cross_border_share,
        rng.choice(np.array(["KH", "MM", "ID", "PH"]), size=n),
        country,
    )
    minor = rng.random(n) < cfg.minor_share
    age = np.where(minor, rng.integers(9, 18, n), rng.integers(18, 56, n))
    years = (cfg.end.year - cfg.start.year) + 1
    days = (cfg.end - cfg.start).days
    return pl.DataFrame(
        {
            "victim": np.arange(1, n + 1),
            "country": country,
            "citizenship": home,
            "sex": rng.choice(np.array(["Female", "Male"]), size=n, p=[0.62, 0.38]),
            "age": age,
            "minor": minor,
            "exploitation_type": rng.choice(
                np.array(EXPLOITATION_TYPES), size=n, p=[0.45, 0.45, 0.05, 0.05]
            ),
            "exploited_on": [
                cfg.start + dt.timedelta(days=int(d)) for d in rng.integers(0, days, n)
            ],
            "catchability": rng.lognormal(-(cfg.frailty_sd**2) / 2, cfg.frailty_sd, n),
            "years_span": np.full(n, years),
        }
    )


def _agencies(cfg: WorldConfig) -> pl.DataFrame:
    """The listing agencies of the config, plus a national police (no list) for each country
    whose cases would otherwise have no law-enforcement owner."""
    rows = list(cfg.agencies)
    policed = {a[3] for a in rows if a[2] == "LawEnforcement"}
    rows += [
        (f"{c}-POLICE", f"{name} national police", "LawEnforcement", c, 0.0, "", 0.0)
        for c, name in COUNTRIES.items()
        if c not in policed
    ]
    return pl.DataFrame(
        {
            "id": list(range(1, len(rows) + 1)),
            "code": [a[0] for a in rows],
            "name": [a[1] for a in rows],
            "org_type": [a[2] for a in rows],
            "country": [a[3] or "TH" for a in rows],
            "scope": [a[3] for a in rows],
            "rate": [a[4] for a in rows],
            "depends_on": [a[5] for a in rows],
            "dependence": [a[6] for a in rows],
        }
    )


def _lists(
    cfg: WorldConfig, rng: np.random.Generator, pop: pl.DataFrame, agencies: pl.DataFrame
) -> tuple[pl.DataFrame, dict[int, set[int]]]:
    """Each agency's list: who it recorded, and when (a date after exploitation began)."""
    catch = pop["catchability"].to_numpy()
    country = pop["country"].to_numpy()
    victims = pop["victim"].to_numpy()
    seen: dict[int, np.ndarray] = {}
    by_code: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for agency in agencies.filter(pl.col("rate") > 0).iter_rows(named=True):
        hazard = agency["rate"] * catch
        if agency["depends_on"]:
            upstream = seen[by_code[agency["depends_on"]]]
            hazard = hazard * np.where(upstream, np.exp(agency["dependence"]), 1.0)
        if agency["scope"]:
            hazard = np.where(country == agency["scope"], hazard * 2.5, 0.0)
        caught = rng.random(len(victims)) < 1.0 - np.exp(-hazard)
        seen[agency["id"]] = caught
        by_code[agency["code"]] = agency["id"]
        for idx in np.flatnonzero(caught):
            start: dt.date = pop["exploited_on"][int(idx)]
            recorded = min(cfg.end, start + dt.timedelta(days=_gamma_days(rng, 120)))
            rows.append(
                {
                    "victim": int(victims[idx]),
                    "agency_id": agency["id"],
                    "period": str(recorded.year),
                    "recorded_on": recorded,
                }
            )
    frame = pl.DataFrame(
        rows,
        schema={
            "victim": pl.Int64,
            "agency_id": pl.Int64,
            "period": pl.String,
            "recorded_on": pl.Date,
        },
    )
    return frame, {aid: set(victims[mask].tolist()) for aid, mask in seen.items()}


def _victim_persons(
    rng: np.random.Generator, pop_seen: pl.DataFrame, cfg: WorldConfig
) -> tuple[pl.DataFrame, list[dict[str, Any]], dict[int, int]]:
    person_of = {int(v): i + 1 for i, v in enumerate(pop_seen["victim"])}
    persons = pop_seen.select(
        pl.col("victim").replace_strict(person_of).alias("id"),
        pl.lit(None, dtype=pl.Int64).alias("source_agency_id"),
        pl.col("victim").cast(pl.String).alias("external_id"),
        "sex",
        (pl.col("exploited_on").dt.year() - pl.col("age")).alias("birth_year"),
        pl.col("age").alias("age_at_identification"),
        "citizenship",
    )
    identities = [
        {"person_id": pid, **random_identity(rng, citizenship, sex, birth_year)}
        for pid, citizenship, sex, birth_year in persons.select(
            "id", "citizenship", "sex", "birth_year"
        ).iter_rows()
    ]
    return persons, identities, person_of


__all__ = [
    "ASSESSMENT_ITEMS",
    "COUNTRIES",
    "JusticeTruth",
    "World",
    "WorldConfig",
    "WorldTruth",
    "simulate_world",
]
