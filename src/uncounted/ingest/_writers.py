"""Writing validated rows of each record type to their tables (inside the import's transaction).

Each writer takes a chunk of checked rows, resolves the agency's ids to database ids, upserts
the rows and returns how many rows were created, updated and left unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from uncounted.domain.identity import IDENTITY_FIELDS
from uncounted.errors import StoreError
from uncounted.ingest import _store
from uncounted.ingest.records import ref_source
from uncounted.ingest.validate import CheckedRow

_IDENTITY = IDENTITY_FIELDS
_VICTIM = (
    "trafficking_status",
    "exploitation_type",
    "forced_labour_industry",
    "sex_exploitation_type",
    "recruitment_method",
    "minor_at_exploitation",
    "role_in_process",
)
_EVENT = (
    "stage",
    "occurred_on",
    "outcome",
    "offence",
    "sentence_months",
    "custodial",
    "protective_measures",
    "compensation",
    "joint_operation",
)


@dataclass
class Counts:
    """Rows created, updated and unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, created: bool, updated: bool) -> None:
        """Count one row."""
        if created:
            self.created += 1
        elif updated:
            self.updated += 1
        else:
            self.unchanged += 1


@dataclass
class WriteContext:
    """The connection and the lookups shared by the writers of one import."""

    conn: Connection
    audit: dict[str, Any]
    batch_id: int = 0
    agencies: dict[str, int] = field(default_factory=dict)
    jurisdictions: _store.Jurisdictions | None = None
    #: ids already looked up while checking the current chunk: table -> key -> id
    known: dict[str, dict[tuple[int | None, str], int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.agencies = _store.agency_ids(self.conn)
        self.jurisdictions = _store.Jurisdictions(self.conn)

    def agency(self, code: object) -> int | None:
        """The id of agency ``code`` (``None`` for no code)."""
        if code is None:
            return None
        found = self.agencies.get(str(code))
        if found is None:
            raise StoreError(f"The agency {code!r} vanished during the import; try again.")
        return found

    def place(self, code: object) -> int:
        """The id of the jurisdiction ``code``."""
        assert self.jurisdictions is not None
        return self.jurisdictions.id(str(code))

    def refs(self, name: str, rows: list[CheckedRow], field_: str) -> dict[tuple[Any, ...], int]:
        """(source id, external id) → id for the ``field_`` references of ``rows``."""
        keys = {
            (self.agency(ref_source(r.values, field_)), str(r.values[field_]))
            for r in rows
            if r.values.get(field_) is not None
        }
        known = self.known.get(name, {})
        if all(k in known or (None, k[1]) in known for k in keys):
            return known
        found = _store.ids_by_external(self.conn, name, keys | {(None, k[1]) for k in keys})
        if any(k not in found and (None, k[1]) not in found for k in keys):
            raise StoreError(f"Some {name} referred to vanished during the import; try again.")
        return dict(found)


def _ref(ctx: WriteContext, ids: dict[tuple[Any, ...], int], v: dict[str, Any], f: str) -> Any:
    if v.get(f) is None:
        return None
    key = (ctx.agency(ref_source(v, f)), str(v[f]))
    return ids[key] if key in ids else ids[(None, key[1])]


def write_agencies(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Agencies, by code."""
    data = [{k: r.values[k] for k in ("code", "name", "org_type", "country")} for r in rows]
    ch = _store.upsert(ctx.conn, "agencies", ("code",), data, ctx.audit)
    ctx.agencies = _store.agency_ids(ctx.conn)
    counts = Counts()
    for r in rows:
        k = (r.values["code"],)
        counts.add(k in ch.created, k in ch.updated)
    return counts


def write_persons(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Persons, their identifying fields apart, and their role in a case."""
    mains = []
    for r in rows:
        v = r.values
        mains.append(
            {
                "external_id": v["external_id"],
                "source_agency_id": ctx.agency(v.get("source")),
                "sex": v.get("sex") or "Unknown",
                "birth_year": v.get("birth_year"),
                "age_at_identification": v.get("age_at_identification"),
                "citizenship": v.get("citizenship"),
            }
        )
    ch = _store.upsert(
        ctx.conn, "persons", ("external_id", "source_agency_id"), mains, ctx.audit, want_ids=True
    )
    idents, roles = [], []
    cases = ctx.refs("cases", rows, "case")
    for r, main in zip(rows, mains, strict=True):
        v = r.values
        pid = ch.ids[(main["external_id"], main["source_agency_id"])]
        if any(v.get(f) is not None for f in _IDENTITY):
            ident = {f: v.get(f) for f in _IDENTITY}
            if isinstance(ident["birth_date"], dt.date):
                ident["birth_date"] = ident["birth_date"].isoformat()
            idents.append({"person_id": pid, **ident})
        if v.get("case") is not None:
            role = {f: v.get(f) for f in _VICTIM}
            role["methods_of_control"] = v.get("methods_of_control") or []
            roles.append(
                {
                    "person_id": pid,
                    "case_id": _ref(ctx, cases, v, "case"),
                    "role": v["role"],
                    **role,
                }
            )
    ich = _store.upsert(ctx.conn, "person_identities", ("person_id",), idents, ctx.audit)
    rch = _store.upsert(
        ctx.conn, "case_persons", ("person_id", "case_id", "role"), roles, ctx.audit
    )
    touched = {k[0] for k in ich.updated | ich.created} | {k[0] for k in rch.updated | rch.created}
    counts = Counts()
    for main in mains:
        k = (main["external_id"], main["source_agency_id"])
        counts.add(k in ch.created, k in ch.updated or ch.ids[k] in touched)
    return counts


def write_cases(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Cases, by source and external id."""
    data = [
        {
            "external_id": r.values["external_id"],
            "source_agency_id": ctx.agency(r.values.get("source")),
            "reference": r.values["reference"],
            "status": r.values["status"],
            "exploitation_type": r.values["exploitation_type"],
            "owning_agency_id": ctx.agency(r.values["owning_agency"]),
            "jurisdiction_id": ctx.place(r.values["jurisdiction"]),
            "opened_on": r.values["opened_on"],
            "closed_on": r.values.get("closed_on"),
        }
        for r in rows
    ]
    return _simple(ctx, "cases", ("external_id", "source_agency_id"), data)


def _simple(
    ctx: WriteContext, name: str, key: tuple[str, ...], data: list[dict[str, Any]]
) -> Counts:
    ch = _store.upsert(ctx.conn, name, key, data, ctx.audit)
    counts = Counts()
    for d in data:
        k = tuple(d[c] for c in key)
        counts.add(k in ch.created, k in ch.updated)
    return counts


def write_justice_events(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Justice events, by source and external id."""
    cases = ctx.refs("cases", rows, "case")
    persons = ctx.refs("persons", rows, "person")
    data = []
    for r in rows:
        v = r.values
        data.append(
            {
                "external_id": v["external_id"],
                "source_agency_id": ctx.agency(v.get("source")),
                "case_id": _ref(ctx, cases, v, "case"),
                "person_id": _ref(ctx, persons, v, "person"),
                "jurisdiction_id": ctx.place(v["jurisdiction"]),
                "agency_id": ctx.agency(v.get("agency")),
                **{f: v.get(f) for f in _EVENT},
            }
        )
    return _simple(ctx, "justice_events", ("external_id", "source_agency_id"), data)


def write_referrals(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Referrals, by person, agencies and date."""
    persons = ctx.refs("persons", rows, "person")
    cases = ctx.refs("cases", rows, "case")
    data = []
    for r in rows:
        v = r.values
        data.append(
            {
                "person_id": _ref(ctx, persons, v, "person"),
                "from_agency_id": ctx.agency(v["from_agency"]),
                "to_agency_id": ctx.agency(v["to_agency"]),
                "referred_on": v["referred_on"],
                "case_id": _ref(ctx, cases, v, "case"),
                **{f: v[f] for f in ("from_country", "to_country", "reason")},
                **{f: v[f] for f in ("consent_recorded", "status")},
            }
        )
    key = ("person_id", "from_agency_id", "to_agency_id", "referred_on")
    return _simple(ctx, "referrals", key, data)


def write_assessments(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Assessments, by person, instrument and date, with their item scores."""
    persons = ctx.refs("persons", rows, "person")
    data = []
    for r in rows:
        v = r.values
        data.append(
            {
                "person_id": _ref(ctx, persons, v, "person"),
                "instrument_id": v["instrument_id"],
                "assessed_on": v["assessed_on"],
                "assessor": v["assessor"],
                "agency_id": ctx.agency(v.get("agency")),
            }
        )
    key = ("person_id", "instrument_id", "assessed_on")
    ch = _store.upsert(ctx.conn, "assessments", key, data, ctx.audit, want_ids=True)
    items: list[dict[str, Any]] = []
    for r, d in zip(rows, data, strict=True):
        aid = ch.ids[tuple(d[c] for c in key)]
        scores = r.values.get("items") or {}
        assert isinstance(scores, dict)
        items.extend({"assessment_id": aid, "item": i, "score": s} for i, s in scores.items())
    ich = _store.upsert(ctx.conn, "assessment_items", ("assessment_id", "item"), items, ctx.audit)
    touched = {k[0] for k in ich.created | ich.updated}
    counts = Counts()
    for d in data:
        k = tuple(d[c] for c in key)
        counts.add(k in ch.created, k in ch.updated or ch.ids[k] in touched)
    return counts


def write_list_memberships(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """List memberships, by person, list and period."""
    persons = ctx.refs("persons", rows, "person")
    data = [
        {
            "person_id": _ref(ctx, persons, r.values, "person"),
            "agency_id": ctx.agency(r.values["list"]),
            "period": r.values["period"],
            "recorded_on": r.values.get("recorded_on"),
        }
        for r in rows
    ]
    return _simple(ctx, "list_memberships", ("person_id", "agency_id", "period"), data)


WRITERS: dict[str, Callable[[WriteContext, list[CheckedRow]], Counts]] = {
    "agencies": write_agencies,
    "persons": write_persons,
    "cases": write_cases,
    "justice_events": write_justice_events,
    "referrals": write_referrals,
    "assessments": write_assessments,
    "list_memberships": write_list_memberships,
}

__all__ = ["WRITERS", "Counts", "WriteContext"]
