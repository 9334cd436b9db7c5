"""Loading is atomic by default, partial on request, idempotent, and audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from uncounted.errors import ImportRejected
from uncounted.ingest import import_file, write_report
from uncounted.store.audit import REDACTED
from uncounted.store.tables import (
    AuditEvent,
    Case,
    CasePerson,
    ImportBatch,
    JusticeEvent,
    Person,
    Referral,
)

from .conftest import CASES, TODAY

BAD_CASES = (
    "external_id,status,exploitation_type,jurisdiction,opened_on\n"
    "C5,Active,ForcedLabour,PH,2024-01-01\n"
    "C6,Activ,ForcedLabour,PH,2024-01-01\n"
    "C7,Closed,Other,PH,2024-02-01\n"
)


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_one_bad_row_refuses_the_whole_file(loaded, write):
    before = _count(loaded, Case)
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, write("cases.csv", BAD_CASES), source="PNP", today=TODAY)
    assert [(r.line, r.column, r.value) for r in caught.value.rows] == [(3, "status", "Activ")]
    assert "Did you mean 'Active'?" in caught.value.rows[0].reason
    assert _count(loaded, Case) == before
    with Session(loaded) as conn:
        batch = conn.execute(select(ImportBatch).order_by(ImportBatch.id.desc())).scalars().first()
    assert (batch.status, batch.rows_total, batch.rows_rejected) == ("rejected", 3, 1)


def test_partial_loads_good_rows_and_sets_bad_rows_aside_unchanged(loaded, write):
    path = write("cases.csv", BAD_CASES)
    result = import_file(loaded, path, source="PNP", partial=True, today=TODAY)
    assert (result.status, result.rows_created, result.rows_rejected) == ("partial", 2, 1)
    rejects = path.parent / "cases.rejects.csv"
    assert result.rejects_file == rejects
    assert rejects.read_bytes() == (
        b"external_id,status,exploitation_type,jurisdiction,opened_on\n"
        b"C6,Activ,ForcedLabour,PH,2024-01-01\n"
    )
    report = (path.parent / "cases.report.csv").read_text("utf-8").splitlines()
    assert report[0] == "file,line,column,value,reason"
    assert report[1].startswith("cases.csv,3,status,Activ,")
    out = write_report(result, path.parent / "r.json")
    data = json.loads(out.read_text("utf-8"))
    assert data["rows_rejected"] == 1 and data["rejected"][0]["line"] == 3


def test_reimport_changes_nothing_and_a_changed_row_is_updated_and_audited(loaded, write):
    path = write("cases.csv", CASES)
    again = import_file(loaded, path, source="PNP", today=TODAY, actor="ana")
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 2)
    cases_before = _count(loaded, Case)
    changed = write("cases2.csv", CASES.replace("C1,Active", "C1,Closed"))
    result = import_file(loaded, changed, "cases", source="PNP", today=TODAY, actor="ana")
    assert (result.rows_created, result.rows_updated, result.rows_unchanged) == (0, 1, 1)
    assert _count(loaded, Case) == cases_before
    with Session(loaded) as conn:
        status = conn.execute(select(Case.status).where(Case.external_id == "C1")).scalar_one()
        audit = (
            conn.execute(select(AuditEvent).where(AuditEvent.action == "update")).scalars().all()
        )
        batches = conn.execute(select(ImportBatch.status, ImportBatch.rows_updated)).all()
    assert status == "Closed"
    assert [(a.actor, a.resource, a.fields, a.before, a.after) for a in audit] == [
        ("ana", "cases", ["status"], {"status": "Active"}, {"status": "Closed"})
    ]
    assert audit[0].detail == f"import batch {result.batch_id} (cases2.csv)"
    assert batches[-1] == ("loaded", 1)


def test_identifying_fields_are_audited_by_name_only(loaded, write):
    path = write("persons.csv", "external_id,given_name\nP1,Anabel\n")
    import_file(loaded, path, source="PNP", today=TODAY)
    with Session(loaded) as conn:
        audit = conn.execute(
            select(AuditEvent).where(
                AuditEvent.resource == "person_identities", AuditEvent.action == "update"
            )
        ).scalar_one()
        created = conn.execute(
            select(AuditEvent.after).where(
                AuditEvent.resource == "person_identities", AuditEvent.action == "create"
            )
        ).scalars()
        assert "Ana" not in json.dumps(list(created))  # created identities are redacted too
    assert audit.fields == ["given_name"]
    assert audit.before == {"given_name": REDACTED} and "Ana" not in json.dumps(audit.after)


def test_persons_with_roles_in_cases(loaded, write):
    path = write(
        "persons.csv",
        "external_id,sex,case,role,exploitation_type,methods_of_control\n"
        "P8,Female,C1,victim,ForcedLabour,Threats;Debt bondage\n"
        "P8,Female,C2,victim,SexualExploitation,\n"
        "P9,Male,C2,suspect,,\n",
    )
    result = import_file(loaded, path, source="PNP", today=TODAY)
    assert result.rows_created == 3
    with loaded.connect() as conn:
        roles = conn.execute(
            select(Person.external_id, CasePerson.role, CasePerson.methods_of_control)
            .join(CasePerson, CasePerson.person_id == Person.id)
            .where(Person.external_id.in_(["P8", "P9"]))
            .order_by(CasePerson.id)
        ).all()
    assert [tuple(r) for r in roles] == [
        ("P8", "victim", ["Threats", "DebtBondage"]),
        ("P8", "victim", None),  # an empty cell: not recorded, not "none"
        ("P9", "suspect", None),
    ]
    conflicting = write(
        "p2.csv", "external_id,sex,case,role\nP10,Female,C1,victim\nP10,Male,C2,victim\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, conflicting, "persons", source="PNP", today=TODAY)
    assert [(r.line, r.column) for r in caught.value.rows] == [(3, "external_id")]
    assert "described differently on line 2" in caught.value.rows[0].reason


def test_list_memberships_and_a_workbook_of_several_types(engine, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    sheets = {
        "agencies": [["code", "name", "org_type", "country"], ["NGO-A", "Hope", "NGO", "PH"]],
        "persons": [["external_id", "source"], ["P1", "NGO-A"], ["P2", "NGO-A"]],
        "list_memberships": [
            ["person", "source", "period"],
            ["P1", "NGO-A", "2024"],
            ["P2", "NGO-A", "2024Q3"],
            ["P3", "NGO-A", "2024"],
        ],
    }
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "lists.xlsx"
    book.save(path)
    with pytest.raises(ImportRejected) as caught:
        import_file(engine, path, today=TODAY)
    assert [(r.file, r.line, r.column, r.value) for r in caught.value.rows] == [
        ("lists.xlsx[list_memberships]", 4, "person", "P3")
    ]
    assert _count(engine, Person) == 0  # the valid sheets were not loaded either
    result = import_file(engine, path, today=TODAY, partial=True)
    assert (result.rows_created, result.rows_rejected) == (5, 1)


def test_partial_leaves_out_events_found_out_of_order_at_the_end(loaded, write):
    path = write(
        "justice_events.csv",
        "external_id,case,person,stage,occurred_on,jurisdiction\n"
        "E1,C1,P2,arrest,2024-02-01,PH\n"
        "E2,C1,P2,charge,2024-01-15,PH\n"
        "E3,C1,P1,identification,2024-01-10,PH\n",
    )
    result = import_file(loaded, path, source="PNP", partial=True, today=TODAY)
    assert (result.rows_created, result.rows_rejected) == (2, 1)
    assert [(r.line, r.column) for r in result.rejected] == [(3, "occurred_on")]
    with Session(loaded) as session:
        stored = session.execute(select(JusticeEvent.external_id)).scalars().all()
        batch = (
            session.execute(select(ImportBatch).order_by(ImportBatch.id.desc())).scalars().first()
        )
    assert sorted(stored) == ["E1", "E3"]
    assert (batch.status, batch.rows_created, batch.rows_rejected) == ("partial", 2, 1)
    assert (path.parent / "justice_events.rejects.csv").read_text("utf-8").splitlines()[1] == (
        "E2,C1,P2,charge,2024-01-15,PH"
    )


def test_referrals_recorded_with_and_without_consent_load_together(loaded, write):
    """An operator's file of referrals, one recorded without consent and one with it: each is
    stored with its own consent columns (rows of both kinds in one chunk)."""
    path = write(
        "referrals.csv",
        "person,case,from_agency,to_agency,from_country,to_country,referred_on,reason,"
        "consent_recorded,status,consent_method,consent_given_on,consent_recorded_by\n"
        "P1,C1,PNP,NGO-A,PH,PH,2024-03-01,Other,no,Requested,,,\n"
        "P1,C1,PNP,NGO-A,PH,PH,2024-03-02,Other,yes,Accepted,Written,2024-03-02,ana\n",
    )
    result = import_file(loaded, path, source="PNP", today=TODAY)
    assert (result.rows_created, result.rejected) == (2, [])
    with loaded.connect() as conn:
        stored = conn.execute(
            select(Referral.status, Referral.consent_method).order_by(Referral.id)
        ).all()
    assert [tuple(r) for r in stored] == [("Requested", None), ("Accepted", "Written")]
