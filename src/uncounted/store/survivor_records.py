"""A survivor's assessments in the case store: read one person's history, record a new one.

Reads are scoped like every other record (``store/access.py``): the person must be in the
caller's scope. Scores are checked against the instrument's scale by the caller
(``uncounted.survivors``); here the write is scoped and audited.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.errors import AccessDenied, NotFound
from uncounted.store import audit
from uncounted.store.access import (
    Action,
    Principal,
    Resource,
    check,
    person_filter,
    scope_filter,
)
from uncounted.store.tables import Assessment, AssessmentItem, Person, PersonIdentity
from uncounted.store.tombstones import removed_ids


def get_person(
    session: Session,
    who: Principal,
    person_id: int,
    action: Action,
    resource: Resource = Resource.PERSONS,
) -> Person:
    """The person ``person_id`` if ``who`` may ``action`` their ``resource`` records (the
    person, their identity or their assessments: ``store.access.person_filter``)."""
    check(who, resource, action)
    person = session.get(Person, person_id)
    gone = select(Person.id).where(Person.id == person_id, Person.id.in_(removed_ids("persons")))
    if person is None or session.scalar(gone) is not None:  # deleted or merged: no person
        raise NotFound(f"There is no person {person_id}.")
    visible = session.scalar(
        select(Person.id).where(Person.id == person_id, person_filter(who, resource, action))
    )
    if visible is None:
        raise AccessDenied("This person is outside your agency's scope.")
    return person


def person_assessments(
    session: Session, who: Principal, person_id: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The person's assessments and item scores, as the frames ``uncounted.survivors`` reads."""
    check(who, Resource.ASSESSMENTS, Action.READ)
    get_person(session, who, person_id, Action.READ)
    rows = session.scalars(
        select(Assessment)
        .where(Assessment.person_id == person_id, scope_filter(who, Resource.ASSESSMENTS))
        .order_by(Assessment.assessed_on, Assessment.id)
    ).all()
    assessments = pl.DataFrame(
        {
            "id": [a.id for a in rows],
            "person_id": [a.person_id for a in rows],
            "instrument_id": [a.instrument_id for a in rows],
            "assessed_on": [a.assessed_on for a in rows],
            "assessor": [a.assessor for a in rows],
        },
        schema={
            "id": pl.Int64,
            "person_id": pl.Int64,
            "instrument_id": pl.String,
            "assessed_on": pl.Date,
            "assessor": pl.String,
        },
    )
    ids = [a.id for a in rows]
    found = session.execute(
        select(AssessmentItem.assessment_id, AssessmentItem.item, AssessmentItem.score).where(
            AssessmentItem.assessment_id.in_(ids)
        )
    ).all()
    items = pl.DataFrame(
        [tuple(r) for r in found],
        schema={"assessment_id": pl.Int64, "item": pl.String, "score": pl.Int64},
        orient="row",
    )
    return assessments, items


def person_label(session: Session, who: Principal, person_id: int) -> str:
    """How ``who`` may call the person: their name when ``who`` may read their identity (the
    read is audited), else ``P-<id>``. A person referred to ``who``'s agency (accepted, with
    consent) is named though their case stays closed (``store.access``)."""
    shown = session.scalar(
        select(PersonIdentity).where(
            PersonIdentity.person_id == person_id,
            scope_filter(who, Resource.IDENTITIES, Action.READ),
        )
    )
    names = {
        k: v for k in ("given_name", "family_name") if (v := getattr(shown, k, None)) is not None
    }
    if not names:
        return f"P-{person_id}"
    audit.record_read(session, who, "person_identities", str(person_id), sorted(names))
    return " ".join(names.values())


def add_assessment(
    session: Session,
    who: Principal,
    person_id: int,
    instrument_id: str,
    assessed_on: dt.date,
    assessor: str,
    scores: dict[str, int | None],
) -> Assessment:
    """Record an assessment with its item scores (unanswered items stored as null)."""
    get_person(session, who, person_id, Action.CREATE, Resource.ASSESSMENTS)
    assessment = Assessment(
        person_id=person_id,
        instrument_id=instrument_id,
        assessed_on=assessed_on,
        assessor=assessor,
        agency_id=who.agency_id,
    )
    audit.create(session, who, assessment)
    for item, score in scores.items():
        audit.create(
            session, who, AssessmentItem(assessment_id=assessment.id, item=item, score=score)
        )
    return assessment


__all__ = ["add_assessment", "get_person", "person_assessments", "person_label"]
