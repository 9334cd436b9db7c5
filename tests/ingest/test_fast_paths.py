"""The importer's fast paths give exactly what the row-by-row code gives, problems included."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from uncounted.ingest import import_file
from uncounted.ingest.mapping import parse_mapping, plan_columns
from uncounted.ingest.readers import SourceRow
from uncounted.ingest.records import RECORD_TYPES
from uncounted.ingest.validate import RowChecker, check_row
from uncounted.store.db import make_engine, upgrade
from uncounted.store.tables import AuditEvent, CasePerson, JusticeEvent

from .conftest import AGENCIES, CASES, TODAY

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Cells that hit every branch: empty, "missing" markers, labels, good and bad codes and dates.
CELL = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            "  ",
            "-99",
            " PH ",
            "ph",
            "XX",
            "PH-CEB",
            "F",
            "Female",
            "male",
            "arrest",
            "Arrest",
            "verdict",
            "convicted",
            "acquitted",
            "2024-03-01",
            " 2024-03-01",
            "2099-01-01",
            "2024-13-45",
            "45292",
            "01/02/2024",
            "2024",
            "2024Q3",
            "2024Q5",
            "12",
            "-1",
            "3.0",
            "yes",
            "maybe",
            "C1",
            "x" * 120,
            "Active",
            "ForcedLabour",
            "victim",
        ]
    ),
    st.text(max_size=8),
    st.integers(-5, 50_000),
    st.booleans(),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)),
)
MAPPING = parse_mapping(
    {
        "missing": ["-99"],
        "values": {"sex": {"F": "Female"}, "stage": {"A": "arrest"}},
        "constants": {"jurisdiction": "PH"},
    }
)


@FAST
@given(
    record=st.sampled_from(sorted(RECORD_TYPES)),
    mapped=st.booleans(),
    rows=st.lists(st.lists(CELL, min_size=30, max_size=30), min_size=1, max_size=20),
    broken=st.sets(st.integers(0, 19)),
)
def test_row_checker_equals_check_row(record, mapped, rows, broken):
    rtype = RECORD_TYPES[record]
    mapping = MAPPING.for_type(record) if mapped else parse_mapping({}).for_type(record)
    header = list(rtype.field_names)
    plan = plan_columns(rtype, mapping, header)
    source_rows = [
        SourceRow(
            line=i + 2,
            cells=dict(zip(header, cells, strict=False)),
            problem="unreadable" if i in broken else None,
        )
        for i, cells in enumerate(rows)
    ]
    checker = RowChecker(plan, "f.csv", TODAY, "NGO-A")
    expected = [check_row(plan, r, "f.csv", TODAY, "NGO-A") for r in source_rows]
    assert checker.check(source_rows) == expected
    assert checker.check(source_rows) == expected  # again, with the remembered cells


def _good_cells(record: str) -> dict[str, list[object]]:
    """For each field of ``record``: mostly valid cells, a few empty or wrong."""
    from uncounted.domain import code_list

    by_kind: dict[str, list[object]] = {
        "text": ["P1", " P2 ", "x" * 120],
        "ref": ["NGO-A", "C1", " PNP"],
        "date": ["2024-03-01", "2024-03-02", 45292, "2099-01-01"],
        "int": ["12", "7", 3, "-1"],
        "bool": ["yes", "no", True],
        "country": ["PH", "TH", "XX"],
        "jurisdiction": ["PH", "PH-CEB"],
        "period": ["2024", "2024Q3", "24"],
        "stage": ["arrest", "Charge", "verdict", "A"],
        "outcome": ["convicted", "dismissed"],
        "offence": ["trafficking"],
        "age_band": ["9--17", "09-17", "48+", "17--9", "old"],
    }
    cells: dict[str, list[object]] = {}
    for f in RECORD_TYPES[record].fields:
        if f.kind in ("code", "codes"):
            pool: list[object] = [*code_list(f.codes or "").codes[:3], "F", "nope"]
        else:
            pool = list(by_kind[f.kind])
        cells[f.name] = [*pool, *pool, *pool, "", "-99", None]
    return cells


@FAST
@given(record=st.sampled_from(sorted(RECORD_TYPES)), mapped=st.booleans(), data=st.data())
def test_row_checker_equals_check_row_on_mostly_good_rows(record, mapped, data):
    rtype = RECORD_TYPES[record]
    mapping = MAPPING.for_type(record) if mapped else parse_mapping({}).for_type(record)
    pools = _good_cells(record)
    header = [
        f for f in rtype.field_names if rtype.field(f).required or data.draw(st.integers(0, 4))
    ]
    plan = plan_columns(rtype, mapping, header)
    rows = [
        SourceRow(i + 2, {h: data.draw(st.sampled_from(pools[h])) for h in header})
        for i in range(data.draw(st.integers(1, 30)))
    ]
    checker = RowChecker(plan, "f.csv", TODAY, "NGO-A")
    expected = [check_row(plan, r, "f.csv", TODAY, "NGO-A") for r in rows]
    assert checker.check(rows) == expected


PEOPLE = (
    "external_id,sex,birth_date,given_name,case,role,minor_at_exploitation,methods_of_control\n"
    "P8,Female,2001-02-03,Ana,C1,victim,yes,Threats;Debt bondage\n"
    "P8,Female,2001-02-03,Ana,C2,victim,,\n"
    "P9,Male,,,C2,suspect,,\n"
)
EVENTS = (
    "external_id,case,person,stage,occurred_on,jurisdiction,custodial\n"
    "E1,C1,P8,report,2024-02-01,PH,\nE2,C2,P9,arrest,2024-03-01,PH-CEB,yes\n"
)


def _import_twice(engine, write):
    """Import persons and events twice: the second time every row is unchanged."""
    import_file(engine, write("agencies.csv", AGENCIES), today=TODAY)
    import_file(engine, write("cases.csv", CASES), source="PNP", today=TODAY)
    for name, text in (("persons.csv", PEOPLE), ("justice_events.csv", EVENTS)):
        first = import_file(engine, write(name, text), source="PNP", today=TODAY)
        again = import_file(
            engine, write(f"again_{name}", text), name[:-4], source="PNP", today=TODAY
        )
        assert (first.rows_created, first.rows_updated) == (3 if name == "persons.csv" else 2, 0)
        assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (
            0,
            0,
            first.rows_created,
        )
    with engine.connect() as conn:
        roles = conn.execute(
            select(
                CasePerson.role, CasePerson.methods_of_control, CasePerson.minor_at_exploitation
            ).order_by(CasePerson.id)
        ).all()
        events = conn.execute(
            select(JusticeEvent.occurred_on, JusticeEvent.custodial).order_by(JusticeEvent.id)
        ).all()
        updates = conn.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "update")
        ).scalar_one()
    assert [tuple(r) for r in roles] == [
        ("victim", ["Threats", "DebtBondage"], True),
        ("victim", None, None),  # not recorded
        ("suspect", None, None),
    ]
    assert [tuple(r) for r in events] == [
        (dt.date(2024, 2, 1), None),
        (dt.date(2024, 3, 1), True),
    ]
    assert updates == 0


def test_reimport_of_typed_and_json_columns_changes_nothing(engine, write):
    _import_twice(engine, write)


@pytest.mark.postgres
def test_reimport_of_typed_and_json_columns_changes_nothing_on_postgresql(
    fresh_postgres_url, write
):
    engine = make_engine(fresh_postgres_url)
    upgrade(engine)
    try:
        _import_twice(engine, write)
    finally:
        engine.dispose()


def test_an_import_leaves_the_garbage_collector_as_it_was(engine, write):
    import gc

    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    import_file(engine, write("agencies.csv", AGENCIES), today=TODAY)
    import_file(engine, write("cases.csv", CASES), source="PNP", today=TODAY)
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before
