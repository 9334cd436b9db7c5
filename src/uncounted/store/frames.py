"""Stored records as Polars frames: the only road from the database to the statistics.

The analysis packages (``justice``, ``prevalence``, ``survivors``, …) take frames and never
touch the database; these functions build those frames with plain SELECTs (no identifying
fields unless asked for through :func:`read_table` on ``person_identities``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import JSON, Boolean, Date, DateTime, Engine, Float, Integer, Table, select

from uncounted.errors import InvalidInput
from uncounted.store.crypto import EncryptedText
from uncounted.store.tables import Base
from uncounted.store.tombstones import live


def polars_schema(table: Table) -> dict[str, pl.DataType | None]:
    """The Polars type of each column (``None`` for JSON: inferred from the values)."""
    schema: dict[str, pl.DataType | None] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, JSON):
            schema[column.name] = None
        elif isinstance(kind, Boolean):
            schema[column.name] = pl.Boolean()
        elif isinstance(kind, Integer):
            schema[column.name] = pl.Int64()
        elif isinstance(kind, Float):
            schema[column.name] = pl.Float64()
        elif isinstance(kind, DateTime):
            schema[column.name] = pl.Datetime()
        elif isinstance(kind, Date):
            schema[column.name] = pl.Date()
        else:
            schema[column.name] = pl.String()
    return schema


_LITERAL = {"literal_binds": True}  # the tombstone filter's table names, inlined

#: Rows fetched and turned into a frame at a time by :func:`read_table` (bounds the memory
#: held in Python tuples to one chunk).
READ_CHUNK_ROWS = 200_000


def read_table(engine: Engine, name: str) -> pl.DataFrame:
    """The whole table ``name`` as a frame, with the table's column types, without deleted or
    merged records nor the rows pointing at them (``store/tombstones.py``): every indicator
    and estimate is computed as if they had never been recorded.

    Rows are read with the driver's own cursor, in chunks, and typed by Polars in bulk
    (dates parsed column-wise, not value by value through SQLAlchemy's row processing);
    tables with encrypted columns go through SQLAlchemy, which decrypts them.
    """
    table = Base.metadata.tables.get(name)
    if table is None:
        raise InvalidInput(f"No table called {name!r}.")
    if any(isinstance(c.type, EncryptedText) for c in table.columns):
        return _read_table_rows(engine, table)
    schema = polars_schema(table)
    json_as_text = engine.dialect.name == "sqlite"  # psycopg decodes JSON itself
    sql = str(
        select(table).where(live(table)).compile(dialect=engine.dialect, compile_kwargs=_LITERAL)
    )
    chunks: list[pl.DataFrame] = []
    with engine.connect() as conn:
        cursor = conn.exec_driver_sql(sql).cursor
        assert cursor is not None
        while rows := cursor.fetchmany(READ_CHUNK_ROWS):
            chunks.append(_typed_chunk(rows, schema, json_as_text))
    if not chunks:
        return pl.DataFrame(schema={c: t or pl.Null() for c, t in schema.items()})
    return pl.concat(chunks, how="vertical_relaxed") if len(chunks) > 1 else chunks[0]


def _typed_chunk(
    rows: Sequence[Any], schema: dict[str, pl.DataType | None], json_as_text: bool
) -> pl.DataFrame:
    # SQLite hands back dates and times as ISO text, booleans as 0/1 and JSON as text;
    # PostgreSQL's driver returns Python dates, booleans and decoded JSON already.
    columns = list(zip(*rows, strict=True))
    series = []
    for (col, dtype), values in zip(schema.items(), columns, strict=True):
        if dtype is None:  # JSON
            if json_as_text:
                values = tuple(None if v is None else json.loads(v) for v in values)
            series.append(pl.Series(col, list(values), strict=False))
            continue
        first = next((v for v in values if v is not None), None)
        if isinstance(dtype, pl.Date) and isinstance(first, str):
            series.append(pl.Series(col, values, dtype=pl.String()).str.to_date("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime) and isinstance(first, str):
            text = pl.Series(col, values, dtype=pl.String())
            series.append(text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us"))
        elif isinstance(dtype, pl.Boolean) and type(first) is int:
            series.append(pl.Series(col, values, dtype=pl.Int8(), strict=False).cast(dtype))
        else:
            series.append(pl.Series(col, values, dtype=dtype, strict=False))
    return pl.DataFrame(series)


def _read_table_rows(engine: Engine, table: Table) -> pl.DataFrame:
    """``table`` through SQLAlchemy's typed rows (decrypting encrypted columns)."""
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(live(table))).fetchall()
    schema = polars_schema(table)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pl.DataFrame(
        [
            pl.Series(col, list(values), dtype=dtype, strict=False)
            for (col, dtype), values in zip(schema.items(), columns, strict=True)
        ]
    )


