"""Decision rules on the worked fixture: one partner per outcome."""

from __future__ import annotations

from uncounted.duediligence import (
    CONDITIONS,
    ELIGIBLE,
    NOT_YET,
    assess_sourcing,
    decide_all,
    portfolio,
    score_statements,
)


def _sheets(partners, scores, sourcing, risk_table, certificates):
    risk = assess_sourcing(sourcing, risk_table, certificates)
    return {d.partner: d for d in decide_all(partners, score_statements(scores), risk)}


def test_each_rule(partners, scores, sourcing, risk_table, certificates):
    d = _sheets(partners, scores, sourcing, risk_table, certificates)
    # P1: due diligence (s16(1)(d)) scored 0, and high-risk textiles with risks scored 1
    assert d["P1"].status == NOT_YET
    assert "no evidence of human rights due diligence of the supply chain" in d["P1"].red_flags
    assert "sources a high-risk good but does not describe its risks" in d["P1"].red_flags
    assert d["P1"].supply_chain_risk == "high"
    assert any("textiles from CN" in n for n in d["P1"].requirements)
    # P2: a reviewers' disagreement and undisclosed origins, but due diligence described
    assert d["P2"].status == CONDITIONS
    assert d["P2"].statement["framework"] == "uk-msa-2015-s54"
    assert "reviewers disagree on UK-d (2 vs 0): reconcile before deciding" in d["P2"].red_flags
    assert "Disclose the origin of rice or supply evidence of its labour risk." in (
        d["P2"].requirements
    )
    assert d["P2"].supply_chain_risk == "elevated"
    # P3: full statement, low-risk cocoa
    assert d["P3"].status == ELIGIBLE and d["P3"].red_flags == [] and d["P3"].requirements == []
    # P4: no statement
    assert d["P4"].status == NOT_YET and d["P4"].supply_chain_risk is None
    assert d["P4"].red_flags == ["no modern slavery statement assessed"]


def test_portfolio(partners, scores, sourcing, risk_table, certificates):
    sheets = _sheets(partners, scores, sourcing, risk_table, certificates)
    table = portfolio(list(sheets.values()))
    assert table["status"].to_list() == [NOT_YET, CONDITIONS, ELIGIBLE, NOT_YET]
    assert table["goods"].to_list() == [5, 3, 1, 0]
    assert round(table["statement_score"][0], 3) == 42.857
    assert sheets["P1"].to_dict()["partner"] == "P1"
