"""Recording cases as they happen: create and edit cases, people, justice events, referrals.

Values arrive already typed and checked field by field (the web forms use the importer's field
rules); these functions add what needs the database: the caller's scope (a caseworker writes
only in their agency's scope), references that must exist (the agency exists; an event's or a
referral's person has a role in the case: ``store/case_roles.py``, which the import asks too)
and the order of justice stages for one person. Every write is audited in the caller's
transaction (``store/audit.py``), and a change of a person's names or identity number updates
the person search's blind index in it too (``store/person_index.py``). Problems are reported
all at once, by field, in :class:`InvalidRecord`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.domain import SUSPECT_STAGES, VICTIM_STAGES, country_name
from uncounted.errors import AccessDenied, InvalidInput
from uncounted.store import audit, person_index
from uncounted.store.access import Action, Principal, Resource, check, unrestricted
from uncounted.store.case_roles import NO_ROLE, roles_held
from uncounted.store.casebook import get_case
from uncounted.store.crypto import encrypted_columns
from uncounted.store.tables import (
    Agency,
    Case,
    CasePerson,
    Jurisdiction,
    JusticeEvent,
    Person,
    PersonIdentity,
    Referral,
)


class InvalidRecord(InvalidInput):
    """A record with field problems; ``problems`` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        listed = "; ".join(f"{k}: {v}" for k, v in problems.items())
        super().__init__(f"The record was not saved: {listed}.")
        self.problems = dict(problems)


def jurisdiction_id(session: Session, code: str) -> int:
    """The id of the jurisdiction ``code`` (``'TH'`` or ``'TH-10'``), added if new."""
    country, _, sub = code.partition("-")
    subdivision = code if sub else None
    found = session.scalar(
        select(Jurisdiction.id).where(
            Jurisdiction.country == country,
            Jurisdiction.subdivision.is_(None)
            if subdivision is None
            else Jurisdiction.subdivision == subdivision,
        )
    )
    if found is not None:
        return found
    place = Jurisdiction(country=country, subdivision=subdivision, name=country_name(country))
    session.add(place)
    session.flush()
    return place.id


def _agency_for(session: Session, who: Principal, requested: int | None) -> int:
    if not unrestricted(who):  # a caseworker's cases are their agency's
        if who.agency_id is None:
            raise AccessDenied("Your account has no agency; ask an administrator to set one.")
        return who.agency_id
    if requested is None or session.get(Agency, requested) is None:
        raise InvalidRecord({"owning_agency_id": "choose the agency that owns the case"})
    return requested


_CASE_FIELDS = ("reference", "status", "exploitation_type", "opened_on", "closed_on")


def _check_dates(values: dict[str, Any]) -> None:
    opened, closed = values.get("opened_on"), values.get("closed_on")
    if isinstance(opened, dt.date) and isinstance(closed, dt.date) and closed < opened:
        raise InvalidRecord({"closed_on": f"is before the case opened ({opened})"})


def create_case(session: Session, who: Principal, values: dict[str, Any]) -> Case:
    """Open a case owned by the caseworker's agency (or the agency an admin chose)."""
    check(who, Resource.CASES, Action.CREATE)
    _check_dates(values)
    case = Case(
        **{k: values.get(k) for k in _CASE_FIELDS},
        owning_agency_id=_agency_for(session, who, values.get("owning_agency_id")),
        jurisdiction_id=jurisdiction_id(session, str(values["jurisdiction"])),
        source_agency_id=who.agency_id,
        extra={},
    )
    audit.create(session, who, case)
    return case


def update_case(session: Session, who: Principal, case_id: int, values: dict[str, Any]) -> Case:
    """Change a case's fields; only the changed fields are audited."""
    case = get_case(session, who, case_id, Action.UPDATE)
    merged = {k: getattr(case, k) for k in _CASE_FIELDS} | values
    _check_dates(merged)
    changes = {k: values[k] for k in _CASE_FIELDS if k in values}
    if "jurisdiction" in values:
        changes["jurisdiction_id"] = jurisdiction_id(session, str(values["jurisdiction"]))
    audit.update(session, who, case, changes)
    return case


_PERSON_FIELDS = ("sex", "birth_year", "age_at_identification", "citizenship")
_ROLE_FIELDS = (
    "trafficking_status",
    "exploitation_type",
    "minor_at_exploitation",
    "role_in_process",
)


