"""`uncounted indicators`, `bottlenecks` and `metrics` against the demo database."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from uncounted.cli.main import main
from uncounted.metrics import load_catalogue
from uncounted.settings import get_settings


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("justice-cli")
    mp = pytest.MonkeyPatch()
    mp.setenv("UNCOUNTED_DATA_DIR", str(data))
    mp.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo", "--victims", "1500", "--seed", "5"]) == 0
    (data / "demo-output.txt").write_text(out.getvalue())
    yield data
    get_settings.cache_clear()
    mp.undo()


@pytest.fixture()
def env(demo_dir, monkeypatch):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(demo_dir))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield demo_dir
    get_settings.cache_clear()


def test_indicators_json_from_demo(env, capsys):
    capsys.readouterr()
    assert main(["indicators", "--demo", "--by", "jurisdiction", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["warnings"] == []
    rows = out["rows"]
    assert {r["indicator"] for r in rows} >= {"J1", "J5", "J7", "J10"}
    assert {"PH", "TH"} <= {r["jurisdiction"] for r in rows}
    j5 = [r for r in rows if r["indicator"] == "J5" and r["variant"] == "all"]
    assert all(r["lower"] <= r["value"] <= r["upper"] for r in j5 if r["denominator"])


def test_indicators_table_and_csv(env, capsys):
    assert main(["indicators", "--demo", "--period", "2024", "--basis", "cohort"]) == 0
    assert "J3" in capsys.readouterr().out
    assert main(["indicators", "--demo", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("indicator,variant,")


def test_bottlenecks(env, capsys):
    assert main(["bottlenecks", "--demo", "--jurisdiction", "PH", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["jurisdiction"] == "PH"
    assert len(out["transitions"]) == 6
    assert main(["bottlenecks", "--demo"]) == 0
    assert "attrition" in capsys.readouterr().out


def test_demo_prints_headlines(env):
    out = (env / "demo-output.txt").read_text()
    assert "J5 conviction rate" in out and "J1 victims identified" in out


def test_metrics_lists_the_catalogue(capsys):
    assert main(["metrics", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["id"] for r in rows] == [m.id for m in load_catalogue()]


def test_output_file_by_extension_with_bom(env, tmp_path, capsys):
    """--output writes CSV (with --bom for Excel), JSON or Parquet; stdout stays empty."""
    import polars as pl

    csv = tmp_path / "out" / "indicators.csv"
    assert main(["indicators", "--demo", "--output", str(csv), "--bom"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "Wrote" in captured.err
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfindicator,variant,")
    parquet = tmp_path / "bottlenecks.parquet"
    assert main(["bottlenecks", "--demo", "-o", str(parquet)]) == 0
    stacked = pl.read_parquet(parquet)
    assert stacked.columns[0] == "table"
    assert set(stacked["table"]) == {"transitions", "waiting"}
    js = tmp_path / "metrics.json"
    assert main(["metrics", "--output", str(js)]) == 0
    assert len(json.loads(js.read_text("utf-8"))["rows"]) == len(load_catalogue())
    assert main(["metrics", "--output", str(tmp_path / "metrics.xlsx")]) == 4
    assert "--output must end in" in capsys.readouterr().err


def test_bottlenecks_csv_is_one_table(env, capsys):
    import io as _io

    import polars as pl

    assert main(["bottlenecks", "--demo", "--format", "csv"]) == 0
    frame = pl.read_csv(_io.StringIO(capsys.readouterr().out))
    assert {"transitions", "waiting"} == set(frame["table"])


def test_errors_are_one_sentence(env, capsys):
    assert main(["indicators", "--demo", "--by", "colour"]) == 4
    assert main(["bottlenecks", "--demo", "--jurisdiction", "ZZ"]) == 4
    assert main(["indicators", "--demo", "--format", "xml"]) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err and "colour" in err


def test_no_demo_yet(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    assert main(["indicators", "--demo"]) == 7
    assert "uncounted demo" in capsys.readouterr().err
    get_settings.cache_clear()


def test_the_by_help_lists_the_library_disaggregations():
    from uncounted.cli.justice import DISAGGREGATIONS_HELP
    from uncounted.justice.measures import DISAGGREGATIONS

    assert ", ".join(DISAGGREGATIONS) == DISAGGREGATIONS_HELP


def test_a_store_without_events_says_why_in_the_json_contract(tmp_path, monkeypatch, capsys):
    """No justice events: the JSON is the usual ``{"rows": [...]}`` (empty), with the reason."""
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "new"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["init", "--create-keys"]) == 0
        capsys.readouterr()
        assert main(["indicators", "--format", "json"]) == 0
        payload = json.loads(capsys.readouterr().out)
        assert payload["rows"] == [] and payload["empty"]
    finally:
        get_settings.cache_clear()
