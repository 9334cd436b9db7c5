"""The shared output contract of uncounted.cli._common: formats, files, BOM, warnings."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import polars as pl
import pytest

from uncounted.cli._common import Output, collect_warnings, write_table
from uncounted.errors import InvalidInput, SparseDataWarning

FRAME = pl.DataFrame({"name": ["Zoë", "Ana"], "value": [1.5, 2.0], "tags": [["a"], []]})


def test_formats_and_warnings_in_the_json(capsys):
    with collect_warnings():
        warnings.warn("a sparse stratum", SparseDataWarning, stacklevel=1)
        warnings.warn("a sparse stratum", SparseDataWarning, stacklevel=1)  # said once
        Output("json").emit(FRAME, warnings=["from the estimator"])
        Output("csv").emit({"first": FRAME, "second": FRAME.head(1)})
    out, err = capsys.readouterr()
    payload, csv = out.split("\n}\n", 1)
    body = json.loads(payload + "}")
    assert body["rows"][0]["name"] == "Zoë"
    assert body["warnings"] == ["a sparse stratum", "from the estimator"]
    assert csv.splitlines()[0] == "table,name,value,tags"
    assert csv.splitlines()[-1] == "second,Zoë,1.5,a"
    assert err.count("Warning: a sparse stratum") == 1
    assert "SparseDataWarning" not in err and "stacklevel" not in err


def test_files_by_extension_and_bom(tmp_path: Path, capsys):
    Output("table", tmp_path / "a.csv", bom=True).emit(FRAME)
    assert (tmp_path / "a.csv").read_bytes().startswith("\ufeffname,value,tags".encode())
    Output("table", tmp_path / "b.parquet").emit(FRAME)
    assert pl.read_parquet(tmp_path / "b.parquet")["name"].to_list() == ["Zoë", "Ana"]
    Output("table", tmp_path / "c.json").emit(FRAME, {"answer": 42})
    assert json.loads((tmp_path / "c.json").read_text("utf-8"))["answer"] == 42
    assert capsys.readouterr().out == ""  # the notes went to stderr
    write_table(FRAME, tmp_path / "d.json")
    assert json.loads((tmp_path / "d.json").read_text("utf-8"))[1]["name"] == "Ana"


def test_bad_options_fail_before_any_work():
    with pytest.raises(InvalidInput, match="--format must be one of"):
        Output("xml")
    with pytest.raises(InvalidInput, match="--output must end in"):
        Output("table", Path("out.xlsx"))


def test_stdout_holds_only_the_result(tmp_path: Path):
    """In a real process: JSON on stdout parses although progress and warnings were shown."""
    table = tmp_path / "h.csv"
    table.write_text("A,B,count\n1,0,30\n0,1,40\n1,1,10\n")
    done = subprocess.run(
        [sys.executable, "-m", "uncounted.cli.main", "estimate", str(table), "--method",
         "chapman", "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout)["method"] == "chapman"
    assert "Traceback" not in done.stderr


def test_a_bar_that_would_draw_nothing_is_quiet(monkeypatch):
    """On a standard error that is not a terminal (as rich judges it) a transient bar is a
    no-op stand-in (rich would draw and erase nothing); a terminal, a forced one, or a lasting
    bar get rich's."""
    from rich.progress import Progress

    from uncounted.cli import _common
    from uncounted.cli._common import QuietProgress, progress_bar

    def fresh(**env: str) -> None:  # a new stderr console, reading the environment anew
        for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(_common._consoles, "_err", None)

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    fresh()
    with progress_bar(total=False) as bar:
        assert isinstance(bar, QuietProgress)
        task = bar.add_task("Fitting", total=None)
        bar.update(task, description="Still fitting", advance=1)
    assert isinstance(progress_bar(transient=False), Progress)  # prints its last state
    assert isinstance(progress_bar(disable=True), QuietProgress)
    fresh(TTY_COMPATIBLE="1")
    assert isinstance(progress_bar(), Progress)
    fresh()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert isinstance(progress_bar(), Progress)
