"""Writing validated rows of each record type to their tables (inside the import's transaction).

Each writer takes a chunk of checked rows, resolves the agency's ids to database ids, upserts
the rows and returns how many rows were created, updated and left unchanged. A field the file
has no column for (``WriteContext.absent``) is written to the records a chunk creates only: a
stored record keeps its value (an update changes only the columns the file has).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from uncounted.domain.identity import IDENTITY_FIELDS
from uncounted.errors import StoreError
from uncounted.ingest.records import source_field
from uncounted.ingest.validate import CheckedRow
from uncounted.store import importing
from uncounted.store.access import REFERRAL_CONSENT_FIELDS

_IDENTITY = IDENTITY_FIELDS
#: The column a field is written to, where its name differs (the agency's ids become ids).
COLUMN_OF = {
    "owning_agency": "owning_agency_id",
    "jurisdiction": "jurisdiction_id",
    "agency": "agency_id",
    "case": "case_id",
    "person": "person_id",
}
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
    audit: importing.AuditAs
    batch_id: int = 0
    agencies: dict[str, int] = field(default_factory=dict)
    jurisdictions: importing.Jurisdictions | None = None
    #: ids already looked up while checking the current chunk: table -> key -> id
    known: dict[str, dict[tuple[int | None, str], int]] = field(default_factory=dict)
    #: the fields the current chunk's file has no column for (stored records keep them)
    absent: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.agencies = importing.agency_ids(self.conn)
        self.jurisdictions = importing.Jurisdictions(self.conn)

    def kept(self) -> set[str]:
        """The columns stored records keep: those of the fields the file has no column for."""
        return {COLUMN_OF.get(f, f) for f in self.absent}

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

    def agency_ids(self, rows: list[CheckedRow], field_: str) -> list[int | None]:
        """The agency id of field ``field_`` of each row (``None`` for no code)."""
        ids: dict[object, int | None] = {}
        out = []
        for r in rows:
            code = r.values.get(field_)
            found = ids.get(code, -1)
            if found == -1:
                found = ids[code] = self.agency(code)
            out.append(found)
        return out

    def place_ids(self, rows: list[CheckedRow], field_: str) -> list[int]:
        """The jurisdiction id of field ``field_`` of each row."""
        ids: dict[object, int] = {}
        out = []
        for r in rows:
            code = r.values[field_]
            found = ids.get(code)
            if found is None:
                found = ids[code] = self.place(code)
            out.append(found)
        return out

    def ref_ids(self, name: str, rows: list[CheckedRow], field_: str) -> list[int | None]:
        """The id of the ``name`` record each row refers to in ``field_`` (``None`` for none).

        A reference is (source agency, external id), falling back to a record with no source.
        """
        own = source_field(field_)
        exts = [r.values.get(field_) for r in rows]
        owns = [r.values.get(own) for r in rows]
        defaults = [r.values.get("source") for r in rows]
        codes = {
            default if src is None else src
            for ext, src, default in zip(exts, owns, defaults, strict=True)
            if ext is not None
        }
        sid = {code: self.agency(code) for code in codes}
        keys: list[tuple[int | None, str] | None] = [
            None if ext is None else (sid[default if src is None else src], str(ext))
            for ext, src, default in zip(exts, owns, defaults, strict=True)
        ]
        wanted = {k for k in keys if k is not None}
        ids = self.known.get(name, {})
        if not all(k in ids or (None, k[1]) in ids for k in wanted):
            ids = importing.ids_by_external(
                self.conn, name, wanted | {(None, k[1]) for k in wanted}
            )
            if any(k not in ids and (None, k[1]) not in ids for k in wanted):
                raise StoreError(f"Some {name} referred to vanished during the import; try again.")
        return [None if k is None else ids[k] if k in ids else ids[(None, k[1])] for k in keys]


def write_agencies(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Agencies, by code."""
    data = [{k: r.values[k] for k in ("code", "name", "org_type", "country")} for r in rows]
    ch = importing.upsert(ctx.conn, "agencies", ("code",), data, ctx.audit, ctx.kept())
    ctx.agencies = importing.agency_ids(ctx.conn)
    counts = Counts()
    for r in rows:
        k = (r.values["code"],)
        counts.add(k in ch.created, k in ch.updated)
    return counts


