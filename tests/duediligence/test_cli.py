"""``uncounted partners``: import, scores, prescreen, portfolio and sheet, run in-process on
the example files; the sheet as HTML and PDF through the report module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uncounted.cli.main import main

pytestmark = pytest.mark.usefixtures("cli_env")
ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples" / "duediligence"
RISK = ["--risk", str(EX / "risk-table.csv")]


def _json(capsys):
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def loaded(capsys):
    assert main(["init"]) == 0
    assert main(["partners", "import", str(EX / "partners.csv")]) == 0
    assert main(["partners", "scores", str(EX / "statement-scores.csv")]) == 0
    capsys.readouterr()


def test_portfolio_of_the_examples(loaded, capsys):
    assert main(["partners", "portfolio", *RISK, "--format", "json"]) == 0
    out = _json(capsys)
    table = {r["partner"]: r for r in out["portfolio"]}
    # EX-001: due diligence s16(1)(d) scored 1 → not yet; (3+2+1+1+0+2+1)/21 = 47.62 %
    assert table["EX-001"]["status"] == "not yet eligible"
    assert table["EX-001"]["statement_score"] == pytest.approx(100 * 10 / 21)
    assert table["EX-001"]["supply_chain_risk"] == "high"  # textiles from CN on the DoL List
    # EX-002: UK statement 16/18; fish from TH elevated (6.8 > 6.67 per 1,000), rice origin unknown
    assert table["EX-002"]["status"] == "eligible with conditions"
    assert table["EX-002"]["statement_score"] == pytest.approx(100 * 16 / 18)
    # EX-003: cocoa from CI listed (child and forced labour) → high, risks described → conditions
    assert table["EX-003"]["status"] == "eligible with conditions"
    assert table["EX-004"]["status"] == "not yet eligible"
    assert {a["framework"]: a["pairs"] for a in out["agreement"]} == {
        "au-msa-2018-s16": 12,
        "uk-msa-2015-s54": 6,
    }


def test_sheet_html_pdf_and_zone(loaded, capsys, tmp_path):
    html, pdf = tmp_path / "ex1.html", tmp_path / "all.pdf"
    assert main(["partners", "sheet", "EX-001", *RISK, "--out", str(html)]) == 0
    page = html.read_text("utf-8")
    assert "Example Apparel Pty Ltd (fictional)" in page and "not yet eligible" in page
    assert "We expect suppliers to follow our code of conduct" in page  # evidence quoted
    assert main(["partners", "portfolio", *RISK, "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    capsys.readouterr()
    # zones are assessed now, on the store's justice data: this fresh store has none of the
    # zone's jurisdictions, which is an error to fix, not a silent "no certificate"
    zone = ROOT / "examples" / "zone.yaml"
    assert main(["partners", "sheet", "EX-002", *RISK, "--zone", str(zone)]) == 4
    assert "KH, TH that the data do not have" in capsys.readouterr().err


def test_prescreen_and_errors(loaded, capsys):
    assert main(["partners", "prescreen", str(EX / "statement.html"), "--format", "json"]) == 0
    rows = _json(capsys)
    assert {r["criterion"] for r in rows if r["location"] is None} == {"AU-e", "AU-g"}
    assert main(["partners", "sheet", "NOPE", *RISK]) == 7
    assert main(["partners", "import", str(EX / "risk-table.csv")]) == 4
