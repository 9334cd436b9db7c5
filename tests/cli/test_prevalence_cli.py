"""``uncounted estimate``: the JSON object the issue specifies, on a reference dataset, and
clear errors for bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from uncounted.cli.main import main

MSE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mse"


pytestmark = pytest.mark.usefixtures("cli_env")


@pytest.fixture
def ukdat5(tmp_path):
    if not (MSE / "UKdat_5.csv").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{MSE} is absent in CI")
        pytest.skip("../shared/data/mse is not beside this checkout")
    return MSE / "UKdat_5.csv"


def test_json_object(ukdat5, capsys):
    """UKdat_5, Rcapture closedpMS.t best BIC: LA:NG + LA:PFNCA + NG:PFNCA + NG:GP + PFNCA:GO,
    N = 22,991.3 (../shared/data/README.md); within 0.5 %."""
    assert main(["estimate", str(ukdat5), "--criterion", "bic", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("method", "lists", "observed", "estimate", "dark_figure", "ci_low", "ci_high"):
        assert key in out
    assert out["method"] == "loglinear" and out["observed"] == 2744
    assert out["estimate"] == pytest.approx(22991.3, rel=0.005)
    assert out["dark_figure"] == pytest.approx(out["estimate"] - 2744)
    assert sorted(out["model"]) == sorted(["LA:NG", "LA:PFNCA", "NG:PFNCA", "NG:GP", "PFNCA:GO"])
    assert isinstance(out["warnings"], list)


def test_fixed_interactions_and_table(ukdat5, capsys):
    assert main(["estimate", str(ukdat5), "--interactions", "LA:NG,LA:PFNCA"]) == 0
    assert "LA:NG + LA:PFNCA" in capsys.readouterr().out


def test_stepwise_and_strata_from_the_demo(capsys):
    assert main(["demo", "--victims", "2500", "--seed", "6"]) == 0
    capsys.readouterr()
    assert (
        main(["estimate", "--from-db", "--demo", "--method", "stepwise", "--format", "json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["ci_low"] <= out["estimate"] <= out["ci_high"]
    assert main(["estimate", "--from-db", "--demo", "--strata", "sex", "--format", "json"]) == 0
    strata = json.loads(capsys.readouterr().out)
    assert {r["sex"] for r in strata["strata"]} == {"Female", "Male"}


@pytest.mark.parametrize(
    ("content", "args", "code", "message"),
    [
        ("A,B,count\n1,0,-3\n0,1,4\n1,1,2\n", [], 4, "negative count (-3 on row 1)"),
        ("A,count\n1,5\n", [], 4, "at least 2 lists"),
        ("A,B,count\n1,0,3\n0,1,4\n1,1,2\n", ["--method", "magic"], 4, "Unknown method"),
        ("A,B,count\n1,0,3\n0,1,4\n1,1,2\n", ["--strata", "sex"], 4, "individual records"),
    ],
)
def test_bad_input(tmp_path, capsys, content, args, code, message):
    path = tmp_path / "h.csv"
    path.write_text(content)
    assert main(["estimate", str(path), *args]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_file_or_db(capsys):
    assert main(["estimate"]) == 4
    assert "either a FILE or --from-db" in capsys.readouterr().err


def test_table_output_of_a_method_without_a_model_ranking(capsys):
    """The table of a stepwise estimate printed, then failed on the absent model ranking
    (`ranking_` raised NotFitted instead of being skipped)."""
    lists = Path(__file__).resolve().parents[2] / "examples" / "lists.csv"
    assert main(["estimate", str(lists), "--method", "stepwise"]) == 0
    out = capsys.readouterr().out
    assert "stepwise" in out and "Best models" not in out
    assert main(["estimate", str(lists), "--criterion", "bic"]) == 0
    assert "Best models of the search" in capsys.readouterr().out


@pytest.fixture
def ukdat4():
    if not (MSE / "UKdat_4.csv").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{MSE} is absent in CI")
        pytest.skip("../shared/data/mse is not beside this checkout")
    return MSE / "UKdat_4.csv"


def test_panel_is_the_default(ukdat4, capsys):
    """Without --method the panel comes first: observed (2,428), Chao's lower bound (Rcapture
    Mth Chao on UKdat_4: 10,813.4, shown to 3 significant figures), each method with what it
    assumes, the spread and the diagnostics (issue #17 item 3)."""
    assert main(["estimate", str(ukdat4), "--seed", "1", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "panel" and out["observed"] == 2428
    assert out["lower_bound"]["estimate"] == 10800.0
    keys = [m["key"] for m in out["methods"]]
    assert keys[0] == "independence" and out["recommended"] in keys
    assert all(m["assumes"] for m in out["methods"])
    assert out["spread"][0] <= out["spread"][1]
    assert "heterogeneity_likely" in out["diagnostics"]
    assert main(["estimate", str(ukdat4), "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "Observed on at least one list (a hard floor): 2,428" in text
    assert "Chao's lower bound" in text and "Treat this range as the uncertainty" in text


def test_single_heterogeneity_method_states_assumptions(ukdat4, capsys):
    """Rcapture closedpCI.t(m = "Mth", h = "Darroch") on UKdat_4: N = 14,921.97."""
    args = ["estimate", str(ukdat4), "--method", "heterogeneity", "--heterogeneity", "darroch"]
    assert main([*args, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["estimate"] == pytest.approx(14921.97, rel=1e-5)
    assert out["assumptions"]["closed_population"] and out["assumptions"]["heterogeneity"]
    assert "messages" in out["diagnostics"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Assumes (perfect linkage)" in text
