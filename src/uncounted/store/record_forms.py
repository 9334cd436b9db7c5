"""What the record forms show: a record's current values and the agencies one may choose.

The web forms (``web/routes/records.py``) ask these functions instead of reading tables: each
reads under the caller's scope (``store/access.py``), so a form never shows a record, or offers
an agency, the caller may not act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.store.access import Action, Principal, Resource, allowed, check, unrestricted
from uncounted.store.casebook import get_case
from uncounted.store.recording import InvalidRecord
from uncounted.store.tables import Agency, Jurisdiction, JusticeEvent, Referral


def _place(session: Session, jurisdiction_id: int | None) -> str:
    place = session.get(Jurisdiction, jurisdiction_id) if jurisdiction_id is not None else None
    return (place.subdivision or place.country) if place else ""


def case_values(
    session: Session, who: Principal, case_id: int, names: Iterable[str]
) -> dict[str, Any]:
    """The fields ``names`` of case ``case_id`` and its ``jurisdiction`` code, for ``who`` to
    edit (:class:`AccessDenied`/:class:`NotFound` as :func:`get_case` with ``UPDATE``)."""
    case = get_case(session, who, case_id, Action.UPDATE)
    values = {name: getattr(case, name, None) for name in names}
    values["jurisdiction"] = _place(session, case.jurisdiction_id)
    return values


def event_values(
    session: Session, who: Principal, case_id: int, event_id: int, names: Iterable[str]
) -> dict[str, Any]:
    """The fields ``names`` of justice event ``event_id`` of case ``case_id``, and its
    ``jurisdiction`` code, for ``who`` to correct."""
    get_case(session, who, case_id, Action.UPDATE)
    event = session.get(JusticeEvent, event_id)
    if event is None or event.case_id != case_id:
        raise InvalidRecord({"event_id": "this event is not part of the case"})
    values = {name: getattr(event, name, None) for name in names}
    values["jurisdiction"] = _place(session, event.jurisdiction_id)
    return values


def referral_values(
    session: Session, who: Principal, case_id: int, referral_id: int, names: Iterable[str]
) -> dict[str, Any]:
    """The fields ``names`` of referral ``referral_id`` of case ``case_id``, for ``who`` to
    update."""
    get_case(session, who, case_id, Action.UPDATE)
    referral = session.get(Referral, referral_id)
    if referral is None or referral.case_id != case_id:
        raise InvalidRecord({"referral_id": "this referral is not part of the case"})
    return {name: getattr(referral, name, None) for name in names}


def agency_choices(session: Session, who: Principal) -> list[tuple[str, str]]:
    """Every agency as ``(id, "code — name")``, e.g. to refer a person to."""
    check(who, Resource.AGENCIES, Action.READ)
    rows = session.execute(select(Agency.id, Agency.code, Agency.name).order_by(Agency.code))
    return [(str(i), f"{code} — {name}") for i, code, name in rows]


def owning_agency_choices(session: Session, who: Principal) -> list[tuple[str, str]] | None:
    """The agencies ``who`` may open a case for, or ``None`` when the case is always their own
    agency's (a caseworker's; ``store.recording`` applies the same rule)."""
    if not (unrestricted(who) and allowed(who, Resource.CASES, Action.CREATE)):
        return None
    return agency_choices(session, who)


__all__ = [
    "agency_choices",
    "case_values",
    "event_values",
    "owning_agency_choices",
    "referral_values",
]
