"""The estimator registry (issue #19, item 1): one list of methods, read by the CLI, the web
form, the panel, the report and the contract test; a method name means one thing everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from uncounted.cli.main import main
from uncounted.errors import InvalidInput
from uncounted.prevalence import CaptureHistories, LogLinearEstimator
from uncounted.prevalence.methods import estimate_json, make_estimator, methods
from uncounted.prevalence.panel import PANEL, estimate_panel
from uncounted.prevalence.registry import estimator_names, estimators, get_spec, register
from uncounted.web.routes.prevalence import method_choices

THREE = "A,B,C,count\n1,0,0,500\n0,1,0,400\n0,0,1,300\n1,1,0,100\n1,0,1,80\n0,1,1,60\n1,1,1,40\n"


def histories() -> CaptureHistories:
    return CaptureHistories.from_frame(
        pl.DataFrame(
            {
                "A": [1, 0, 0, 1, 1, 0, 1],
                "B": [0, 1, 0, 1, 0, 1, 1],
                "C": [0, 0, 1, 0, 1, 1, 1],
                "count": [500, 400, 300, 100, 80, 60, 40],
            }
        )
    )


def test_the_registry_holds_every_estimator_once() -> None:
    assert set(estimator_names()) == {
        "loglinear",
        "stepwise",
        "lcmcr",
        "chapman",
        "lincoln-petersen",
        "dga",
        "heterogeneity",
    }
    for name, spec in estimators().items():
        assert spec.cls.method == name and spec.label
        assert json.loads(json.dumps(spec.to_dict()))["name"] == name
    assert get_spec("chapman").n_lists == (2, 2) and get_spec("heterogeneity").n_lists == (3, None)


def test_a_name_cannot_be_taken_twice() -> None:
    class Other(LogLinearEstimator):
        pass

    with pytest.raises(TypeError, match="already registered"):
        register(Other)


def test_loglinear_is_the_independence_model_and_a_search_is_explicit(
    tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``loglinear`` means LogLinearEstimator's defaults (the independence model) in the
    library, the CLI and the web app; ``criterion=aic`` asks for the search."""
    assert make_estimator("loglinear").get_params() == LogLinearEstimator().get_params()
    path = tmp_path / "three.csv"
    path.write_text(THREE)
    expected = estimate_json(LogLinearEstimator(), histories())
    assert main(["estimate", str(path), "--method", "loglinear", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == [] and out["estimate"] == expected["estimate"]
    assert out["settings"]["criterion"] is None
    assert main(["estimate", str(path), "--criterion", "aic", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["criterion"] == "aic"


def test_options_that_do_not_apply_are_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match="--heterogeneity does not apply to --method stepwise"):
        make_estimator("stepwise", heterogeneity="chao")
    with pytest.raises(InvalidInput, match="--delta does not apply to --method chapman"):
        make_estimator("chapman", settings={"delta": 1.0})
    assert make_estimator("dga", settings={"delta": 0.5}).get_params()["delta"] == 0.5


def test_a_registered_estimator_is_in_the_cli_the_panel_and_the_web_form(
    toy_estimator: type, tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Adding an estimator is one class: registering it puts it in ``--method`` (with its
    options through ``--set``), the panel, the web form and the shared JSON (issue #19)."""
    assert "toy" in methods()
    assert ["toy", toy_estimator.label] in method_choices()
    assert "toy" in PANEL
    row = estimate_panel(histories(), ["toy"], emit=False).rows[0]
    assert row.label == toy_estimator.label and row.estimate == 2 * histories().n_observed
    assert "multiple of those seen" in row.assumes
    path = tmp_path / "three.csv"
    path.write_text(THREE)
    args = ["estimate", str(path), "--method", "toy", "--set", "factor=3", "--format", "json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "toy" and out["estimate"] == 3 * histories().n_observed
    assert out["settings"] == {"factor": 3, "ci_level": 0.95}
    assert main(["estimate", str(path), "--method", "toy"]) == 0
    assert "Population estimate (toy)" in capsys.readouterr().out
