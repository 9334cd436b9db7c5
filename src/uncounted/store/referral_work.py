"""Referral work between agencies: the receiving agency's inbox, its decision, the sender's view.

A referral moves through :data:`TRANSITIONS`, and only there::

    Requested --accept (receiver, with the person's consent)--> Accepted --complete--> Completed
        \\--decline (receiver, with a reason)--> Declined --resend (sender)--> Requested

The receiving agency decides: a user of that agency whose role may update referrals (a
caseworker) or an administrator. Accepting records the person's consent — how it was given
(``referral_consent_method`` in ``domain/codes.yaml``), the day it was given, who recorded it
and when — because the receiving agency's access to the person (``store/access.py``) opens
only while a referral is accepted with consent. A declined referral cannot be accepted until
the sender re-sends it (which clears the earlier decision and consent). Every change is
audited in the caller's transaction; the decline reason is free text and encrypted at rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from uncounted.domain import code_list
from uncounted.errors import AccessDenied, NotFound
from uncounted.store import audit
from uncounted.store.access import Action, Principal, Resource, check, unrestricted
from uncounted.store.recording import InvalidRecord
from uncounted.store.tables import Agency, Referral
from uncounted.store.tombstones import live

#: status -> {next status: who may move it there ("receiver" or "sender")}
TRANSITIONS: dict[str, dict[str, str]] = {
    "Requested": {"Accepted": "receiver", "Declined": "receiver"},
    "Accepted": {"Completed": "receiver"},
    "Declined": {"Requested": "sender"},
    "Completed": {},
}
#: The order the inbox and the sent list show the statuses in.
STATUS_ORDER: tuple[str, ...] = ("Requested", "Accepted", "Declined", "Completed")
MAX_REASON = 2000
#: The newest referrals listed for each status (an administrator's board spans every agency).
SHOWN = 200


@dataclass
class ReferralItem:
    """One referral as the inbox or the sent list shows it (no identity of the person)."""

    id: int
    case_id: int | None
    person_id: int
    person: str
    from_agency: str | None
    to_agency: str | None
    referred_on: str
    reason: str
    service: str | None
    status: str
    consent_recorded: bool
    consent_method: str | None
    consent_given_on: str | None
    consent_recorded_by: str | None
    consent_recorded_at: str | None
    decided_by: str | None
    decided_at: str | None
    decline_reason: str | None


@dataclass
class ReferralBoard:
    """Referrals of one side (``received`` or ``sent``), grouped by status in STATUS_ORDER."""

    side: str
    by_status: dict[str, list[ReferralItem]]
    totals: dict[str, int]  # how many of each status there are (at most SHOWN are listed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "side": self.side,
            "by_status": {k: [asdict(i) for i in v] for k, v in self.by_status.items()},
            "totals": dict(self.totals),
        }


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return (
        None
        if value is None
        else value.isoformat(timespec="minutes")
        if isinstance(value, dt.datetime)
        else value.isoformat()
    )


def _item(r: Referral, agencies: dict[int, str]) -> ReferralItem:
    return ReferralItem(
        id=r.id,
        case_id=r.case_id,
        person_id=r.person_id,
        person=f"P-{r.person_id}",
        from_agency=agencies.get(r.from_agency_id),
        to_agency=agencies.get(r.to_agency_id),
        referred_on=r.referred_on.isoformat(),
        reason=r.reason,
        service=r.service,
        status=r.status,
        consent_recorded=bool(r.consent_recorded),
        consent_method=r.consent_method,
        consent_given_on=_iso(r.consent_given_on),
        consent_recorded_by=r.consent_recorded_by,
        consent_recorded_at=_iso(r.consent_recorded_at),
        decided_by=r.decided_by,
        decided_at=_iso(r.decided_at),
        decline_reason=r.decline_reason,
    )


def _board(session: Session, who: Principal, side: str) -> ReferralBoard:
    check(who, Resource.REFERRALS, Action.UPDATE)
    mine: ColumnElement[bool] = true()
    if not unrestricted(who):
        if who.agency_id is None:
            raise AccessDenied("Your account has no agency; ask an administrator to set one.")
        column = Referral.to_agency_id if side == "received" else Referral.from_agency_id
        mine = column == who.agency_id
    mine = and_(mine, live(Referral))  # not one hidden with its deleted case or person
    agencies = {i: c for i, c in session.execute(select(Agency.id, Agency.code))}
    totals = {s: 0 for s in STATUS_ORDER} | {
        status: n
        for status, n in session.execute(
            select(Referral.status, func.count()).where(mine).group_by(Referral.status)
        )
    }
    by_status: dict[str, list[ReferralItem]] = {}
    for status in totals:
        newest = (
            select(Referral)
            .where(mine, Referral.status == status)
            .order_by(Referral.referred_on.desc(), Referral.id.desc())
            .limit(SHOWN)
        )
        by_status[status] = []
        for r in session.scalars(newest):
            by_status[status].append(_item(r, agencies))
            if r.decline_reason is not None:  # free text, possibly about the person
                audit.record_read(session, who, "referrals", str(r.id), ["decline_reason"])
    return ReferralBoard(side, by_status, totals)


def referral_inbox(session: Session, who: Principal) -> ReferralBoard:
    """The referrals to ``who``'s agency (every agency's for an administrator), by status.

    The inbox shows who referred, when, why and the service asked, never the person's identity:
    that opens (on the survivor page) only once the referral is accepted with consent.
    """
    return _board(session, who, "received")


def sent_referrals(session: Session, who: Principal) -> ReferralBoard:
    """The referrals ``who``'s agency sent (every agency's for an administrator), by status."""
    return _board(session, who, "sent")


def _referral(session: Session, who: Principal, referral_id: int, side: str) -> Referral:
    check(who, Resource.REFERRALS, Action.UPDATE)
    referral = session.scalar(select(Referral).where(Referral.id == referral_id, live(Referral)))
    if referral is None:  # or hidden with its deleted case or person: withdrawn
        raise NotFound(f"There is no referral {referral_id}; check the inbox.")
    agency = referral.to_agency_id if side == "receiver" else referral.from_agency_id
    if not unrestricted(who) and (who.agency_id is None or who.agency_id != agency):
        whose = "receiving" if side == "receiver" else "sending"
        raise AccessDenied(f"Only the {whose} agency may do this to referral {referral_id}.")
    return referral


def _move(referral: Referral, to: str, side: str) -> None:
    allowed = TRANSITIONS.get(referral.status, {})
    if allowed.get(to) != side:
        steps = ", ".join(sorted(allowed)) or "nothing (it has ended)"
        raise InvalidRecord(
            {"status": f"a {referral.status.lower()} referral can move only to {steps}"}
        )


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)


def accept_referral(
    session: Session,
    who: Principal,
    referral_id: int,
    *,
    consent_method: str,
    consent_given_on: dt.date | None,
    confirmed: bool = True,
    now: dt.datetime | None = None,
) -> Referral:
    """Accept a requested referral to ``who``'s agency, recording the person's consent.

    Consent is required: the user's confirmation that the person consented (``confirmed``), how
    it was given (``referral_consent_method``) and the day (not in the future). The recorder
    and the time are ``who`` and now. Scope and status are checked before the fields.
    """
    referral = _referral(session, who, referral_id, "receiver")
    _move(referral, "Accepted", "receiver")
    problems = {}
    if not confirmed:
        problems["consent"] = "confirm that the person consented to the referral"
    if consent_method not in code_list("referral_consent_method").labels:
        problems["consent_method"] = "choose how the person gave their consent"
    at = _now(now)
    if consent_given_on is None:
        problems["consent_given_on"] = "give the day consent was given"
    elif consent_given_on > at.date():
        problems["consent_given_on"] = "is in the future; give the day consent was given"
    if problems:
        raise InvalidRecord(problems)
    changes = {
        "status": "Accepted",
        "consent_recorded": True,
        "consent_method": consent_method,
        "consent_given_on": consent_given_on,
        "consent_recorded_by": who.username,
        "consent_recorded_at": at,
        "decided_by": who.username,
        "decided_at": at,
        "decline_reason": None,
    }
    audit.update(session, who, referral, changes)
    return referral


def decline_referral(
    session: Session, who: Principal, referral_id: int, reason: str, now: dt.datetime | None = None
) -> Referral:
    """Decline a requested referral to ``who``'s agency, with the reason the sender will read."""
    referral = _referral(session, who, referral_id, "receiver")
    _move(referral, "Declined", "receiver")
    text = reason.strip()
    if not text or len(text) > MAX_REASON:
        raise InvalidRecord(
            {"reason": f"say why the referral is declined ({MAX_REASON} characters at most)"}
        )
    at = _now(now)
    changes = {
        "status": "Declined",
        "decided_by": who.username,
        "decided_at": at,
        "decline_reason": text,
    }
    audit.update(session, who, referral, changes)
    return referral


