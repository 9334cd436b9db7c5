"""The stored records an export writes, as the queries that read them (``ingest.export``).

One query per record type, under the import's standard field names, with references written as
the agencies' ids (``external_id``) and the source agency's code. Under a user, each query holds
only what that user may read (``store.access``: a caseworker's scope; no identifying fields for a
role that does not see them), as on the pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, and_, null, select
from sqlalchemy.sql import Select

from uncounted.store.access import (
    Action,
    Principal,
    Resource,
    person_filter,
    scope_filter,
    sees_identities,
)
from uncounted.store.tables import Base
from uncounted.store.tombstones import live


def _t(name: str) -> Any:
    return Base.metadata.tables[name]


def _query(type_name: str, who: Principal | None = None) -> Select[Any]:
    query = _unscoped(type_name, who)
    if type_name in Base.metadata.tables:  # never a deleted or merged record (tombstones)
        query = query.where(live(_t(type_name)))
    if who is None:
        return query
    # an export under a user holds what they may read, like the pages (store.access); each
    # filter is a separate id list (never correlated with the export's own joins)
    persons = person_filter(who, Resource.PERSONS, Action.READ)
    scoped: dict[str, tuple[Any, Any, ColumnElement[bool]]] = {
        "cases": (_t("cases").c.id, _t("cases").c.id, scope_filter(who, Resource.CASES)),
        "persons": (_t("persons").c.id, _t("persons").c.id, persons),
        "justice_events": (
            _t("justice_events").c.id,
            _t("justice_events").c.id,
            scope_filter(who, Resource.JUSTICE_EVENTS),
        ),
        "referrals": (
            _t("referrals").c.id,
            _t("referrals").c.id,
            scope_filter(who, Resource.REFERRALS),
        ),
        "assessments": (
            _t("assessments").c.id,
            _t("assessments").c.id,
            scope_filter(who, Resource.ASSESSMENTS),
        ),
        "list_memberships": (_t("list_memberships").c.person_id, _t("persons").c.id, persons),
        "aftercare_steps": (_t("aftercare_steps").c.person_id, _t("persons").c.id, persons),
    }
    cases_in_scope = select(_t("cases").c.id).where(scope_filter(who, Resource.CASES))
    if type_name in _CASE_PARTS:
        part = _t(type_name)
        query = query.where(part.c.case_id.in_(cases_in_scope.correlate(None)))
        if type_name == "case_links":  # never the reference of a case the user may not read
            query = query.where(part.c.linked_case_id.in_(cases_in_scope.correlate(None)))
        return query
    if type_name not in scoped:
        return query
    column, key, clause = scoped[type_name]
    return query.where(column.in_(select(key).where(clause).correlate(None)))


def _unscoped(type_name: str, who: Principal | None) -> Select[Any]:
    a = _t("agencies")
    if type_name == "agencies":
        return select(a.c.code, a.c.name, a.c.org_type, a.c.country).order_by(a.c.id)
    src, csrc, psrc = a.alias("src"), a.alias("csrc"), a.alias("psrc")
    p, c, j = _t("persons"), _t("cases"), _t("jurisdictions")
    place = j.c.subdivision, j.c.country
    if type_name == "jurisdictions":
        return select(*place, j.c.name).order_by(j.c.id)
    if type_name == "persons":
        i, cp = _t("person_identities"), _t("case_persons")
        idents = (i.c[f] for f in ("given_name", "family_name", "other_names", "birth_date"))
        more = (i.c[f] for f in ("identity_number", "phone", "email", "address"))
        shown = who is None or sees_identities(who)
        identity = [
            c if shown else null().label(c.name) for c in (*idents, *more)
        ]  # fmt: skip
        # a person's role in a case is exported only with a case the user may read
        in_case = cp.c.person_id == p.c.id
        if who is not None:
            in_case = and_(
                in_case, cp.c.case_id.in_(select(c.c.id).where(scope_filter(who, Resource.CASES)))
            )
        victim = [cp.c.trafficking_status, cp.c.exploitation_type, cp.c.exploitation_types]
        victim += [cp.c[f] for f in ("forced_labour_industry", "sex_exploitation_type")]
        victim += [cp.c[f] for f in ("recruitment_method", "minor_at_exploitation")]
        return (
            select(
                p.c.id.label("_id"),
                p.c.external_id,
                src.c.code.label("source"),
                p.c.sex,
                p.c.birth_year,
                p.c.age_at_identification,
                p.c.citizenship,
                p.c.age_band,
                p.c.minor_at_identification,
                *identity,
                c.c.external_id.label("case"),
                csrc.c.code.label("case_source"),
                cp.c.role,
                *victim,
                cp.c.methods_of_control,
                cp.c.role_in_process,
            )
            .select_from(p)
            .outerjoin(src, src.c.id == p.c.source_agency_id)
            .outerjoin(i, i.c.person_id == p.c.id)
            .outerjoin(cp, in_case)
            .outerjoin(c, c.c.id == cp.c.case_id)
            .outerjoin(csrc, csrc.c.id == c.c.source_agency_id)
            .order_by(p.c.id, cp.c.id)
        )
    if type_name == "cases":
        owner = a.alias("owner")
        return (
            select(
                c.c.id.label("_id"),
                c.c.external_id,
                src.c.code.label("source"),
                c.c.reference,
                c.c.status,
                c.c.exploitation_type,
                owner.c.code.label("owning_agency"),
                *place,
                c.c.opened_on,
                c.c.closed_on,
            )
            .select_from(c)
            .outerjoin(src, src.c.id == c.c.source_agency_id)
            .join(owner, owner.c.id == c.c.owning_agency_id)
            .join(j, j.c.id == c.c.jurisdiction_id)
            .order_by(c.c.id)
        )
    if type_name == "justice_events":
        e, ag = _t("justice_events"), a.alias("ag")
        return (
            select(
                e.c.id.label("_id"),
                e.c.external_id,
                src.c.code.label("source"),
                c.c.external_id.label("case"),
                csrc.c.code.label("case_source"),
                p.c.external_id.label("person"),
                psrc.c.code.label("person_source"),
                e.c.stage,
                e.c.occurred_on,
                *place,
                ag.c.code.label("agency"),
                *(e.c[f] for f in ("outcome", "offence", "sentence_months", "custodial")),
                *(e.c[f] for f in ("protective_measures", "compensation", "joint_operation")),
            )
            .select_from(e)
            .outerjoin(src, src.c.id == e.c.source_agency_id)
            .join(c, c.c.id == e.c.case_id)
            .outerjoin(csrc, csrc.c.id == c.c.source_agency_id)
            .outerjoin(p, p.c.id == e.c.person_id)
            .outerjoin(psrc, psrc.c.id == p.c.source_agency_id)
            .join(j, j.c.id == e.c.jurisdiction_id)
            .outerjoin(ag, ag.c.id == e.c.agency_id)
            .order_by(e.c.id)
        )
    if type_name == "referrals":
        r, fa, ta = _t("referrals"), a.alias("fa"), a.alias("ta")
        return (
            select(
                p.c.external_id.label("person"),
                c.c.external_id.label("case"),
                psrc.c.code.label("person_source"),
                csrc.c.code.label("case_source"),
                fa.c.code.label("from_agency"),
                ta.c.code.label("to_agency"),
                *(r.c[f] for f in ("from_country", "to_country", "referred_on", "reason")),
                r.c.consent_recorded,
                r.c.status,
                r.c.consent_method,
                r.c.consent_given_on,
                r.c.consent_recorded_by,
            )
            .select_from(r)
            .join(p, p.c.id == r.c.person_id)
            .outerjoin(psrc, psrc.c.id == p.c.source_agency_id)
            .outerjoin(c, c.c.id == r.c.case_id)
            .outerjoin(csrc, csrc.c.id == c.c.source_agency_id)
            .join(fa, fa.c.id == r.c.from_agency_id)
            .join(ta, ta.c.id == r.c.to_agency_id)
            .order_by(r.c.id)
        )
    if type_name == "assessments":
        s, ag = _t("assessments"), a.alias("ag")
        return (
            select(
                s.c.id.label("_id"),
                p.c.external_id.label("person"),
                psrc.c.code.label("person_source"),
                s.c.instrument_id,
                s.c.assessed_on,
                s.c.assessor,
                ag.c.code.label("agency"),
            )
            .select_from(s)
            .join(p, p.c.id == s.c.person_id)
            .outerjoin(psrc, psrc.c.id == p.c.source_agency_id)
            .outerjoin(ag, ag.c.id == s.c.agency_id)
            .order_by(s.c.id)
        )
    if type_name in _CASE_PARTS:
        return _case_part_query(type_name)
    if type_name == "aftercare_steps":
        st, ag = _t("aftercare_steps"), a.alias("ag")
        return (
            select(
                st.c.id.label("_id"),
                st.c.external_id,
                src.c.code.label("source"),
                p.c.external_id.label("person"),
                psrc.c.code.label("person_source"),
                c.c.external_id.label("case"),
                csrc.c.code.label("case_source"),
                st.c.step,
                st.c.occurred_on,
                st.c.country,
                ag.c.code.label("agency"),
            )
            .select_from(st)
            .outerjoin(src, src.c.id == st.c.source_agency_id)
            .join(p, p.c.id == st.c.person_id)
            .outerjoin(psrc, psrc.c.id == p.c.source_agency_id)
            .outerjoin(c, c.c.id == st.c.case_id)
            .outerjoin(csrc, csrc.c.id == c.c.source_agency_id)
            .outerjoin(ag, ag.c.id == st.c.agency_id)
            .order_by(st.c.id)
        )
    m, lst = _t("list_memberships"), a.alias("lst")
    return (
        select(
            p.c.external_id.label("person"),
            psrc.c.code.label("person_source"),
            lst.c.code.label("list"),
            m.c.period,
            m.c.recorded_on,
            m.c.linkage_only,
        )
        .select_from(m)
        .join(p, p.c.id == m.c.person_id)
        .outerjoin(psrc, psrc.c.id == p.c.source_agency_id)
        .join(lst, lst.c.id == m.c.agency_id)
        .order_by(m.c.id)
    )


#: Record types that hang off a case, written with the case's source as their own.
_CASE_PARTS = ("case_jurisdictions", "case_links", "case_shares")


def _case_part_query(type_name: str) -> Select[Any]:
    """Jurisdictions, links and shares of cases: the case as (its source, its id)."""
    a, c = _t("agencies"), _t("cases")
    csrc = a.alias("csrc")
    t = _t(type_name)
    case_cols = [csrc.c.code.label("source"), c.c.external_id.label("case")]
    query: Select[Any]
    if type_name == "case_jurisdictions":
        j = _t("jurisdictions")
        query = (
            select(*case_cols, j.c.subdivision, j.c.country, t.c.role)
            .select_from(t)
            .join(j, j.c.id == t.c.jurisdiction_id)
        )
    elif type_name == "case_links":
        other, osrc = c.alias("other"), a.alias("osrc")
        query = (
            select(
                *case_cols,
                other.c.external_id.label("linked_case"),
                osrc.c.code.label("linked_case_source"),
                t.c.kind,
            )
            .select_from(t)
            .join(other, other.c.id == t.c.linked_case_id)
            .outerjoin(osrc, osrc.c.id == other.c.source_agency_id)
        )
    else:
        ag = a.alias("ag")
        query = (
            select(*case_cols, ag.c.code.label("agency"), t.c.shared_on)
            .select_from(t)
            .join(ag, ag.c.id == t.c.agency_id)
        )
    # by case, then by what stays the same in another store (not the jurisdiction's id)
    order: list[Any] = [t.c.id] if "id" in t.c else [t.c.case_id, *query.selected_columns[2:4]]
    joined = query.join(c, c.c.id == t.c.case_id).outerjoin(csrc, csrc.c.id == c.c.source_agency_id)
    return cast("Select[Any]", joined.order_by(*order))


def stored_rows(
    conn: Connection, type_name: str, who: Principal | None = None
) -> Iterator[dict[str, Any]]:
    """The stored records of ``type_name`` as dicts, read in batches (those ``who`` may read,
    when given). ``_id`` is the record's own id where the export needs it."""
    result = conn.execution_options(yield_per=5_000).execute(_query(type_name, who))
    for raw in result.mappings():
        yield dict(raw)


def assessment_items(conn: Connection) -> dict[int, dict[str, int | None]]:
    """Assessment id → item → score, for every stored assessment item."""
    t = _t("assessment_items")
    out: dict[int, dict[str, int | None]] = {}
    for aid, item, score in conn.execute(select(t.c.assessment_id, t.c.item, t.c.score)):
        out.setdefault(aid, {})[item] = score
    return out


def assessment_item_names(conn: Connection) -> list[str]:
    """The names of the items of stored assessments, sorted."""
    t = _t("assessment_items")
    return list(conn.execute(select(t.c.item).distinct().order_by(t.c.item)).scalars())


__all__ = ["assessment_item_names", "assessment_items", "stored_rows"]
