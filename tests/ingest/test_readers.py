"""Readers take agencies' files as they are: delimiters, encodings, BOMs, Excel, JSON, Parquet."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

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


# -- workbooks built to exhaust memory -------------------------------------------------------

_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
    'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
    'org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
    '"worksheets/sheet1.xml"/></Relationships>',
}
_SHEET = (
    '<?xml version="1.0"?>{dtd}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml'
    '/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c>'
    '</row><row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row></sheetData>'
    "</worksheet>"
)


def _workbook(path, sheet: bytes, strings: bytes | None = None):
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in _PARTS.items():
            book.writestr(name, text)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        if strings is not None:
            book.writestr("xl/sharedStrings.xml", strings)
    return path


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    """32 MB of one cell in 32 KB on disk (the same built to 3 GB is 3 MB and took 4 GB of
    memory to read): refused from the zip directory alone, openpyxl never opens it."""
    sheet = _SHEET.format(dtd="", text="A" * (32 << 20)).encode()
    path = _workbook(tmp_path / "bomb.xlsx", sheet)
    assert path.stat().st_size < 100_000

    def never(*args, **kwargs):
        raise AssertionError("openpyxl opened the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(ImportRejected, match=r"compressed 1,0[0-9]{2} times") as refused:
        _rows(path)
    assert refused.value.rows[0].reason.startswith("the part xl/worksheets/sheet1.xml")


@pytest.mark.parametrize(
    ("limit", "says"),
    [("MAX_XLSX_BYTES", "the workbook would unpack to"),
     ("MAX_XLSX_PART", "would unpack to"),
     ("MAX_XLSX_PARTS", "holds 9 parts")],
)  # fmt: skip
def test_workbooks_past_the_size_limits_are_refused(tmp_path, monkeypatch, limit, says):
    """Too much in all, in one part, or too many parts: refused with the reason (the limits
    lowered here, so the workbook stays small)."""
    from uncounted.ingest import readers

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["external_id", "given_name"])
    for i in range(3000):
        sheet.append([f"P{i}", f"Name {i}"])  # distinct strings: the shared strings grow
    path = tmp_path / "many.xlsx"
    book.save(path)
    assert len(_rows(path)) == 3000
    readers.release_workbooks()
    monkeypatch.setattr(readers, limit, 3 if limit == "MAX_XLSX_PARTS" else 20_000)
    with pytest.raises(ImportRejected, match=says):
        _rows(path)


def test_a_workbook_with_xml_entities_is_refused(tmp_path):
    """A "billion laughs" sheet: defusedxml (which openpyxl uses) refuses entity declarations."""
    levels = "abcdefghi"
    chain = "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in pairwise(levels))
    laughs = f'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">{chain}]>'
    path = _workbook(tmp_path / "laughs.xlsx", _SHEET.format(dtd=laughs, text="&i;").encode())
    with pytest.raises(ImportRejected, match="cannot be opened"):
        _rows(path)


def test_a_workbook_with_too_many_shared_strings_is_refused(tmp_path, monkeypatch):
    """openpyxl reads every shared string into memory before the first row: a workbook whose
    shared strings unpack past the limit (lowered here to 1 MB) is refused."""
    from uncounted.ingest import readers

    many = "".join(f"<si><t>{i:x}</t></si>" for i in range(100_000))
    strings = (
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        f'main" count="100000" uniqueCount="100000">{many}</sst>'
    ).encode()
    sheet = _SHEET.format(dtd="", text="x").encode()
    path = _workbook(tmp_path / "strings.xlsx", sheet, strings)
    monkeypatch.setattr(readers, "MAX_XLSX_STRINGS", 1 << 20)
    with pytest.raises(ImportRejected, match="shared strings would unpack to 2 MB"):
        _rows(path)
