"""Reading cases as a caseworker sees them: a filtered, paginated list and one case in full.

Every case is selected through :func:`~uncounted.store.access.scope_filter`, so a record outside
the caller's scope is never loaded; a case's people, events and referrals are in scope with it.
Identifying fields are loaded only for roles that may see them, and each such read is audited
(who, which person, which fields) in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import ColumnElement, Subquery, exists, func, or_, select, union_all
from sqlalchemy.orm import Session

from uncounted.domain import Stage
from uncounted.errors import AccessDenied, NotFound
from uncounted.store import audit
from uncounted.store.access import (
    Action,
    Principal,
    Resource,
    case_scope_parts,
    check,
    scope_filter,
    sees_identities,
)
from uncounted.store.crypto import encrypted_columns
from uncounted.store.tables import (
    Agency,
    Case,
    CaseLink,
    CasePerson,
    Jurisdiction,
    JusticeEvent,
    Person,
    PersonIdentity,
    Referral,
)
from uncounted.store.tombstones import live, removed_ids

_STAGE_RANK = {s.value: i for i, s in enumerate(Stage)}

#: The case list counts matches up to this many (then shows "1,000+").
COUNT_CAP = 1_000


@dataclass(frozen=True)
class CaseFilters:
    """What the case list is narrowed to (every field optional)."""

    q: str | None = None  # part of the case reference
    jurisdiction: str | None = None  # ISO 3166-1 country code
    stage: str | None = None  # cases with an event at this stage
    status: str | None = None
    exploitation_type: str | None = None
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list."""

    id: int
    reference: str
    status: str
    exploitation_type: str
    country: str
    agency: str
    opened_on: str
    latest_stage: str | None


