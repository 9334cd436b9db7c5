"""Merge two records of the same person into one, and undo it (admin).

A caseworker (or an administrator) who may change both records picks the one to keep; the
records that pointed at the other (roles in cases, justice events, referrals, aftercare steps,
assessments, list memberships: every foreign key to ``persons`` but the identity) move onto
it, and the other is marked merged (``record_removals``, kind ``merged``): hidden from every
read, not destroyed. The fields chosen from the other record are copied onto the kept one. The
merge is recorded as a ``match`` decision in ``linkage_decisions`` (so later linkage runs agree)
and audited, all in the caller's transaction: a failure leaves nothing half-moved. A decision a
reviewer had already made on the pair is kept with the merge (``prior_decision``), and undoing
the merge puts it back as it was (decision, reviewer, time, note); with none, the undo deletes
the merge's.

Records of two different agencies are not merged: each agency's list must keep its own record
for capture histories (multiple systems estimation counts the overlap between lists); that
"same person" is a linkage decision, not a merge. Rows that cannot move without duplicating
one the kept person already has (the same role in the same case, the same list and period)
stay with the merged record, hidden, and come back if the merge is undone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from uncounted.errors import AccessDenied, InvalidInput, NotFound
from uncounted.store import audit, person_index
from uncounted.store.access import Action, Principal, Resource, check, person_filter
from uncounted.store.linkage_records import record_decision
from uncounted.store.tables import (
    AftercareStep,
    Assessment,
    CasePerson,
    JusticeEvent,
    LinkageDecision,
    ListMembership,
    Person,
    PersonIdentity,
    RecordRemoval,
    Referral,
)
from uncounted.store.tombstones import live

#: Tables whose rows move to the kept person, with the columns that must stay unique with
#: ``person_id`` (a row that would duplicate one of the kept person's stays behind).
MOVED: dict[str, tuple[Any, tuple[str, ...]]] = {
    "case_persons": (CasePerson, ("case_id", "role")),
    "justice_events": (JusticeEvent, ()),
    "referrals": (Referral, ()),
    "aftercare_steps": (AftercareStep, ()),
    "assessments": (Assessment, ()),
    "list_memberships": (ListMembership, ("agency_id", "period")),
}
#: The columns of a linkage decision a merge keeps to put back when it is undone.
DECISION_FIELDS = ("decision", "match_probability", "decided_by", "decided_at", "note")
#: The analytic and identifying fields a merge may take from the other record.
PERSON_FIELDS = ("sex", "birth_year", "age_at_identification", "citizenship", "age_band",
                 "minor_at_identification")  # fmt: skip
IDENTITY_FIELDS = ("given_name", "family_name", "other_names", "birth_date",
                   "identity_number", "phone", "email", "address")  # fmt: skip


def _person(session: Session, who: Principal, person_id: int) -> Person:
    person = session.scalar(select(Person).where(Person.id == person_id, live(Person)))
    if person is None:
        raise NotFound(f"There is no person {person_id} (it may have been deleted or merged).")
    in_scope = select(Person.id).where(
        Person.id == person_id, person_filter(who, Resource.PERSONS, Action.UPDATE)
    )
    if session.scalar(in_scope) is None:
        raise AccessDenied("You may merge only records you may change; ask their owner.")
    return person


def mergeable_pair(
    session: Session, who: Principal, keep_id: int, other_id: int
) -> tuple[Person, Person]:
    """The two records if ``who`` may merge them: two different live records, both in scope to
    change, of the same agency. Raises :class:`NotFound`, :class:`AccessDenied` (either record
    outside the scope) or :class:`InvalidInput` (the same record; two agencies)."""
    check(who, Resource.PERSONS, Action.UPDATE)
    if keep_id == other_id:
        raise InvalidInput("Pick two different records to merge.")
    keep, other = _person(session, who, keep_id), _person(session, who, other_id)
    if keep.source_agency_id != other.source_agency_id:
        raise InvalidInput(
            "These records come from two agencies; each agency keeps its own record for the "
            "prevalence estimates. Record them as the same person in the linkage review instead."
        )
    return keep, other


def _fields_to_take(keep: Any, other: Any, names: Iterable[str]) -> dict[str, Any]:
    """Default: every field empty on the kept record and set on the other."""
    return {
        n: getattr(other, n)
        for n in names
        if getattr(keep, n) in (None, "", "Unknown") and getattr(other, n) not in (None, "")
    }


def default_take(
    keep: Person,
    other: Person,
    keep_identity: PersonIdentity | None,
    other_identity: PersonIdentity | None,
) -> dict[str, Any]:
    """The fields a merge takes from the other record when none are named: those empty (or
    ``Unknown``) on the kept record and set on the other, with the other's values."""
    chosen = _fields_to_take(keep, other, PERSON_FIELDS)
    if other_identity is not None:
        base = keep_identity if keep_identity is not None else PersonIdentity()
        chosen |= _fields_to_take(base, other_identity, IDENTITY_FIELDS)
    return chosen


