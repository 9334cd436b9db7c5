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
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from uncounted.domain.identity import IDENTITY_FIELDS
from uncounted.errors import InvalidInput
from uncounted.ingest._translate import to_ctdc, to_htcds
from uncounted.ingest.formulas import quote_cell
from uncounted.ingest.records import ITEM_PREFIX, LOAD_ORDER, RECORD_TYPES
from uncounted.store import audit as audit_log
from uncounted.store import exports
from uncounted.store.access import Action, Principal, Resource, check, sees_identities
from uncounted.store.db import explain_database_error

EXPORT_FORMATS = ("csv", "xlsx", "htcds", "ctdc")
#: Who the audit log names for an export without a user (the operator, on the server).
OPERATOR = "cli:export"
#: Record types written by ``--format htcds`` (persons and cases, and the parts of a case).
HTCDS_TYPES = (
    "cases",
    "persons",
    "case_jurisdictions",
    "case_links",
    "case_shares",
    "aftercare_steps",
)


def standard_rows(
    conn: Connection, type_name: str, who: Principal | None = None
) -> Iterator[dict[str, Any]]:
    """The stored records of ``type_name`` under the standard field names, one by one (those
    ``who`` may read, identities only for roles that see them, when ``who`` is given)."""
    items = exports.assessment_items(conn) if type_name == "assessments" else None
    for row in exports.stored_rows(conn, type_name, who):
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


def _columns(conn: Connection, type_name: str, who: Principal | None = None) -> list[str]:
    names = list(RECORD_TYPES[type_name].field_names)
    if type_name == "persons" and who is not None and not sees_identities(who):
        # no identity columns, rather than empty ones: imported back, a file without a column
        # leaves the stored values as they are, while an empty cell records "not recorded"
        names = [n for n in names if n not in IDENTITY_FIELDS]
    if type_name == "assessments":
        names += [f"{ITEM_PREFIX}{item}" for item in exports.assessment_item_names(conn)]
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
    written, as on the pages (``store.access``: a caseworker's scope; no identifying fields,
    nor their columns, for an analyst; a viewer may not export records). Without it the export
    is the operator's: every record. Either way the export is audited (as the user, or as
    ``cli:export``).
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
    with engine.begin() as conn:  # the operator's export of every record is audited too
        audit_log.record_many(
            conn,
            who if who is not None else OPERATOR,
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
        columns = _columns(conn, name, who)
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
