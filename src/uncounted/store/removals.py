"""Soft delete with a reason, and restore by an administrator.

A deleted person, case or justice event stays in its table, listed in ``record_removals`` with
the reason, who and when; every read leaves it out from then on (``store/tombstones.py``), with
everything recorded under it (a case's events, people's roles in it and referrals; a person's
identity, events, referrals, assessments and list memberships). Deleting a case does not delete
its people, who may be in other cases: delete a person recorded in error on its own.

Who may delete is :func:`uncounted.store.access.delete_filter`: an administrator, or a
caseworker for their own agency's records, never a viewer, an analyst or another agency. Only an
administrator lists removed records and restores them. Each delete and restore is audited in
the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.errors import AccessDenied, InvalidInput, NotFound
from uncounted.store import audit
from uncounted.store.access import Action, Principal, Resource, check, delete_filter
from uncounted.store.tables import Case, JusticeEvent, Person, RecordRemoval

#: The kinds of record that can be deleted: table name -> (resource, mapped class, noun).
DELETABLE: dict[str, tuple[Resource, Any, str]] = {
    "cases": (Resource.CASES, Case, "case"),
    "persons": (Resource.PERSONS, Person, "person"),
    "justice_events": (Resource.JUSTICE_EVENTS, JusticeEvent, "justice event"),
}

#: The shortest reason accepted (a word or two is not a reason anyone can review later).
MIN_REASON = 5


@dataclass(frozen=True)
class Removal:
    """A removed record as the administrator's page lists it."""

    id: int
    resource: str
    record_id: int
    kind: str
    reason: str
    removed_by: str
    removed_at: str
    merged_into_id: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(vars(self))


def _kind(resource: str) -> tuple[Resource, Any, str]:
    if resource not in DELETABLE:
        raise InvalidInput(f"Cannot delete {resource!r}; choose one of {', '.join(DELETABLE)}.")
    return DELETABLE[resource]


def may_delete(session: Session, who: Principal, resource: str, record_id: int) -> bool:
    """Whether ``who`` may delete record ``record_id`` of ``resource`` (it is not removed)."""
    what, table, _ = _kind(resource)
    found = session.scalar(select(table.id).where(table.id == record_id, delete_filter(who, what)))
    return found is not None


def delete_record(
    session: Session, who: Principal, resource: str, record_id: int, reason: str
) -> RecordRemoval:
    """Delete (softly) record ``record_id`` of ``resource`` for ``reason``; audited.

    Raises :class:`NotFound` for a record that does not exist or is already removed,
    :class:`AccessDenied` when ``who`` may not delete it, :class:`InvalidInput` without a reason.
    """
    what, table, noun = _kind(resource)
    check(who, what, Action.DELETE)
    if session.get(table, record_id) is None or _removal_of(session, resource, record_id):
        raise NotFound(f"There is no {noun} {record_id} (it may have been deleted already).")
    if not may_delete(session, who, resource, record_id):
        raise AccessDenied(
            f"You may delete only your own agency's records; ask the owner of this {noun}."
        )
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise InvalidInput(
            f"Say why the {noun} is deleted (at least {MIN_REASON} characters): the reason "
            "is shown to the administrator who may restore it."
        )
    removal = RecordRemoval(
        resource=resource,
        record_id=record_id,
        kind="deleted",
        reason=text,
        removed_by=who.username,
        removed_by_user_id=who.user_id,
        removed_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        moved={},
    )
    session.add(removal)
    audit.record(
        session, who, audit.AuditAction.DELETE, resource, str(record_id),
        fields=["reason"], after={"reason": text}, detail=f"soft delete: {text}",
    )  # fmt: skip
    session.flush()
    return removal


def _removal_of(session: Session, resource: str, record_id: int) -> RecordRemoval | None:
    return session.scalar(
        select(RecordRemoval).where(
            RecordRemoval.resource == resource, RecordRemoval.record_id == record_id
        )
    )


def list_removals(session: Session, who: Principal) -> list[Removal]:
    """Every removed record, newest first (administrators only)."""
    check(who, Resource.REMOVALS, Action.READ)
    rows = session.scalars(
        select(RecordRemoval).order_by(RecordRemoval.removed_at.desc(), RecordRemoval.id.desc())
    )
    return [
        Removal(
            r.id,
            r.resource,
            r.record_id,
            r.kind,
            r.reason,
            r.removed_by,
            r.removed_at.isoformat(timespec="seconds"),
            r.merged_into_id,
        )
        for r in rows
    ]


def restore_record(session: Session, who: Principal, removal_id: int) -> RecordRemoval:
    """Bring removed record back into every read (administrators only); audited.

    A person merged into another (``kind`` ``merged``) is restored by undoing the merge
    (:func:`uncounted.store.merging.unmerge_person`): its records move back to it.
    """
    check(who, Resource.REMOVALS, Action.DELETE)
    removal = session.get(RecordRemoval, removal_id)
    if removal is None:
        raise NotFound(f"There is no removed record {removal_id}; it may be restored already.")
    if removal.kind == "merged":
        from uncounted.store.merging import unmerge_person

        return unmerge_person(session, who, removal_id)
    audit.record(
        session, who, audit.AuditAction.RESTORE, removal.resource, str(removal.record_id),
        fields=["reason"], before={"reason": removal.reason},
        detail=f"restored (deleted by {removal.removed_by}: {removal.reason})",
    )  # fmt: skip
    session.delete(removal)
    session.flush()
    return removal


__all__ = [
    "DELETABLE",
    "MIN_REASON",
    "Removal",
    "delete_record",
    "list_removals",
    "may_delete",
    "restore_record",
]
