"""A file with some of a record type's columns changes only those columns of stored records.

A column the file does not have leaves the stored value as it is; a column it has applies its
cells, an empty cell recording "not recorded" (a required field's empty cell is a rejected
row); a row that adds a record needs the required columns. The same holds for every record
type, for CSV, workbook sheets and mapped columns, and the audit names only what changed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.errors import ImportRejected, RejectedRow
from uncounted.ingest import export_records, import_file
from uncounted.store.access import Principal, Role
from uncounted.store.audit import REDACTED
from uncounted.store.tables import (
    AftercareStep,
    Agency,
    Assessment,
    AssessmentItem,
    AuditEvent,
    Case,
    CaseJurisdiction,
    CaseLink,
    CasePerson,
    CaseShare,
    JusticeEvent,
    ListMembership,
    Person,
    PersonIdentity,
    Referral,
)

from .conftest import TODAY


def _load(engine, write, name, text, **kw):
    return import_file(engine, write(name, text), source="PNP", today=TODAY, actor="ana", **kw)


def _refused(engine, write, name, text):
    with pytest.raises(ImportRejected) as caught:
        _load(engine, write, name, text)
    return caught.value.rows


def _updates(engine, resource=None):
    """(resource, fields, before, after) of every update the imports audited."""
    query = select(AuditEvent).where(AuditEvent.action == "update").order_by(AuditEvent.id)
    if resource is not None:
        query = query.where(AuditEvent.resource == resource)
    with Session(engine) as session:
        events = session.execute(query).scalars().all()
        return [(e.resource, e.fields, e.before, e.after) for e in events]


def _person(engine, ext="P1"):
    with Session(engine) as session:
        person = session.execute(select(Person).where(Person.external_id == ext)).scalar_one()
        ident = session.get(PersonIdentity, person.id)
        names = None if ident is None else (ident.given_name, ident.phone)
        return person.sex, person.citizenship, person.birth_year, names


def _row(engine, table, *columns, **where):
    with engine.connect() as conn:
        query = select(*(getattr(table, c) for c in columns))
        for name, value in where.items():
            query = query.where(getattr(table, name) == value)
        return tuple(conn.execute(query).one())


# -- persons: the reported case --------------------------------------------------------------


def test_a_role_added_by_a_file_of_ids_keeps_the_persons_fields(loaded, write):
    """A persons file of only external_id, case and role adds the role and leaves P1's sex
    and citizenship (stored Female / PH) as they are."""
    result = _load(loaded, write, "persons.csv", "external_id,case,role\nP1,C2,victim\n")
    assert (result.rows_updated, result.rejected) == (1, [])  # the person gained a role
    assert _person(loaded) == ("Female", "PH", None, ("Ana", None))
    with loaded.connect() as conn:
        cases = conn.execute(
            select(Case.external_id, CasePerson.role)
            .join(CasePerson, CasePerson.case_id == Case.id)
            .join(Person, Person.id == CasePerson.person_id)
            .where(Person.external_id == "P1")
            .order_by(Case.external_id)
        ).all()
    assert [tuple(c) for c in cases] == [("C1", "victim"), ("C2", "victim")]
    assert _updates(loaded) == []


def test_an_identity_column_the_file_lacks_keeps_the_stored_identity(loaded, write):
    """A phone number added alone keeps the stored name (encrypted in person_identities)."""
    _load(loaded, write, "persons.csv", "external_id,phone\nP1,+63 917 000 0001\n")
    assert _person(loaded) == ("Female", "PH", None, ("Ana", "+63 917 000 0001"))
    (update,) = _updates(loaded)
    assert (update[0], update[1]) == ("person_identities", ["phone"])


def test_an_empty_cell_of_a_column_the_file_has_records_not_recorded(loaded, write):
    """An empty cell is "not recorded", as for a new record: it clears the stored value (the
    exported file of a store imports back into another one exactly)."""
    _load(loaded, write, "persons.csv", "external_id,citizenship,given_name\nP1,,\n")
    assert _person(loaded) == ("Female", None, None, (None, None))
    assert [(u[0], u[1]) for u in _updates(loaded)] == [
        ("persons", ["citizenship"]),
        ("person_identities", ["given_name"]),
    ]


def test_the_audit_names_only_the_fields_that_changed(loaded, write):
    """Sex repeated, citizenship changed, phone added, given name and case role left out: one
    update of persons (citizenship) and one of person_identities (phone, named not copied)."""
    _load(loaded, write, "persons.csv", "external_id,sex,citizenship,phone\nP1,Female,TH,+63 1\n")
    assert _updates(loaded) == [
        ("persons", ["citizenship"], {"citizenship": "PH"}, {"citizenship": "TH"}),
        ("person_identities", ["phone"], {"phone": None}, {"phone": REDACTED}),
    ]


def test_a_row_whose_identity_cells_are_all_empty_adds_no_identity(loaded, write):
    _load(loaded, write, "persons.csv", "external_id,sex,given_name,phone\nP7,Male,,\n")
    assert _person(loaded, "P7") == ("Male", None, None, None)


def test_a_required_field_left_empty_is_a_rejected_row(loaded, write):
    """An empty status never clears a stored case's status: the row is refused with its line
    and column, and so is the whole file."""
    rows = _refused(loaded, write, "cases.csv", "external_id,status\nC1,Closed\nC2,\n")
    assert rows == [
        RejectedRow("cases.csv", 3, "status", "", "status is required but the cell is empty")
    ]
    assert _row(loaded, Case, "status", external_id="C1") == ("Active",)
    assert _row(loaded, Case, "status", external_id="C2") == ("Closed",)


def test_export_then_import_changes_nothing(loaded, write, tmp_path):
    for extra in ("referrals.csv", "justice_events.csv"):
        _load(loaded, write, extra, _EXTRA[extra])
    export_records(loaded, tmp_path / "out")
    before = _updates(loaded)
    for name in ("agencies", "cases", "persons", "justice_events", "referrals"):
        result = import_file(loaded, tmp_path / "out" / f"{name}.csv", today=TODAY)
        assert (name, result.rows_created, result.rows_updated) == (name, 0, 0)
    assert _updates(loaded) == before


def test_an_analysts_export_has_no_identity_columns_and_keeps_names_on_import(loaded, tmp_path):
    """An analyst reads no names: their export leaves the columns out (rather than writing
    them empty), so importing it back keeps the stored names."""
    analyst = Principal(None, "ali", Role.ANALYST)
    (path,) = export_records(loaded, tmp_path / "persons.csv", "csv", ["persons"], analyst)
    assert "given_name" not in path.read_text("utf-8").splitlines()[0]
    result = import_file(loaded, path, today=TODAY)
    assert (result.rows_updated, result.rejected) == (0, [])
    assert _person(loaded) == ("Female", "PH", None, ("Ana", None))


_EXTRA = {
    "referrals.csv": "person,case,from_agency,to_agency,from_country,to_country,referred_on,"
    "reason,consent_recorded,status\nP1,C1,PNP,NGO-A,PH,PH,2024-03-01,Other,no,Requested\n",
    "justice_events.csv": "external_id,case,person,stage,occurred_on,jurisdiction,outcome,"
    "sentence_months\nE1,C1,P2,verdict,2024-05-02,PH,convicted,24\n",
}


# -- every record type ----------------------------------------------------------------------


def test_cases_keep_the_fields_the_file_lacks(loaded, write):
    _load(loaded, write, "cases.csv", "external_id,reference,closed_on\nC2,RC-2,2023-09-01\n")
    _load(loaded, write, "cases.csv", "external_id,status\nC2,Active\n")
    got = _row(
        loaded, Case, "reference", "status", "exploitation_type", "opened_on", "closed_on",
        external_id="C2",
    )  # fmt: skip
    assert got == ("RC-2", "Active", "SexualExploitation", dt.date(2023, 3, 1), dt.date(2023, 9, 1))
    assert [u[1:] for u in _updates(loaded, "cases")] == [
        (["reference"], {"reference": "C2"}, {"reference": "RC-2"}),
        (["status"], {"status": "Closed"}, {"status": "Active"}),
    ]


def test_a_case_is_checked_with_its_stored_dates(loaded, write):
    """A closing date alone is checked against the stored opening date."""
    rows = _refused(loaded, write, "cases.csv", "external_id,closed_on\nC2,2023-01-01\n")
    assert [(r.line, r.column, r.reason) for r in rows] == [
        (2, "closed_on", "is before the case opened (2023-03-01)")
    ]


def test_justice_events_keep_the_fields_the_file_lacks(loaded, write):
    _load(loaded, write, "justice_events.csv", _EXTRA["justice_events.csv"])
    _load(loaded, write, "justice_events.csv", "external_id,sentence_months\nE1,36\n")
    got = _row(loaded, JusticeEvent, "stage", "outcome", "sentence_months", external_id="E1")
    assert got == ("verdict", "convicted", 36)
    assert [u[1] for u in _updates(loaded)] == [["sentence_months"]]
    # the stored stage is checked with a new outcome, the stored outcome with a new stage
    _load(loaded, write, "justice_events.csv", "external_id,outcome\nE1,acquitted\n")
    rows = _refused(loaded, write, "justice_events.csv", "external_id,stage\nE1,arrest\n")
    assert [(r.line, r.column, r.reason) for r in rows] == [
        (2, "outcome", "a arrest event has no outcome")
    ]


def test_a_new_event_in_a_file_of_outcomes_is_refused_by_line(loaded, write):
    _load(loaded, write, "justice_events.csv", _EXTRA["justice_events.csv"])
    rows = _refused(
        loaded, write, "justice_events.csv", "external_id,outcome\nE1,acquitted\nE9,convicted\n"
    )
    assert {(r.line, r.column) for r in rows} == {
        (3, "case"),
        (3, "stage"),
        (3, "occurred_on"),
        (3, "jurisdiction"),
    }
    assert all("this row adds a new record" in r.reason for r in rows)


def test_referrals_keep_the_fields_the_file_lacks(loaded, write):
    _load(loaded, write, "referrals.csv", _EXTRA["referrals.csv"])
    text = "person,from_agency,to_agency,referred_on,to_country\nP1,PNP,NGO-A,2024-03-01,TH\n"
    _load(loaded, write, "referrals.csv", text)
    got = _row(loaded, Referral, "case_id", "to_country", "reason", "status", "consent_recorded")
    assert got == (1, "TH", "Other", "Requested", False)
    assert [u[1] for u in _updates(loaded)] == [["to_country"]]


def test_assessments_keep_the_fields_and_items_the_file_lacks(loaded, write):
    head = "person,instrument_id,assessed_on"
    key = "P1,uncounted-restoration-v1,2024-08-01"
    first = f"{head},assessor,agency,item_safety.housing\n{key},me,NGO-A,3\n"
    _load(loaded, write, "assessments.csv", first)
    _load(loaded, write, "assessments.csv", f"{head},item_safety.housing\n{key},4\n")
    assert _row(loaded, Assessment, "assessor", "agency_id") == ("me", 1)
    assert _row(loaded, AssessmentItem, "score") == (4,)
    assert [u[:2] for u in _updates(loaded)] == [("assessment_items", ["score"])]


def test_parts_of_cases_keep_the_fields_the_file_lacks(loaded, write):
    _load(loaded, write, "case_jurisdictions.csv", "case,jurisdiction,role\nC1,TH,transit\n")
    _load(loaded, write, "case_links.csv", "case,linked_case,kind\nC1,C2,related\n")
    _load(loaded, write, "case_shares.csv", "case,agency,shared_on\nC1,NGO-A,2024-02-01\n")
    _load(loaded, write, "case_jurisdictions.csv", "case,jurisdiction\nC1,TH\n")
    _load(loaded, write, "case_links.csv", "case,linked_case\nC1,C2\n")
    _load(loaded, write, "case_shares.csv", "case,agency\nC1,NGO-A\n")
    assert _row(loaded, CaseJurisdiction, "role") == ("transit",)
    assert _row(loaded, CaseLink, "kind") == ("related",)
    assert _row(loaded, CaseShare, "shared_on") == (dt.date(2024, 2, 1),)
    assert _updates(loaded) == []


def test_memberships_aftercare_and_agencies_keep_the_fields_the_file_lacks(loaded, write):
    _load(loaded, write, "list_memberships.csv", "person,period,recorded_on\nP1,2024,2024-03-01\n")
    _load(loaded, write, "list_memberships.csv", "person,period\nP1,2024\n")
    assert _row(loaded, ListMembership, "recorded_on") == (dt.date(2024, 3, 1),)
    steps = (
        "external_id,person,step,occurred_on,country,agency\n"
        "A1,P1,Repatriated,2024-04-01,PH,NGO-A\n"
    )
    _load(loaded, write, "aftercare_steps.csv", steps)
    _load(loaded, write, "aftercare_steps.csv", "external_id,country\nA1,TH\n")
    assert _row(loaded, AftercareStep, "step", "country", "agency_id") == ("Repatriated", "TH", 1)
    import_file(loaded, write("agencies.csv", "code,name\nPNP,National Police\n"), today=TODAY)
    got = _row(loaded, Agency, "name", "org_type", "country", code="PNP")
    assert got == ("National Police", "LawEnforcement", "PH")
    assert [u[1] for u in _updates(loaded)] == [["country"], ["name"]]


# -- workbooks and mappings -----------------------------------------------------------------


def test_a_workbook_sheet_without_columns_keeps_them(loaded, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = book.create_sheet("persons")
    sheet.append(["external_id", "source", "birth_year"])
    sheet.append(["P1", "PNP", 1990])
    path = tmp_path / "update.xlsx"
    book.save(path)
    import_file(loaded, path, today=TODAY)
    assert _person(loaded) == ("Female", "PH", 1990, ("Ana", None))


def test_a_mapping_without_a_field_keeps_it(loaded, write):
    mapping = write(
        "m.yaml",
        "record_type: persons\ncolumns:\n  external_id: ID\n  sex: Gender\n"
        "values:\n  sex: {F: Female, M: Male}\n",
    )
    path = write("register.csv", "ID,Gender,Remarks\nP2,M,moved\n")
    import_file(loaded, path, mapping=mapping, source="PNP", today=TODAY)
    assert _person(loaded, "P2") == ("Male", "TH", None, ("Bo", None))
    assert _updates(loaded) == []
