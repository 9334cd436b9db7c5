"""Every kind of bad input is reported with its exact line, column and reason, all at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from uncounted.errors import ImportRejected
from uncounted.ingest import import_file, validate_file
from uncounted.store.tables import JusticeEvent

from .conftest import TODAY


def _problems(engine, path, **kw):
    with pytest.raises(ImportRejected) as caught:
        import_file(engine, path, today=TODAY, **kw)
    return [(r.line, r.column, r.value, r.reason) for r in caught.value.rows]


def test_types_codes_required_and_dates_are_all_reported(loaded, write):
    path = write(
        "persons.csv",
        "external_id,sex,birth_year,citizenship,birth_date\n"
        "P3,Femal,1990,PH,1990-01-02\n"  # line 2: code with a suggestion
        "P4,Male,nineteen,XX,2030-01-01\n"  # line 3: type, country, future date
        ",Male,1990,PH,\n",  # line 4: required
    )
    got = _problems(loaded, path, source="PNP")
    assert got == [
        (
            2,
            "sex",
            "Femal",
            "not a code of prs_Gender. Did you mean 'Female'? Known codes: Male, Female, "
            "Transgender/NonConforming, Unknown",
        ),
        (3, "birth_date", "2030-01-01", "is in the future (2030-01-01); check the date"),
        (3, "birth_year", "nineteen", "not a whole number"),
        (3, "citizenship", "XX", "not an ISO 3166-1 country code (e.g. 'PH')."),
        (4, "external_id", "", "external_id is required but the cell is empty"),
    ]


def test_references_must_exist_in_the_file_or_the_database(loaded, write):
    path = write(
        "justice_events.csv",
        "external_id,case,person,stage,occurred_on,jurisdiction,agency\n"
        "E1,C1,P2,arrest,2024-02-01,PH,PNP\n"
        "E2,C9,P2,charge,2024-03-01,PH,PNP\n"
        "E3,C1,P7,charge,2024-03-01,PH,NOPE\n",
    )
    got = _problems(loaded, path, source="PNP")
    assert got == [
        (
            3,
            "case",
            "C9",
            "no case 'C9' from source PNP in this file or the database; import the cases first",
        ),
        (
            4,
            "agency",
            "NOPE",
            "no agency with code 'NOPE'; add it first "
            "(uncounted import agencies.csv --type agencies)",
        ),
        (
            4,
            "person",
            "P7",
            "no person 'P7' from source PNP in this file or the database; import the persons first",
        ),
    ]


def test_no_charge_before_the_arrest_of_the_same_suspect(loaded, write):
    path = write(
        "justice_events.csv",
        "external_id,case,person,stage,occurred_on,jurisdiction\n"
        "E1,C1,P2,arrest,2024-02-01,PH\n"
        "E2,C1,P2,charge,2024-01-15,PH\n"
        "E3,C1,P1,charge,2024-01-15,PH\n",  # another person: fine
    )
    assert _problems(loaded, path, source="PNP") == [
        (
            3,
            "occurred_on",
            "2024-01-15",
            "charge dated before the arrest of the same person (2024-02-01, line 2); "
            "check both dates",
        ),
    ]


def test_stage_order_against_events_already_stored(loaded, write):
    first = write(
        "e1.csv",
        "external_id,case,person,stage,occurred_on,jurisdiction\nE1,C1,P2,arrest,2024-02-01,PH\n",
    )
    import_file(loaded, first, "justice_events", source="PNP", today=TODAY)
    second = write(
        "e2.csv",
        "external_id,case,person,stage,occurred_on,jurisdiction\nE2,C1,P2,trial,2024-01-20,PH\n",
    )
    assert _problems(loaded, second, record_type="justice_events", source="PNP") == [
        (
            2,
            "occurred_on",
            "2024-01-20",
            "trial dated before the arrest of the same person (2024-02-01, the database); "
            "check both dates",
        ),
    ]
    # correcting the stored arrest in the same file makes the order possible again
    fixed = write(
        "e3.csv",
        "external_id,case,person,stage,occurred_on,jurisdiction\n"
        "E1,C1,P2,arrest,2024-01-10,PH\nE2,C1,P2,trial,2024-01-20,PH\n",
    )
    result = import_file(loaded, fixed, "justice_events", source="PNP", today=TODAY)
    assert (result.rows_created, result.rows_updated) == (1, 1)


def test_duplicates_within_the_file(loaded, write):
    path = write(
        "cases.csv",
        "external_id,status,exploitation_type,jurisdiction,opened_on\n"
        "C5,Active,ForcedLabour,PH,2024-01-01\nC5,Active,ForcedLabour,PH,2024-01-02\n",
    )
    assert _problems(loaded, path, source="PNP") == [
        (
            3,
            "external_id",
            "PNP/C5",
            "duplicate of line 2 (same source and id); keep one of the two rows",
        ),
    ]


def test_cross_field_checks(loaded, write):
    cases = write(
        "cases.csv",
        "external_id,status,exploitation_type,jurisdiction,opened_on,"
        "closed_on\nC5,Closed,ForcedLabour,PH,2024-05-01,2024-04-01\n",
    )
    assert _problems(loaded, cases, source="PNP") == [
        (2, "closed_on", "2024-04-01", "is before the case opened (2024-05-01)"),
    ]
    events = write(
        "justice_events.csv",
        "external_id,case,person,stage,occurred_on,"
        "jurisdiction,outcome\nE1,C1,P2,verdict,2024-05-01,PH,upheld\n",
    )
    assert _problems(loaded, events, source="PNP") == [
        (2, "outcome", "upheld", "not an outcome of a verdict: convicted, acquitted, dismissed"),
    ]


def test_too_long_values_and_unknown_stage(loaded, write):
    long_id = "X" * 101
    path = write(
        "justice_events.csv",
        f"external_id,case,stage,occurred_on,jurisdiction\n{long_id},C1,arest,2024-02-01,PH\n",
    )
    got = _problems(loaded, path, source="PNP")
    assert got[0][:2] == (2, "external_id")
    assert got[0][3] == "is 101 characters long; this field holds at most 100"
    assert got[1][:3] == (2, "stage", "arest")
    assert got[1][3].startswith("not a justice stage. Did you mean 'arrest'?")


def test_a_file_without_the_column_that_names_its_records_is_refused(loaded, write):
    path = write(
        "cases.csv",
        "status,exploitation_type,jurisdiction,opened_on\nActive,ForcedLabour,PH,2024-01-01\n",
    )
    assert _problems(loaded, path, source="PNP") == [
        (
            1,
            "external_id",
            "",
            "the file has no column for the required field external_id, which says which "
            "record each row is; add it or map it in the mapping",
        ),
    ]


def test_a_new_record_needs_the_required_columns_a_stored_one_has(loaded, write):
    path = write(
        "cases.csv",
        "external_id,status,jurisdiction,opened_on\n"
        "C1,Closed,PH,2024-01-05\n"  # stored: keeps its exploitation type
        "C5,Active,PH,2024-01-01\n",  # new: has none
    )
    assert _problems(loaded, path, source="PNP") == [
        (
            3,
            "exploitation_type",
            "",
            "this row adds a new record, which needs exploitation_type, and the file has no "
            "column for it; add the column (or map it in the mapping)",
        ),
    ]


def test_dry_run_reports_and_writes_nothing(loaded, write):
    path = write(
        "justice_events.csv",
        "external_id,case,person,stage,occurred_on,jurisdiction\n"
        "E1,C1,P2,arrest,2024-02-01,PH\nE2,C1,P2,charge,2024-01-01,PH\n",
    )
    result = import_file(loaded, path, source="PNP", dry_run=True, today=TODAY)
    assert result.status == "dry-run"
    assert [(r.line, r.column) for r in result.rejected] == [(3, "occurred_on")]
    same = validate_file(loaded, path, source="PNP", today=TODAY)
    assert same.rejected == result.rejected
    with loaded.connect() as conn:
        assert conn.execute(select(func.count()).select_from(JusticeEvent)).scalar() == 0


def test_an_unknown_source_agency_is_one_clear_error(loaded, write):
    from uncounted.errors import InvalidInput

    path = write(
        "cases.csv",
        "external_id,status,exploitation_type,jurisdiction,opened_on\n"
        "C5,Active,ForcedLabour,PH,2024-01-01\n",
    )
    with pytest.raises(InvalidInput, match="No agency with code 'NGO-X' \\(--source\\)"):
        import_file(loaded, path, source="NGO-X", today=TODAY)