@dataclass(frozen=True)
class CasePage:
    """One page of the case list, with the total that matched."""

    rows: list[CaseRow]
    total: int
    page: int
    per_page: int
    more: bool = False  # more than ``total`` matched (the count stops at COUNT_CAP)

    @property
    def pages(self) -> int:
        """Number of pages."""
        return max(1, -(-self.total // self.per_page))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rows": [dict(vars(r)) for r in self.rows],  # flat rows: no deep copy needed
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
            "more": self.more,
        }


def _case_conditions(filters: CaseFilters, by_date: bool = False) -> list[ColumnElement[bool]]:
    """The list's ``WHERE`` clauses (scope apart). ``by_date`` writes the column filters as
    expressions (``status || ''``), which keeps SQLite from choosing their indexes over the
    date indexes that return cases newest first without sorting every match."""
    conds: list[ColumnElement[bool]] = []
    status: Any = Case.status.concat("") if by_date else Case.status
    kind: Any = Case.exploitation_type.concat("") if by_date else Case.exploitation_type
    place: Any = Case.jurisdiction_id + 0 if by_date else Case.jurisdiction_id
    if filters.q:
        conds.append(Case.reference.ilike(f"%{filters.q.strip()}%"))
    if filters.status:
        conds.append(status == filters.status)
    if filters.exploitation_type:
        conds.append(kind == filters.exploitation_type)
    if filters.jurisdiction:
        places = select(Jurisdiction.id).where(Jurisdiction.country == filters.jurisdiction)
        conds.append(place.in_(places))
    if filters.stage:  # a lookup per case on the case_id index, stopping at the first match
        conds.append(
            exists().where(JusticeEvent.case_id == Case.id, JusticeEvent.stage == filters.stage)
        )
    return conds


def latest_stages(session: Session, case_ids: list[int]) -> dict[int, str]:
    """The furthest stage reached in each case (by the order of ``Stage``)."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(JusticeEvent.case_id, JusticeEvent.stage)
        .where(JusticeEvent.case_id.in_(case_ids))
        .distinct()
    ).all()
    best: dict[int, str] = {}
    for case_id, stage in rows:
        if case_id not in best or _STAGE_RANK.get(stage, -1) > _STAGE_RANK.get(best[case_id], -1):
            best[case_id] = stage
    return best


def newest_cases(session: Session, who: Principal, filters: CaseFilters, limit: int) -> Subquery:
    """Up to ``limit`` cases (``id``, ``opened_on``) in ``who``'s scope matching ``filters``,
    newest first.

    Each part of the scope (:func:`~uncounted.store.access.case_scope_parts`) is read newest
    first from its index and stops after ``limit`` matches; the parts are then merged. A
    caseworker's list thus reads their own agency's cases, not every case.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    conds = _case_conditions(filters, by_date=sqlite)
    newest = (Case.opened_on.desc(), Case.id.desc())
    arms = [
        select(Case.id, Case.opened_on).where(part, *conds).order_by(*newest).limit(limit)
        for part in case_scope_parts(who)
    ]
    if len(arms) == 1:
        return arms[0].subquery()
    merged = union_all(*(select(arm.subquery()) for arm in arms)).subquery()
    return (
        select(merged.c.id, merged.c.opened_on)
        .order_by(merged.c.opened_on.desc(), merged.c.id.desc())
        .limit(limit)
        .subquery()
    )


def list_cases(session: Session, who: Principal, filters: CaseFilters) -> CasePage:
    """The cases in ``who``'s scope that match ``filters``, newest first, one page.

    The first ``COUNT_CAP`` + 1 matches (or up to the requested page, if further) give both
    the page and the total in one query over the list indexes (the total as a window count,
    so only the page's ids leave the database): counting stops at ``COUNT_CAP`` ("1,000+"),
    so no request scans every case in scope.
    """
    check(who, Resource.CASES, Action.READ)
    per_page = min(max(filters.per_page, 1), 200)
    page = max(filters.page, 1)
    offset = (page - 1) * per_page
    first = newest_cases(session, who, filters, max(COUNT_CAP + 1, offset + per_page))
    ranked = session.execute(
        select(first.c.id, func.count().over())
        .order_by(first.c.opened_on.desc(), first.c.id.desc())
        .limit(per_page)
        .offset(offset)
    ).all()
    page_ids = [case_id for case_id, _ in ranked]
    if ranked:
        total = int(ranked[0][1])
    else:  # past the last page: count what there is
        total = session.scalar(select(func.count()).select_from(first)) or 0
    found = {
        row.id: row
        for row in session.execute(
            select(
                Case.id,
                Case.reference,
                Case.status,
                Case.exploitation_type,
                Jurisdiction.country,
                Agency.code,
                Case.opened_on,
            )
            .join(Jurisdiction, Jurisdiction.id == Case.jurisdiction_id)
            .join(Agency, Agency.id == Case.owning_agency_id)
            .where(Case.id.in_(page_ids))
        )
    }
    stages = latest_stages(session, page_ids)
    rows = [CaseRow(*found[i][:6], found[i].opened_on.isoformat(), stages.get(i)) for i in page_ids]
    return CasePage(rows, min(total, COUNT_CAP), page, per_page, total > COUNT_CAP)


@dataclass
class CaseDetail:
    """A case with its people, justice timeline (across linked cases) and referrals."""

    case: dict[str, Any]
    persons: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    linked: list[dict[str, Any]] = field(default_factory=list)
    identities_shown: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        # shallow: the lists are built fresh for each request, so no deep copy is needed
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _row(obj: Any, names: list[str]) -> dict[str, Any]:
    return {n: _iso(getattr(obj, n)) for n in names}


def get_case(session: Session, who: Principal, case_id: int, action: Action = Action.READ) -> Case:
    """The case ``case_id`` if ``who`` may ``action`` it; :class:`AccessDenied` / NotFound."""
    check(who, Resource.CASES, action)
    case = session.scalar(
        select(Case).where(Case.id == case_id, scope_filter(who, Resource.CASES, action))
    )
    if case is not None:
        return case
    gone = session.scalar(
        select(Case.id).where(Case.id == case_id, Case.id.in_(removed_ids("cases")))
    )
    if session.get(Case, case_id) is None or gone is not None:
        raise NotFound(f"There is no case {case_id}; check the number or search the case list.")
    raise AccessDenied("This case is outside your agency's scope; ask its owner to share it.")


def _persons(session: Session, who: Principal, case_id: int) -> tuple[list[dict[str, Any]], bool]:
    show = sees_identities(who)
    query = (
        select(CasePerson, Person)
        .join(Person, Person.id == CasePerson.person_id)
        .where(CasePerson.case_id == case_id, live(CasePerson))
        .order_by(CasePerson.role.desc(), Person.id)
    )
    identities: dict[int, PersonIdentity] = {}
    if show:  # the case was checked to be in scope (get_case), so its people are too
        with_identity = query.outerjoin(PersonIdentity, PersonIdentity.person_id == Person.id)
        found = session.execute(with_identity.add_columns(PersonIdentity)).all()
        rows = [(link, person) for link, person, _ in found]
        identities = {p.id: i for _, p, i in found if i is not None}
    else:
        rows = [(link, person) for link, person in session.execute(query).all()]
    secret = encrypted_columns()
    persons = []
    for link, person in rows:
        item = {
            "person_id": person.id,
            "label": f"P-{person.id}",
            "role": link.role,
            "sex": person.sex,
            "birth_year": person.birth_year,
            "age_at_identification": person.age_at_identification,
            "citizenship": person.citizenship,
            "trafficking_status": link.trafficking_status,
            "exploitation_type": link.exploitation_type,
            "minor_at_exploitation": link.minor_at_exploitation,
            "role_in_process": link.role_in_process,
        }
        ident = identities.get(person.id)
        if ident is not None:
            shown = {n: getattr(ident, n) for n in secret if getattr(ident, n) is not None}
            item["identity"] = shown
            if shown:
                audit.record_read(session, who, "person_identities", str(person.id), sorted(shown))
                names = " ".join(shown[k] for k in ("given_name", "family_name") if k in shown)
                item["label"] = names or item["label"]
        persons.append(item)
    return persons, show


def person_case_ids(
    session: Session, who: Principal, person_id: int, role: str | None = None
) -> list[int]:
    """Ids of the cases in ``who``'s scope where the person has a live role (``role``: only
    that one, e.g. ``victim``), lowest first: the links from a survivor's or a merged
    person's page back to their cases."""
    conditions = [
        CasePerson.person_id == person_id,
        live(CasePerson),
        scope_filter(who, Resource.CASES, Action.READ),
    ]
    if role is not None:
        conditions.append(CasePerson.role == role)
    query = select(CasePerson.case_id).join(Case, Case.id == CasePerson.case_id).where(*conditions)
    return list(session.scalars(query.order_by(CasePerson.case_id).distinct()))


def case_detail(session: Session, who: Principal, case_id: int) -> CaseDetail:
    """Everything about one case that ``who`` may see; reads of identities are audited."""
    case = get_case(session, who, case_id)
    agencies = {i: c for i, c in session.execute(select(Agency.id, Agency.code))}
    place = session.get(Jurisdiction, case.jurisdiction_id)
    head = _row(
        case,
        ["id", "reference", "status", "exploitation_type", "opened_on", "closed_on"],
    )
    head["country"] = place.country if place else None
    head["jurisdiction"] = place.name if place else None
    head["agency"] = agencies.get(case.owning_agency_id)
    head["owning_agency_id"] = case.owning_agency_id
    persons, shown = _persons(session, who, case_id)
    labels = {p["person_id"]: p["label"] for p in persons}

    link_rows = session.execute(
        select(CaseLink.case_id, CaseLink.linked_case_id).where(
            or_(CaseLink.case_id == case_id, CaseLink.linked_case_id == case_id), live(CaseLink)
        )
    ).all()
    linked_ids = sorted({b if a == case_id else a for a, b in link_rows} - {case_id})
    visible_links: set[int] = set()
    linked = []
    if linked_ids:
        visible_links = set(
            session.scalars(
                select(Case.id).where(Case.id.in_(linked_ids), scope_filter(who, Resource.CASES))
            )
        )
        others = {
            row.id: row
            for row in session.execute(
                select(Case.id, Case.reference, Jurisdiction.country)
                .join(Jurisdiction, Jurisdiction.id == Case.jurisdiction_id)
                .where(Case.id.in_(linked_ids))
            )
        }
        for other in linked_ids:
            visible = other in visible_links
            linked.append(
                {
                    "id": other,
                    "reference": others[other].reference if visible else None,
                    "country": others[other].country,
                    "visible": visible,
                }
            )

    timeline = []
    events = session.execute(
        select(JusticeEvent, Jurisdiction.country, Case.reference)
        .join(Jurisdiction, Jurisdiction.id == JusticeEvent.jurisdiction_id)
        .join(Case, Case.id == JusticeEvent.case_id)
        .where(JusticeEvent.case_id.in_([case_id, *visible_links]), live(JusticeEvent))
        .order_by(JusticeEvent.occurred_on, JusticeEvent.id)
    ).all()
    for event, country, reference in events:
        item = _row(
            event,
            ["id", "case_id", "person_id", "stage", "occurred_on", "outcome", "offence"],
        )
        item["sentence_months"] = event.sentence_months
        item["country"] = country
        item["case_reference"] = reference
        item["stage_label"] = Stage(event.stage).label if event.stage in _STAGE_RANK else None
        pid = event.person_id
        item["person"] = labels.get(pid, f"P-{pid}") if pid is not None else None
        timeline.append(item)

    refs = session.scalars(
        select(Referral)
        .where(Referral.case_id == case_id, live(Referral))  # the case is in scope
        .order_by(Referral.referred_on)
    )
    referrals = []
    for r in refs:
        item = _row(
            r, ["id", "person_id", "from_country", "to_country", "referred_on", "reason", "status"]
        )
        item["from_agency"] = agencies.get(r.from_agency_id)
        item["to_agency"] = agencies.get(r.to_agency_id)
        item["consent_recorded"] = r.consent_recorded
        item["service"] = r.service
        if shown and r.decline_reason is not None:  # free text: as identifying as a name
            item["decline_reason"] = r.decline_reason
            audit.record_read(session, who, "referrals", str(r.id), ["decline_reason"])
        item["person"] = labels.get(r.person_id, f"P-{r.person_id}")
        referrals.append(item)
    return CaseDetail(head, persons, timeline, referrals, linked, shown)


__all__ = [
    "COUNT_CAP",
    "CaseDetail",
    "CaseFilters",
    "CasePage",
    "CaseRow",
    "case_detail",
    "get_case",
    "latest_stages",
    "list_cases",
    "newest_cases",
    "person_case_ids",
]
