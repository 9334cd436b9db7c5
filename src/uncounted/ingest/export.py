"""Export stored records in the import's own formats, so export → import changes nothing.

``csv`` and ``xlsx`` write the standard fields of each record type (one CSV per type in a
folder, or one workbook with a sheet per type); ``htcds`` writes persons and cases under the
HTCDS v2 field names and value names; ``ctdc`` writes one row per victim under the CTDC public
dataset's column names. References are written as the agencies' ids (``external_id``) with the
source agency's code, never as database ids.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.sql import Select

from uncounted.errors import InvalidInput
from uncounted.ingest import _store
from uncounted.ingest._translate import to_ctdc, to_htcds
from uncounted.ingest.records import ITEM_PREFIX, LOAD_ORDER, RECORD_TYPES

EXPORT_FORMATS = ("csv", "xlsx", "htcds", "ctdc")


def _t(name: str) -> Any:
    return _store.table(name)


def _query(type_name: str) -> Select[Any]:
    a = _t("agencies")
    if type_name == "agencies":
        return select(a.c.code, a.c.name, a.c.org_type, a.c.country).order_by(a.c.id)
    src, csrc, psrc = a.alias("src"), a.alias("csrc"), a.alias("psrc")
    p, c, j = _t("persons"), _t("cases"), _t("jurisdictions")
    place = j.c.subdivision, j.c.country
    if type_name == "persons":
        i, cp = _t("person_identities"), _t("case_persons")
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
                *(i.c[f] for f in ("given_name", "family_name", "other_names", "birth_date")),
                *(i.c[f] for f in ("identity_number", "phone", "email", "address")),
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
            .outerjoin(cp, cp.c.person_id == p.c.id)
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


def standard_rows(conn: Connection, type_name: str) -> Iterator[dict[str, Any]]:
    """The stored records of ``type_name`` under the standard field names, one by one."""
    items = _items(conn) if type_name == "assessments" else None
    result = conn.execution_options(yield_per=5_000).execute(_query(type_name))
    for raw in result.mappings():
        row = dict(raw)
        rid = row.pop("_id", None)
        if "subdivision" in row:
            row["jurisdiction"] = row.pop("subdivision") or row.pop("country")
            row.pop("country", None)
        if type_name == "persons":
            if row["external_id"] is None:
                row["external_id"] = f"uncounted-{rid}"
            kinds, first = row.pop("exploitation_types"), row["exploitation_type"]
            row["exploitation_type"] = kinds if kinds is not None else first and [first]
        for ref in ("case", "person"):
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
) -> list[Path]:
    """Write the stored records to ``out``; return the files written.

    ``csv``: ``out`` is a folder (one ``<type>.csv`` per record type) or, for a single record
    type, a ``.csv`` file. ``xlsx``: one workbook with a sheet per type. ``htcds``: persons
    and cases with HTCDS field names (a folder of CSVs, or a workbook if ``out`` ends in
    ``.xlsx``). ``ctdc``: one CSV of victims with the CTDC columns.
    """
    if format not in EXPORT_FORMATS:
        raise InvalidInput(f"Unknown export format {format!r}; use {', '.join(EXPORT_FORMATS)}.")
    types = list(record_types or LOAD_ORDER)
    for name in types:
        if name not in RECORD_TYPES:
            raise InvalidInput(f"No record type {name!r}; use {', '.join(RECORD_TYPES)}.")
    target = Path(out)
    if format == "ctdc":
        types = ["persons"]
    elif format == "htcds":
        types = [t for t in types if t in {"persons", "cases"}]
    try:
        with engine.connect() as conn:
            tables = _tables(conn, format, types)
            if format == "xlsx" or target.suffix.lower() == ".xlsx":
                return [_write_book(target, tables)]
            if target.suffix.lower() == ".csv" and len(types) == 1:
                header, body = next(tables)[1:]
                return [_write_csv(target, header, body)]
            target.mkdir(parents=True, exist_ok=True)
            name_of = "ctdc.csv" if format == "ctdc" else "{}.csv"
            return [
                _write_csv(target / name_of.format(n), header, body) for n, header, body in tables
            ]
    except OSError as exc:
        raise InvalidInput(f"Cannot write {target}: {exc.strerror}.") from None


def _tables(
    conn: Connection, format: str, types: Sequence[str]
) -> Iterator[tuple[str, list[str], Iterator[list[str]]]]:
    """(type, header, rows) of each record type, the rows read as they are written."""
    cases: dict[tuple[Any, Any], dict[str, Any]] = {}
    if format == "ctdc":
        cases = {(c["source"], c["external_id"]): c for c in standard_rows(conn, "cases")}
    for name in types:
        columns = _columns(conn, name)
        rows = standard_rows(conn, name)
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
        writer.writerows(body)
    return path


def _write_book(path: Path, tables: Iterator[tuple[str, list[str], Iterator[list[str]]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for name, header, body in tables:
        sheet = book.create_sheet(name)
        sheet.append(header)
        for row in body:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


__all__ = ["EXPORT_FORMATS", "cell_text", "export_records", "standard_rows"]
