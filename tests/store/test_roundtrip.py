"""Every table survives a write and a read unchanged, on SQLite and on PostgreSQL."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from uncounted.errors import InvalidInput
from uncounted.store import frames
from uncounted.store.bulk import insert_frames
from uncounted.store.db import make_engine, upgrade
from uncounted.store.frames import justice_events_frame, list_memberships_frame, read_table
from uncounted.store.tables import Base


def _roundtrip(url: str, world) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        written = insert_frames(engine, world.frames)
        # every table is exercised but the administrators' list of deleted and merged records,
        # which a simulated world does not produce (tests/store/test_removals.py covers it)
        assert set(written) == set(Base.metadata.tables) - {"record_removals"}
        for name, frame in world.frames.items():
            back = read_table(engine, name)
            assert back.height == frame.height > 0, name
            key = frame.columns[: 2 if name in ("assessment_items", "case_jurisdictions") else 1]
            got = back.select(frame.columns).sort(key)
            want = frame.sort(key)
            assert_frame_equal(got, want, check_dtypes=False), name
            # the bulk reader gives exactly the frame of SQLAlchemy's typed rows
            assert_frame_equal(back, frames._read_table_rows(engine, Base.metadata.tables[name]))
        events = justice_events_frame(engine)
        assert {"exploitation_type", "jurisdiction"} <= set(events.columns)
        assert events.height == world.frames["justice_events"].height
        lists = list_memberships_frame(engine)
        assert set(lists["list"]) == set(world.truth.victim_ids_by_list)
    finally:
        engine.dispose()


def test_roundtrip_sqlite(tmp_path, world):
    _roundtrip(f"sqlite:///{tmp_path / 'r.sqlite'}", world)


@pytest.mark.postgres
def test_roundtrip_postgres(fresh_postgres_url, world):
    _roundtrip(fresh_postgres_url, world)


def test_read_table_in_chunks(tmp_path, world, monkeypatch):
    """Tables larger than a chunk are read in pieces and put together in order."""
    monkeypatch.setattr(frames, "READ_CHUNK_ROWS", 7)
    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    upgrade(engine)
    insert_frames(engine, world.frames)
    for name in ("justice_events", "case_persons", "cases"):
        back = read_table(engine, name)
        assert back.height == world.frames[name].height > 7
        assert_frame_equal(back, frames._read_table_rows(engine, Base.metadata.tables[name]))
    engine.dispose()


def test_read_empty_table(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'e.sqlite'}")
    upgrade(engine)
    for name in ("justice_events", "cases", "person_identities"):
        assert_frame_equal(
            read_table(engine, name), frames._read_table_rows(engine, Base.metadata.tables[name])
        )
    engine.dispose()


def test_insert_is_atomic(tmp_path, world):
    """A failing table rolls back the tables written before it in the same call."""
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    upgrade(engine)
    bad_events = world.frames["justice_events"].with_columns(case_id=pl.lit(10**9))
    frames = {**world.frames, "justice_events": bad_events}
    with pytest.raises(Exception, match="FOREIGN KEY"):
        insert_frames(engine, frames)
    assert read_table(engine, "persons").height == 0
    engine.dispose()


def test_unknown_table_or_column(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'b.sqlite'}")
    with pytest.raises(InvalidInput, match="No table called victims"):
        insert_frames(engine, {"victims": pl.DataFrame({"a": [1]})})
    with pytest.raises(InvalidInput, match="has no column"):
        insert_frames(engine, {"agencies": pl.DataFrame({"colour": ["red"]})})
    engine.dispose()
