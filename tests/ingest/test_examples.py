"""The example agency files of examples/ import as documented (docs/import.md)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from uncounted.ingest import import_file

from .conftest import TODAY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_example_files_import(engine: Engine) -> None:
    agencies = import_file(engine, EXAMPLES / "agencies.csv", today=TODAY)
    assert agencies.rows_created == 10
    book = import_file(
        engine, EXAMPLES / "pnp-cases.xlsx", mapping="htcds", source="PNP", today=TODAY
    )
    assert book.record_types == ("cases", "persons")
    assert book.rows_rejected == 0 and book.rows_created == book.rows_total > 0
    register = import_file(
        engine, EXAMPLES / "ngo-register.csv", mapping=EXAMPLES / "ngo-mapping.yaml", today=TODAY
    )
    assert register.record_types == ("persons", "list_memberships")
    assert (register.rows_total, register.rows_created) == (40, 80)
    # Every column is read by one of the two record types: none is reported as ignored.
    assert register.ignored_columns == ()


def test_a_column_no_record_type_reads_is_reported(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, EXAMPLES / "agencies.csv", today=TODAY)
    extra = tmp_path / "register.csv"
    pl.read_csv(EXAMPLES / "ngo-register.csv", infer_schema=False).with_columns(
        pl.lit("x").alias("Caseworker notes")
    ).write_csv(extra)
    result = import_file(engine, extra, mapping=EXAMPLES / "ngo-mapping.yaml", today=TODAY)
    assert result.ignored_columns == ("Caseworker notes",)
