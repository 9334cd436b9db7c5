"""What someone about to merge two records of one person looks at (``store/merging.py`` merges).

:func:`merge_preview` puts the two records side by side, field by field, with the fields a
merge takes from the other record by default and the rows that would move to the kept record
(or stay behind, hidden with the merged one). :func:`candidate_page` lists, a page at a time,
the pairs a reviewer already decided are the same person and that the reader may merge.

Both check access as the merge itself does (:func:`~uncounted.store.merging.mergeable_pair`:
both records in scope to change, of one agency), so nobody is shown a comparison they could
not act on. Identifying fields are read only by roles that may see them, and each such read
is audited in the caller's transaction, as on the case page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.store import audit
from uncounted.store.access import Action, Principal, Resource, scope_filter, sees_identities
from uncounted.store.merging import (
    IDENTITY_FIELDS,
    MOVED,
    PERSON_FIELDS,
    _checked_pair,
    default_take,
    merge_candidates,
    movable_rows,
    widening,
)
from uncounted.store.survivor_records import get_person
from uncounted.store.tables import Agency, Case, CasePerson, Person, PersonIdentity
from uncounted.store.tombstones import live

#: Pairs of merge candidates shown on one page.
CANDIDATES_PER_PAGE = 50


@dataclass(frozen=True)
class MergeField:
    """One field of both records: each one's value and whether a merge takes the other's by
    default (its value is empty or unknown on the kept record)."""

    name: str
    identifying: bool
    keep: Any
    other: Any
    taken_by_default: bool

    @property
    def differs(self) -> bool:
        """Whether the two records hold different values (only then is there a choice)."""
        return bool(self.keep != self.other)


@dataclass(frozen=True)
class MergePreview:
    """Two records of one agency side by side, before a merge."""

    keep: dict[str, Any]
    other: dict[str, Any]
    fields: list[MergeField]
    moving: dict[str, int] = field(default_factory=dict)  # table -> rows that move
    staying: dict[str, int] = field(default_factory=dict)  # table -> rows that stay behind
    #: record -> codes of the agencies that would newly read its data (administrators only)
    widening: dict[int, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "keep": self.keep,
            "other": self.other,
            "fields": [
                {"name": f.name, "identifying": f.identifying, "keep": f.keep,
                 "other": f.other, "differs": f.differs,
                 "taken_by_default": f.taken_by_default}
                for f in self.fields
            ],
            "moving": self.moving,
            "staying": self.staying,
            "widening": [{"record": pid, "agencies": codes}
                         for pid, codes in self.widening.items()],
        }  # fmt: skip


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def describe_persons(
    session: Session, who: Principal, ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """How ``who`` may see each of ``ids`` (all read in scope by the caller): the label (names
    for roles that read identities, the read audited; else ``P-<id>``), the agency's code, the
    agency's own id for the record, and the cases in ``who``'s scope with the person's role."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    agencies: dict[int | None, str] = dict(session.execute(select(Agency.id, Agency.code)).all())
    out: dict[int, dict[str, Any]] = {}
    for person in session.scalars(select(Person).where(Person.id.in_(wanted))):
        out[person.id] = {
            "id": person.id,
            "label": f"P-{person.id}",
            "agency": agencies.get(person.source_agency_id),
            "external_id": person.external_id,
            "cases": [],
        }
    if sees_identities(who):
        names = session.scalars(
            select(PersonIdentity).where(
                PersonIdentity.person_id.in_(wanted),
                scope_filter(who, Resource.IDENTITIES, Action.READ),
            )
        )
        for ident in names:
            shown = {
                k: v for k in ("given_name", "family_name") if (v := getattr(ident, k)) is not None
            }
            if shown and ident.person_id in out:
                audit.record_read(
                    session, who, "person_identities", str(ident.person_id), sorted(shown)
                )
                out[ident.person_id]["label"] = " ".join(shown.values())
    roles = session.execute(
        select(CasePerson.person_id, CasePerson.role, Case.id, Case.reference)
        .join(Case, Case.id == CasePerson.case_id)
        .where(
            CasePerson.person_id.in_(wanted),
            live(CasePerson),
            scope_filter(who, Resource.CASES, Action.READ),
        )
        .order_by(Case.id, CasePerson.role)
    )
    for person_id, role, case_id, reference in roles:
        if person_id in out:
            out[person_id]["cases"].append({"id": case_id, "reference": reference, "role": role})
    return out


