"""Zone assessment on a fixed synthetic world: the expected status, and one failing metric
changes it."""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.evaluation import assess_zone, parse_zone, zone_values
from uncounted.simulate import WorldConfig, simulate_world

ZONE = """
name: Mekong corridor
jurisdictions: [KH, TH]
period: 2024
metrics:
  - {id: J5, variant: all, operator: ">=", threshold: 0.4, min_denominator: 5}
  - {id: J3, variant: all, operator: ">=", threshold: 0.3, scope: zone}
  - {id: J14, variant: protective measures, threshold: 0.3, min_denominator: 5}
"""


@pytest.fixture(scope="module")
def values():
    world = simulate_world(WorldConfig(seed=2026, n_victims=4000))
    return zone_values(parse_zone(ZONE), world.frames)


def test_certified_when_every_metric_is_met(values):
    """Seed 2026, 2024: J5 KH 7/9 = 0.78 and TH 25/39 = 0.64 (≥ 0.4); J3 pooled 77/128 = 0.60
    (≥ 0.3); J14 KH 4/11 = 0.36, TH 39/61 = 0.64 (≥ 0.3) — all met."""
    result = assess_zone(parse_zone(ZONE), values)
    assert result.status == "certified"
    ev = result.evidence
    kh = ev.filter((pl.col("metric") == "J5") & (pl.col("jurisdiction") == "KH")).row(0, named=True)
    assert (kh["numerator"], kh["denominator"]) == (7, 9)
    assert kh["value"] == pytest.approx(7 / 9)
    assert ev.filter(pl.col("metric") == "J3")["jurisdiction"].to_list() == ["*"]
    assert all(ev["definition"].str.len_chars() > 10)  # the catalogue definition is kept


def test_one_failing_required_metric_means_not_certified(values):
    strict = ZONE.replace("threshold: 0.4, min", "threshold: 0.7, min")  # TH 0.64 < 0.7
    result = assess_zone(parse_zone(strict), values)
    assert result.status == "not certified"
    j5 = result.metrics.filter(pl.col("id") == "J5").row(0, named=True)
    assert j5["status"] == "not met"


def test_optional_failure_or_thin_data_is_provisional(values):
    optional = ZONE.replace(
        "threshold: 0.4, min_denominator: 5}", "threshold: 0.7, required: false}"
    )
    assert assess_zone(parse_zone(optional), values).status == "provisional"
    thin = ZONE.replace("threshold: 0.4, min_denominator: 5", "threshold: 0.4")  # KH has 9 < 10
    result = assess_zone(parse_zone(thin), values)
    assert result.status == "provisional"
    assert "insufficient data" in result.metrics["status"].to_list()


def test_judging_on_the_interval(values):
    """KH's J5 lower Wilson bound (0.45) is below 0.5 although its value (0.78) is above."""
    lower = ZONE.replace("threshold: 0.4, min_denominator: 5", "threshold: 0.5, judge_on: lower")
    lower = lower.replace("judge_on: lower}", "judge_on: lower, min_denominator: 5}")
    assert assess_zone(parse_zone(lower), values).status == "not certified"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\njurisdictions: []\nperiod: 2024\nmetrics: []", "jurisdictions"),
        ("name: x\njurisdictions: [KH]\nperiod: 2024\nmetrics: [{id: J5}]", "threshold"),
        ("- just a list", "must be a mapping"),
        ("name: [unclosed", "not valid YAML"),
    ],
)
def test_bad_zone_files(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_zone(text, "zone.yaml")


def test_unknown_jurisdiction():
    world = simulate_world(WorldConfig(seed=1, n_victims=200))
    with pytest.raises(InvalidInput, match="XX"):
        zone_values(parse_zone(ZONE.replace("[KH, TH]", "[KH, XX]")), world.frames)
