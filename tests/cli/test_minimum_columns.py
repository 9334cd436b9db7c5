"""Every command that reads a file runs on the fewest columns it documents as required; what an
absent optional column switches off is named, never silently dropped.

(Screening is covered in tests/screening/test_optional_columns.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from uncounted.cli.main import main
from uncounted.evaluation import estimate_survey

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SURVEY_REQUIRED = ["stratum", "venue", "weight", "persons_seen", "minors_seen"]

pytestmark = pytest.mark.usefixtures("cli_env")


def _minimal(tmp_path: Path, name: str, columns: list[str]) -> Path:
    path = tmp_path / name
    pl.read_csv(EXAMPLES / name).select(columns).write_csv(path)
    return path


def test_survey_estimate_required_columns_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = estimate_survey(pl.read_csv(EXAMPLES / "survey-baseline.csv"))
    assert full.not_estimated == {}
    path = _minimal(tmp_path, "survey-baseline.csv", SURVEY_REQUIRED)
    bare = estimate_survey(pl.read_csv(path))
    assert bare.share_minors == full.share_minors
    assert bare.share_venues_with_minors == full.share_venues_with_minors
    assert bare.not_estimated == {
        "share_under16": "the visits have no under16_seen column",
        "share_visits_offered_minor": "the visits have no minor_offered column",
        "minutes_to_offer": "the visits have no minor_offered column",
    }
    assert main(["survey", "estimate", str(path)]) == 0
    captured = capsys.readouterr()
    assert "share_minors" in " ".join(captured.out.split())
    # said on stderr, like every message about the run (stdout holds only the result)
    err = " ".join(captured.err.split())
    assert "Not estimated: share_under16 (the visits have no under16_seen column)." in err


def test_survey_without_minutes(tmp_path: Path) -> None:
    path = _minimal(tmp_path, "survey-baseline.csv", [*SURVEY_REQUIRED, "minor_offered"])
    result = estimate_survey(pl.read_csv(path))
    assert result.share_visits_offered_minor is not None
    assert result.not_estimated["minutes_to_offer"] == (
        "the visits have no minutes_to_offer column"
    )


def test_survey_compare_required_columns_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _minimal(tmp_path, "survey-baseline.csv", SURVEY_REQUIRED)
    end = _minimal(tmp_path, "survey-endline.csv", SURVEY_REQUIRED)
    assert main(["survey", "compare", str(base), str(end), "--format", "json"]) == 0
    captured = capsys.readouterr()
    changes = {c["name"]: c for c in json.loads(captured.out)["rows"]}
    assert set(changes) == {"share_minors", "share_venues_with_minors"}
    assert changes["share_minors"]["absolute"] < 0  # the endline's true share is lower
    assert "Not estimated at baseline: share_under16" in captured.err


def test_did_panel_of_four_columns(capsys: pytest.CaptureFixture[str]) -> None:
    panel = EXAMPLES / "did-panel.csv"
    assert pl.read_csv(panel).columns == ["area", "period", "value", "treated"]
    assert main(["did", str(panel), "--start", "2023", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ci_low"] < -2.0 < result["ci_high"]  # the planted effect
    assert result["n_areas"] == 16 and result["parallel_trends_plausible"]


def test_sustainability_without_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    ratings = EXAMPLES / "sustainability.csv"
    assert "evidence" not in pl.read_csv(ratings).columns
    assert main(["sustainability", str(ratings), "--format", "json"]) == 0
    overall = json.loads(capsys.readouterr().out)["overall"]
    assert len(overall) == 6 and all(r["criteria_assessed"] == 10 for r in overall)


def test_drivers_with_one_explanatory_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _minimal(tmp_path, "migrant-survey.csv", ["destination", "forced_labour"])
    assert main(["drivers", str(path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["variable"] for r in rows} <= {"destination"}


def test_estimate_on_lists_and_count(capsys: pytest.CaptureFixture[str]) -> None:
    lists = EXAMPLES / "lists.csv"
    assert pl.read_csv(lists).columns == ["police", "ngo", "labour", "iom", "count"]
    assert main(["estimate", str(lists), "--criterion", "bic", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["observed"] == 789
    assert result["ci_low"] <= 1200 <= result["ci_high"]  # the simulated population


def test_import_persons_with_only_an_id(tmp_path: Path) -> None:
    persons = tmp_path / "persons.csv"
    persons.write_text("external_id\nA1\nA2\n", "utf-8")
    assert main(["init"]) == 0
    assert main(["import", str(EXAMPLES / "agencies.csv")]) == 0
    assert main(["import", str(persons), "--source", "NGO-SEA"]) == 0


def test_zone_with_required_keys_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zone = tmp_path / "zone.yaml"
    zone.write_text(
        'name: Corridor\njurisdictions: [TH]\nperiod: "2024"\nmetrics:\n'
        "  - {id: J3, threshold: 0.3}\n",
        "utf-8",
    )
    assert main(["demo", "--victims", "300"]) == 0
    capsys.readouterr()
    assert main(["zone", "assess", str(zone), "--demo", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] in ("certified", "provisional", "not certified")
    assert [m["id"] for m in result["metrics"]] == ["J3"]
