"""``uncounted estimate`` with each method's table output: every method prints its table and
exits 0 (issue 17: stepwise and chapman printed the result and then exited 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uncounted.cli.main import main

pytestmark = pytest.mark.usefixtures("cli_env")

THREE = "A,B,C,count\n1,0,0,500\n0,1,0,400\n0,0,1,300\n1,1,0,100\n1,0,1,80\n0,1,1,60\n1,1,1,40\n"


@pytest.fixture
def three(tmp_path: Path) -> Path:
    path = tmp_path / "three.csv"
    path.write_text(THREE)
    return path


@pytest.mark.parametrize("method", ["stepwise", "chapman", "dga", "loglinear"])
def test_table_output_exits_zero(
    tmp_path: Path, three: Path, capsys: pytest.CaptureFixture[str], method: str
) -> None:
    path = three
    if method == "chapman":
        path = tmp_path / "two.csv"
        path.write_text("A,B,count\n1,0,50\n0,1,40\n1,1,20\n")
    assert main(["estimate", str(path), "--method", method]) == 0
    out = capsys.readouterr()
    assert f"Population estimate ({method})" in out.out
    assert "Error" not in out.err


def test_dga_json(three: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Model averaging over the 8 decomposable graphs on three lists."""
    assert main(["estimate", str(three), "--method", "dga", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "dga" and out["n_graphs"] == 8
    assert out["ci_low"] <= out["estimate"] <= out["ci_high"]
    assert out["ci_method"] == "credible"
