"""Bulk writes of whole tables from Polars frames, in one transaction.

Used by the demo (to store a synthetic world) and by the importer once rows are validated.
Frames are named after tables; columns must be the table's columns (extra columns are an
error, so nothing is silently dropped). Tables are written in foreign-key order; people's
names and identity numbers are added to the person search's blind index in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl
from sqlalchemy import Connection, Engine, Integer, Table, insert, text

from uncounted.errors import InvalidInput
from uncounted.store import person_index
from uncounted.store.tables import TABLE_ORDER, Base

#: Rows per executemany batch: large enough to be fast, small enough to bound memory.
BATCH = 5_000


def insert_frames(
    engine: Engine,
    frames: Mapping[str, pl.DataFrame],
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Insert every frame into its table in one transaction; return rows written per table.

    Either everything is written or, on any error, nothing is.
    """
    tables = Base.metadata.tables
    unknown = sorted(set(frames) - set(tables))
    if unknown:
        raise InvalidInput(f"No table called {', '.join(unknown)}; known: {', '.join(tables)}.")
    for name, frame in frames.items():
        extra = sorted(set(frame.columns) - set(tables[name].columns.keys()))
        if extra:
            raise InvalidInput(f"Table {name} has no column(s) {', '.join(extra)}.")
    written: dict[str, int] = {}
    with engine.begin() as conn:
        for name in TABLE_ORDER:
            if name not in frames:
                continue
            frame = frames[name]
            for start in range(0, frame.height, BATCH):
                chunk = frame.slice(start, BATCH).to_dicts()
                conn.execute(insert(tables[name]), chunk)
                if progress is not None:
                    progress(name, len(chunk))
            written[name] = frame.height
        if "person_identities" in frames and "person_index" not in frames:
            # the person search's blind index, in the same transaction
            tokens = person_index.index_frame(conn, frames["person_identities"])
            written["person_index"] = tokens
            if progress is not None:
                progress("person_index", tokens)
        if conn.dialect.name == "postgresql":
            loaded = [n for n in written if n in frames and "id" in frames[n].columns]
            _advance_sequences(conn, [tables[n] for n in loaded])
    return written


def _advance_sequences(conn: Connection, loaded: list[Table]) -> None:
    """Move each serial ``id`` sequence past the ids just written (PostgreSQL), so that rows
    added later without an id (forms, imports) do not collide with them."""
    for table in loaded:
        column = table.c.get("id")
        if column is None or not isinstance(column.type, Integer) or not column.primary_key:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
            )
        )


__all__ = ["BATCH", "insert_frames"]
