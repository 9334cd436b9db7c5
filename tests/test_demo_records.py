"""The demo stores each agency's raw records (for ``uncounted link run --demo``) beside the
world's people, and nothing it counted before counts differently.

The expected counts of the world of seed 11 with 500 victims (the web tests' demo) were
measured on the demo before it stored the raw records."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import func, select, text

from uncounted.demo import build_demo, demo_keyring, demo_url
from uncounted.justice import JusticeData
from uncounted.justice.headlines import headline_figures
from uncounted.prevalence import CaptureHistories, LogLinearEstimator
from uncounted.settings import Settings
from uncounted.simulate import WorldConfig
from uncounted.store.access import Principal, Role
from uncounted.store.db import make_engine, session_scope
from uncounted.store.frames import justice_tables, list_memberships_frame, survivors_frame
from uncounted.store.linkage_records import linkage_records
from uncounted.store.person_search import search_persons
from uncounted.store.tables import (
    AuditEvent,
    CasePerson,
    ListMembership,
    Person,
    PersonIdentity,
    PersonIndexToken,
)
from uncounted.store.tallies import stage_tallies, stage_totals


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo-records"))
    result = build_demo(settings, WorldConfig(seed=11, n_victims=500), link=False)
    engine = make_engine(demo_url(settings), demo_keyring(settings))
    yield result, engine
    engine.dispose()


def test_dashboard_justice_survivors_and_stored_lists_count_as_before(demo):
    _, engine = demo
    with session_scope(engine) as session:
        assert stage_totals(session) == {
            "victims identified": 178,
            "arrests": 100,
            "charges": 63,
            "verdicts": 43,
            "convictions": 26,
        }
        by_sex = {row["sex"]: row["victims identified"] for row in stage_tallies(session, "sex")}
        assert by_sex == {"Female": 108, "Male": 70}
        by_year = [row["victims identified"] for row in stage_tallies(session, "year")]
        assert by_year == [32, 53, 36, 40, 17]
    figures = {
        f["metric"]: f for f in headline_figures(JusticeData.from_tables(justice_tables(engine)))
    }
    assert figures["J1"]["value"] == 178
    assert figures["J3"]["value"] == pytest.approx(50 / 109)
    assert figures["J5"]["value"] == pytest.approx(26 / 43)
    assert figures["J7"]["value"] == pytest.approx(0.7318590483507226)
    assert figures["J10"]["value"] == 413
    assert survivors_frame(engine).height == 142
    # the stored lists: the true persons' memberships only, each person once
    lists = list_memberships_frame(engine)
    assert lists.height == 239 and "linkage_only" not in lists.columns
    histories = CaptureHistories.from_records(
        lists.with_columns(pl.col("person_id").cast(pl.String)), "person_id", "list", "demo"
    )
    fit = LogLinearEstimator().fit(histories)
    assert fit.population_ == pytest.approx(365.89960192594424, rel=1e-9)


def test_the_raw_records_are_stored_as_an_agency_import_stores_them(demo):
    result, engine = demo
    world = result.world
    raw_ids = [int(x) for x in result.record_truth["unique_id"]]
    assert len(raw_ids) == world.frames["list_memberships"].height == 239
    with session_scope(engine) as session:
        raw = session.execute(
            select(Person.id, Person.source_agency_id, ListMembership.agency_id)
            .join(ListMembership, ListMembership.person_id == Person.id)
            .where(ListMembership.linkage_only)
        ).all()
        assert sorted(r[0] for r in raw) == sorted(raw_ids)
        assert all(source == agency for _, source, agency in raw)  # each on its own list
        # no case roles, no assessments: case pages and survivors never see them
        assert not session.scalar(
            select(func.count()).select_from(CasePerson).where(CasePerson.person_id.in_(raw_ids))
        )
        # identities encrypted at rest (with the demo's own key), decrypted through the store
        one = raw_ids[0]
        clear = session.get(PersonIdentity, one)
        assert clear is not None and clear.given_name
        stored = session.execute(
            text("SELECT given_name FROM person_identities WHERE person_id = :p"), {"p": one}
        ).scalar_one()
        assert clear.given_name not in str(stored)
        # the person search's blind index covers them: an admin finds the record by name
        indexed = set(
            session.scalars(
                select(PersonIndexToken.person_id).where(PersonIndexToken.person_id.in_(raw_ids))
            )
        )
        assert len(indexed) == len(raw_ids)
        admin = Principal(None, "admin", Role.ADMIN)
        name = f"{clear.given_name} {clear.family_name or ''}".strip()
        assert one in {hit.person_id for hit in search_persons(session, admin, name).hits}


def test_link_run_reads_exactly_the_raw_records_audited(demo):
    result, engine = demo
    with session_scope(engine) as session:
        records = linkage_records(session, "test")
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "read", AuditEvent.actor == "test")
        ).all()
    assert set(records["record_id"]) == set(result.record_truth["unique_id"])
    assert records.height == 239
    assert {e.record_id for e in reads} == {f"agency:{a}" for a in records["agency"].unique()}


def test_an_export_of_the_demo_imports_back_with_the_raw_records_still_apart(demo, tmp_path):
    """``uncounted export`` writes ``linkage_only``; an import keeps the raw records out of
    the stored lists and in linkage, as in the demo."""
    import datetime as dt

    from uncounted.ingest import import_file
    from uncounted.ingest.export import export_records
    from uncounted.ingest.records import LOAD_ORDER
    from uncounted.store.db import upgrade

    _, engine = demo
    files = {p.stem: p for p in export_records(engine, tmp_path / "out", "csv")}
    assert "linkage_only" in files["list_memberships"].read_text("utf-8").splitlines()[0]
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        upgrade(fresh)
        for name in LOAD_ORDER:
            result = import_file(fresh, files[name], today=dt.date(2026, 1, 1))
            assert result.rejected == [], (name, result.rejected[:3])
        assert list_memberships_frame(fresh).height == 239
        with session_scope(fresh) as session:
            assert linkage_records(session, "test").height == 239
    finally:
        fresh.dispose()