def complete_referral(
    session: Session,
    who: Principal,
    referral_id: int,
    confirmed: bool = True,
    now: dt.datetime | None = None,
) -> Referral:
    """Mark an accepted referral to ``who``'s agency completed: the service ended, and with it
    the receiving agency's access to the person (so the user confirms it: ``confirmed``)."""
    referral = _referral(session, who, referral_id, "receiver")
    _move(referral, "Completed", "receiver")
    if not confirmed:
        raise InvalidRecord({"confirm": "confirm that the service has ended"})
    at = _now(now)
    audit.update(
        session,
        who,
        referral,
        {"status": "Completed", "decided_by": who.username, "decided_at": at},
    )
    return referral


def resend_referral(
    session: Session, who: Principal, referral_id: int, today: dt.date | None = None
) -> Referral:
    """Send a declined referral from ``who``'s agency again: it is requested anew, dated
    today, and the earlier decision and consent are cleared (the audit log keeps them)."""
    referral = _referral(session, who, referral_id, "sender")
    _move(referral, "Requested", "sender")
    changes: dict[str, Any] = {
        "status": "Requested",
        "referred_on": today or dt.date.today(),
        "consent_recorded": False,
        "consent_method": None,
        "consent_given_on": None,
        "consent_recorded_by": None,
        "consent_recorded_at": None,
        "decided_by": None,
        "decided_at": None,
        "decline_reason": None,
    }
    audit.update(session, who, referral, changes)
    return referral


__all__ = [
    "MAX_REASON",
    "SHOWN",
    "STATUS_ORDER",
    "TRANSITIONS",
    "ReferralBoard",
    "ReferralItem",
    "accept_referral",
    "complete_referral",
    "decline_referral",
    "referral_inbox",
    "resend_referral",
    "sent_referrals",
]
