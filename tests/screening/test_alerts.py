"""Scores add up the weights of what fired; alerts are ranked, explained and drafted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from tests.screening.screening_fixtures import Row, frame, pay
from uncounted.screening import (
    INDICATOR_SCHEMA,
    ScreeningConfig,
    evaluate_alerts,
    indicator_weights,
    score_parties,
    screen,
)


def _offender() -> list[Row]:
    """Weekly A$40-50 at 23:00 Sydney to three Philippine beneficiaries with 'gift'."""
    return [
        pay("BAD", f"F{i % 3}", 7.0 * i, 40.0 + (i % 2) * 10, hour=23, description="gift")
        for i in range(10)
    ]


def _family() -> list[Row]:
    """Monthly A$300 in daytime to one household: nothing low-value and frequent."""
    return [pay("FAM", "MUM", 30.0 * i, 300.0, description="family support") for i in range(6)]


def test_offender_alerted_family_not() -> None:
    result = screen(frame(_offender() + _family()))
    senders = result.scores.filter(pl.col("party_role") == "sender")
    bad = senders.row(0, named=True)
    assert bad["party_id"] == "BAD"
    assert bad["rank"] == 1
    assert bad["alert"]
    expected = {
        "low_value_corridor",
        "night_payments",
        "many_beneficiaries",
        "innocuous_descriptions",
        "round_amounts",
    }
    assert set(bad["indicators"]) == expected
    weights = indicator_weights(ScreeningConfig())
    assert bad["score"] == pytest.approx(sum(weights[i] for i in expected))
    assert bad["indicators"][0] == "low_value_corridor"  # heaviest first
    assert result.alerts["party_id"].to_list()[0] == "BAD"
    assert "FAM" not in result.alerts["party_id"].to_list()


def test_alert_lists_counts_amounts_periods_and_drafts_a_summary() -> None:
    result = screen(frame(_offender()))
    alert = result.alerts.filter(pl.col("party_id") == "BAD").row(0, named=True)
    assert "low_value_corridor(n=10, AUD 450.00, 2024-05-06..2024-07-08)" in alert["indicators"]
    assert alert["home_country"] == "AU"
    assert alert["counterpart_countries"] == "PH"
    text = alert["summary"]
    assert text.startswith("DRAFT")
    assert "made 10 low-value transfers" in text
    assert "at night in the sender's time zone" in text
    assert "paid 3 different beneficiaries" in text
    assert "AUSTRAC" in text and "FATF" in text and "FINTRAC" in text
    assert "not proof" in text
    as_json = json.loads(json.dumps(result.to_dict()))
    assert as_json["alerts"][0]["party_id"] == "BAD"
    assert as_json["alerts"][0]["first_at"].startswith("2024-05-06")


def test_beneficiaries_paid_by_alerted_senders_are_scored() -> None:
    result = screen(frame(_offender()))
    bens = result.indicators.filter(pl.col("party_role") == "beneficiary")
    paid = bens.filter(pl.col("indicator") == "paid_by_alerted_senders")
    assert sorted(paid["party_id"]) == ["F0", "F1", "F2"]
    assert paid["metric"].to_list() == [1.0, 1.0, 1.0]


def test_no_payments_no_alerts() -> None:
    result = screen(frame(_family()))
    assert result.alerts.is_empty()
    assert result.to_dict()["n_alerts"] == 0


LINKS = {
    "sender_id": pl.String,
    "beneficiary_id": pl.String,
    "n_transactions": pl.Int64,
    "amount": pl.Float64,
    "first_at": pl.Datetime("us", "UTC"),
    "last_at": pl.Datetime("us", "UTC"),
}


def _ind(role: str, pid: str, name: str) -> dict[str, object]:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    return {
        "party_role": role,
        "party_id": pid,
        "indicator": name,
        "n_transactions": 1,
        "amount": 1.0,
        "first_at": t,
        "last_at": t,
        "metric": 1.0,
    }


def test_score_is_sum_of_weights_and_threshold_is_inclusive() -> None:
    rows = [_ind("sender", "A", "low_value_corridor"), _ind("sender", "A", "low_value_corridor")]
    rows = [*rows[:1], _ind("sender", "A", "night_payments"), _ind("sender", "A", "round_amounts")]
    rows.append(_ind("sender", "B", "low_value_corridor"))
    ind = pl.DataFrame(rows, schema=INDICATOR_SCHEMA)
    links = pl.DataFrame(schema=LINKS)
    config = ScreeningConfig()  # 2.0 + 1.5 + 0.5 = 4.0 = threshold
    _, scores = score_parties(ind, links, config)
    assert scores["party_id"].to_list() == ["A", "B"]
    assert scores["score"].to_list() == [4.0, 2.0]
    assert scores["alert"].to_list() == [True, False]


def test_average_precision_by_hand() -> None:
    scores = pl.DataFrame(
        {
            "party_role": ["sender"] * 4,
            "party_id": ["a", "b", "c", "d"],
            "rank": [1, 2, 3, 4],
            "alert": [True, True, True, False],
        }
    )
    q = evaluate_alerts(scores, {"a", "c", "z"})
    # hits at ranks 1 and 3: AP = (1/1 + 2/3) / 3 (z never ranked)
    assert q.average_precision == pytest.approx((1 + 2 / 3) / 3)
    assert q.precision == pytest.approx(2 / 3)
    assert q.recall == pytest.approx(2 / 3)


def test_paid_by_alerted_senders_counts_each_sender_up_to_the_cap() -> None:
    row = _ind("beneficiary", "F", "paid_by_alerted_senders")
    few, many = dict(row, metric=2.0), dict(row, party_id="G", metric=7.0)
    ind = pl.DataFrame([few, many], schema=INDICATOR_SCHEMA)
    links = pl.DataFrame(schema=LINKS)
    config = ScreeningConfig()  # 1.5 points per alerted sender, at most 3 senders
    _, scores = score_parties(ind, links, config)
    assert dict(zip(scores["party_id"], scores["score"], strict=True)) == {"G": 4.5, "F": 3.0}
