"""Who may do what: role × resource × action, plus agency scope. Denied by default.

=================  ==========================================================================
role               may
=================  ==========================================================================
``admin``          everything, every agency, users, the audit log, deleted records (restore)
``caseworker``     read and write case records of their agency's scope (identifying fields
                   included); delete (softly, restorable) their own agency's cases, persons
                   and justice events (:func:`delete_filter`); import files; read
                   indicators, metrics and prevalence
``analyst``        read case records of every agency **without** identifying fields; read
                   and run indicators, metrics and prevalence estimates; review linkage
                   pairs (names masked) and record decisions
``viewer``         read aggregate results only (dashboard, indicators, metrics, prevalence,
                   the evidence report)
=================  ==========================================================================

The **evidence report** (``reports``) pools every agency's records into one document for
funders and the public: analysts and viewers, whose scope is every agency's aggregates, read
it; caseworkers, whose scope is their agency's records, do not. The **open-data bundle**
(``open_data``) releases de-identified victim rows of every agency: only analysts (who read
every agency's records without identifying fields) and administrators build one (``create``).

**Partners** (due diligence of candidate business partners: the register, statement scores
and decision sheets) hold business information, no personal data about victims: analysts,
who do the desk review, read, create and update them; viewers (e.g. the officer who signs
the agreement) read the decision sheets; caseworkers, whose work is cases, have no access;
only administrators delete.

**Linkage review** (``linkage``: the queue of pairs of agency records awaiting a clerical
decision, and the decisions): a pair is two records, most often of two agencies, and a
decision changes every agency's estimate, so it is work on every agency's records. Analysts
(who read every agency's records) read the queue and record or change decisions, seeing
the agreement of each field but not names (:func:`sees_identities`); administrators see
names too and may also delete decisions. Caseworkers, whose scope is their own agency's
records, do not review: the other record of a pair is outside it, and two records of one
person within their own agency are merged instead (``store/merging.py``). Viewers read
aggregates only.

A caseworker's **scope** is:

* the cases their agency owns and the cases another agency shared with it (``case_shares``),
  with everything in them (people, justice events, referrals), to read and to write;
* the people their agency recorded (``persons.source_agency_id``);
* a person referred to their agency, **only** while that referral is accepted
  (:data:`ACTIVE_REFERRAL_STATUSES`) and the person's consent is recorded: that person's own
  record (identity and assessments), to read and to record assessments, never the sending
  agency's case, its other people or the right to edit or close it.

:func:`scope_filter` expresses that as a SQLAlchemy ``WHERE`` clause for each resource, so a
query can never return a record outside the caller's scope; :func:`check` raises
:class:`~uncounted.errors.AccessDenied` for an action the role does not have. Anything not
listed in :data:`POLICY` is denied. Every way in (web forms, JSON routes, imports under a user,
exports under a user) asks these functions; :data:`IMPORT_ROW_RULES` says what each record an
import row touches must be.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    and_,
    false,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session

from uncounted.errors import AccessDenied
from uncounted.store.tables import (
    AftercareStep,
    Agency,
    Assessment,
    Case,
    CasePerson,
    CaseShare,
    ImportBatch,
    JusticeEvent,
    ListMembership,
    Person,
    PersonIdentity,
    Referral,
)
from uncounted.store.tombstones import live


class Role(StrEnum):
    """A user's role."""

    ADMIN = "admin"
    CASEWORKER = "caseworker"
    ANALYST = "analyst"
    VIEWER = "viewer"


class Resource(StrEnum):
    """What is acted on."""

    CASES = "cases"
    PERSONS = "persons"
    IDENTITIES = "identities"  # the identifying fields of a person
    JUSTICE_EVENTS = "justice_events"
    REFERRALS = "referrals"
    ASSESSMENTS = "assessments"
    AGENCIES = "agencies"  # the organisations themselves (codes and names)
    INDICATORS = "indicators"
    METRICS = "metrics"
    PREVALENCE = "prevalence"
    IMPORTS = "imports"
    USERS = "users"
    AUDIT = "audit"
    PARTNERS = "partners"  # due diligence: partner register, statement scores, decisions
    REMOVALS = "removals"  # deleted and merged records: list and restore (admin only)
    REPORTS = "reports"  # the evidence report (aggregates of every agency)
    OPEN_DATA = "open_data"  # the de-identified open-data bundle
    LINKAGE = "linkage"  # the linkage review queue and reviewers' decisions


