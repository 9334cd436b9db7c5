"""A file with some of a record type's columns changes only those columns of stored records.

A column the file does not have leaves the stored value as it is; a column it has applies its
cells, an empty cell recording "not recorded" (a required field's empty cell is a rejected
row); a row that adds a record needs the required columns. The same holds for every record
type, for CSV, workbook sheets and mapped columns, and the audit names only what changed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.ingest import export_records, import_file
from uncounted.store.tables import (
    AuditEvent,
    Case,
    CaseJurisdiction,
    CaseLink,
    CasePerson,
    Person,
    PersonIdentity,
)

from .conftest import TODAY


def _load(engine, write, name, text, **kw):
    return import_file(engine, write(name, text), source="PNP", today=TODAY, actor="ana", **kw)


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


def test_a_row_whose_identity_cells_are_all_empty_adds_no_identity(loaded, write):
    _load(loaded, write, "persons.csv", "external_id,sex,given_name,phone\nP7,Male,,\n")
    assert _person(loaded, "P7") == ("Male", None, None, None)


def test_export_then_import_changes_nothing(loaded, write, tmp_path):
    for extra in ("referrals.csv", "justice_events.csv"):
        _load(loaded, write, extra, _EXTRA[extra])
    export_records(loaded, tmp_path / "out")
    before = _updates(loaded)
    for name in ("agencies", "cases", "persons", "justice_events", "referrals"):
        result = import_file(loaded, tmp_path / "out" / f"{name}.csv", today=TODAY)
        assert (name, result.rows_created, result.rows_updated) == (name, 0, 0)
    assert _updates(loaded) == before


_EXTRA = {
    "referrals.csv": "person,case,from_agency,to_agency,from_country,to_country,referred_on,"
    "reason,consent_recorded,status\nP1,C1,PNP,NGO-A,PH,PH,2024-03-01,Other,no,Requested\n",
    "justice_events.csv": "external_id,case,person,stage,occurred_on,jurisdiction,outcome,"
    "sentence_months\nE1,C1,P2,verdict,2024-05-02,PH,convicted,24\n",
}


# -- every record type ----------------------------------------------------------------------


def test_parts_of_cases_keep_the_fields_the_file_lacks(loaded, write):
    _load(loaded, write, "case_jurisdictions.csv", "case,jurisdiction,role\nC1,TH,transit\n")
    _load(loaded, write, "case_links.csv", "case,linked_case,kind\nC1,C2,related\n")
    _load(loaded, write, "case_jurisdictions.csv", "case,jurisdiction\nC1,TH\n")
    _load(loaded, write, "case_links.csv", "case,linked_case\nC1,C2\n")
    assert _row(loaded, CaseJurisdiction, "role") == ("transit",)
    assert _row(loaded, CaseLink, "kind") == ("related",)
    assert _updates(loaded) == []


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
