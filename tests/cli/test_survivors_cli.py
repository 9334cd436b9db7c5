"""``uncounted survivors due`` and ``summary`` on the demo database and on bad input."""

from __future__ import annotations

import pytest

from uncounted.cli.main import main
from uncounted.demo import demo_path
from uncounted.settings import Settings, get_settings
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.store.bulk import insert_frames
from uncounted.store.db import make_engine, upgrade


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A demo database holding a small synthetic world (tables only: no users, no headlines)."""
    folder = tmp_path_factory.mktemp("survivors-cli")
    engine = make_engine(f"sqlite:///{demo_path(Settings(data_dir=folder)).resolve()}")
    try:
        upgrade(engine)
        insert_frames(engine, simulate_world(WorldConfig(seed=3, n_victims=600)).frames)
    finally:
        engine.dispose()
    return folder


@pytest.fixture(autouse=True)
def _settings(data_dir, monkeypatch):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(data_dir))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_due_on_the_demo(capsys):
    assert main(["survivors", "due", "--demo", "--as-of", "2025-06-30", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "Assessments with uncounted-restoration-v1 on 2025-06-30:" in out
    assert "overdue" in out and "most overdue first" in out


def test_summary_by_sex_on_the_demo(capsys):
    assert main(["survivors", "summary", "--demo", "--by", "sex", "--bootstrap", "50"]) == 0
    out = capsys.readouterr().out
    assert "Change from intake to latest assessment" in out
    assert "Female" in out and "Male" in out and "overall" in out
    assert "threshold 3.0 (an assumption" in out


def test_case_plan_of_a_survivor(data_dir, capsys):
    import sqlite3

    db = sqlite3.connect(data_dir / "demo.sqlite")
    (person,) = db.execute("select person_id from assessments order by id limit 1").fetchone()
    db.close()
    assert main(["survivors", "plan", str(person), "--demo"]) == 0
    out = capsys.readouterr().out
    assert f"Survivor {person}: assessment of" in out and "Mental wellbeing" in out
    assert "at threshold 3.0 (an assumption)" in out
    assert main(["survivors", "plan", "999999", "--demo"]) == 7
    assert "has no assessment" in capsys.readouterr().err


def test_bad_input_is_one_sentence(capsys, tmp_path):
    assert main(["survivors", "summary", "--demo", "--by", "shoe_size"]) == 4
    assert "not a grouping" in capsys.readouterr().err
    assert main(["survivors", "due", "--demo", "--as-of", "yesterday"]) == 4
    assert "is not a date" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n", "utf-8")
    assert main(["survivors", "due", "--demo", "--instrument", str(bad)]) == 4
    err = capsys.readouterr().err
    assert "not a valid instrument" in err and "Traceback" not in err


def test_no_demo_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    assert main(["survivors", "due", "--demo"]) == 7
    assert "run `uncounted demo` first" in capsys.readouterr().err


def test_configured_database_without_assessments(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "fresh"))
    get_settings.cache_clear()
    assert main(["init"]) == 0
    assert main(["survivors", "due"]) == 0
    assert "none due" in capsys.readouterr().out


def test_every_survivors_command_has_csv_and_json(data_dir, tmp_path, capsys):
    import io
    import json
    import sqlite3

    import polars as pl

    due = ["survivors", "due", "--demo", "--as-of", "2025-06-30", "--limit", "0"]
    assert main([*due, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["as_of"] == "2025-06-30" and payload["warnings"] == []
    assert sum(payload["counts"].values()) == len(payload["rows"]) > 0
    assert main([*due, "--format", "csv"]) == 0
    assert pl.read_csv(io.StringIO(capsys.readouterr().out)).height == len(payload["rows"])

    summary = ["survivors", "summary", "--demo", "--bootstrap", "20"]
    assert main([*summary, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["change"] and payload["restoration"] and payload["threshold"] == 3.0
    assert main([*summary, "--output", str(tmp_path / "summary.csv")]) == 0
    stacked = pl.read_csv(tmp_path / "summary.csv")
    assert set(stacked["table"]) == {"change", "restoration"}

    db = sqlite3.connect(data_dir / "demo.sqlite")
    (person,) = db.execute("select person_id from assessments order by id limit 1").fetchone()
    db.close()
    assert main(["survivors", "plan", str(person), "--demo", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["person_id"] == person and len(plan["rows"]) >= 5
    assert main(["survivors", "plan", str(person), "--demo", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("domain,score,status,suggested services")
