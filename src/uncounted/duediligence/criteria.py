"""The criteria a modern slavery statement is assessed against, loaded from ``criteria.yaml``.

Two frameworks ship: the seven mandatory criteria of section 16(1)(a)–(g) of Australia's
*Modern Slavery Act 2018* (Cth) and the six areas of section 54(5)(a)–(f) of the UK *Modern
Slavery Act 2015*; each UK area names its Australian equivalents. Sources are in the YAML.
Each criterion is scored by a reviewer on the ordinal scale ``0`` (not addressed) … ``3``
(fully described, with specifics).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from uncounted.errors import InvalidInput, NotFound

#: The reviewer's scale: 0 not addressed, 1 mentioned, 2 partly described, 3 fully described.
SCALE: tuple[int, ...] = (0, 1, 2, 3)


@dataclass(frozen=True)
class Criterion:
    """One criterion: its id (``AU-d``), the provision, its wording and pre-screen keywords."""

    id: str
    provision: str
    label: str
    role: str | None
    keywords: tuple[str, ...]
    equivalent: tuple[str, ...]


@dataclass(frozen=True)
class Framework:
    """A statement framework (an Act's criteria) and whether its criteria are mandatory."""

    id: str
    title: str
    mandatory: bool
    criteria: tuple[Criterion, ...]

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion ``criterion_id`` of this framework."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise NotFound(
            f"{self.id} has no criterion {criterion_id!r}; use one of "
            f"{', '.join(c.id for c in self.criteria)}."
        )

    def with_role(self, role: str) -> tuple[Criterion, ...]:
        """The criteria tagged with ``role`` (``due_diligence`` or ``risks``)."""
        return tuple(c for c in self.criteria if c.role == role)


def _criterion(raw: dict[str, Any]) -> Criterion:
    return Criterion(
        id=str(raw["id"]),
        provision=str(raw["provision"]),
        label=str(raw["label"]),
        role=raw.get("role"),
        keywords=tuple(str(k) for k in raw.get("keywords", [])),
        equivalent=tuple(str(k) for k in raw.get("equivalent", [])),
    )


@cache
def frameworks() -> dict[str, Framework]:
    """Every shipped framework by id (``au-msa-2018-s16``, ``uk-msa-2015-s54``)."""
    text = resources.files("uncounted.duediligence").joinpath("criteria.yaml").read_text("utf-8")
    try:
        raw = yaml.safe_load(text)
        return {
            f["id"]: Framework(
                id=str(f["id"]),
                title=str(f["title"]),
                mandatory=bool(f["mandatory"]),
                criteria=tuple(_criterion(c) for c in f["criteria"]),
            )
            for f in raw["frameworks"]
        }
    except (yaml.YAMLError, KeyError, TypeError) as exc:  # pragma: no cover - shipped data
        raise InvalidInput(f"criteria.yaml is malformed ({exc}); reinstall Uncounted.") from None


def framework(framework_id: str) -> Framework:
    """The framework ``framework_id``; raises :class:`NotFound` naming the known ones."""
    known = frameworks()
    if framework_id not in known:
        raise NotFound(
            f"There is no statement framework {framework_id!r}; use one of {', '.join(known)}."
        )
    return known[framework_id]


#: The framework eligibility is decided on when a statement was assessed on several.
DEFAULT_FRAMEWORK = "au-msa-2018-s16"

__all__ = ["DEFAULT_FRAMEWORK", "SCALE", "Criterion", "Framework", "framework", "frameworks"]