def justice_events_frame(engine: Engine) -> pl.DataFrame:
    """Justice events joined to their case's exploitation type and jurisdiction's country."""
    events = read_table(engine, "justice_events")
    cases = read_table(engine, "cases").select(
        pl.col("id").alias("case_id"), "exploitation_type", "status", "opened_on"
    )
    places = read_table(engine, "jurisdictions").select(
        pl.col("id").alias("jurisdiction_id"), pl.col("country").alias("jurisdiction")
    )
    if events.is_empty():
        return events
    return events.join(cases, on="case_id", how="left").join(
        places, on="jurisdiction_id", how="left"
    )


def list_memberships_frame(engine: Engine) -> pl.DataFrame:
    """List memberships with the list's (agency's) code and the person's sex and age.

    Agencies' raw records kept for linkage only (``linkage_only``: the person is counted
    through a linked record already) are left out, so each person counts once."""
    members = read_table(engine, "list_memberships")
    members = members.filter(pl.col("linkage_only").not_()).drop("linkage_only")
    agencies = read_table(engine, "agencies").select(
        pl.col("id").alias("agency_id"), pl.col("code").alias("list")
    )
    persons = read_table(engine, "persons").select(
        pl.col("id").alias("person_id"), "sex", "age_at_identification", "citizenship"
    )
    if members.is_empty():
        return members
    return members.join(agencies, on="agency_id", how="left").join(
        persons, on="person_id", how="left"
    )


#: The tables the justice indicators read (``uncounted.justice.JusticeData.from_tables``).
JUSTICE_TABLES: tuple[str, ...] = (
    "justice_events",
    "case_persons",
    "persons",
    "cases",
    "case_links",
    "aftercare_steps",
    "jurisdictions",
)


def justice_tables(engine: Engine) -> dict[str, pl.DataFrame]:
    """The tables behind the justice indicators, by name (no identifying fields)."""
    return {name: read_table(engine, name) for name in JUSTICE_TABLES}


def assessment_frames(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Survivor assessments and their item scores (input of ``uncounted.survivors``)."""
    return read_table(engine, "assessments"), read_table(engine, "assessment_items")


def survivors_frame(engine: Engine) -> pl.DataFrame:
    """One row per assessed survivor with the groupings of the survivor summaries.

    ``programme`` is the code of the agency that made the intake assessment;
    ``jurisdiction`` (country), ``exploitation_type`` and ``minor`` come from the survivor's
    first case as a victim; ``sex`` from the person.
    """
    assessments = read_table(engine, "assessments")
    intake = assessments.sort("assessed_on", "id").unique("person_id", keep="first")
    agencies = read_table(engine, "agencies").select(
        pl.col("id").alias("agency_id"), pl.col("code").alias("programme")
    )
    persons = read_table(engine, "persons").select(pl.col("id").alias("person_id"), "sex")
    cases = read_table(engine, "cases").select(
        pl.col("id").alias("case_id"),
        pl.col("exploitation_type").alias("case_type"),
        "jurisdiction_id",
    )
    places = read_table(engine, "jurisdictions").select(
        pl.col("id").alias("jurisdiction_id"), pl.col("country").alias("jurisdiction")
    )
    victims = (
        read_table(engine, "case_persons")
        .filter(pl.col("role") == "victim")
        .sort("case_id")
        .unique("person_id", keep="first")
        .join(cases, on="case_id", how="left")
        .join(places, on="jurisdiction_id", how="left")
        .select(
            "person_id",
            "jurisdiction",
            pl.coalesce("exploitation_type", "case_type").alias("exploitation_type"),
            pl.when(pl.col("minor_at_exploitation"))
            .then(pl.lit("minor"))
            .when(pl.col("minor_at_exploitation").not_())
            .then(pl.lit("adult"))
            .alias("minor"),
        )
    )
    return (
        intake.select("person_id", "agency_id")
        .join(agencies, on="agency_id", how="left")
        .join(persons, on="person_id", how="left")
        .join(victims, on="person_id", how="left")
        .select("person_id", "programme", "jurisdiction", "sex", "minor", "exploitation_type")
        .sort("person_id")
    )


__all__ = [
    "JUSTICE_TABLES",
    "assessment_frames",
    "justice_events_frame",
    "justice_tables",
    "list_memberships_frame",
    "polars_schema",
    "read_table",
    "survivors_frame",
]
