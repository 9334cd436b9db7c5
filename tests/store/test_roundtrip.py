"""Every table survives a write and a read unchanged, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from uncounted.errors import InvalidInput
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.store import frames
from uncounted.store.bulk import insert_frames
from uncounted.store.db import make_engine, upgrade
from uncounted.store.frames import justice_events_frame, list_memberships_frame, read_table
from uncounted.store.tables import Base


@pytest.fixture(scope="module")
def world():
    """A small world plus one row for each table the simulator does not fill."""
    w = simulate_world(WorldConfig(seed=7, n_victims=400))
    when = dt.datetime(2025, 1, 2, 3, 4, 5)
    w.frames["users"] = pl.DataFrame(
        {
            "id": [1],
            "username": ["ana"],
            "password_hash": ["$argon2id$v=19$m=65536,t=3,p=4$x$y"],
            "role": ["caseworker"],
            "agency_id": [1],
            "active": [True],
            "failed_logins": [0],
            "locked_until": [None],
            "created_at": [when],
        },
        schema_overrides={"locked_until": pl.Datetime},
    )
    w.frames["audit_events"] = pl.DataFrame(
        {
            "id": [1],
            "at": [when],
            "user_id": [1],
            "actor": ["ana"],
            "action": ["read"],
            "resource": ["persons"],
            "record_id": ["12"],
            "fields": [["given_name"]],
            "before": [{"a": "1"}],
            "after": [{"a": "2"}],
            "detail": [None],
        },
        schema_overrides={"detail": pl.String},
    )
    w.frames["case_shares"] = pl.DataFrame(
        {"case_id": [1], "agency_id": [2], "shared_on": [dt.date(2025, 1, 2)]}
    )
    w.frames["linkage_decisions"] = pl.DataFrame(
        {
            "id": [1],
            "person_id_l": [1],
            "person_id_r": [2],
            "decision": ["non-match"],
            "match_probability": [0.62],
            "decided_by": ["ana"],
            "decided_at": [when],
            "note": [None],
        },
        schema_overrides={"note": pl.String},
    )
    w.frames["import_batches"] = pl.DataFrame(
        {
            "id": [1],
            "file_name": ["lists.csv"],
            "sha256": ["0" * 64],
            "record_type": ["list_memberships"],
            "source_agency_id": [1],
            "actor": ["cli"],
            "started_at": [when],
            "finished_at": [when],
            "status": ["loaded"],
            "rows_total": [3],
            "rows_created": [3],
            "rows_updated": [0],
            "rows_unchanged": [0],
            "rows_rejected": [0],
        }
    )
    w.frames["dd_partners"] = pl.DataFrame(
        {
            "id": [1],
            "code": ["EX-001"],
            "business": ["Example Apparel (fictional)"],
            "country": ["AU"],
            "sectors": [["apparel", "retail"]],
            "tier1_suppliers": [["Mill A"]],
        }
    )
    w.frames["dd_sourcing"] = pl.DataFrame(
        {
            "id": [1, 2],
            "partner_id": [1, 1],
            "good": ["textiles", "rice"],
            "country": ["CN", None],
            "zone": [None, "Mekong fishing corridor"],
            "tier1_supplier": ["Mill A", None],
        }
    )
    w.frames["dd_statement_scores"] = pl.DataFrame(
        {
            "id": [1],
            "partner_id": [1],
            "statement": ["FY2024"],
            "framework": ["au-msa-2018-s16"],
            "criterion": ["AU-d"],
            "score": [2],
            "evidence": ["We audit every mill"],
            "location": ["p. 3 ¶1"],
            "reviewer": ["ana"],
            "second_score": [None],
            "second_reviewer": [None],
        },
        schema_overrides={"second_score": pl.Int64, "second_reviewer": pl.String},
    )
    return w


def _roundtrip(url: str, world) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        written = insert_frames(engine, world.frames)
        assert set(written) == set(Base.metadata.tables)  # every table is exercised
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