def write_jurisdictions(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Jurisdictions, by ISO code, with the name reports use."""
    data = []
    for r in rows:
        code = str(r.values["jurisdiction"])
        subdivision = code if "-" in code else None
        data.append(
            {"country": code.split("-")[0], "subdivision": subdivision, "name": r.values["name"]}
        )
    counts = _simple(ctx, "jurisdictions", ("country", "subdivision"), data)
    ctx.jurisdictions = importing.Jurisdictions(ctx.conn)
    return counts


def write_persons(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Persons, their identifying fields apart, and their role in a case."""
    mains = []
    for r, source in zip(rows, ctx.agency_ids(rows, "source"), strict=True):
        v = r.values
        mains.append(
            {
                "external_id": v["external_id"],
                "source_agency_id": source,
                "sex": v.get("sex") or "Unknown",
                "birth_year": v.get("birth_year"),
                "age_at_identification": v.get("age_at_identification"),
                "citizenship": v.get("citizenship"),
                "age_band": v.get("age_band"),
                "minor_at_identification": v.get("minor_at_identification"),
            }
        )
    kept = ctx.kept()
    ch = importing.upsert(
        ctx.conn, "persons", ("external_id", "source_agency_id"), mains, ctx.audit, kept
    )
    # identifying fields: a person gets a person_identities row from a row with any of them;
    # a row whose identity cells are all empty clears those of a stored row (never adds one)
    given = [f for f in _IDENTITY if f not in ctx.absent]
    idents: list[dict[str, Any]] = []
    blanks: list[dict[str, Any]] = []
    roles = []
    cases = ctx.ref_ids("cases", rows, "case")
    for r, main, case_id in zip(rows, mains, cases, strict=True):
        v = r.values
        pid = ch.ids[(main["external_id"], main["source_agency_id"])]
        if given:
            ident = {f: v.get(f) for f in _IDENTITY}
            if isinstance(ident["birth_date"], dt.date):
                ident["birth_date"] = ident["birth_date"].isoformat()
            has = any(ident[f] is not None for f in given)
            (idents if has else blanks).append({"person_id": pid, **ident})
        if v.get("case") is not None:
            role = {f: v.get(f) for f in _VICTIM}
            kinds = v.get("exploitation_type")  # every type (a list), or None: not recorded
            if isinstance(kinds, str):
                kinds = [kinds]
            # exploitation_type is the first type; exploitation_types holds them all only
            # when there is not exactly one ([] is "recorded: none", None "not recorded")
            one = isinstance(kinds, list) and len(kinds) == 1
            role["exploitation_types"] = None if kinds is None or one else kinds
            role["exploitation_type"] = kinds[0] if isinstance(kinds, list) and kinds else None
            role["methods_of_control"] = v.get("methods_of_control")
            roles.append(
                {
                    "person_id": pid,
                    "case_id": case_id,
                    "role": v["role"],
                    **role,
                }
            )
    ich = importing.upsert(ctx.conn, "person_identities", ("person_id",), idents, ctx.audit, kept)
    bch = importing.upsert(
        ctx.conn, "person_identities", ("person_id",), blanks, ctx.audit, kept, create=False
    )
    if "exploitation_type" in ctx.absent:  # the first type, and all of them
        kept.add("exploitation_types")
    rch = importing.upsert(
        ctx.conn, "case_persons", ("person_id", "case_id", "role"), roles, ctx.audit, kept
    )
    touched = {k[0] for done in (ich, bch, rch) for k in done.updated | done.created}
    counts = Counts()
    for main in mains:
        k = (main["external_id"], main["source_agency_id"])
        counts.add(k in ch.created, k in ch.updated or ch.ids[k] in touched)
    return counts


def write_cases(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Cases, by source and external id."""
    sources = ctx.agency_ids(rows, "source")
    owners = ctx.agency_ids(rows, "owning_agency")
    places = ctx.place_ids(rows, "jurisdiction")
    data = [
        {
            "external_id": r.values["external_id"],
            "source_agency_id": source,
            "reference": r.values["reference"],
            "status": r.values["status"],
            "exploitation_type": r.values["exploitation_type"],
            "owning_agency_id": owner,
            "jurisdiction_id": place,
            "opened_on": r.values["opened_on"],
            "closed_on": r.values.get("closed_on"),
        }
        for r, source, owner, place in zip(rows, sources, owners, places, strict=True)
    ]
    return _simple(ctx, "cases", ("external_id", "source_agency_id"), data)


def _simple(
    ctx: WriteContext,
    name: str,
    key: tuple[str, ...],
    data: list[dict[str, Any]],
    keep: set[str] | None = None,
) -> Counts:
    """Upsert ``data``; stored rows keep the columns ``keep`` (default: those the file lacks)."""
    ch = importing.upsert(
        ctx.conn, name, key, data, ctx.audit, ctx.kept() if keep is None else keep
    )
    counts = Counts()
    created, updated = ch.created, ch.updated
    for k in zip(*([d[c] for d in data] for c in key), strict=True):
        if k in created:
            counts.created += 1
        elif k in updated:
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts


def write_justice_events(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Justice events, by source and external id."""
    names = (
        "external_id",
        "source_agency_id",
        "case_id",
        "person_id",
        "jurisdiction_id",
        "agency_id",
        *_EVENT,
    )
    columns = (
        [r.values["external_id"] for r in rows],
        ctx.agency_ids(rows, "source"),
        ctx.ref_ids("cases", rows, "case"),
        ctx.ref_ids("persons", rows, "person"),
        ctx.place_ids(rows, "jurisdiction"),
        ctx.agency_ids(rows, "agency"),
        *([r.values.get(f) for r in rows] for f in _EVENT),
    )
    data = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return _simple(ctx, "justice_events", ("external_id", "source_agency_id"), data)


def write_referrals(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Referrals, by person, agencies and date."""
    persons = ctx.ref_ids("persons", rows, "person")
    cases = ctx.ref_ids("cases", rows, "case")
    froms = ctx.agency_ids(rows, "from_agency")
    tos = ctx.agency_ids(rows, "to_agency")
    data = []
    for r, person_id, case_id, from_id, to_id in zip(rows, persons, cases, froms, tos, strict=True):
        v = r.values
        data.append(
            {
                "person_id": person_id,
                "from_agency_id": from_id,
                "to_agency_id": to_id,
                "referred_on": v["referred_on"],
                "case_id": case_id,
                **{f: v[f] for f in ("from_country", "to_country", "reason")},
                **{f: v[f] for f in ("consent_recorded", "status")},
            }
        )
    key = ("person_id", "from_agency_id", "to_agency_id", "referred_on")
    # the consent columns are written only by rows that carry them (an administrator's
    # migration of decided referrals, checked complete in ``_authorise``) or that record no
    # consent (which then clear them, columns or not: no how, day or recorder without consent);
    # a consented row without them leaves a stored referral's consent as the receiving agency
    # recorded it. (A row that updates has the stored values of the consent columns the file
    # lacks, ``_stored``: writing them changes nothing.)
    consent = REFERRAL_CONSENT_FIELDS
    for d, r in zip(data, rows, strict=True):
        if not r.values.get("consent_recorded"):
            d.update({f: None for f in (*consent, "consent_recorded_at")})
        elif any(r.values.get(f) is not None for f in consent):
            d.update({f: r.values.get(f) for f in consent})
    return _simple(ctx, "referrals", key, data, ctx.kept() - set(consent))


def write_assessments(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Assessments, by person, instrument and date, with their item scores."""
    persons = ctx.ref_ids("persons", rows, "person")
    agencies = ctx.agency_ids(rows, "agency")
    data = []
    for r, person_id, agency in zip(rows, persons, agencies, strict=True):
        v = r.values
        data.append(
            {
                "person_id": person_id,
                "instrument_id": v["instrument_id"],
                "assessed_on": v["assessed_on"],
                "assessor": v["assessor"],
                "agency_id": agency,
            }
        )
    key = ("person_id", "instrument_id", "assessed_on")
    ch = importing.upsert(ctx.conn, "assessments", key, data, ctx.audit, ctx.kept())
    items: list[dict[str, Any]] = []
    for r, d in zip(rows, data, strict=True):
        aid = ch.ids[tuple(d[c] for c in key)]
        scores = r.values.get("items") or {}
        assert isinstance(scores, dict)
        items.extend({"assessment_id": aid, "item": i, "score": s} for i, s in scores.items())
    ich = importing.upsert(
        ctx.conn, "assessment_items", ("assessment_id", "item"), items, ctx.audit
    )
    touched = {k[0] for k in ich.created | ich.updated}
    counts = Counts()
    for d in data:
        k = tuple(d[c] for c in key)
        counts.add(k in ch.created, k in ch.updated or ch.ids[k] in touched)
    return counts


def write_list_memberships(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """List memberships, by person, list and period."""
    names = ("person_id", "agency_id", "period", "recorded_on")
    columns = (
        ctx.ref_ids("persons", rows, "person"),
        ctx.agency_ids(rows, "list"),
        [r.values["period"] for r in rows],
        [r.values.get("recorded_on") for r in rows],
    )
    data = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    # linkage_only is written only by rows that give it: a row without it creates a counted
    # membership (the column's default) and leaves a stored one's flag as it is
    for d, r in zip(data, rows, strict=True):
        if r.values.get("linkage_only") is not None:
            d["linkage_only"] = bool(r.values["linkage_only"])
    return _simple(ctx, "list_memberships", ("person_id", "agency_id", "period"), data)


def write_case_jurisdictions(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Other jurisdictions of a case, by case and jurisdiction."""
    names = ("case_id", "jurisdiction_id", "role")
    columns = (
        ctx.ref_ids("cases", rows, "case"),
        ctx.place_ids(rows, "jurisdiction"),
        [r.values.get("role") or "exploitation" for r in rows],
    )
    data = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return _simple(ctx, "case_jurisdictions", ("case_id", "jurisdiction_id"), data)


def write_case_links(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Links between two proceedings, by the two cases."""
    names = ("case_id", "linked_case_id", "kind")
    columns = (
        ctx.ref_ids("cases", rows, "case"),
        ctx.ref_ids("cases", rows, "linked_case"),
        [r.values.get("kind") or "cross_border" for r in rows],
    )
    data = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return _simple(ctx, "case_links", ("case_id", "linked_case_id"), data)


def write_case_shares(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Cases shared with another agency, by case and agency."""
    names = ("case_id", "agency_id", "shared_on")
    columns = (
        ctx.ref_ids("cases", rows, "case"),
        ctx.agency_ids(rows, "agency"),
        [r.values["shared_on"] for r in rows],
    )
    data = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return _simple(ctx, "case_shares", ("case_id", "agency_id"), data)


def write_aftercare_steps(ctx: WriteContext, rows: list[CheckedRow]) -> Counts:
    """Aftercare, repatriation and reintegration steps, by source and external id."""
    names = (
        "external_id",
        "source_agency_id",
        "person_id",
        "case_id",
        "agency_id",
        "step",
        "occurred_on",
        "country",
    )
    columns = (
        [r.values["external_id"] for r in rows],
        ctx.agency_ids(rows, "source"),
        ctx.ref_ids("persons", rows, "person"),
        ctx.ref_ids("cases", rows, "case"),
        ctx.agency_ids(rows, "agency"),
        *([r.values[f] for r in rows] for f in ("step", "occurred_on", "country")),
    )
    data = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return _simple(ctx, "aftercare_steps", ("external_id", "source_agency_id"), data)


WRITERS: dict[str, Callable[[WriteContext, list[CheckedRow]], Counts]] = {
    "agencies": write_agencies,
    "jurisdictions": write_jurisdictions,
    "persons": write_persons,
    "cases": write_cases,
    "justice_events": write_justice_events,
    "referrals": write_referrals,
    "assessments": write_assessments,
    "list_memberships": write_list_memberships,
    "case_jurisdictions": write_case_jurisdictions,
    "case_links": write_case_links,
    "case_shares": write_case_shares,
    "aftercare_steps": write_aftercare_steps,
}

__all__ = ["COLUMN_OF", "WRITERS", "Counts", "WriteContext"]
