"""Readers take agencies' files as they are: delimiters, encodings, BOMs, Excel, JSON, Parquet."""

from __future__ import annotations

import datetime as dt

import openpyxl
import polars as pl
import pytest
from sqlalchemy import select

from uncounted.errors import ImportRejected
from uncounted.ingest import ReadOptions, import_file
from uncounted.ingest.fields import parse_date
from uncounted.ingest.readers import read_chunks
from uncounted.store.tables import Case, Person, PersonIdentity

from .conftest import TODAY


def _rows(path, **kw):
    return [r for chunk in read_chunks(path, ReadOptions(**kw)) for r in chunk]


def test_bom_and_semicolons(write):
    path = write("a.csv", "\ufeffexternal_id;sex\nP1;Male\nP2;Female\n".encode())
    rows = _rows(path)
    assert [(r.line, r.cells) for r in rows] == [
        (2, {"external_id": "P1", "sex": "Male"}),
        (3, {"external_id": "P2", "sex": "Female"}),
    ]


def test_latin1_is_detected_and_can_be_named(write):
    path = write("a.csv", "external_id,given_name\nP1,José Ñúñez\n".encode("latin-1"))
    assert _rows(path)[0].cells["given_name"] == "José Ñúñez"
    assert _rows(path, encoding="latin-1")[0].cells["given_name"] == "José Ñúñez"


def test_mixed_encodings_reject_only_the_bad_line(loaded, write):
    text = "external_id,given_name\nP3,José\n".encode() + "P4,Zoë\n".encode("latin-1")
    path = write("persons.csv", text)
    rows = _rows(path)
    assert rows[0].problem is None and rows[0].cells["given_name"] == "José"
    assert rows[1].line == 3 and rows[1].problem is not None
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, path, source="PNP", today=TODAY)
    (bad,) = caught.value.rows
    assert (bad.line, bad.column) == (3, "")
    assert bad.reason.startswith("the line is not valid utf-8 text (the file mixes encodings)")


def test_quoted_multiline_cells_keep_line_numbers(write):
    path = write("a.csv", 'external_id,address\nP1,"12 Rizal St\nCebu"\nP2,x\n')
    assert [r.line for r in _rows(path)] == [2, 4]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf\r\n", "the file is empty"),
        (b"\n\n", "the file is empty"),
    ],
)
def test_empty_files_are_refused_with_a_reason(loaded, write, content, reason):
    path = write("cases.csv", content)
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, path, source="PNP", today=TODAY)
    assert [(r.line, r.reason) for r in caught.value.rows] == [(1, reason)]


def test_header_only_loads_nothing(loaded, write):
    path = write("cases.csv", "external_id,status,exploitation_type,jurisdiction,opened_on\n")
    result = import_file(loaded, path, source="PNP", today=TODAY)
    assert (result.status, result.rows_total, result.rows_created) == ("loaded", 0, 0)


def test_one_megabyte_cells(loaded, write):
    big = "A" * 1_000_000
    path = write("persons.csv", f"external_id,address\nP9,{big}\n")
    result = import_file(loaded, path, source="PNP", today=TODAY)
    assert result.rows_created == 1
    with loaded.connect() as conn:
        stored = conn.execute(
            select(PersonIdentity.address).join(Person).where(Person.external_id == "P9")
        ).scalar_one()
    assert stored == big
    too_long = write(
        "cases.csv",
        f"external_id,status,exploitation_type,jurisdiction,opened_on\n"
        f"{big},Active,Other,PH,2024-01-01\n",
    )
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, too_long, source="PNP", today=TODAY)
    (bad,) = caught.value.rows
    assert (bad.line, bad.column, len(bad.value)) == (2, "external_id", 201)
    assert bad.reason == "is 1,000,000 characters long; this field holds at most 100"


def test_excel_serial_dates_in_csv_and_xlsx(loaded, write, tmp_path):
    assert parse_date("45292") == dt.date(2024, 1, 1)
    assert parse_date(45292.0) == dt.date(2024, 1, 1)
    assert parse_date(59) == dt.date(1900, 2, 28)
    assert parse_date(61) == dt.date(1900, 3, 1)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["external_id", "status", "exploitation_type", "jurisdiction", "opened_on"])
    sheet.append(["C7", "Active", "ForcedLabour", "PH", 45292])  # a serial number
    sheet.append(["C8", "Active", "ForcedLabour", "PH", dt.datetime(2024, 2, 1)])  # a date cell
    path = tmp_path / "cases.xlsx"
    book.save(path)
    result = import_file(loaded, path, source="PNP", today=TODAY)
    assert result.rows_created == 2
    with loaded.connect() as conn:
        got = dict(
            conn.execute(
                select(Case.external_id, Case.opened_on).where(Case.external_id.in_(["C7", "C8"]))
            ).all()
        )
    assert got == {"C7": dt.date(2024, 1, 1), "C8": dt.date(2024, 2, 1)}


def test_jsonl_and_parquet(loaded, write, tmp_path):
    jsonl = write(
        "persons.jsonl",
        '{"external_id": "P5", "sex": "Male", "birth_year": 1990}\n'
        "\n"
        "[1, 2]\n"
        '{"external_id": "P6", "methods_of_control": ["Threats"]}\n',
    )
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, jsonl, source="PNP", today=TODAY)
    assert [(r.line, r.reason) for r in caught.value.rows] == [
        (3, "each line must be one JSON object {...}")
    ]
    frame = pl.DataFrame(
        {
            "external_id": ["P5", "P6"],
            "birth_year": [1990, None],
            "birth_date": [dt.date(1990, 5, 1), None],
        }
    )
    parquet = tmp_path / "persons.parquet"
    frame.write_parquet(parquet)
    result = import_file(loaded, parquet, source="PNP", today=TODAY)
    assert result.rows_created == 2


def test_unreadable_files_raise_only_import_errors(write):
    for name, content in [
        ("x.xlsx", b"not a zip"),
        ("x.parquet", b"PAR1nonsense"),
        ("x.doc", b"hello"),
    ]:
        with pytest.raises(ImportRejected):
            _rows(write(name, content))
