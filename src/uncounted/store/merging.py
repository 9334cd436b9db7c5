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

A merge never widens who can read personal data, and never changes what the merger cannot
change. A caseworker merges two records only when they may change both, every row recorded
about either of them in the tables a merge moves is theirs to change
(:func:`~uncounted.store.access.own_rows`, counted by :func:`outside_rows`: roles and justice
events in cases they may change; referrals their agency sent, assessments and aftercare steps
it recorded, places on its own list), and the same agencies may read both records
(:func:`readers`: through their cases, the agency that recorded them, an accepted referral
with consent); otherwise an administrator must do it. Both records' rows count, not only
those that move: the kept record's rows would describe a record that now also holds the
other's data and history, and either record may be the one kept. An administrator's merge
may widen who reads a record: the comparison page names the agencies that would newly read
each record's data (:func:`widening`) and the audit entry records them.

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

from sqlalchemy import String, func, literal, or_, select, union_all, update
from sqlalchemy.orm import Session, aliased

from uncounted.errors import AccessDenied, AdministratorOnly, InvalidInput, NotFound
from uncounted.store import audit, person_index
from uncounted.store.access import (
    Action,
    Principal,
    Resource,
    check,
    own_rows,
    person_filter,
    person_readers,
    unrestricted,
)
from uncounted.store.linkage_records import record_decision
from uncounted.store.tables import (
    AftercareStep,
    Agency,
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


def readers(session: Session, person_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """The agencies whose caseworkers may read each of ``person_ids`` (none for a record that
    is not live), by the access rules (:func:`~uncounted.store.access.person_readers`): one
    query however many agencies. Administrators and analysts read every record and are left
    out."""
    wanted = sorted(set(person_ids))
    found: dict[int, set[int]] = {pid: set() for pid in wanted}
    if not wanted:
        return {}
    for pid, agency in session.execute(person_readers(wanted)):
        found[int(pid)].add(int(agency))
    return {pid: frozenset(agencies) for pid, agencies in found.items()}


def outside_rows(
    session: Session, who: Principal, person_ids: Iterable[int]
) -> dict[int, dict[str, int]]:
    """For each of ``person_ids`` with rows that ``who`` may not change as their own
    (:func:`~uncounted.store.access.own_rows`) in the tables a merge moves (:data:`MOVED`):
    how many in each table (e.g. a role in a case they may not change, another agency's
    justice event, referral, assessment or list). One query however many records and agencies;
    nothing for an administrator."""
    wanted = sorted(set(person_ids))
    if unrestricted(who) or not wanted:
        return {}
    ids = select(Person.id).where(Person.id.in_(wanted)).cte("wanted").select()
    parts = []
    for name, (table, _) in MOVED.items():
        theirs = select(table.id).where(table.person_id.in_(ids), own_rows(who, table))
        parts.append(
            select(table.person_id, literal(name, String).label("kind"), func.count())
            .where(table.person_id.in_(ids), table.id.not_in(theirs))
            .group_by(table.person_id)
        )
    found: dict[int, dict[str, int]] = {}
    for pid, name, count in session.execute(union_all(*parts)):
        found.setdefault(int(pid), {})[str(name)] = int(count)
    return found


#: How a refusal names a record's rows that the caseworker may not change, by table of
#: :data:`MOVED`: one row, and ``{n}`` rows (nothing of the rows themselves but their number).
OUTSIDE_ROWS: dict[str, tuple[str, str]] = {
    "case_persons": (
        "a role in a case you may not change",
        "{n} roles in cases you may not change",
    ),
    "justice_events": (
        "a justice event in a case you may not change",
        "{n} justice events in cases you may not change",
    ),
    "referrals": (
        "a referral sent by another agency or in a case you may not change",
        "{n} referrals sent by another agency or in cases you may not change",
    ),
    "aftercare_steps": (
        "an aftercare step recorded by another agency or in a case you may not change",
        "{n} aftercare steps recorded by another agency or in cases you may not change",
    ),
    "assessments": (
        "an assessment recorded by another agency",
        "{n} assessments recorded by another agency",
    ),
    "list_memberships": (
        "a membership of another agency's list",
        "{n} memberships of other agencies' lists",
    ),
}
#: Why a caseworker may not merge a pair an administrator could.
OUTSIDE = (
    "An administrator must merge these records, because {found}; a merge would change {it} too."
)
OTHER_READERS = (
    "An administrator must merge these records, because they are not open to the same "
    "agencies and a merge would show each record's data to those that may read the other."
)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _refusal(
    pair: tuple[int, int],
    outside: dict[int, dict[str, int]],
    seen_by: dict[int, frozenset[int]],
) -> str | None:
    found, rows = [], 0
    for pid in pair:
        counts = outside.get(pid, {})
        named = [
            OUTSIDE_ROWS[name][0] if n == 1 else OUTSIDE_ROWS[name][1].format(n=n)
            for name in MOVED
            if (n := counts.get(name, 0))
        ]
        if named:
            found.append(f"record {pid} has {_and(named)}")
            rows += sum(counts.values())
    if found:
        return OUTSIDE.format(found=" and ".join(found), it="it" if rows == 1 else "them")
    if seen_by.get(pair[0]) != seen_by.get(pair[1]):
        return OTHER_READERS
    return None


def widening(
    session: Session,
    keep_id: int,
    other_id: int,
    seen_by: dict[int, frozenset[int]] | None = None,
) -> dict[int, list[str]]:
    """For each record of a merge, the codes of the agencies that would newly read its data
    (they read the other record, not this one); records no agency newly reads are left out.
    ``seen_by``: the pair's :func:`readers`, if the caller has them already."""
    if seen_by is None:
        seen_by = readers(session, (keep_id, other_id))
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    keep, other = seen_by.get(keep_id, frozenset()), seen_by.get(other_id, frozenset())
    out = {
        keep_id: sorted(str(codes[a]) for a in other - keep),
        other_id: sorted(str(codes[a]) for a in keep - other),
    }
    return {pid: agencies for pid, agencies in out.items() if agencies}


def mergeable_pair(
    session: Session, who: Principal, keep_id: int, other_id: int
) -> tuple[Person, Person]:
    """The two records if ``who`` may merge them: two different live records, both in scope to
    change, of the same agency; for a caseworker, also every row about either in the tables a
    merge moves theirs to change (:func:`outside_rows`), and the same agencies reading both
    (see the module docstring). Raises
    :class:`NotFound`, :class:`AccessDenied` (outside the scope; a merge only an administrator
    may do) or :class:`InvalidInput` (the same record; two agencies)."""
    keep, other, _ = _checked_pair(session, who, keep_id, other_id)
    return keep, other


def _checked_pair(
    session: Session, who: Principal, keep_id: int, other_id: int
) -> tuple[Person, Person, dict[int, frozenset[int]] | None]:
    """:func:`mergeable_pair`, with the pair's :func:`readers` if it had to read them (for a
    caseworker; ``None`` for an administrator), so a caller needing them reads them once."""
    check(who, Resource.PERSONS, Action.UPDATE)
    if keep_id == other_id:
        raise InvalidInput("Pick two different records to merge.")
    keep, other = _person(session, who, keep_id), _person(session, who, other_id)
    if keep.source_agency_id != other.source_agency_id:
        raise InvalidInput(
            "These records come from two agencies; each agency keeps its own record for the "
            "prevalence estimates. Record them as the same person in the linkage review instead."
        )
    seen_by: dict[int, frozenset[int]] | None = None
    if not unrestricted(who):
        pair = (keep_id, other_id)
        outside, seen_by = outside_rows(session, who, pair), readers(session, pair)
        refusal = _refusal(pair, outside, seen_by)
        if refusal is not None:
            raise AdministratorOnly(refusal)
    return keep, other, seen_by


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
    keep, other, seen_by = _checked_pair(session, who, keep_id, other_id)
    widened = widening(session, keep_id, other_id, seen_by)
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
    newly = "; ".join(
        f"{', '.join(codes)} newly read {pid}'s data" for pid, codes in widened.items()
    )
    after: dict[str, Any] = {"merged": other_id, "moved": moved}
    if widened:  # an administrator's merge that widens who reads the records
        after["newly_read_by"] = {str(pid): codes for pid, codes in widened.items()}
    audit.record(
        session, who, audit.AuditAction.MERGE, "persons", str(keep_id),
        fields=sorted(chosen), after=after,
        detail=f"merged person {other_id} into {keep_id}: {text}; fields taken from "
        f"{other_id}: {', '.join(sorted(chosen)) or 'none'}" + (f"; {newly}" if newly else ""),
    )  # fmt: skip
    session.flush()
    return removal


def _refuse_if_moved_since(session: Session, removal: RecordRemoval) -> None:
    """Raise :class:`InvalidInput` if rows the merge moved to the kept record are no longer on
    it: undoing would take them from the record they are on now. Chained merges (B into A,
    then A into C) are undone latest first: undoing B into A first would take B's rows from C,
    and the undo of A into C would then move them to A."""
    kept = removal.merged_into_id
    elsewhere = 0
    for name, ids in removal.moved.items():
        table = MOVED[name][0]
        away = (
            select(func.count())
            .select_from(table)
            .where(table.id.in_(ids), table.person_id.is_distinct_from(kept))
        )
        elsewhere += session.scalar(away) or 0
    if not elsewhere:
        return
    later = session.scalar(
        select(RecordRemoval).where(
            RecordRemoval.resource == "persons",
            RecordRemoval.record_id == kept,
            RecordRemoval.kind == "merged",
        )
    )
    if later is not None:
        raise InvalidInput(
            f"Record {kept} was since merged into record {later.merged_into_id}, taking with it "
            f"what this merge moved: undo that merge ({later.id}) first, then this one."
        )
    raise InvalidInput(
        f"{elsewhere} of the rows this merge moved to record {kept} are no longer on it (they "
        "were changed since), and undoing the merge would take them from where they are now. "
        f"Put them back on record {kept} first, or keep the merge."
    )


def unmerge_person(session: Session, who: Principal, removal_id: int) -> RecordRemoval:
    """Undo a merge (administrators only): the rows moved go back to the merged record, which
    is visible again, and the pair's linkage decision is the one before the merge again (or
    none); audited. Field values copied onto the kept record stay (the merged record still
    holds its own). Refused (:class:`InvalidInput`) while rows it moved are on another record
    than the kept one, e.g. when the kept record was since merged into a third: undo that
    merge first."""
    check(who, Resource.REMOVALS, Action.DELETE)
    removal = session.get(RecordRemoval, removal_id)
    if removal is None or removal.kind != "merged":
        raise NotFound(f"There is no merge {removal_id} to undo.")
    _refuse_if_moved_since(session, removal)
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

    The agencies are compared in the query (a join of ``persons`` twice), so an
    administrator's page of pairs costs one indexed query however many people the store
    holds. A caseworker is offered only the pairs they may merge (:func:`mergeable_pair`):
    their agency's candidate pairs are read whole, the pairs with a record that has rows they
    may not change or is read by other agencies than the other record are dropped, and the
    page is cut from what remains: three queries (the pairs, :func:`outside_rows`,
    :func:`readers`) however many agencies and pairs.
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
    )
    if person_id is not None:
        query = query.where(
            or_(LinkageDecision.person_id_l == person_id, LinkageDecision.person_id_r == person_id)
        )
    if unrestricted(who):
        query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [(int(a), int(b)) for a, b in session.execute(query).all()]
    pairs = [(int(a), int(b)) for a, b in session.execute(query).all()]
    ids = {i for pair in pairs for i in pair}
    outside, seen_by = outside_rows(session, who, ids), readers(session, ids)
    allowed = [pair for pair in pairs if _refusal(pair, outside, seen_by) is None]
    return allowed[offset:] if limit is None else allowed[offset : offset + limit]


__all__ = ["DECISION_FIELDS", "IDENTITY_FIELDS", "MOVED", "PERSON_FIELDS", "default_take",
           "merge_candidates", "merge_persons", "mergeable_pair", "movable_rows",
           "outside_rows", "readers", "unmerge_person", "widening"]  # fmt: skip
