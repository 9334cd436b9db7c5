"""The importer's fast paths give exactly what the row-by-row code gives, problems included."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uncounted.ingest.mapping import parse_mapping, plan_columns
from uncounted.ingest.readers import SourceRow
from uncounted.ingest.records import RECORD_TYPES
from uncounted.ingest.validate import RowChecker, check_row

from .conftest import TODAY

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