class Action(StrEnum):
    """What is done."""

    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


_R, _C, _U, _D = Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE
_ALL = frozenset(Action)
_WRITE = frozenset({_R, _C, _U})
_WRITE_DELETE = frozenset({_R, _C, _U, _D})
_READ = frozenset({_R})
_CASE_RECORDS = (
    Resource.CASES,
    Resource.PERSONS,
    Resource.IDENTITIES,
    Resource.JUSTICE_EVENTS,
    Resource.REFERRALS,
    Resource.ASSESSMENTS,
)
_AGGREGATES = (Resource.INDICATORS, Resource.METRICS, Resource.PREVALENCE)

#: The whole policy. A (role, resource) pair that is absent is denied.
POLICY: dict[Role, dict[Resource, frozenset[Action]]] = {
    Role.ADMIN: {resource: _ALL for resource in Resource},
    Role.CASEWORKER: {
        **{resource: _WRITE for resource in _CASE_RECORDS},
        # soft delete (restorable by an admin), of their own agency's records only
        **{r: _WRITE_DELETE for r in (Resource.CASES, Resource.PERSONS, Resource.JUSTICE_EVENTS)},
        **{resource: _READ for resource in _AGGREGATES},
        Resource.AGENCIES: _READ,
        Resource.IMPORTS: frozenset({_R, _C}),
    },
    Role.ANALYST: {
        **{r: _READ for r in _CASE_RECORDS if r is not Resource.IDENTITIES},
        **{resource: _READ for resource in _AGGREGATES},
        Resource.AGENCIES: _READ,
        Resource.PREVALENCE: frozenset({_R, _C}),
        Resource.PARTNERS: _WRITE,
        Resource.REPORTS: _READ,
        Resource.OPEN_DATA: frozenset({_R, _C}),
        Resource.LINKAGE: _WRITE,  # review pairs (names masked) and record decisions
    },
    Role.VIEWER: {
        **{resource: _READ for resource in _AGGREGATES},
        Resource.PARTNERS: _READ,
        Resource.REPORTS: _READ,
    },
}


@dataclass(frozen=True)
class Principal:
    """The signed-in user as access control sees it."""

    user_id: int | None
    username: str
    role: Role
    agency_id: int | None = None
    language: str | None = None  # the web app's language of the user; None: the browser's


def allowed(who: Principal, resource: Resource, action: Action) -> bool:
    """Whether ``who``'s role may do ``action`` on ``resource`` at all (before scope)."""
    return action in POLICY.get(who.role, {}).get(resource, frozenset())


def check(who: Principal, resource: Resource, action: Action) -> None:
    """Raise :class:`AccessDenied` unless ``who``'s role may do ``action`` on ``resource``."""
    if not allowed(who, resource, action):
        raise AccessDenied(
            f"The {who.role} role may not {action} {resource.replace('_', ' ')}; "
            "ask an administrator if you need this."
        )


def sees_identities(who: Principal) -> bool:
    """Whether ``who`` may read identifying fields (names, birth dates, contacts)."""
    return allowed(who, Resource.IDENTITIES, Action.READ)


#: Referral statuses (``referral_status`` in ``domain/codes.yaml``) under which the receiving
#: agency may see the referred person's own record. ``Requested`` is not yet accepted,
#: ``Declined`` was refused and ``Completed`` has ended: none of them opens anything.
ACTIVE_REFERRAL_STATUSES: tuple[str, ...] = ("Accepted",)


def _shared(agency_id: int) -> Select[int]:
    # Cases another agency owns and shared with this one, which may then work on them.
    return select(CaseShare.case_id).where(CaseShare.agency_id == agency_id)


