"""Survivor-outcome instruments as data: domains, items, scale, threshold, rule and schedule.

An instrument is a YAML document (see ``instruments/default.yaml``) validated by
:class:`Instrument`. The default, ``uncounted-restoration-v1``, has six domains (safety, legal
protection, mental wellbeing, economic empowerment and education, social support, physical
wellbeing); each item (sub-domain) is rated 1 (most vulnerable) to 4 (least vulnerable), a
domain's score is the mean of its answered items, and a survivor counts as *restored* when
every domain is at or above the threshold, 3.0 by default. **That threshold is an assumption
of the programme, not a validated cut-off**; it is configurable in the YAML.

Each domain names the HTCDS support-plan service types (code list ``support_plan_type``)
that a case plan suggests when the domain is below the threshold.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from uncounted.domain import code_list
from uncounted.errors import InvalidInput

DEFAULT_INSTRUMENT_ID = "uncounted-restoration-v1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    """One item (sub-domain): a stable id such as ``safety.housing`` and its wording."""

    id: str = Field(min_length=1, max_length=60)
    wording: str = Field(min_length=1)


class Domain(_Strict):
    """A domain: its items, and the support-plan types suggested when it is below threshold."""

    id: str = Field(min_length=1)
    label: str
    items: tuple[Item, ...] = Field(min_length=1)
    support_plan_types: tuple[str, ...] = ()

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The ids of the domain's items, in order."""
        return tuple(i.id for i in self.items)


class Scale(_Strict):
    """The rating scale of every item (integers ``min``..``max``; higher is better)."""

    min: int = 1
    max: int = 4
    direction: Literal["higher_is_better"] = "higher_is_better"
    labels: dict[int, str] = Field(default_factory=dict)


class Restoration(_Strict):
    """What counts as restored. ``threshold`` is a configurable assumption, said so."""

    threshold: float = 3.0
    threshold_is_assumption: bool = True
    rule: Literal["all_domains"] = "all_domains"
    min_answered_share: float = Field(default=0.5, gt=0.0, le=1.0)


class Schedule(_Strict):
    """Visits in months since intake, then a repeat interval; the window around each date."""

    visits_months: tuple[int, ...] = (0, 6, 12)
    repeat_every_months: int = Field(default=12, gt=0)
    window_days: int = Field(default=30, ge=0)

    def visit_months(self, up_to: float) -> list[int]:
        """Every scheduled visit (months since intake) up to ``up_to`` months."""
        months = [m for m in self.visits_months if m <= up_to]
        nxt = self.visits_months[-1] + self.repeat_every_months
        while nxt <= up_to:
            months.append(nxt)
            nxt += self.repeat_every_months
        return months


class Instrument(_Strict):
    """A survivor-outcome instrument (validated: unique ids, known support-plan codes)."""

    id: str = Field(min_length=1, max_length=60)
    title: str
    version: str = "1"
    description: str = ""
    scale: Scale = Field(default_factory=Scale)
    restoration: Restoration = Field(default_factory=Restoration)
    schedule: Schedule = Field(default_factory=Schedule)
    domains: tuple[Domain, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Instrument:
        if self.scale.min >= self.scale.max:
            raise ValueError("scale.min must be below scale.max")
        if not self.scale.min <= self.restoration.threshold <= self.scale.max:
            raise ValueError("restoration.threshold must lie on the scale")
        seen: set[str] = set()
        for item in (i.id for d in self.domains for i in d.items):
            if item in seen:
                raise ValueError(f"item id {item!r} appears twice")
            seen.add(item)
        if len({d.id for d in self.domains}) != len(self.domains):
            raise ValueError("domain ids must be unique")
        plans = code_list("support_plan_type")
        for d in self.domains:
            for code in d.support_plan_types:
                if code not in plans:
                    raise ValueError(
                        f"domain {d.id!r}: {code!r} is not a support_plan_type code "
                        f"({', '.join(plans.codes)})"
                    )
        visits = self.schedule.visits_months
        if not visits or visits[0] != 0 or list(visits) != sorted(set(visits)):
            raise ValueError("schedule.visits_months must start at 0 (intake) and increase")
        return self

    @property
    def threshold(self) -> float:
        """The score at or above which a domain counts as stable (an assumption)."""
        return self.restoration.threshold

    @property
    def domain_ids(self) -> tuple[str, ...]:
        """Domain ids in order."""
        return tuple(d.id for d in self.domains)

    @property
    def domain_of_item(self) -> dict[str, str]:
        """Item id → domain id."""
        return {i.id: d.id for d in self.domains for i in d.items}

    def domain(self, domain_id: str) -> Domain:
        """The domain with id ``domain_id``."""
        for d in self.domains:
            if d.id == domain_id:
                return d
        raise InvalidInput(
            f"Instrument {self.id!r} has no domain {domain_id!r}; "
            f"its domains are {', '.join(self.domain_ids)}."
        )


def parse_instrument(text: str, source: str = "<text>") -> Instrument:
    """Validate an instrument from YAML text; errors name the source and the field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source} is not valid YAML ({exc}); fix the file.") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{source} must hold one instrument as a YAML mapping.")
    try:
        return Instrument.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'instrument'}: {e['msg']}"
            for e in exc.errors()
        )
        raise InvalidInput(f"{source} is not a valid instrument: {problems}.") from None


def load_instrument(path: str | Path) -> Instrument:
    """Read and validate an instrument YAML file."""
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"Cannot read the instrument file {str(file)!r} ({exc.strerror or exc}); "
            "check the path."
        ) from None
    return parse_instrument(text, source=str(file))


@cache
def default_instrument() -> Instrument:
    """The instrument shipped with Uncounted (``uncounted-restoration-v1``)."""
    text = (
        resources.files("uncounted.survivors")
        .joinpath("instruments/default.yaml")
        .read_text("utf-8")
    )
    return parse_instrument(text, source="default.yaml")


__all__ = [
    "DEFAULT_INSTRUMENT_ID",
    "Domain",
    "Instrument",
    "Item",
    "Restoration",
    "Scale",
    "Schedule",
    "default_instrument",
    "load_instrument",
    "parse_instrument",
]
