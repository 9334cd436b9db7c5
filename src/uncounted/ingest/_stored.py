"""The stored values of the columns a file leaves out, for checking the rows that update.

A file may carry only some of a record type's columns. A row that updates a stored record (the
same agency id; or the same person, agencies and date for a referral…) changes the fields the
file has columns for and leaves the others as they are: the writers do not write them. Such a
row is checked as the record will be after the update: a required field the file has no
column for has its stored value, and the checks of several fields together see the stored
values of the ones the file lacks (a case not closed before it opened; an outcome only of a
verdict or an appeal; justice stages in order for each person of a case, who has a role in
it; a referral's decision, which only the receiving agency takes). A row that adds a record
has no stored values: a required field the file has no column for is that row's problem.

:func:`needed` says which of a plan's missing fields its rows need from the store (none for
most files); :func:`stored_values` looks them up for a chunk of checked rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from uncounted.ingest._writers import COLUMN_OF
from uncounted.ingest.mapping import ColumnPlan
from uncounted.ingest.records import source_field
from uncounted.ingest.validate import CheckedRow
from uncounted.store import importing
from uncounted.store.access import REFERRAL_CONSENT_FIELDS

#: How a stored value is written in a file, where it is not as it is: an agency's code, a
#: jurisdiction's code, or (a table's name) the agency's own id of the record it refers to.
_AGENCY, _PLACE = "agency", "place"
_WRITTEN_AS = {
    "case": "cases",
    "person": "persons",
    "agency": _AGENCY,
    "owning_agency": _AGENCY,
    "jurisdiction": _PLACE,
}
#: A stored record found by its source and the agency's own id.
_OWN_ID = ("external_id", "source_agency_id")
_DECISION = ("consent_recorded", "status", *REFERRAL_CONSENT_FIELDS)
_CASE = ("reference", "status", "exploitation_type", "owning_agency", "jurisdiction")
#: Per record type: the key its writer finds a stored row by, and the fields the checks may
#: need from it. Types left out have none (persons, list memberships, a case's jurisdictions
#: and links: their checks look at no field a file may leave out).
_SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "agencies": (("code",), ("name", "org_type", "country")),
    "jurisdictions": (("country", "subdivision"), ("name",)),
    "cases": (_OWN_ID, (*_CASE, "opened_on", "closed_on")),
    "justice_events": (
        _OWN_ID,
        ("case", "person", "stage", "occurred_on", "jurisdiction", "outcome"),
    ),
    "referrals": (
        ("person_id", "from_agency_id", "to_agency_id", "referred_on"),
        ("case", "from_country", "to_country", "reason", *_DECISION),
    ),
    "assessments": (("person_id", "instrument_id", "assessed_on"), ("assessor", "agency")),
    "case_shares": (("case_id", "agency_id"), ("shared_on",)),
    "aftercare_steps": (_OWN_ID, ("person", "case", "step", "occurred_on", "country", "agency")),
}
#: For justice events (imported in bulk), only the fields checked together: a file with some of
#: a group and not the others is checked with the stored values of the others.
_TOGETHER = {
    "justice_events": (("stage", "outcome"), ("case", "person", "stage", "occurred_on")),
}
#: The reference in the key of a record type that is found by the record it refers to.
_KEY_REF = {"referrals": "person", "assessments": "person", "case_shares": "case"}
_BY_EXTERNAL = ("cases", "justice_events", "aftercare_steps")


def needed(plan: ColumnPlan) -> frozenset[str]:
    """The fields the file lacks whose stored values the checks of a row that updates need."""
    name = plan.record_type.name
    spec = _SPECS.get(name)
    if spec is None:
        return frozenset()
    absent = plan.absent.intersection(spec[1])
    if name not in _TOGETHER:
        return frozenset(absent)
    need = {f.name for f in plan.record_type.fields if f.required and f.name in absent}
    for group in _TOGETHER[name]:
        if not plan.absent.issuperset(group):
            need |= absent.intersection(group)
    return frozenset(need)


def stored_values(
    conn: Connection, plan: ColumnPlan, rows: list[CheckedRow], need: frozenset[str]
) -> list[dict[str, object] | None]:
    """For each row, the stored values of the fields ``need`` (and of the source of each
    reference among them, when the file lacks it too) of the record the row updates, or
    ``None``: the row adds a record (or says too little to find one)."""
    name = plan.record_type.name
    agencies = importing.agency_ids(conn)
    keys = _keys(conn, name, rows, agencies)
    fields = sorted(need)
    wanted = {k for k in keys if k is not None}
    columns = [COLUMN_OF.get(f, f) for f in fields]
    found = importing.stored_columns(conn, name, _SPECS[name][0], wanted, columns)
    if not found:
        return [None] * len(rows)
    codes = {i: c for c, i in agencies.items()}
    kinds = [_WRITTEN_AS.get(f, "") for f in fields]
    places = importing.jurisdiction_codes(conn) if _PLACE in kinds else {}
    named: dict[str, dict[int, tuple[int | None, str | None]]] = {}
    for at, kind in enumerate(kinds):
        if kind not in ("", _AGENCY, _PLACE):
            ids = {v[at] for v in found.values() if v[at] is not None}
            named.setdefault(kind, {}).update(importing.sources_and_ids(conn, kind, ids))
    out: list[dict[str, object] | None] = []
    for k in keys:
        got = found.get(k) if k is not None else None
        if got is None:
            out.append(None)
            continue
        values: dict[str, object] = {}
        for f, kind, value in zip(fields, kinds, got, strict=True):
            if not kind:
                values[f] = value
            elif kind == _AGENCY:
                values[f] = None if value is None else codes.get(value)
            elif kind == _PLACE:
                values[f] = places.get(value)
            else:  # a reference: the agency's id of the record, and its source's code
                source, ext = (
                    named[kind].get(value, (None, None)) if value is not None else (None, None)
                )
                values[f] = ext
                if source_field(f) in plan.absent:
                    values[source_field(f)] = None if source is None else codes.get(source)
        out.append(values)
    if name == "referrals":  # a referral that records no consent has no consent details
        for r, filled in zip(rows, out, strict=True):
            consent = r.values.get("consent_recorded")
            if filled is not None and not filled.get("consent_recorded", consent):
                filled.update({f: None for f in REFERRAL_CONSENT_FIELDS if f in filled})
    return out


def _keys(
    conn: Connection, name: str, rows: list[CheckedRow], agencies: dict[str, int]
) -> list[tuple[Any, ...] | None]:
    """The key of the stored row each row would update, as its writer finds it (``None``: the
    row's key fields have a problem, or name an agency that is not stored yet)."""
    out: list[tuple[Any, ...] | None] = []
    if name == "agencies":
        return [None if r.values.get("code") is None else (r.values["code"],) for r in rows]
    if name == "jurisdictions":
        for r in rows:
            code = r.values.get("jurisdiction")
            text = None if code is None else str(code)
            out.append(
                None if text is None else (text.split("-")[0], text if "-" in text else None)
            )
        return out
    if name in _BY_EXTERNAL:
        for r in rows:
            ext, src = r.values.get("external_id"), r.values.get("source")
            sid = agencies.get(str(src)) if src is not None else None
            unknown = ext is None or (src is not None and sid is None)
            out.append(None if unknown else (str(ext), sid))
        return out
    refs = _ref_ids(conn, rows, _KEY_REF[name], agencies)
    for r, ref in zip(rows, refs, strict=True):
        v = r.values
        if name == "referrals":
            parts: tuple[Any, ...] = (
                ref,
                agencies.get(str(v.get("from_agency"))),
                agencies.get(str(v.get("to_agency"))),
                v.get("referred_on"),
            )
        elif name == "assessments":
            parts = (ref, v.get("instrument_id"), v.get("assessed_on"))
        else:
            parts = (ref, agencies.get(str(v.get("agency"))))
        out.append(None if None in parts else parts)
    return out


def _ref_ids(
    conn: Connection, rows: list[CheckedRow], field: str, agencies: dict[str, int]
) -> list[int | None]:
    """The stored id of the record field ``field`` of each row names, as the writers resolve
    it: its source's own record, else one with no source (``None``: not stored)."""
    kind = "persons" if field == "person" else "cases"
    wanted: list[tuple[int | None, str] | None] = []
    for r in rows:
        ext = r.values.get(field)
        src = r.values.get(source_field(field))
        if src is None:
            src = r.values.get("source")
        sid = agencies.get(str(src)) if src is not None else None
        wanted.append(None if ext is None else (sid, str(ext)))
    asked = {k for k in wanted if k is not None}
    ids = importing.ids_by_external(conn, kind, asked | {(None, k[1]) for k in asked})
    return [None if k is None else ids.get(k, ids.get((None, k[1]))) for k in wanted]


__all__ = ["needed", "stored_values"]