def _case_ids_in_scope(agency_id: int) -> CompoundSelect[tuple[int]]:
    # One UNION of ids, evaluated once: the database uses its indexes on each part instead of
    # testing two conditions on every case row.
    owned = select(Case.id).where(Case.owning_agency_id == agency_id, live(Case))
    return union(owned, _shared(agency_id).where(live(CaseShare)))


def _active_to(agency_id: int) -> ColumnElement[bool]:
    """Referrals to the agency that are accepted, with consent: the only ones that open
    anything to it (the referred person's own record, and the referral itself). A referral
    hidden with its case or person (deleted or merged away) opens nothing."""
    return and_(
        Referral.to_agency_id == agency_id,
        Referral.status.in_(ACTIVE_REFERRAL_STATUSES),
        Referral.consent_recorded.is_(True),
        live(Referral),
    )


def _referred_to(agency_id: int) -> Select[int]:
    """Ids of persons referred to the agency by a referral that is accepted, with consent."""
    return select(Referral.person_id).where(_active_to(agency_id))


def case_scope_parts(who: Principal, action: Action = Action.READ) -> list[ColumnElement[bool]]:
    """The cases ``who`` may ``action`` as disjoint ``WHERE`` clauses on ``cases``.

    :func:`scope_filter` for cases is their ``OR``. Apart, each can be answered from an index
    in date order: a caseworker's own agency's cases (``ix_cases_agency_newest``), and the
    few cases shared with it. Everything or nothing gives one clause. A referral never puts
    a case in scope (only the referred person's own record, see :func:`scope_filter`).
    """
    if not allowed(who, Resource.CASES, action):
        return [false()]
    return list(_case_scope_parts(who.role, who.agency_id))


@lru_cache(maxsize=1024)
def _case_scope_parts(role: Role, agency: int | None) -> tuple[ColumnElement[bool], ...]:
    if role is not Role.CASEWORKER:
        return (live(Case),)
    if agency is None:
        return (false(),)
    return (
        and_(Case.owning_agency_id == agency, live(Case)),
        and_(Case.owning_agency_id != agency, Case.id.in_(_shared(agency)), live(Case)),
    )


def scope_filter(
    who: Principal, resource: Resource, action: Action = Action.READ
) -> ColumnElement[bool]:
    """``WHERE`` clause on the resource's table selecting what ``who`` may ``action``.

    Cases are in scope when owned or shared; justice events and referrals through their case
    (and referrals also when the agency sent them, or received them accepted with consent).
    Persons and their identities: through the cases in scope, the agency that recorded them
    and, **to read only**, an accepted referral with consent to the agency. Assessments
    through their person, to read and to record. Import batches: those loaded as the agency's
    records. Aggregate resources have no rows to scope:
    the clause is true when allowed. Denied pairs give ``false()``.
    """
    if not allowed(who, resource, action):
        return false()
    return _scope_clause(who.role, who.agency_id, resource, action is Action.READ)


def person_filter(who: Principal, resource: Resource, action: Action) -> ColumnElement[bool]:
    """``WHERE`` clause on ``persons``: the people whose ``resource`` records ``who`` may
    ``action`` (their identity, their assessments, or the person record itself).

    A person referred to the agency (accepted, with consent) may be read and assessed; only
    the people of the agency's own or shared cases, or recorded by it, may be changed.
    """
    if not allowed(who, resource, action):
        return false()
    reading = action is Action.READ or resource is Resource.ASSESSMENTS
    return _person_clause(who.role, who.agency_id, reading)


@lru_cache(maxsize=1024)
def _person_clause(role: Role, agency: int | None, reading: bool) -> ColumnElement[bool]:
    # person_readers states the reading rule again, for every agency at once: keep them alike.
    if role is not Role.CASEWORKER:
        return live(Person)
    if agency is None:
        return false()
    parts = [
        Person.id.in_(
            select(CasePerson.person_id).where(CasePerson.case_id.in_(_case_ids_in_scope(agency)))
        ),
        Person.source_agency_id == agency,
    ]
    if reading:
        parts.append(Person.id.in_(_referred_to(agency)))
    return and_(or_(*parts), live(Person))