def movable_rows(
    session: Session, keep_id: int, other_id: int
) -> dict[str, tuple[list[int], list[int]]]:
    """For each table of :data:`MOVED`: the ids of the other record's rows that a merge moves
    to the kept one, and of those that stay with it (they would duplicate one of the kept
    record's rows: the same role in the same case, the same list and period)."""
    out: dict[str, tuple[list[int], list[int]]] = {}
    for name, (table, unique) in MOVED.items():
        rows = session.scalars(
            select(table).where(table.person_id == other_id).order_by(table.id)
        ).all()
        moving: list[int] = []
        staying: list[int] = []
        for row in rows:
            if unique:
                clash = select(table.id).where(
                    table.person_id == keep_id,
                    *(getattr(table, c) == getattr(row, c) for c in unique),
                )
                if session.scalar(clash) is not None:
                    staying.append(row.id)
                    continue
            moving.append(row.id)
        out[name] = (moving, staying)
    return out


def _pair_decision(session: Session, a: int, b: int) -> LinkageDecision | None:
    low, high = sorted((a, b))
    return session.scalar(
        select(LinkageDecision).where(
            LinkageDecision.person_id_l == low, LinkageDecision.person_id_r == high
        )
    )


def _decision_values(decision: LinkageDecision) -> dict[str, Any]:
    """The values of :data:`DECISION_FIELDS`, JSON-ready (the time in ISO form)."""
    values = {n: getattr(decision, n) for n in DECISION_FIELDS}
    values["decided_at"] = values["decided_at"].isoformat() if values["decided_at"] else None
    return values


def _put_back(
    session: Session, who: Principal, removal: RecordRemoval, decision: LinkageDecision | None
) -> None:
    """Undo the merge's linkage decision: the one before it again, or none; audited."""
    prior = removal.prior_decision
    if prior is None:
        if decision is not None:
            audit.delete(session, who, decision)
        return
    values = dict(prior)
    if values.get("decided_at"):
        values["decided_at"] = dt.datetime.fromisoformat(values["decided_at"])
    if decision is None:  # the merge's decision was deleted since; the reviewer's comes back
        low, high = sorted((removal.record_id, removal.merged_into_id or 0))
        audit.create(session, who, LinkageDecision(person_id_l=low, person_id_r=high, **values))
    else:
        audit.update(session, who, decision, values)


def merge_persons(
    session: Session,
    who: Principal,
    keep_id: int,
    other_id: int,
    reason: str,
    take: Iterable[str] | None = None,
) -> RecordRemoval:
    """Merge person ``other_id`` into ``keep_id`` (see the module docstring); audited.

    ``take`` names the fields copied from the other record (``None``: those the kept record
    lacks). Returns the removal that marks the other record as merged.
    """
    keep, other = mergeable_pair(session, who, keep_id, other_id)
    text = (reason or "").strip()
    if len(text) < 5:
        raise InvalidInput("Say why these are the same person (at least 5 characters).")
    keep_id_ = session.get(PersonIdentity, keep_id)
    other_id_ = session.get(PersonIdentity, other_id)
    names = list(PERSON_FIELDS) + list(IDENTITY_FIELDS)
    unknown = sorted(set(take or ()) - set(names))
    if unknown:
        raise InvalidInput(
            f"Unknown field(s) {', '.join(unknown)}; choose from {', '.join(names)}."
        )
    if take is None:
        chosen = default_take(keep, other, keep_id_, other_id_)
    else:
        chosen = {n: getattr(other if n in PERSON_FIELDS else other_id_, n, None) for n in take}
    person_changes = {n: v for n, v in chosen.items() if n in PERSON_FIELDS}
    identity_changes = {n: v for n, v in chosen.items() if n in IDENTITY_FIELDS}
    if person_changes:
        audit.update(session, who, keep, person_changes)
    if identity_changes:
        if keep_id_ is None:
            audit.create(session, who, PersonIdentity(person_id=keep_id, **identity_changes))
        else:
            audit.update(session, who, keep_id_, identity_changes)
    if identity_changes:  # the person search finds the kept record by the names taken
        session.flush()
        person_index.refresh(session.connection(), [keep_id])
    moved = {name: ids for name, (ids, _) in movable_rows(session, keep_id, other_id).items()}
    moved = {name: ids for name, ids in moved.items() if ids}
    for name, ids in moved.items():
        table = MOVED[name][0]
        session.execute(update(table).where(table.id.in_(ids)).values(person_id=keep_id))
    removal = RecordRemoval(
        resource="persons", record_id=other_id, kind="merged", reason=text,
        removed_by=who.username, removed_by_user_id=who.user_id,
        removed_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        merged_into_id=keep_id, moved=moved,
    )  # fmt: skip
    prior = _pair_decision(session, keep_id, other_id)
    removal.prior_decision = None if prior is None else _decision_values(prior)
    session.add(removal)
    record_decision(session, who, keep_id, other_id, "match", note=f"merged: {text}")
    audit.record(
        session, who, audit.AuditAction.MERGE, "persons", str(keep_id),
        fields=sorted(chosen), after={"merged": other_id, "moved": moved},
        detail=f"merged person {other_id} into {keep_id}: {text}; fields taken from "
        f"{other_id}: {', '.join(sorted(chosen)) or 'none'}",
    )  # fmt: skip
    session.flush()
    return removal


