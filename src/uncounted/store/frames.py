"""Stored records as Polars frames: the only road from the database to the statistics.

The analysis packages (``justice``, ``prevalence``, ``survivors``, …) take frames and never
touch the database; these functions build those frames with plain SELECTs (no identifying
fields unless asked for through :func:`read_table` on ``person_identities``).
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import JSON, Boolean, Date, DateTime, Engine, Integer, Table, select

from uncounted.errors import InvalidInput
from uncounted.store.tables import Base


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
        elif isinstance(kind, DateTime):
            schema[column.name] = pl.Datetime()
        elif isinstance(kind, Date):
            schema[column.name] = pl.Date()
        else:
            schema[column.name] = pl.String()
    return schema


def read_table(engine: Engine, name: str) -> pl.DataFrame:
    """The whole table ``name`` as a frame, with the table's column types."""
    table = Base.metadata.tables.get(name)
    if table is None:
        raise InvalidInput(f"No table called {name!r}.")
    with engine.connect() as conn:
        rows = conn.execute(select(table)).fetchall()
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
    """List memberships with the list's (agency's) code and the person's sex and age."""
    members = read_table(engine, "list_memberships")
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


__all__ = ["justice_events_frame", "list_memberships_frame", "polars_schema", "read_table"]