def person_readers(person_ids: Collection[int]) -> Select[int, int]:
    """``(person id, agency id)`` rows: each live one of ``person_ids`` with each agency whose
    caseworkers may read it, i.e. :func:`person_filter` (caseworker, read) for every agency
    in one query instead of one query per agency.

    The terms are :func:`person_filter`'s, as pairs: a role in a case the agency owns (live)
    or that is shared with it, the agency that recorded the person, a referral to the agency
    accepted with consent. ``tests/store/test_merging.py`` checks that the two agree.
    Administrators and analysts read every record and are left out.
    """
    wanted = select(Person.id).where(Person.id.in_(sorted(set(person_ids))), live(Person))
    ids = wanted.cte("wanted").select()
    links = union(
        select(CasePerson.person_id, Case.owning_agency_id.label("agency_id"))
        .join(Case, Case.id == CasePerson.case_id)
        .where(CasePerson.person_id.in_(ids), live(Case)),
        select(CasePerson.person_id, CaseShare.agency_id)
        .join(CaseShare, CaseShare.case_id == CasePerson.case_id)
        .where(CasePerson.person_id.in_(ids), live(CaseShare)),
        select(Person.id, Person.source_agency_id).where(Person.id.in_(ids)),
        select(Referral.person_id, Referral.to_agency_id).where(
            Referral.person_id.in_(ids),
            Referral.status.in_(ACTIVE_REFERRAL_STATUSES),
            Referral.consent_recorded.is_(True),
            live(Referral),
        ),
    ).subquery()
    person, agency = links.c.person_id, links.c.agency_id
    return select(person, agency).join(Agency, Agency.id == agency)


@lru_cache(maxsize=1024)
def _scope_clause(
    role: Role, agency: int | None, resource: Resource, reading: bool
) -> ColumnElement[bool]:
    # Built once per (role, agency, resource, reading) and reused: SQL expressions are
    # immutable, and building them costs more than running the indexed lookups they describe.
    # Deleted and merged records (store/tombstones.py) are out of every role's scope.
    table = _LIVE.get(resource)
    if role is not Role.CASEWORKER:
        return true() if table is None else live(table)
    if agency is None:
        return false()
    clause = _caseworker_clause(agency, resource, reading)
    return clause if table is None else and_(clause, live(table))


def _caseworker_clause(agency: int, resource: Resource, reading: bool) -> ColumnElement[bool]:
    cases = _case_ids_in_scope(agency)
    if resource is Resource.CASES:
        return or_(*_case_scope_parts(Role.CASEWORKER, agency))
    if resource is Resource.JUSTICE_EVENTS:
        return JusticeEvent.case_id.in_(cases)
    if resource is Resource.REFERRALS:
        mine = or_(Referral.case_id.in_(cases), Referral.from_agency_id == agency)
        received = Referral.id.in_(select(Referral.id).where(_active_to(agency)))
        return or_(mine, received) if reading else mine
    if resource is Resource.PERSONS:
        return _person_clause(Role.CASEWORKER, agency, reading)
    if resource is Resource.IDENTITIES:
        persons = select(Person.id).where(_person_clause(Role.CASEWORKER, agency, reading))
        return PersonIdentity.person_id.in_(persons)
    if resource is Resource.ASSESSMENTS:
        persons = select(Person.id).where(_person_clause(Role.CASEWORKER, agency, True))
        return Assessment.person_id.in_(persons)
    if resource is Resource.IMPORTS:  # the batches of files loaded as the agency's records
        return ImportBatch.source_agency_id == agency
    return true()


#: The table whose removed rows (store/tombstones.py) each resource's scope leaves out.
_LIVE: dict[Resource, Any] = {
    Resource.CASES: Case,
    Resource.PERSONS: Person,
    Resource.IDENTITIES: PersonIdentity,
    Resource.JUSTICE_EVENTS: JusticeEvent,
    Resource.REFERRALS: Referral,
    Resource.ASSESSMENTS: Assessment,
}