def unmerge_person(session: Session, who: Principal, removal_id: int) -> RecordRemoval:
    """Undo a merge (administrators only): the rows moved go back to the merged record, which
    is visible again, and the pair's linkage decision is the one before the merge again (or
    none); audited. Field values copied onto the kept record stay (the merged record still
    holds its own)."""
    check(who, Resource.REMOVALS, Action.DELETE)
    removal = session.get(RecordRemoval, removal_id)
    if removal is None or removal.kind != "merged":
        raise NotFound(f"There is no merge {removal_id} to undo.")
    for name, ids in removal.moved.items():
        table = MOVED[name][0]
        session.execute(update(table).where(table.id.in_(ids)).values(person_id=removal.record_id))
    decision = _pair_decision(session, removal.record_id, removal.merged_into_id or 0)
    _put_back(session, who, removal, decision)
    audit.record(
        session, who, audit.AuditAction.RESTORE, "persons", str(removal.record_id),
        after={"unmerged_from": removal.merged_into_id, "moved_back": removal.moved},
        detail=f"merge into {removal.merged_into_id} undone ({removal.reason})",
    )  # fmt: skip
    session.delete(removal)
    session.flush()
    return removal


def merge_candidates(
    session: Session,
    who: Principal,
    limit: int | None = None,
    offset: int = 0,
    person_id: int | None = None,
) -> list[tuple[int, int]]:
    """Pairs a reviewer decided are the same person (``linkage_decisions``, ``match``) that
    ``who`` may merge: both records live, in scope to change, from the same agency; ordered by
    the pair's ids, ``limit`` of them from ``offset`` (``None``: all); with ``person_id``,
    only the pairs of that record.

    The agencies are compared in the query (a join of ``persons`` twice), so a page of pairs
    costs one indexed query however many people the store holds.
    """
    check(who, Resource.PERSONS, Action.UPDATE)
    left, right = aliased(Person), aliased(Person)
    changeable = select(Person.id).where(person_filter(who, Resource.PERSONS, Action.UPDATE))
    query = (
        select(LinkageDecision.person_id_l, LinkageDecision.person_id_r)
        .join(left, left.id == LinkageDecision.person_id_l)
        .join(right, right.id == LinkageDecision.person_id_r)
        .where(
            LinkageDecision.decision == "match",
            live(LinkageDecision),
            left.source_agency_id == right.source_agency_id,
            LinkageDecision.person_id_l.in_(changeable),
            LinkageDecision.person_id_r.in_(changeable),
        )
        .order_by(LinkageDecision.person_id_l, LinkageDecision.person_id_r)
        .offset(offset)
    )
    if person_id is not None:
        query = query.where(
            or_(LinkageDecision.person_id_l == person_id, LinkageDecision.person_id_r == person_id)
        )
    if limit is not None:
        query = query.limit(limit)
    return [(int(a), int(b)) for a, b in session.execute(query).all()]


__all__ = ["DECISION_FIELDS", "IDENTITY_FIELDS", "MOVED", "PERSON_FIELDS", "default_take",
           "merge_candidates", "merge_persons", "mergeable_pair", "movable_rows",
           "unmerge_person"]  # fmt: skip