def add_person(session: Session, who: Principal, case_id: int, values: dict[str, Any]) -> Person:
    """Add a person to a case in a role (victim or suspect), with identity fields if given."""
    get_case(session, who, case_id, Action.UPDATE)
    check(who, Resource.PERSONS, Action.CREATE)
    if values.get("role") not in ("victim", "suspect"):
        raise InvalidRecord({"role": "choose victim or suspect"})
    person = Person(
        **{k: values.get(k) for k in _PERSON_FIELDS if values.get(k) is not None},
        source_agency_id=who.agency_id,
    )
    audit.create(session, who, person)
    identity = {k: values.get(k) for k in encrypted_columns() if values.get(k) is not None}
    if identity:
        check(who, Resource.IDENTITIES, Action.CREATE)
        identity = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in identity.items()}
        audit.create(session, who, PersonIdentity(person_id=person.id, **identity))
        person_index.refresh(session.connection(), [person.id])
    link = CasePerson(
        case_id=case_id,
        person_id=person.id,
        role=values["role"],
        methods_of_control=[],
        **{k: values.get(k) for k in _ROLE_FIELDS},
    )
    audit.create(session, who, link)
    return person


def update_person(
    session: Session, who: Principal, case_id: int, person_id: int, values: dict[str, Any]
) -> Person:
    """Change a person's analytic and identity fields (the person must be in the case)."""
    get_case(session, who, case_id, Action.UPDATE)
    check(who, Resource.PERSONS, Action.UPDATE)
    link = session.scalar(
        select(CasePerson).where(CasePerson.case_id == case_id, CasePerson.person_id == person_id)
    )
    person = session.get(Person, person_id)
    if link is None or person is None:
        raise InvalidRecord({"person_id": "this person is not part of the case"})
    audit.update(session, who, person, {k: values[k] for k in _PERSON_FIELDS if k in values})
    audit.update(session, who, link, {k: values[k] for k in _ROLE_FIELDS if k in values})
    secret = {k: values[k] for k in encrypted_columns() if k in values}
    if secret:
        check(who, Resource.IDENTITIES, Action.UPDATE)
        secret = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in secret.items()}
        identity = session.get(PersonIdentity, person_id)
        if identity is None:
            audit.create(session, who, PersonIdentity(person_id=person_id, **secret))
        else:
            audit.update(session, who, identity, secret)
        session.flush()
        person_index.refresh(session.connection(), [person_id])
    return person


def _stage_order_problem(
    session: Session,
    case_id: int,
    person_id: int,
    stage: str,
    on: dt.date,
    skip_event: int | None = None,
) -> str | None:
    for order in (SUSPECT_STAGES, VICTIM_STAGES):
        ranks = {s.value: i for i, s in enumerate(order)}
        if stage not in ranks:
            continue
        earlier = session.execute(
            select(JusticeEvent.stage, JusticeEvent.occurred_on).where(
                JusticeEvent.case_id == case_id,
                JusticeEvent.person_id == person_id,
                JusticeEvent.id != (skip_event or -1),
            )
        ).all()
        for other, when in earlier:
            if other not in ranks:
                continue
            if ranks[other] < ranks[stage] and when > on:
                return f"is before this person's {other} ({when}); check the date"
            if ranks[other] > ranks[stage] and when < on:
                return f"is after this person's {other} ({when}); check the date"
    return None


_EVENT_FIELDS = (
    "stage",
    "occurred_on",
    "outcome",
    "offence",
    "sentence_months",
    "custodial",
    "protective_measures",
    "compensation",
    "joint_operation",
)


def add_justice_event(
    session: Session, who: Principal, case_id: int, values: dict[str, Any]
) -> JusticeEvent:
    """Record a dated stage reached by a person of the case (arrest, charge, verdict, …)."""
    case = get_case(session, who, case_id, Action.UPDATE)
    check(who, Resource.JUSTICE_EVENTS, Action.CREATE)
    person_id = values.get("person_id")
    problems: dict[str, str] = {}
    if person_id is not None:
        if not roles_held(session, [(case_id, int(person_id))]):
            problems["person_id"] = NO_ROLE
        else:
            problem = _stage_order_problem(
                session, case_id, int(person_id), str(values["stage"]), values["occurred_on"]
            )
            if problem:
                problems["occurred_on"] = problem
    if problems:
        raise InvalidRecord(problems)
    place = values.get("jurisdiction")
    event = JusticeEvent(
        case_id=case_id,
        person_id=person_id,
        jurisdiction_id=jurisdiction_id(session, str(place)) if place else case.jurisdiction_id,
        agency_id=who.agency_id,
        source_agency_id=who.agency_id,
        **{k: values.get(k) for k in _EVENT_FIELDS},
    )
    audit.create(session, who, event)
    return event