def delete_filter(who: Principal, resource: Resource) -> ColumnElement[bool]:
    """``WHERE`` clause on the resource's table selecting the records ``who`` may delete.

    Stricter than :func:`scope_filter` for ``DELETE``: a caseworker deletes only their own
    agency's records (cases it owns, events of those cases, people it recorded or, for a person
    no agency recorded, people of its own cases), never a case another agency shared with it.
    Already removed records are not selected.
    """
    if not allowed(who, resource, Action.DELETE) or resource not in _LIVE:
        return false()
    table = _LIVE[resource]
    if who.role is not Role.CASEWORKER:
        return live(table)
    if who.agency_id is None:
        return false()
    agency = who.agency_id
    owned = select(Case.id).where(Case.owning_agency_id == agency)
    if resource is Resource.CASES:
        mine = Case.owning_agency_id == agency
    elif resource is Resource.JUSTICE_EVENTS:
        mine = JusticeEvent.case_id.in_(owned)
    elif resource is Resource.PERSONS:
        in_owned = select(CasePerson.person_id).where(CasePerson.case_id.in_(owned))
        mine = or_(
            Person.source_agency_id == agency,
            and_(Person.source_agency_id.is_(None), Person.id.in_(in_owned)),
        )
    else:
        return false()
    return and_(mine, live(table))


def unrestricted(who: Principal) -> bool:
    """Whether ``who``'s scope is every agency's records (no row-level filter applies)."""
    return who.role is not Role.CASEWORKER


def acts_for(who: Principal, agency_id: int | None) -> bool:
    """Whether ``who`` may act in the name of agency ``agency_id`` (record as it, own a case
    as it, send a referral from it, keep its list). A caseworker acts for their agency only."""
    return unrestricted(who) or (agency_id is not None and agency_id == who.agency_id)


def acting_for(who: Principal, column: Any) -> ColumnElement[bool]:
    """:func:`acts_for` as a ``WHERE`` clause on an agency ``column``: the rows naming an
    agency ``who`` may act for (a caseworker: their own; a row naming none is not theirs)."""
    if unrestricted(who):
        return true()
    if who.agency_id is None:
        return false()
    return and_(column.is_not(None), column == who.agency_id)


def own_rows(who: Principal, table: Any) -> ColumnElement[bool]:
    """``WHERE`` clause on a table that records something about a person (roles in cases,
    justice events, referrals, aftercare steps, assessments, list memberships): the rows
    ``who`` may change as their own, e.g. make them about another record of the same person.

    A role in a case and a justice event belong to their case: they are ``who``'s when the
    case is in scope to change (:func:`scope_filter`), as on the case page. The others belong
    to the agency that made them, as an import row must (:data:`IMPORT_ROW_RULES`): a referral
    sent by the agency ``who`` acts for (in a case in scope to change, if it names one), an
    assessment it recorded, a membership of its own list, an aftercare step it recorded that
    names no other agency and no case out of scope. Every row for roles without a row-level
    scope that may change persons; none for a role that may not, or a table not listed.
    """
    if not allowed(who, Resource.PERSONS, Action.UPDATE):
        return false()
    if unrestricted(who):
        return true()
    cases = select(Case.id).where(scope_filter(who, Resource.CASES, Action.UPDATE))
    if table is CasePerson or table is JusticeEvent:
        return table.case_id.in_(cases)
    if table is Referral:
        of_case = or_(Referral.case_id.is_(None), Referral.case_id.in_(cases))
        sent = acting_for(who, Referral.from_agency_id)
        return and_(scope_filter(who, Resource.REFERRALS, Action.UPDATE), sent, of_case)
    if table is AftercareStep:
        return and_(
            acting_for(who, AftercareStep.source_agency_id),
            or_(AftercareStep.agency_id.is_(None), acting_for(who, AftercareStep.agency_id)),
            or_(AftercareStep.case_id.is_(None), AftercareStep.case_id.in_(cases)),
        )
    if table is Assessment or table is ListMembership:
        return acting_for(who, table.agency_id)
    return false()


_TABLES: dict[Resource, tuple[Any, Any]] = {
    Resource.CASES: (Case.id, Case),
    Resource.PERSONS: (Person.id, Person),
    Resource.JUSTICE_EVENTS: (JusticeEvent.id, JusticeEvent),
    Resource.ASSESSMENTS: (Assessment.id, Assessment),
    Resource.REFERRALS: (Referral.id, Referral),
}


