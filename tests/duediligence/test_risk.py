"""Risk of sourced goods on the worked fixture: each level follows one rule of risk.py."""

from __future__ import annotations

import pytest

from uncounted.duediligence import GLOBAL_PREVALENCE_PER_1000, assess_sourcing, worst_level
from uncounted.errors import InvalidInput


def _levels(frame):
    return {(r["partner"], r["good"]): (r["base_level"], r["level"]) for r in frame.to_dicts()}


def test_levels_follow_the_rules(sourcing, risk_table, certificates):
    risk = assess_sourcing(sourcing, risk_table, certificates)
    levels = _levels(risk)
    assert levels[("P1", "textiles")] == ("high", "high")  # listed: forced labour
    assert levels[("P1", "tomato products")] == ("elevated", "elevated")  # CN 6.8 > 6.67
    assert levels[("P1", "cocoa")] == ("low", "low")  # GH 5.2 ≤ 6.67, cocoa not listed
    assert levels[("P1", "fish")] == ("elevated", "elevated")  # score 0.5 ≥ 0.33
    assert levels[("P1", "coffee")] == ("unknown", "unknown")  # no row for VN
    assert levels[("P2", "cocoa")] == ("high", "elevated")  # certified zone lowers one step
    assert levels[("P2", "garments")] == ("unknown", "unknown")  # provisional: no change
    assert levels[("P2", "rice")] == ("unknown", "unknown")
    assert pytest.approx(6.6667, abs=1e-4) == GLOBAL_PREVALENCE_PER_1000


def test_certificate_and_flags_are_shown(sourcing, risk_table, certificates):
    rows = {
        (r["partner"], r["good"]): r
        for r in assess_sourcing(sourcing, risk_table, certificates).to_dicts()
    }
    cocoa = rows[("P2", "cocoa")]
    assert cocoa["zone_status"] == "certified"
    assert cocoa["zone_certificate"] == (
        "West Africa corridor: certified for 2025 (assessed 2026-11-30); J5/trafficking met"
    )
    assert "DOL 2024: forced labour, child labour" in cocoa["evidence"]
    assert rows[("P2", "rice")]["flags"] == ["origin of rice not disclosed"]
    assert rows[("P1", "textiles")]["flags"] == ["textiles from CN: high risk"]
    assert rows[("P1", "tomato products")]["evidence"] == "GEMS 2022: 6.8 per 1,000"


def test_zone_rules_without_or_outside_a_certificate(sourcing, risk_table, certificates):
    moved = sourcing.with_columns(sourcing["zone"].fill_null("West Africa corridor"))
    rows = {
        (r["partner"], r["good"]): r
        for r in assess_sourcing(moved, risk_table, certificates).to_dicts()
    }
    assert rows[("P1", "textiles")]["zone_status"] == "outside zone"
    assert rows[("P1", "textiles")]["level"] == "high"
    assert rows[("P3", "cocoa")]["level"] == "low"
    bare = {
        (r["partner"], r["good"]): r for r in assess_sourcing(sourcing, risk_table, []).to_dicts()
    }
    assert bare[("P2", "cocoa")]["zone_status"] == "no certificate"
    assert bare[("P2", "cocoa")]["level"] == "high"


def test_worst_level_and_schema(sourcing, risk_table):
    assert worst_level(["low", "unknown"]) == "unknown"
    assert worst_level(["unknown", "elevated", "low"]) == "elevated"
    assert worst_level(["low", "high"]) == "high"
    assert worst_level([]) is None
    with pytest.raises(InvalidInput, match="risk table lacks"):
        assess_sourcing(sourcing, risk_table.drop("year"))
