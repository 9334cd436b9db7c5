"""Caseworkers' notes on a case: encrypted at rest, append-only, every read and write audited.

A note is free text about a victim's situation, so it is treated like an identifying field:
its text is encrypted (``store/crypto.py``, column ``case_notes.body``) and shown only to users
who may read identifying fields **and** the case (caseworkers of the case's scope,
administrators). Analysts read cases without identities and so see no notes; an agency that
only received a referral of one person does not see the sending agency's case, nor its notes.

Notes are append-only: there is no edit or delete. A case record is evidence of what was known
and done when; a correction is a new note that says what it corrects, and both stay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.store import audit
from uncounted.store.access import Action, Principal, Resource, check, sees_identities
from uncounted.store.casebook import get_case
from uncounted.store.recording import InvalidRecord
from uncounted.store.tables import Agency, CaseNote

MAX_NOTE = 10_000


@dataclass
class NoteItem:
    """One note as the case page shows it."""

    id: int
    author: str
    agency: str | None
    written_at: str
    text: str


def add_note(
    session: Session, who: Principal, case_id: int, text: str, now: dt.datetime | None = None
) -> CaseNote:
    """Add a note to a case ``who`` may edit; the author and the time are ``who`` and now."""
    get_case(session, who, case_id, Action.UPDATE)
    check(who, Resource.IDENTITIES, Action.CREATE)  # free text about a person
    body = text.strip()
    if not body or len(body) > MAX_NOTE:
        raise InvalidRecord({"text": f"write the note ({MAX_NOTE} characters at most)"})
    note = CaseNote(
        case_id=case_id,
        author_user_id=who.user_id,
        author=who.username,
        agency_id=who.agency_id,
        written_at=(now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0),
        body=body,
    )
    audit.create(session, who, note)
    return note


def case_notes(session: Session, who: Principal, case_id: int) -> list[NoteItem]:
    """The notes of a case, oldest first, if ``who`` may read the case and identifying fields
    (none otherwise); each note read is audited."""
    get_case(session, who, case_id)
    if not sees_identities(who):
        return []
    agencies = {i: c for i, c in session.execute(select(Agency.id, Agency.code))}
    notes = session.scalars(
        select(CaseNote)
        .where(CaseNote.case_id == case_id)
        .order_by(CaseNote.written_at, CaseNote.id)
    ).all()
    out = []
    for n in notes:
        audit.record_read(session, who, "case_notes", str(n.id), ["body"])
        out.append(
            NoteItem(
                n.id,
                n.author,
                agencies.get(n.agency_id) if n.agency_id is not None else None,
                n.written_at.isoformat(timespec="minutes"),
                n.body,
            )
        )
    return out


__all__ = ["MAX_NOTE", "NoteItem", "add_note", "case_notes"]