def permitted_ids(
    conn: Connection | Session,
    who: Principal,
    resource: Resource,
    action: Action,
    ids: Iterable[int],
    *,
    of_persons: Resource | None = None,
) -> set[int]:
    """The ``ids`` of ``resource`` records that ``who`` may ``action``.

    With ``of_persons``, ``ids`` are person ids and the answer is the persons whose
    ``of_persons`` records ``who`` may ``action`` (:func:`person_filter`): e.g. the people a
    caseworker may record assessments for. One query per 5 000 ids.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    if of_persons is not None:
        key, clause = Person.id, person_filter(who, of_persons, action)
    else:
        key = _TABLES[resource][0]
        clause = scope_filter(who, resource, action)
    found: set[int] = set()
    for start in range(0, len(wanted), 5_000):
        piece = wanted[start : start + 5_000]
        found.update(
            int(i) for i in conn.execute(select(key).where(key.in_(piece), clause)).scalars()
        )
    return found


@dataclass(frozen=True)
class RowRule:
    """What one field of an import row must point at for the uploader to load the row.

    ``field`` names the row's field (``"self"``: the stored record the row would update);
    ``resource`` / ``action``: the record it points at must be in the uploader's scope for
    that action (``persons_for``: the field is a person, checked with :func:`person_filter`
    for that resource); ``agency``: the field is an agency code the uploader must act for
    (:func:`acts_for`); ``owner``: the stored record's column naming an agency the uploader
    must act for (an import never moves a record from one agency to another).
    """

    field: str
    resource: Resource | None = None
    action: Action = Action.UPDATE
    persons_for: Resource | None = None
    agency: bool = False
    owner: str | None = None
    reason: str = ""


_FOREIGN = "belongs to another agency's scope"

#: What each import record type needs, field by field (besides the role's right to create and
#: change the record type itself: :data:`IMPORT_RESOURCES`). A row breaking any rule is
#: rejected with its line, column and the reason, and the import is refused as a whole.
IMPORT_ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "agencies": (),
    "cases": (
        RowRule("source", agency=True, reason="you may import only your agency's records"),
        RowRule("owning_agency", agency=True, reason="a case you import is owned by your agency"),
        RowRule(
            "self",
            Resource.CASES,
            owner="owning_agency_id",
            reason=f"this case {_FOREIGN}; ask its owner",
        ),
    ),
    "persons": (
        RowRule("source", agency=True, reason="you may import only your agency's records"),
        RowRule("self", Resource.PERSONS, reason=f"this person {_FOREIGN}"),
        RowRule("case", Resource.CASES, reason=f"the case {_FOREIGN}; ask its owner to share it"),
    ),
    "justice_events": (
        RowRule("source", agency=True, reason="you may import only your agency's records"),
        RowRule("agency", agency=True, reason="record events of your own agency"),
        RowRule("self", Resource.JUSTICE_EVENTS, reason=f"this event {_FOREIGN}"),
        RowRule("case", Resource.CASES, reason=f"the case {_FOREIGN}; ask its owner to share it"),
        RowRule("person", persons_for=Resource.PERSONS, reason=f"the person {_FOREIGN}"),
    ),
    "referrals": (
        RowRule("source", agency=True, reason="you may import only your agency's records"),
        RowRule("from_agency", agency=True, reason="refer people from your own agency only"),
        RowRule("case", Resource.CASES, reason=f"the case {_FOREIGN}; ask its owner to share it"),
        RowRule("person", persons_for=Resource.PERSONS, reason=f"the person {_FOREIGN}"),
    ),
    "assessments": (
        RowRule("source", agency=True, reason="you may import only your agency's records"),
        RowRule("agency", agency=True, reason="record assessments of your own agency"),
        RowRule(
            "person",
            persons_for=Resource.ASSESSMENTS,
            action=Action.CREATE,
            reason=f"the person {_FOREIGN} (or was not referred to you with consent)",
        ),
        RowRule(
            "self",
            Resource.ASSESSMENTS,
            owner="agency_id",
            reason="another agency recorded this assessment; it cannot be replaced",
        ),
    ),
    "list_memberships": (
        RowRule("source", agency=True, reason="you may import only your agency's records"),
        RowRule("list", agency=True, reason="you may keep only your own agency's list"),
        RowRule("person", persons_for=Resource.PERSONS, reason=f"the person {_FOREIGN}"),
    ),
}

#: What an import row of a referral may carry (``ingest/_authorise.py``). Accepting a referral
#: with the person's consent opens that person to the receiving agency, so it is the receiving
#: agency's decision, taken in its inbox (``store/referral_work.py``), never the sender's file:
#: a caseworker imports a new referral only as requested, without consent, and may not change
#: the status or consent of a stored one. An administrator migrating decided referrals from
#: another system may import them accepted or completed, with the consent complete (how, the
#: day, who recorded it), every row audited as theirs.
REFERRAL_CONSENT_FIELDS: tuple[str, ...] = (
    "consent_method",
    "consent_given_on",
    "consent_recorded_by",
)
#: Referral statuses that carry the person's consent (an import of them must say how, when, who).
CONSENTED_REFERRAL_STATUSES: tuple[str, ...] = ("Accepted", "Completed")
_INBOX = (
    "the receiving agency accepts (recording the person's consent), declines or completes a "
    "referral in its referral inbox"
)
#: Why a caseworker's list-membership row may not change ``linkage_only``.
LINKAGE_ONLY_REASON = (
    "linkage_only takes the membership out of the stored lists and the prevalence estimate; "
    "an administrator sets it: leave the column empty or as exported"
)
#: field -> reason, for a caseworker's referral row that decides for the receiving agency
REFERRAL_IMPORT_REASONS: dict[str, str] = {
    "status": f"{_INBOX}; import a new referral as Requested and leave a stored one's status",
    "consent_recorded": f"{_INBOX}; import consent_recorded as no and leave a stored one's",
    "consent": f"{_INBOX}; leave the consent columns empty or as the receiving agency recorded "
    "them",
}
#: field -> reason, for an administrator's referral row whose consent is incomplete
REFERRAL_MIGRATION_REASONS: dict[str, str] = {
    "consent_recorded": "an accepted or completed referral has the person's consent: yes",
    "consent_method": "say how the person gave their consent (an accepted or completed referral)",
    "consent_given_on": "give the day the person consented (an accepted or completed referral)",
    "consent_recorded_by": "say who recorded the consent (an accepted or completed referral)",
    "undecided": "a requested or declined referral has no consent; leave the consent empty",
}

#: The resource each import record type creates and changes (the role needs both actions).
IMPORT_RESOURCES: dict[str, Resource] = {
    "agencies": Resource.AGENCIES,
    "cases": Resource.CASES,
    "persons": Resource.PERSONS,
    "justice_events": Resource.JUSTICE_EVENTS,
    "referrals": Resource.REFERRALS,
    "assessments": Resource.ASSESSMENTS,
    "list_memberships": Resource.PERSONS,
}


def may_import(who: Principal, record_type: str) -> bool:
    """Whether ``who``'s role may create and change records of import ``record_type``."""
    resource = IMPORT_RESOURCES.get(record_type)
    return (
        resource is not None
        and allowed(who, Resource.IMPORTS, Action.CREATE)
        and allowed(who, resource, Action.CREATE)
        and allowed(who, resource, Action.UPDATE)
    )


__all__ = [
    "ACTIVE_REFERRAL_STATUSES",
    "CONSENTED_REFERRAL_STATUSES",
    "IMPORT_RESOURCES",
    "IMPORT_ROW_RULES",
    "LINKAGE_ONLY_REASON",
    "POLICY",
    "REFERRAL_CONSENT_FIELDS",
    "REFERRAL_IMPORT_REASONS",
    "REFERRAL_MIGRATION_REASONS",
    "Action",
    "Principal",
    "Resource",
    "Role",
    "RowRule",
    "acting_for",
    "acts_for",
    "allowed",
    "case_scope_parts",
    "check",
    "delete_filter",
    "may_import",
    "own_rows",
    "permitted_ids",
    "person_filter",
    "person_readers",
    "scope_filter",
    "sees_identities",
    "unrestricted",
]