def update_justice_event(
    session: Session, who: Principal, case_id: int, event_id: int, values: dict[str, Any]
) -> JusticeEvent:
    """Correct a recorded justice event (date, stage, outcome, sentence, …) of the case."""
    get_case(session, who, case_id, Action.UPDATE)
    check(who, Resource.JUSTICE_EVENTS, Action.UPDATE)
    event = session.get(JusticeEvent, event_id)
    if event is None or event.case_id != case_id:
        raise InvalidRecord({"event_id": "this event is not part of the case"})
    changes = {k: values[k] for k in _EVENT_FIELDS if k in values}
    person_id = values.get("person_id", event.person_id)
    if person_id is not None:
        problem = _stage_order_problem(
            session,
            case_id,
            int(person_id),
            str(changes.get("stage", event.stage)),
            changes.get("occurred_on", event.occurred_on),
            skip_event=event_id,
        )
        if problem:
            raise InvalidRecord({"occurred_on": problem})
    if values.get("jurisdiction"):
        changes["jurisdiction_id"] = jurisdiction_id(session, str(values["jurisdiction"]))
    audit.update(session, who, event, changes)
    return event


_REFERRAL_FIELDS = ("from_country", "to_country", "referred_on", "reason", "service")
#: Fields the receiving agency sets when it decides (``store/referral_work.py``), never the
#: sender's form: a sender marking its own referral accepted, with consent, would open the
#: person to the other agency without that agency or the person having agreed.
_DECISION_FIELDS = ("status", "consent_recorded")


#: Every field of the receiving agency's decision: a client posting any of them to the sender's
#: referral form is refused (422) rather than having them silently dropped.
REFERRAL_DECISION_FIELDS: tuple[str, ...] = (
    *_DECISION_FIELDS,
    "consent_method",
    "consent_given_on",
    "consent_recorded_by",
    "consent_recorded_at",
    "decided_by",
    "decided_at",
    "decline_reason",
)
_NOT_THE_SENDERS = (
    "the receiving agency accepts (recording the person's consent) or declines a referral in "
    "its referral inbox; a declined one is sent again from the sent referrals page"
)


def sender_decision_problems(posted: Mapping[str, object]) -> dict[str, str]:
    """Field → reason for each decision field ``posted`` to the sender's referral form with a
    value (the form has no such fields: only a hand-made request carries them)."""
    return {
        name: _NOT_THE_SENDERS
        for name in REFERRAL_DECISION_FIELDS
        if posted.get(name) is not None and str(posted.get(name)).strip()
    }


def _refuse_decisions(values: dict[str, Any], current: Referral | None) -> None:
    wanted = {"status": "Requested", "consent_recorded": False}
    if current is not None:
        wanted = {"status": current.status, "consent_recorded": current.consent_recorded}
    changed = [k for k in _DECISION_FIELDS if values.get(k) is not None and values[k] != wanted[k]]
    if changed:
        raise InvalidRecord(dict.fromkeys(changed, _NOT_THE_SENDERS))


def update_referral(
    session: Session, who: Principal, case_id: int, referral_id: int, values: dict[str, Any]
) -> Referral:
    """Correct a referral the case sent (countries, date, reason, service); its status and
    consent are the receiving agency's decision (``store/referral_work.py``)."""
    get_case(session, who, case_id, Action.UPDATE)
    check(who, Resource.REFERRALS, Action.UPDATE)
    referral = session.get(Referral, referral_id)
    if referral is None or referral.case_id != case_id:
        raise InvalidRecord({"referral_id": "this referral is not part of the case"})
    _refuse_decisions(values, referral)
    audit.update(session, who, referral, {k: values[k] for k in _REFERRAL_FIELDS if k in values})
    return referral


def add_referral(
    session: Session, who: Principal, case_id: int, values: dict[str, Any]
) -> Referral:
    """Refer a person of the case to another agency: a request, which that agency accepts with
    the person's consent (and only then sees that person, never the case) or declines."""
    case = get_case(session, who, case_id, Action.UPDATE)
    check(who, Resource.REFERRALS, Action.CREATE)
    problems: dict[str, str] = {}
    person_id = values.get("person_id")
    if person_id is None:
        problems["person_id"] = "choose a person of this case"
    elif not roles_held(session, [(case_id, int(person_id))]):
        problems["person_id"] = NO_ROLE
    to_agency = session.get(Agency, values.get("to_agency_id") or -1)
    if to_agency is None:
        problems["to_agency_id"] = "choose the agency the person is referred to"
    if problems:
        raise InvalidRecord(problems)
    _refuse_decisions(values, None)
    referral = Referral(
        case_id=case_id,
        person_id=person_id,
        from_agency_id=who.agency_id or case.owning_agency_id,
        to_agency_id=values["to_agency_id"],
        **{k: values.get(k) for k in _REFERRAL_FIELDS},
        status="Requested",
        consent_recorded=False,
    )
    audit.create(session, who, referral)
    return referral


__all__ = [
    "REFERRAL_DECISION_FIELDS",
    "InvalidRecord",
    "add_justice_event",
    "add_person",
    "add_referral",
    "create_case",
    "jurisdiction_id",
    "sender_decision_problems",
    "update_case",
    "update_justice_event",
    "update_person",
    "update_referral",
]
