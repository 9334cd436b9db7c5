"""Export stored records in the import's own formats, so export → import changes nothing.

``csv`` and ``xlsx`` write the standard fields of each record type (one CSV per type in a
folder, or one workbook with a sheet per type); ``htcds`` writes persons, cases and the parts
of a case under the HTCDS v2 field names and value names; ``ctdc`` writes one row per victim
under the CTDC public dataset's column names. References are written as the agencies' ids
(``external_id``) with the source agency's code, never as database ids.

Every cell is written through :func:`~uncounted.ingest.formulas.quote_cell`, in CSV and XLSX and
every format: a value a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab,
carriage return) gets a leading apostrophe, which the readers take off again on import.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Engine, and_, null, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Select

from uncounted.errors import InvalidInput
from uncounted.ingest import _store
from uncounted.ingest._translate import to_ctdc, to_htcds
from uncounted.ingest.formulas import quote_cell
from uncounted.ingest.records import ITEM_PREFIX, LOAD_ORDER, RECORD_TYPES
from uncounted.store import audit as audit_log
from uncounted.store.access import (
    Action,
    Principal,
    Resource,
    check,
    person_filter,
    scope_filter,
    sees_identities,
)
from uncounted.store.db import explain_database_error

EXPORT_FORMATS = ("csv", "xlsx", "htcds", "ctdc")
#: Record types written by ``--format htcds`` (persons and cases, and the parts of a case).
HTCDS_TYPES = (
    "cases",
    "persons",
    "case_jurisdictions",
    "case_links",
    "case_shares",
    "aftercare_steps",
)


def _t(name: str) -> Any:
    return _store.table(name)


def _query(type_name: str, who: Principal | None = None) -> Select[Any]:
    query = _unscoped(type_name, who)
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


def standard_rows(
    conn: Connection, type_name: str, who: Principal | None = None
) -> Iterator[dict[str, Any]]:
    """The stored records of ``type_name`` under the standard field names, one by one (those
    ``who`` may read, identities only for roles that see them, when ``who`` is given)."""
    items = _items(conn) if type_name == "assessments" else None
    result = conn.execution_options(yield_per=5_000).execute(_query(type_name, who))
    for raw in result.mappings():
        row = dict(raw)
        rid = row.pop("_id", None)
        if "subdivision" in row:
            row["jurisdiction"] = row.pop("subdivision") or row.pop("country")
            row.pop("country", None)
        if type_name == "aftercare_steps" and row["external_id"] is None:
            row["external_id"] = f"uncounted-{rid}"
        if type_name == "persons":
            if row["external_id"] is None:
                row["external_id"] = f"uncounted-{rid}"
            kinds, first = row.pop("exploitation_types"), row["exploitation_type"]
            row["exploitation_type"] = kinds if kinds is not None else first and [first]
        for ref in ("case", "person", "linked_case"):
            if row.get(f"{ref}_source") == row.get("source"):
                row[f"{ref}_source"] = None
        if items is not None:
            row.update({f"{ITEM_PREFIX}{k}": v for k, v in items.get(rid, {}).items()})
        yield row


def _items(conn: Connection) -> dict[int, dict[str, int | None]]:
    t = _t("assessment_items")
    out: dict[int, dict[str, int | None]] = {}
    for aid, item, score in conn.execute(select(t.c.assessment_id, t.c.item, t.c.score)):
        out.setdefault(aid, {})[item] = score
    return out


def cell_text(value: Any) -> str:
    """A value as the text an import reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _columns(conn: Connection, type_name: str) -> list[str]:
    names = list(RECORD_TYPES[type_name].field_names)
    if type_name == "assessments":
        t = _t("assessment_items")
        items = conn.execute(select(t.c.item).distinct().order_by(t.c.item)).scalars()
        names += [f"{ITEM_PREFIX}{item}" for item in items]
    return names


