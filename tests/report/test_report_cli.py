"""``uncounted report``: HTML, PDF and JSON from a database, filters, and bad input."""

from __future__ import annotations

import json

import pytest

from uncounted.cli.main import main
from uncounted.demo import demo_path
from uncounted.settings import Settings, get_settings
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.store.bulk import insert_frames
from uncounted.store.db import make_engine, upgrade


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A demo database holding a small synthetic world (tables only)."""
    folder = tmp_path_factory.mktemp("report-cli")
    engine = make_engine(f"sqlite:///{demo_path(Settings(data_dir=folder)).resolve()}")
    try:
        upgrade(engine)
        insert_frames(engine, simulate_world(WorldConfig(seed=5, n_victims=500)).frames)
    finally:
        engine.dispose()
    return folder


@pytest.fixture(autouse=True)
def _settings(data_dir, monkeypatch):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(data_dir))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_html_and_json_from_the_demo_database(tmp_path, capsys):
    out, twin = tmp_path / "report.html", tmp_path / "report.json"
    assert main(["report", "--demo", "--out", str(out), "--json", str(twin)]) == 0
    assert "written to" in capsys.readouterr().out
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    figures = json.loads(twin.read_text("utf-8"))
    assert figures["jurisdiction"] is None and figures["period"] == "all"
    victims = next(k for k in figures["key_figures"] if k["source"] == "J1")
    assert f">{victims['value']:,.0f}<" in html
    # read from the store, the survivors are grouped by jurisdiction too
    assert figures["survivors"]["survivors"] > 10


def test_jurisdiction_and_period_filter_every_section(tmp_path):
    twin = tmp_path / "th.json"
    args = ["report", "--demo", "--jurisdiction", "TH", "--period", "2022:2024"]
    assert main([*args, "--out", str(tmp_path / "th.html"), "--json", str(twin)]) == 0
    figures = json.loads(twin.read_text("utf-8"))
    assert figures["jurisdiction"] == "TH" and figures["period"] == "2022:2024"
    assert "PNP" not in figures["prevalence"]["lists"]  # the Philippine police's list
    years = {s["stratum"] for s in figures["prevalence"]["strata"]} - {"all", "Female", "Male"}
    assert years <= {"year 2022", "year 2023", "year 2024"}


def test_bad_output_suffix_and_unknown_jurisdiction(tmp_path, capsys):
    assert main(["report", "--demo", "--out", str(tmp_path / "report.docx")]) != 0
    assert "must end in .html or .pdf" in capsys.readouterr().err
    code = main(["report", "--demo", "--jurisdiction", "ZZ", "--out", str(tmp_path / "r.html")])
    assert code != 0
    assert "ZZ" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
