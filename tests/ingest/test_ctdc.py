"""CTDC victim-level files: every layout read whole, with the file's own counts, and back out.

The files (``uncounted.simulate.ctdc_files``) are written from CTDC's published field lists;
they hold every pattern that cost rows or values before: both exploitation flags set, -99 and
empty flag groups, rows with nothing recorded, NA (Namibia), 00 and -99 for an unknown country,
no country of exploitation, minors, 2016.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from uncounted.cli.main import main
from uncounted.errors import ImportRejected
from uncounted.ingest import export_records, import_file
from uncounted.settings import get_settings
from uncounted.simulate.ctdc_files import global_2020, synthetic_2024, synthetic_cut
from uncounted.store.tables import Agency, Case, CasePerson, Jurisdiction, Person

from .conftest import TODAY

LAYOUT = {
    "global_2020": "CTDC Global Dataset (k-anonymised, 63 columns)",
    "synthetic_cut": "CTDC Global Synthetic Dataset (column names cut to 32 characters)",
    "synthetic_2024": "CTDC Global Synthetic Dataset 2024 (27 fields, merged means of control)",
}


def _exploitation(conn) -> Counter[str]:
    counts: Counter[str] = Counter()
    for first, every in conn.execute(
        select(CasePerson.exploitation_type, CasePerson.exploitation_types)
    ):
        counts.update(every if every is not None else [first] if first else [])
    return counts


@pytest.mark.parametrize(
    "build", [global_2020, synthetic_cut, synthetic_2024], ids=["global-2020", "cut", "synth-2024"]
)
def test_every_row_imports_with_the_files_counts(engine, write, build):
    fx = build()
    result = import_file(engine, write("ctdc.csv", fx.text), mapping="ctdc", today=TODAY)
    assert (result.status, result.rows_total, result.rows_rejected) == ("loaded", fx.rows, 0)
    assert result.rows_created == 2 * fx.rows  # a case and its victim per row
    assert result.layout == LAYOUT[build.__name__]
    assert set(result.ignored_columns) <= {  # columns with no place in the data model
        "Datasource",
        "RecruiterRelationship",
        "majorityEntry",
        "meansOfControlConcatenated",
        "meansOfControlNotSpecified",
        "recruiterRelationUnknown",
        "typeOfExploitConcatenated",
        "typeOfLabourConcatenated",
        "typeOfLabourNotSpecified",
        "typeOfSexConcatenated",
        "traffickMonths",
    }
    with engine.connect() as conn:
        rows = conn.execute(select(Person.sex, func.count()).group_by(Person.sex)).all()
        sex = Counter({str(k): int(v) for k, v in rows})
        assert sex == fx.gender
        assert _exploitation(conn) == fx.exploitation
        both = conn.execute(
            select(func.count()).where(CasePerson.exploitation_types.is_not(None))
        ).scalar_one()
        assert both > 0  # victims of both sexual exploitation and forced labour keep both
        minors = conn.execute(
            select(func.count()).where(Person.age_band.in_(["0--8", "9--17"]))
        ).scalar_one()
        assert minors == fx.minors
        namibians = conn.execute(
            select(func.count()).where(Person.citizenship == "NA")
        ).scalar_one()
        assert namibians == fx.namibians > 0
        unknown = conn.execute(
            select(func.count())
            .select_from(Case)
            .join(Jurisdiction, Jurisdiction.id == Case.jurisdiction_id)
            .where(Jurisdiction.country == "ZZ")
        ).scalar_one()
        assert unknown == fx.unknown_place > 0
        hub = conn.execute(select(Agency.code, Agency.org_type, Agency.country)).all()
        assert [tuple(h) for h in hub] == [("CTDC", "InternationalOrganisation", None)]


def test_a_flag_group_not_recorded_stays_not_recorded_in_and_out(engine, write, tmp_path):
    fx = global_2020(60)
    import_file(engine, write("ctdc.csv", fx.text), mapping="ctdc", today=TODAY)
    with engine.connect() as conn:
        controls = conn.execute(select(CasePerson.methods_of_control)).scalars().all()
    assert None in controls and any(controls)  # -99 throughout: not recorded, not "none"
    (out,) = export_records(engine, tmp_path / "out.csv", "ctdc")
    source = list(csv.DictReader(io.StringIO(fx.text)))
    back = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert len(back) == len(source)
    for before, after in zip(source, back, strict=True):
        for column in ("isForcedLabour", "isSexualExploit", "isForcedMarriage"):
            assert after[column] == ("" if before[column] == "-99" else before[column])
        assert after["CountryOfExploitation"] == (
            ""
            if before["CountryOfExploitation"] in {"00", "-99"}
            else before["CountryOfExploitation"]
        )
        assert after["citizenship"] == (
            "" if before["citizenship"] in {"00", "-99"} else before["citizenship"]
        )
        assert after["ageBroad"] == ("" if before["ageBroad"] == "-99" else before["ageBroad"])
    again = import_file(engine, out, mapping="ctdc", today=TODAY)
    assert (again.rows_created, again.rows_updated, again.rows_rejected) == (0, 0, 0)


def test_partial_never_keeps_a_case_without_its_victim(engine, write):
    fx = global_2020(40)
    lines = fx.text.splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[0], "20x6", 1)  # the case's year
    cells = lines[5].split(",")
    cells[7] = "Atlantis"  # the victim's citizenship
    lines[5] = ",".join(cells)
    path = write("ctdc.csv", "\n".join(lines) + "\n")
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, path, mapping="ctdc", today=TODAY)
    reasons = {(p.line, p.column): p.reason for p in refused.value.rows}
    assert "not a date" in reasons[(4, "yearOfRegistration")]
    assert reasons[(4, "case")] == (
        "the case 'line-4' on line 4 was refused (see the problems of line 4), so this row is "
        "refused with it"
    )
    assert not any("import the cases first" in r for r in reasons.values())
    result = import_file(engine, path, mapping="ctdc", partial=True, today=TODAY)
    assert (result.status, result.rows_rejected) == ("partial", 2)
    with engine.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(Case)).scalar_one()
        victims = conn.execute(select(func.count()).select_from(CasePerson)).scalar_one()
    assert cases == victims == 38
    assert result.rejects_file is not None
    kept = result.rejects_file.read_text("utf-8").splitlines()
    assert kept == [lines[0], lines[3], lines[5]]  # header and the two rows, as they were
    assert result.ignored_columns == (
        "Datasource",
        "RecruiterRelationship",
        "majorityEntry",
        "meansOfControlConcatenated",
        "meansOfControlNotSpecified",
        "recruiterRelationUnknown",
        "typeOfExploitConcatenated",
        "typeOfLabourConcatenated",
        "typeOfLabourNotSpecified",
        "typeOfSexConcatenated",
    )


def test_a_given_source_is_used_instead_of_the_hub(engine, write):
    import_file(
        engine,
        write("agencies.csv", "code,name,org_type,country\nIOM,IOM,InternationalOrganisation,\n"),
        today=TODAY,
    )
    result = import_file(
        engine, write("ctdc.csv", global_2020(10).text), mapping="ctdc", source="IOM", today=TODAY
    )
    assert result.rows_rejected == 0
    with engine.connect() as conn:
        assert conn.execute(select(Agency.code)).scalars().all() == ["IOM"]


@pytest.mark.parametrize(
    ("head", "said"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "an Excel workbook (.xlsx) or a zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "an old Excel (.xls)"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"\x00\x01\x02garbage\x00\xff", "not a CSV text file"),
    ],
)
def test_a_binary_file_named_csv_is_explained(engine, write, head, said):
    path = write("victims.csv", head + bytes(range(256)) * 4)
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, path, "persons", today=TODAY)
    message = str(refused.value)
    assert said in message and "line contains NUL" not in message and "Error" not in message


def test_a_damaged_workbook_is_explained(engine, write):
    path = write("victims.xlsx", b"PK\x03\x04" + bytes(range(256)))
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, path, "persons", today=TODAY)
    assert "save it again as .xlsx" in str(refused.value)
    assert "BadZipFile" not in str(refused.value)


@pytest.mark.parametrize("name", ["victims.xlsx", "victims.parquet"])
def test_a_csv_with_another_ending_is_explained(engine, write, name):
    path = write(name, "external_id,sex\nP1,Female\n")
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, path, "persons", today=TODAY)
    assert "the file is text (perhaps CSV)" in str(refused.value)
    assert "give it its real ending (.csv)" in str(refused.value)


def test_a_binary_file_named_jsonl_is_explained(engine, write):
    path = write("victims.jsonl", bytes(range(256)) * 4)
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, path, "persons", today=TODAY)
    assert "not a JSON Lines text file (it holds binary data)" in str(refused.value)


def test_report_is_written_even_when_the_import_is_refused_before_reading(
    write, tmp_path, monkeypatch
):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["init"]) == 0
        report = tmp_path / "report.json"
        path = write("victims.csv", "external_id\nP1\n")
        assert main(["import", str(path), "--source", "NOPE", "--report", str(report)]) != 0
        rows = json.loads(report.read_text("utf-8"))["rejected"]
        assert "Could not tell which records" in rows[0]["reason"]
    finally:
        get_settings.cache_clear()


def test_an_unnamed_index_column_is_left_aside(engine, write):
    """A file saved by pandas with its index (``,yearOfRegistration,...``) loses no row."""
    fx = global_2020(20)
    lines = fx.text.splitlines()
    text = "\n".join([f",{lines[0]}", *(f"{i},{line}" for i, line in enumerate(lines[1:]))])
    result = import_file(engine, write("ctdc.csv", text + "\n"), mapping="ctdc", today=TODAY)
    assert (result.rows_total, result.rows_rejected) == (20, 0)


def test_the_victim_perpetrator_layout_is_refused_with_the_reason(engine, write):
    text = (
        "yearRegister,gender,majorityStatus,UN_COO_Region,UN_COE_Region,isForcedLabour,"
        "isSexualExploit,IP_Gender,IP_ageBroad,IP_Relation,IP_Exploiter,IP_RecruiterBroker\n"
        "2016,Female,Adult,Europe,Europe,0,1,Male,30--38,Friend,1,0\n"
    )
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, write("vp.csv", text), mapping="ctdc", today=TODAY)
    assert "victim-perpetrator pair" in str(refused.value)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Person)).scalar_one() == 0


def test_indicators_on_a_ctdc_store_say_why_they_are_empty(write, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["init"]) == 0
        path = write("ctdc.csv", global_2020(30).text)
        assert main(["import", str(path), "--mapping", "ctdc"]) == 0
        capsys.readouterr()
        assert main(["indicators", "--format", "json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["rows"] == []
        assert "30 victim(s) in 30 case(s) but no justice events" in out["empty"]
    finally:
        get_settings.cache_clear()


def test_published_victim_rows_keep_every_exploitation_type_and_the_age_band(engine, write):
    from uncounted.publish.victims import victim_rows
    from uncounted.store.frames import read_table

    fx = global_2020(120)
    import_file(engine, write("ctdc.csv", fx.text), mapping="ctdc", today=TODAY)
    tables = {
        n: read_table(engine, n) for n in ("case_persons", "persons", "cases", "jurisdictions")
    }
    rows = victim_rows(tables)
    assert rows["isForcedLabour"].sum() == fx.exploitation["ForcedLabour"]
    assert rows["isSexualExploit"].sum() == fx.exploitation["SexualExploitation"]
    assert rows["ageBroad"].is_in(["0--8", "9--17"]).sum() == fx.minors


def test_country_codes_in_common_use_are_read(engine, write):
    text = (
        "yearOfRegistration,gender,citizenship,CountryOfExploitation,isForcedLabour\n"
        "2016,Female,XK,UK,1\n"
        "2017,Male,EL,NA,0\n"
    )
    result = import_file(engine, write("ctdc.csv", text), mapping="ctdc", today=TODAY)
    assert result.rows_rejected == 0
    with engine.connect() as conn:
        people = conn.execute(select(Person.citizenship).order_by(Person.id)).scalars().all()
        places = conn.execute(
            select(Jurisdiction.country, Jurisdiction.name).order_by(Jurisdiction.id)
        ).all()
    assert people == ["XK", "GR"]
    assert [tuple(p) for p in places] == [("GB", "United Kingdom"), ("NA", "Namibia")]
