"""``uncounted import`` and ``uncounted export``: thin commands over the library."""

from __future__ import annotations

import json

import pytest

from uncounted.cli.main import main
from uncounted.settings import get_settings

from .conftest import AGENCIES, CASES


@pytest.fixture(autouse=True)
def _store(tmp_path, monkeypatch):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    assert main(["init"]) == 0
    yield
    get_settings.cache_clear()


def test_import_reports_rejected_rows_and_exits_non_zero(write, capsys):
    assert main(["import", str(write("agencies.csv", AGENCIES))]) == 0
    bad = write("c.csv", CASES.replace("C2,Closed", "C2,Clsed"))
    report = bad.parent / "report.json"
    code = main(["import", str(bad), "--type", "cases", "--source", "PNP", "--report", str(report)])
    out = capsys.readouterr()
    assert code == 4
    # the rejected rows are part of the error: on stderr, with the one-sentence error
    assert "Clsed" in out.err and "Did you mean 'Closed'?" in out.err
    assert "was not imported" in out.err
    assert json.loads(report.read_text("utf-8"))["rejected"][0]["line"] == 3


def test_dry_run_partial_and_export(write, tmp_path, capsys):
    assert main(["import", str(write("agencies.csv", AGENCIES))]) == 0
    cases = write("cases.csv", CASES)
    assert main(["import", str(cases), "--source", "PNP", "--dry-run"]) == 0
    assert main(["import", str(cases), "--source", "PNP", "--partial"]) == 0
    out = capsys.readouterr().out
    assert "dry-run" in out and "loaded" in out
    target = tmp_path / "out"
    assert main(["export", "--out", str(target), "--type", "cases"]) == 0
    assert (target / "cases.csv").read_text("utf-8").splitlines()[1].startswith("C1,PNP,C1,Active")
    assert main(["export", "--out", str(tmp_path / "x"), "--format", "nope"]) == 4
