"""The frames the justice measures read, checked once at the door.

:class:`JusticeData` bundles the case-database tables the indicators need, as Polars frames
named after the store's tables (``justice_events``, ``case_persons``, ``persons``, ``cases``,
``case_links``, ``aftercare_steps``, ``jurisdictions``) plus an optional population table
(``jurisdiction``, ``year``, ``population``) for rates per 100 000. It never reads a database:
``uncounted.store.frames.justice_tables`` or a synthetic world's ``frames`` supply the tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from uncounted.errors import InvalidInput

#: Columns each table must have (others are ignored).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "justice_events": (
        "case_id",
        "person_id",
        "stage",
        "occurred_on",
        "jurisdiction_id",
        "outcome",
        "offence",
        "sentence_months",
        "custodial",
        "protective_measures",
        "compensation",
        "joint_operation",
    ),
    "case_persons": ("case_id", "person_id", "role", "minor_at_exploitation"),
    "persons": ("id", "sex", "citizenship"),
    "cases": ("id", "status", "exploitation_type", "jurisdiction_id", "opened_on"),
    "case_links": ("case_id", "linked_case_id"),
    "aftercare_steps": ("person_id", "case_id", "step", "occurred_on"),
}


@dataclass(frozen=True)
class JusticeData:
    """The tables behind the justice indicators, and the date they are observed to.

    ``as_of`` is the censoring date: anything not recorded by then has not happened *yet*
    (open cases are censored there, never dropped). It defaults to the latest date recorded.
    """

    events: pl.DataFrame
    case_persons: pl.DataFrame
    persons: pl.DataFrame
    cases: pl.DataFrame
    case_links: pl.DataFrame
    aftercare_steps: pl.DataFrame
    jurisdictions: pl.DataFrame | None = None
    population: pl.DataFrame | None = None
    as_of: dt.date | None = None
    #: Derived frames (stage paths), computed once: the tables above never change.
    derived: dict[str, pl.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, pl.DataFrame],
        *,
        population: pl.DataFrame | None = None,
        as_of: dt.date | None = None,
    ) -> JusticeData:
        """Build from frames named after the store's tables; check the columns we read."""
        for name, columns in REQUIRED_COLUMNS.items():
            if name not in tables:
                raise InvalidInput(
                    f"The justice indicators need the {name!r} table; "
                    "pass every table named in REQUIRED_COLUMNS."
                )
            missing = [c for c in columns if c not in tables[name].columns]
            if missing:
                raise InvalidInput(
                    f"Table {name!r} lacks column(s) {', '.join(missing)}; "
                    "build it with uncounted.store.frames.justice_tables."
                )
        if population is not None:
            missing = [
                c for c in ("jurisdiction", "year", "population") if c not in population.columns
            ]
            if missing:
                raise InvalidInput(
                    "The population table needs columns jurisdiction, year and population "
                    f"(missing: {', '.join(missing)})."
                )
        events = tables["justice_events"]
        ids = events["person_id"].drop_nulls()
        if ids.len() and (ids.min() < 0 or ids.max() >= 2**32):  # type: ignore[operator]
            raise InvalidInput(
                "person_id values must lie between 0 and 4 294 967 295 "
                "(they are packed with case_id into one key)."
            )
        if as_of is None:
            latest = events["occurred_on"].max() if events.height else None
            as_of = latest if isinstance(latest, dt.date) else dt.date.today()
        return cls(
            events=events,
            case_persons=tables["case_persons"],
            persons=tables["persons"],
            cases=tables["cases"],
            case_links=tables["case_links"],
            aftercare_steps=tables["aftercare_steps"],
            jurisdictions=tables.get("jurisdictions"),
            population=population,
            as_of=as_of,
        )

    @property
    def observed_to(self) -> dt.date:
        """The censoring date (``as_of``, or today when nothing is recorded)."""
        return self.as_of or dt.date.today()


__all__ = ["REQUIRED_COLUMNS", "JusticeData"]
