"""The evaluation commands: survey estimate/compare, did, sustainability, drivers, zone."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from uncounted.cli.main import main
from uncounted.simulate.migrants import simulate_migrant_survey
from uncounted.simulate.panels import simulate_indicator_panel
from uncounted.simulate.venues import simulate_venue_survey

pytestmark = pytest.mark.usefixtures("cli_env")


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_survey_estimate_and_compare(tmp_path, capsys):
    base, end = tmp_path / "base.csv", tmp_path / "end.csv"
    simulate_venue_survey(0.08, seed=1).observations.write_csv(base)
    simulate_venue_survey(0.02, seed=2).observations.write_csv(end)
    assert main(["survey", "estimate", str(base), "--format", "json"]) == 0
    rows = {r["name"]: r for r in _json(capsys)["rows"]}
    assert 0.05 < rows["share_minors"]["estimate"] < 0.11
    assert main(["survey", "compare", str(base), str(end), "--format", "json"]) == 0
    change = {r["name"]: r for r in _json(capsys)["rows"]}["share_minors"]
    assert change["absolute"] < 0 and change["p_value"] < 0.01


def test_did(tmp_path, capsys):
    panel = tmp_path / "panel.csv"
    simulate_indicator_panel(effect=-2.0, seed=1).write_csv(panel)
    assert main(["did", str(panel), "--start", "5", "--format", "json"]) == 0
    result = _json(capsys)
    assert result["ci_low"] <= -2.0 <= result["ci_high"]
    assert main(["did", str(panel), "--start", "5"]) == 0
    assert "parallel trends plausible" in capsys.readouterr().out
    assert main(["did", str(panel), "--start", "5", "--output", str(tmp_path / "es.parquet")]) == 0
    assert pl.read_parquet(tmp_path / "es.parquet").height > 0


def test_sustainability(tmp_path, capsys):
    ratings = tmp_path / "ratings.csv"
    pl.DataFrame(
        {
            "institution": ["AITF", "AITF"],
            "assessed_on": [dt.date(2024, 1, 1)] * 2,
            "criterion": ["budget.line", "procedure.sop"],
            "level": [2, 1],
        }
    ).write_csv(ratings)
    assert main(["sustainability", str(ratings), "--format", "json"]) == 0
    assert _json(capsys)["overall"][0]["score"] == pytest.approx(6 / 8)


def test_bad_files_give_one_sentence(tmp_path, capsys):
    assert main(["survey", "estimate", str(tmp_path / "missing.csv")]) == 7
    assert "There is no file" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("venue,weight\nv1,1\n")
    assert main(["survey", "estimate", str(bad)]) == 4
    assert "lack column" in capsys.readouterr().err
    assert main(["zone", "assess", str(tmp_path / "nozone.yaml"), "--demo"]) == 7


def test_drivers(tmp_path, capsys):
    survey = tmp_path / "survey.csv"
    simulate_migrant_survey(3000, seed=2).write_csv(survey)
    assert main(["drivers", str(survey), "--format", "json"]) == 0
    payload = _json(capsys)  # standard output is the JSON alone
    assert payload["rows"][0]["variable"] in {"sector", "recruitment", "destination"}
    assert payload["edges"] and payload["outcome"] == "forced_labour"
    assert main(["drivers", str(survey), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("variable,")


def test_zone_assess_on_the_demo(tmp_path, capsys):
    zone = tmp_path / "zone.yaml"
    zone.write_text(
        "name: Corridor\njurisdictions: [KH, TH]\nperiod: 2024\nmetrics:\n"
        "  - {id: J3, variant: all, threshold: 0.3, scope: zone}\n"
    )
    assert main(["zone", "assess", str(zone), "--demo"]) == 7  # no demo yet
    assert "run `uncounted demo` first" in capsys.readouterr().err
    assert main(["demo", "--victims", "1500", "--seed", "4"]) == 0
    capsys.readouterr()
    assert main(["zone", "assess", str(zone), "--demo", "--format", "json"]) == 0
    result = _json(capsys)
    assert result["status"] == "certified"
    assert result["evidence"][0]["jurisdiction"] == "*"
