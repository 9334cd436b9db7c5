"""``uncounted report --link``: the agencies' own records are linked (Splink) before the
report, and its prevalence section shows the linkage's threshold sensitivity."""

from __future__ import annotations

import json

import pytest

from uncounted.cli.main import main
from uncounted.settings import get_settings
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.simulate.agency_records import agency_records
from uncounted.store.bulk import insert_frames
from uncounted.store.db import init_database
from uncounted.store.linkage_records import agency_record_frames

pytestmark = pytest.mark.slow


@pytest.fixture
def stored(tmp_path, monkeypatch):
    """A database holding only the agencies' own records of a small world (not linked)."""
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    world = simulate_world(WorldConfig(seed=7, n_victims=1500, frailty_sd=0.3))
    records = agency_records(world, seed=7).records
    engine = init_database(get_settings())
    agencies = world.frames["agencies"]
    insert_frames(engine, {"agencies": agencies, **agency_record_frames(records, agencies)})
    yield records
    engine.dispose()
    get_settings.cache_clear()


def test_report_with_linkage(stored, tmp_path):
    out, twin = tmp_path / "report.html", tmp_path / "report.json"
    assert main(["report", "--link", "--out", str(out), "--json", str(twin)]) == 0
    figures = json.loads(twin.read_text("utf-8"))
    rows = figures["prevalence"]["linkage_sensitivity"]
    assert [r["threshold"] for r in rows] == [0.5, 0.7, 0.9, 0.97, 0.99]
    assert [r["chosen"] for r in rows] == [False, False, True, False, False]
    assert all(r["individuals"] <= stored["record_id"].n_unique() for r in rows)
    html = out.read_text("utf-8")
    assert 'id="linkage-sensitivity"' in html and "taken as already linked" not in html
