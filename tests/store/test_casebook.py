"""The case list: filters and scope give exactly the matching cases, newest first, capped count."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import delete

from uncounted.simulate import WorldConfig, simulate_world
from uncounted.store import casebook
from uncounted.store.access import Principal, Role
from uncounted.store.bulk import insert_frames
from uncounted.store.casebook import CaseFilters, list_cases
from uncounted.store.db import init_database, session_scope
from uncounted.store.tables import CaseShare

ANALYST = Principal(1, "an", Role.ANALYST)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from uncounted.settings import Settings

    world = simulate_world(WorldConfig(seed=3, n_victims=600))
    engine = init_database(Settings(data_dir=tmp_path_factory.mktemp("casebook")))
    insert_frames(engine, world.frames)
    yield engine, world
    engine.dispose()


def _all(engine, who, filters: CaseFilters) -> list[int]:
    ids: list[int] = []
    page = 1
    with session_scope(engine) as s:
        while True:
            got = list_cases(s, who, CaseFilters(**{**vars(filters), "page": page, "per_page": 50}))
            ids += [r.id for r in got.rows]
            if page >= got.pages:
                return ids
            page += 1


@pytest.mark.parametrize(
    "filters",
    [
        CaseFilters(),
        CaseFilters(status="Closed"),
        CaseFilters(exploitation_type="ForcedLabour"),
        CaseFilters(jurisdiction="TH"),
        CaseFilters(stage="charge", status="Closed"),
        CaseFilters(q="2023"),
    ],
    ids=lambda f: ",".join(f"{k}={v}" for k, v in vars(f).items() if v and k != "per_page"),
)
def test_filters_match_the_frames(store, filters):
    engine, world = store
    cases = world.frames["cases"].join(
        world.frames["jurisdictions"].select(pl.col("id").alias("jurisdiction_id"), "country"),
        on="jurisdiction_id",
    )
    want = cases
    if filters.status:
        want = want.filter(pl.col("status") == filters.status)
    if filters.exploitation_type:
        want = want.filter(pl.col("exploitation_type") == filters.exploitation_type)
    if filters.jurisdiction:
        want = want.filter(pl.col("country") == filters.jurisdiction)
    if filters.q:
        want = want.filter(pl.col("reference").str.contains(filters.q))
    if filters.stage:
        staged = world.frames["justice_events"].filter(pl.col("stage") == filters.stage)
        want = want.filter(pl.col("id").is_in(staged["case_id"].implode()))
    want = want.sort(["opened_on", "id"], descending=True)
    assert _all(engine, ANALYST, filters) == want["id"].to_list()


@pytest.mark.parametrize("filters", [CaseFilters(), CaseFilters(status="Closed", stage="charge")])
def test_caseworker_list_is_their_scope_newest_first(store, filters):
    """Own and shared cases, merged newest first from their separate indexes. Cases of people
    referred to the agency are not in its list (a referral opens only the person's record)."""
    engine, world = store
    who = Principal(2, "cw", Role.CASEWORKER, 1)
    cases = world.frames["cases"]
    referred = world.frames["referrals"].filter(pl.col("to_agency_id") == 1)["case_id"]
    assert referred.drop_nulls().len() > 0  # the world has referrals into agency 1
    shared = cases.filter(pl.col("owning_agency_id") != 1).sort("id").head(3)["id"].to_list()
    with session_scope(engine) as s:
        s.add_all(CaseShare(case_id=i, agency_id=1, shared_on=dt.date(2024, 1, 1)) for i in shared)
    try:
        want = cases.filter((pl.col("owning_agency_id") == 1) | pl.col("id").is_in(shared))
        if filters.status:
            want = want.filter(pl.col("status") == filters.status)
        if filters.stage:
            staged = world.frames["justice_events"].filter(pl.col("stage") == filters.stage)
            want = want.filter(pl.col("id").is_in(staged["case_id"].implode()))
        want = want.sort(["opened_on", "id"], descending=True)
        assert want.height > 0
        assert _all(engine, who, filters) == want["id"].to_list()
    finally:
        with session_scope(engine) as s:
            s.execute(delete(CaseShare))


def test_count_stops_at_the_cap(store, monkeypatch):
    engine, world = store
    monkeypatch.setattr(casebook, "COUNT_CAP", 10)
    with session_scope(engine) as s:
        page = list_cases(s, ANALYST, CaseFilters(per_page=5))
    assert (page.total, page.more, page.pages) == (10, True, 2)
    assert world.frames["cases"].height > 10


def test_pages_beyond_the_cap_still_follow_on(store, monkeypatch):
    engine, world = store
    monkeypatch.setattr(casebook, "COUNT_CAP", 10)
    newest = world.frames["cases"].sort(["opened_on", "id"], descending=True)["id"].to_list()
    with session_scope(engine) as s:
        page = list_cases(s, ANALYST, CaseFilters(per_page=5, page=4))
    assert [r.id for r in page.rows] == newest[15:20]
    assert (page.total, page.more) == (10, True)


def test_page_past_the_end_is_empty_with_the_total(store):
    engine, world = store
    with session_scope(engine) as s:
        page = list_cases(s, ANALYST, CaseFilters(status="Closed", per_page=50, page=10_000))
    closed = world.frames["cases"].filter(pl.col("status") == "Closed").height
    assert page.rows == []
    assert (page.total, page.more) == (min(closed, casebook.COUNT_CAP), closed > casebook.COUNT_CAP)
