"""Counts of recorded justice events, for the dashboard and the indicators page.

These are plain counts of what is in the case database (events per stage, convictions as
verdicts with outcome ``convicted``), disaggregated by year, country of the jurisdiction, type
of exploitation or sex of the person. They carry no estimate and no interval; the justice
indicators with their intervals are computed by ``uncounted.justice``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.orm import Session

from uncounted.errors import InvalidInput
from uncounted.store.tables import Case, Jurisdiction, JusticeEvent, Person
from uncounted.store.tombstones import live

#: The tallied measures: label → (stage, outcome or None).
MEASURES: dict[str, tuple[str, str | None]] = {
    "victims identified": ("identification", None),
    "arrests": ("arrest", None),
    "charges": ("charge", None),
    "verdicts": ("verdict", None),
    "convictions": ("verdict", "convicted"),
}

#: Disaggregations offered: name → column expression.
BY = ("year", "country", "exploitation_type", "sex")


def stage_tallies(session: Session, by: str = "year") -> list[dict[str, Any]]:
    """One row per group of ``by`` with the count of each measure in :data:`MEASURES`."""
    if by not in BY:
        raise InvalidInput(f"Cannot disaggregate by {by!r}; choose one of {', '.join(BY)}.")
    key: Any
    stmt = select()
    if by == "year":
        key = cast(func.extract("year", JusticeEvent.occurred_on), String)
    elif by == "country":
        key = Jurisdiction.country
    elif by == "exploitation_type":
        key = Case.exploitation_type
    else:
        key = func.coalesce(Person.sex, "Unknown")
    counts = [
        func.sum(
            case(
                (
                    and_(
                        JusticeEvent.stage == stage,
                        JusticeEvent.outcome == outcome if outcome else JusticeEvent.stage == stage,
                    ),
                    1,
                ),
                else_=0,
            )
        ).label(label)
        for label, (stage, outcome) in MEASURES.items()
    ]
    stmt = select(key.label("group"), *counts).select_from(JusticeEvent)
    if by == "country":
        stmt = stmt.join(Jurisdiction, Jurisdiction.id == JusticeEvent.jurisdiction_id)
    elif by == "exploitation_type":
        stmt = stmt.join(Case, Case.id == JusticeEvent.case_id)
    elif by == "sex":
        stmt = stmt.outerjoin(Person, Person.id == JusticeEvent.person_id)
    stmt = stmt.where(live(JusticeEvent)).group_by(key).order_by(key)
    rows = []
    for row in session.execute(stmt).mappings():
        group = row["group"]
        if by == "year" and group is not None:
            group = str(group).split(".")[0]
        rows.append({by: group, **{label: int(row[label] or 0) for label in MEASURES}})
    return rows


def stage_totals(session: Session) -> dict[str, int]:
    """The total of each measure over the whole database."""
    totals = dict.fromkeys(MEASURES, 0)
    for row in stage_tallies(session, "year"):
        for label in MEASURES:
            totals[label] += row[label]
    return totals


__all__ = ["BY", "MEASURES", "stage_tallies", "stage_totals"]