def export_records(
    engine: Engine,
    out: str | Path,
    format: str = "csv",
    record_types: Sequence[str] | None = None,
    who: Principal | None = None,
) -> list[Path]:
    """Write the stored records to ``out``; return the files written.

    ``csv``: ``out`` is a folder (one ``<type>.csv`` per record type) or, for a single record
    type, a ``.csv`` file. ``xlsx``: one workbook with a sheet per type. ``htcds``: persons,
    cases and the parts of a case with HTCDS field names (a folder of CSVs, or a workbook if
    ``out`` ends in ``.xlsx``). ``ctdc``: one CSV of victims with the CTDC columns.

    With ``who`` (``uncounted export --user``) only the records that user may read are
    written, as on the pages (``store.access``: a caseworker's scope, no identifying fields for
    an analyst; a viewer may not export records), and the export is audited. Without it the
    export is the operator's: every record.
    """
    if format not in EXPORT_FORMATS:
        raise InvalidInput(f"Unknown export format {format!r}; use {', '.join(EXPORT_FORMATS)}.")
    types = list(record_types or LOAD_ORDER)
    for name in types:
        if name not in RECORD_TYPES:
            raise InvalidInput(f"No record type {name!r}; use {', '.join(RECORD_TYPES)}.")
    target = Path(out)
    if who is not None:
        for name in types:
            check(who, _EXPORTED_AS.get(name, Resource.PERSONS), Action.READ)
    if format == "ctdc":
        types = ["persons"]
    elif format == "htcds":
        types = [t for t in LOAD_ORDER if t in types and t in HTCDS_TYPES]
    single = format == "xlsx" or target.suffix.lower() == ".xlsx"
    single = single or (target.suffix.lower() == ".csv" and len(types) == 1)
    try:
        with _staged(target, single) as staging, engine.connect() as conn:
            written = _write(
                staging, target, format, types, single, _tables(conn, format, types, who)
            )
    except SQLAlchemyError as exc:
        known = explain_database_error(exc, engine)
        if known is None:
            raise
        raise known from exc
    except OSError as exc:
        raise InvalidInput(
            f"Cannot write {target}: {exc.strerror or exc}; nothing was written. "
            "Free some space or choose another place (--out)."
        ) from None
    if who is not None:
        with engine.begin() as conn:
            audit_log.record_many(
                conn,
                who,
                audit_log.AuditAction.EXPORT,
                "exports",
                [(None, {}, {"format": format, "record_types": types})],
                detail=f"export to {target.name}",
            )
    return written


@contextmanager
def _staged(target: Path, single: bool) -> Iterator[Path]:
    """A temporary file or folder beside ``target``, moved into place only when complete.

    A failed export (a full disk, a lost database) leaves nothing half-written: the staging
    file or folder is removed and ``target`` is as it was. A folder's files replace files of
    the same name in an existing ``target`` folder one by one, each complete.
    """
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=parent))
    try:
        if single:
            yield staging / target.name
            os.replace(staging / target.name, target)
            staging.rmdir()
            return
        yield staging
        if not target.exists():
            os.replace(staging, target)
            return
        for path in sorted(staging.iterdir()):
            os.replace(path, target / path.name)
        staging.rmdir()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


#: The resource each record type is read as.
_EXPORTED_AS = {
    "agencies": Resource.AGENCIES,
    "cases": Resource.CASES,
    "persons": Resource.PERSONS,
    "justice_events": Resource.JUSTICE_EVENTS,
    "referrals": Resource.REFERRALS,
    "assessments": Resource.ASSESSMENTS,
    "list_memberships": Resource.PERSONS,
    "jurisdictions": Resource.AGENCIES,
    "case_jurisdictions": Resource.CASES,
    "case_links": Resource.CASES,
    "case_shares": Resource.CASES,
    "aftercare_steps": Resource.PERSONS,
}


def _write(
    staging: Path,
    target: Path,
    format: str,
    types: list[str],
    single: bool,
    tables: Iterator[tuple[str, list[str], Iterator[list[str]]]],
) -> list[Path]:
    """Write ``tables`` into ``staging``; return the paths they will have once moved to
    ``target``."""
    if format == "xlsx" or target.suffix.lower() == ".xlsx":
        _write_book(staging, tables)
        return [target]
    if single:
        header, body = next(tables)[1:]
        _write_csv(staging, header, body)
        return [target]
    name_of = "ctdc.csv" if format == "ctdc" else "{}.csv"
    names = []
    for n, header, body in tables:
        names.append(name_of.format(n))
        _write_csv(staging / names[-1], header, body)
    return [target / name for name in names]


def _tables(
    conn: Connection, format: str, types: Sequence[str], who: Principal | None = None
) -> Iterator[tuple[str, list[str], Iterator[list[str]]]]:
    """(type, header, rows) of each record type, the rows read as they are written."""
    cases: dict[tuple[Any, Any], dict[str, Any]] = {}
    if format == "ctdc":
        cases = {(c["source"], c["external_id"]): c for c in standard_rows(conn, "cases", who)}
    for name in types:
        columns = _columns(conn, name)
        rows = standard_rows(conn, name, who)
        if format == "htcds":
            yield (name, *to_htcds(name, columns, rows))
        elif format == "ctdc":
            yield (name, *to_ctdc(rows, cases))
        else:
            yield name, columns, ([cell_text(r.get(h)) for h in columns] for r in rows)


def _write_csv(path: Path, header: list[str], body: Iterator[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([quote_cell(c) for c in row] for row in body)
    return path


def _write_book(path: Path, tables: Iterator[tuple[str, list[str], Iterator[list[str]]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for name, header, body in tables:
        sheet = book.create_sheet(name)
        sheet.append(header)
        for row in body:  # quoted: openpyxl would store a text cell "=..." as a live formula
            sheet.append([quote_cell(c) for c in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


__all__ = ["EXPORT_FORMATS", "cell_text", "export_records", "standard_rows"]