def merge_preview(session: Session, who: Principal, keep_id: int, other_id: int) -> MergePreview:
    """Records ``keep_id`` and ``other_id`` side by side, if ``who`` may merge them (else the
    merge's own errors: :class:`NotFound`, :class:`AccessDenied`, :class:`InvalidInput`).

    Identifying fields are shown (and their reads audited) only to roles that may read them.
    Who reads each record is read once: the caseworker's check and the widening share it.
    """
    keep, other, seen_by = _checked_pair(session, who, keep_id, other_id)
    people = describe_persons(session, who, (keep_id, other_id))
    identities = sees_identities(who)
    keep_ident = session.get(PersonIdentity, keep_id) if identities else None
    other_ident = session.get(PersonIdentity, other_id) if identities else None
    defaults = default_take(keep, other, keep_ident, other_ident)
    fields = [
        MergeField(n, False, _plain(getattr(keep, n)), _plain(getattr(other, n)), n in defaults)
        for n in PERSON_FIELDS
    ]
    if identities:
        for n in IDENTITY_FIELDS:
            a, b = getattr(keep_ident, n, None), getattr(other_ident, n, None)
            fields.append(MergeField(n, True, a, b, n in defaults))
        for pid, ident in ((keep_id, keep_ident), (other_id, other_ident)):
            read = sorted(n for n in IDENTITY_FIELDS if getattr(ident, n, None) is not None)
            if read:
                audit.record_read(session, who, "person_identities", str(pid), read)
    rows = movable_rows(session, keep_id, other_id)
    return MergePreview(
        people[keep_id],
        people[other_id],
        fields,
        {name: len(rows[name][0]) for name in MOVED if rows[name][0]},
        {name: len(rows[name][1]) for name in MOVED if rows[name][1]},
        widening(session, keep_id, other_id, seen_by),
    )


@dataclass(frozen=True)
class CandidatePage:
    """One page of merge candidates: pairs of records with how the reader may see each."""

    rows: list[dict[str, Any]]
    page: int
    per_page: int
    more: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"rows": self.rows, "page": self.page, "per_page": self.per_page, "more": self.more}


def candidate_page(
    session: Session,
    who: Principal,
    page: int = 1,
    per_page: int = CANDIDATES_PER_PAGE,
    person_id: int | None = None,
) -> CandidatePage:
    """Page ``page`` (from 1) of the pairs ``who`` may merge (``merge_candidates``), each with
    both records described (:func:`describe_persons`); with ``person_id``, that record's
    pairs only, that record first. One more pair than shown is read, to know whether a next
    page exists."""
    pairs = merge_candidates(
        session, who, limit=per_page + 1, offset=(page - 1) * per_page, person_id=person_id
    )
    shown = pairs[:per_page]
    if person_id is not None:  # that record first: the one the reader came to keep
        shown = [(a, b) if a == person_id else (b, a) for a, b in shown]
    people = describe_persons(session, who, [i for pair in shown for i in pair])
    rows = [{"keep": people[a], "other": people[b]} for a, b in shown]
    return CandidatePage(rows, page, per_page, len(pairs) > per_page)


def merge_start(session: Session, who: Principal, person_id: int) -> dict[str, Any]:
    """Where a merge starts from one record: the record (if ``who`` may change it: else
    :class:`NotFound` / :class:`AccessDenied`) and its candidate pairs (the first page)."""
    get_person(session, who, person_id, Action.UPDATE)
    people = describe_persons(session, who, [person_id])
    pairs = candidate_page(session, who, person_id=person_id)
    return {"person": people[person_id], **pairs.to_dict()}


__all__ = [
    "CANDIDATES_PER_PAGE",
    "CandidatePage",
    "MergeField",
    "MergePreview",
    "candidate_page",
    "describe_persons",
    "merge_preview",
    "merge_start",
]
