"""A file whose name says nothing is read as the record type its columns describe; a header
that could be several types is refused with what to do, for the web and the CLI alike."""

from __future__ import annotations

import pytest

from uncounted.errors import RecordTypeUnknown
from uncounted.ingest import import_file, validate_file
from uncounted.ingest.detect import guess_record_type
from uncounted.ingest.mapping import ColumnMapping

from .conftest import TODAY

AGENCIES = "code,name,org_type,country\nNGO-X,Example shelter,NGO,PH\n"


def test_columns_name_the_record_type(engine, write):
    path = write("export (3).csv", AGENCIES)
    assert validate_file(engine, path, today=TODAY).rejected == []
    result = import_file(engine, path, today=TODAY)
    assert result.rows_created == 1


def test_guess_needs_a_clear_majority() -> None:
    standard = ColumnMapping()
    assert guess_record_type(["code", "name", "org_type", "country"], standard) == "agencies"
    assert guess_record_type(["external_id", "sex", "birth_year", "notes"], standard) == "persons"
    assert guess_record_type(["external_id"], standard) is None  # many types have it
    assert guess_record_type(["colour", "size", "code"], standard) is None
    assert guess_record_type([], standard) is None


def test_an_unclear_file_says_what_to_do(engine, write):
    path = write("data.csv", "colour,size\nred,4\n")
    with pytest.raises(RecordTypeUnknown) as refused:
        import_file(engine, path, today=TODAY)
    text = str(refused.value)
    assert "Could not tell which records data.csv holds" in text
    assert "Record type" in text and "--type" in text
