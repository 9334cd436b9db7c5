"""Who may do what: role × resource × action, plus agency scope. Denied by default.

=================  ==========================================================================
role               may
=================  ==========================================================================
``admin``          everything, every agency, users and the audit log
``caseworker``     read and write case records of their agency's scope (identifying fields
                   included); import files; read indicators, metrics and prevalence
``analyst``        read case records of every agency **without** identifying fields; read
                   and run indicators, metrics and prevalence estimates
``viewer``         read aggregate results only (dashboard, indicators, metrics, prevalence)
=================  ==========================================================================

**Partners** (due diligence of candidate business partners: the register, statement scores
and decision sheets) hold business information, no personal data about victims: analysts,
who do the desk review, read, create and update them; viewers (e.g. the officer who signs
the agreement) read the decision sheets; caseworkers, whose work is cases, have no access;
only administrators delete.

A caseworker's **scope** is the cases their agency owns, the cases shared with it
(``case_shares``) and the cases of people referred to it (``referrals.to_agency_id``).
:func:`scope_filter` expresses that as a SQLAlchemy ``WHERE`` clause for each resource, so a
query can never return a record outside the caller's scope; :func:`check` raises
:class:`~uncounted.errors.AccessDenied` for an action the role does not have. Anything not
listed in :data:`POLICY` is denied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    false,
    or_,
    select,
    true,
    union,
)

from uncounted.errors import AccessDenied
from uncounted.store.tables import (
    Assessment,
    Case,
    CasePerson,
    CaseShare,
    JusticeEvent,
    Person,
    PersonIdentity,
    Referral,
)


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
    INDICATORS = "indicators"
    METRICS = "metrics"
    PREVALENCE = "prevalence"
    IMPORTS = "imports"
    USERS = "users"
    AUDIT = "audit"
    PARTNERS = "partners"  # due diligence: partner register, statement scores, decisions


class Action(StrEnum):
    """What is done."""

    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


_R, _C, _U, _D = Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE
_ALL = frozenset(Action)
_WRITE = frozenset({_R, _C, _U})
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
        **{resource: _READ for resource in _AGGREGATES},
        Resource.IMPORTS: frozenset({_R, _C}),
    },
    Role.ANALYST: {
        **{r: _READ for r in _CASE_RECORDS if r is not Resource.IDENTITIES},
        **{resource: _READ for resource in _AGGREGATES},
        Resource.PREVALENCE: frozenset({_R, _C}),
        Resource.PARTNERS: _WRITE,
    },
    Role.VIEWER: {**{resource: _READ for resource in _AGGREGATES}, Resource.PARTNERS: _READ},
}


@dataclass(frozen=True)
class Principal:
    """The signed-in user as access control sees it."""

    user_id: int | None
    username: str
    role: Role
    agency_id: int | None = None


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


def _shared_or_referred(agency_id: int) -> tuple[Select[int], Select[int | None]]:
    # Cases another agency owns that this one may work on: shared with it, or referred to it.
    shared = select(CaseShare.case_id).where(CaseShare.agency_id == agency_id)
    referred = select(Referral.case_id).where(
        Referral.to_agency_id == agency_id, Referral.case_id.is_not(None)
    )
    return shared, referred


def _case_ids_in_scope(agency_id: int) -> CompoundSelect[tuple[int]]:
    # One UNION of ids, evaluated once: the database uses its indexes on each part instead of
    # testing three conditions on every case row.
    owned = select(Case.id).where(Case.owning_agency_id == agency_id)
    return union(owned, *_shared_or_referred(agency_id))


def case_scope_parts(who: Principal, action: Action = Action.READ) -> list[ColumnElement[bool]]:
    """The cases ``who`` may ``action`` as disjoint ``WHERE`` clauses on ``cases``.

    :func:`scope_filter` for cases is their ``OR``. Apart, each can be answered from an index
    in date order: a caseworker's own agency's cases (``ix_cases_agency_newest``), and the
    few cases shared or referred to it. Everything or nothing gives one clause.
    """
    if not allowed(who, Resource.CASES, action):
        return [false()]
    return list(_case_scope_parts(who.role, who.agency_id))


@lru_cache(maxsize=1024)
def _case_scope_parts(role: Role, agency: int | None) -> tuple[ColumnElement[bool], ...]:
    if role is not Role.CASEWORKER:
        return (true(),)
    if agency is None:
        return (false(),)
    return (
        Case.owning_agency_id == agency,
        and_(Case.owning_agency_id != agency, Case.id.in_(union(*_shared_or_referred(agency)))),
    )


def scope_filter(
    who: Principal, resource: Resource, action: Action = Action.READ
) -> ColumnElement[bool]:
    """``WHERE`` clause on the resource's table selecting what ``who`` may ``action``.

    Cases, justice events and referrals are scoped through their case; persons and their
    identities through the cases they appear in, referrals to the agency, or the agency that
    recorded them; assessments through their person. Aggregate resources have no rows to
    scope: the clause is true when allowed. Denied pairs give ``false()``.
    """
    if not allowed(who, resource, action):
        return false()
    return _scope_clause(who.role, who.agency_id, resource)


@lru_cache(maxsize=1024)
def _scope_clause(role: Role, agency: int | None, resource: Resource) -> ColumnElement[bool]:
    # Built once per (role, agency, resource) and reused: SQL expressions are immutable, and
    # building them costs more than running the indexed lookups they describe.
    if role is not Role.CASEWORKER:
        return true()
    if agency is None:
        return false()
    cases = _case_ids_in_scope(agency)
    persons_in_scope = or_(
        Person.id.in_(select(CasePerson.person_id).where(CasePerson.case_id.in_(cases))),
        Person.id.in_(select(Referral.person_id).where(Referral.to_agency_id == agency)),
        Person.source_agency_id == agency,
    )
    if resource is Resource.CASES:
        return or_(*_case_scope_parts(role, agency))
    if resource is Resource.JUSTICE_EVENTS:
        return JusticeEvent.case_id.in_(cases)
    if resource is Resource.REFERRALS:
        return or_(
            Referral.case_id.in_(cases),
            Referral.to_agency_id == agency,
            Referral.from_agency_id == agency,
        )
    if resource is Resource.PERSONS:
        return persons_in_scope
    if resource is Resource.IDENTITIES:
        return PersonIdentity.person_id.in_(select(Person.id).where(persons_in_scope))
    if resource is Resource.ASSESSMENTS:
        return Assessment.person_id.in_(select(Person.id).where(persons_in_scope))
    return true()


__all__ = [
    "POLICY",
    "Action",
    "Principal",
    "Resource",
    "Role",
    "allowed",
    "case_scope_parts",
    "check",
    "scope_filter",
    "sees_identities",
]
