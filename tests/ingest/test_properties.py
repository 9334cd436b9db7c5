"""Property: whatever bytes or tables arrive, the readers and the validator raise only our error."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uncounted.errors import ImportRejected
from uncounted.ingest import ReadOptions, validate_file
from uncounted.ingest.readers import read_chunks
from uncounted.ingest.records import RECORD_TYPES

from .conftest import TODAY

FAST = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SUFFIXES = [".csv", ".jsonl", ".xlsx", ".parquet", ".tsv"]


def _read_all(path: Path, options: ReadOptions | None = None) -> int:
    return sum(len(chunk) for chunk in read_chunks(path, options))


@FAST
@given(data=st.binary(max_size=2_000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_raise_only_import_rejected(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(data)
        try:
            _read_all(path)
        except ImportRejected as exc:
            assert exc.rows and exc.rows[0].file == path.name


CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "-99", "2024-13-45", "45292", "1e400", "PH", "Male", "C1", '"', "\x00"]),
)


@FAST
@given(
    table=st.lists(st.lists(CELL, min_size=0, max_size=8), min_size=0, max_size=12),
    record=st.sampled_from(sorted(RECORD_TYPES)),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]),
)
def test_random_tables_are_validated_or_refused_never_crash(
    engine, tmp_path, table, record, delimiter, encoding
):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    header = list(RECORD_TYPES[record].field_names)[: max(1, len(table[0]) if table else 1)]
    writer.writerow(header)
    for row in table:
        writer.writerow(row)
    path = tmp_path / "table.csv"
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    try:
        result = validate_file(engine, path, record, today=TODAY)
    except ImportRejected:
        return
    assert result.status == "dry-run"
    for problem in result.rejected:
        assert problem.file == "table.csv" and problem.reason


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_truncated_real_files_are_refused(tmp_path, suffix):
    import openpyxl
    import polars as pl

    good = tmp_path / f"good{suffix}"
    if suffix == ".xlsx":
        book = openpyxl.Workbook()
        book.active.append(["external_id"])
        book.active.append(["P1"])
        book.save(good)
    elif suffix == ".parquet":
        pl.DataFrame({"external_id": ["P1"] * 100}).write_parquet(good)
    else:
        good.write_text('external_id\n"P1\n', "utf-8")
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    try:
        _read_all(cut)
    except ImportRejected as exc:
        assert exc.rows[0].reason
