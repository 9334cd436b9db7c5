"""Each typology fires on a hand-made fixture and stays silent on its near-miss.

Fixtures use the default rules (rules.yaml): low-value = A$10-500 to PH/TH/CO/MX/DO.
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.screening.screening_fixtures import Row, frame, pay
from uncounted.screening import TYPOLOGIES, ScreeningConfig, prepare

CONFIG = ScreeningConfig()


def fired(rows: list[Row], typology: str, role: str = "sender") -> pl.DataFrame:
    prepared = prepare(frame(rows).lazy(), CONFIG).materialize()
    out = TYPOLOGIES[typology](prepared, CONFIG).collect()
    return out.filter(pl.col("party_role") == role).sort("party_id")


def weekly(sender: str, beneficiary: str = "B1", n: int = 8, **kw: object) -> list[Row]:
    return [pay(sender, beneficiary, 7.0 * i, **kw) for i in range(n)]  # type: ignore[arg-type]


def test_low_value_corridor_fires_on_weekly_small_transfers_to_the_philippines() -> None:
    out = fired(weekly("S1"), "low_value_corridor")
    assert out["party_id"].to_list() == ["S1"]
    row = out.row(0, named=True)
    assert row["n_transactions"] == 8
    assert row["amount"] == pytest.approx(400.0)
    # 8 transfers over 49 days -> 8 / 49 * 30 per 30 days
    assert row["metric"] == pytest.approx(8 / 49 * 30)


@pytest.mark.parametrize(
    "rows",
    [
        weekly("S1", country="IN"),  # not a high-risk corridor
        weekly("S1", n=5),  # too few
        weekly("S1", amount=300.0),  # median above A$150
        [pay("S1", "B1", 30.0 * i) for i in range(8)],  # monthly: 1 per 30 days
        weekly("S1", channel="card", merchant_category="5411"),  # card, not a transfer
    ],
    ids=["other-country", "too-few", "median-too-high", "monthly", "card"],
)
def test_low_value_corridor_near_misses(rows: list[Row]) -> None:
    assert fired(rows, "low_value_corridor").is_empty()


def test_low_value_corridor_converts_currencies() -> None:
    # CAD 40 = A$44.4 (low value); CAD 500 = A$555 is above A$500 and not counted at all
    rows = weekly("S1", currency="CAD", amount=40.0, sender_country="CA")
    rows += weekly("S1", currency="CAD", amount=500.0, sender_country="CA", beneficiary="B2")
    out = fired(rows, "low_value_corridor")
    assert out["n_transactions"].to_list() == [8]
    assert out["amount"].item() == pytest.approx(8 * 40 * 1.11)


def test_night_payments_fires_in_the_senders_time_zone() -> None:
    rows = weekly("S1", n=4, hour=23) + weekly("S1", n=2, hour=14, beneficiary="B2")
    out = fired(rows, "night_payments")
    assert out["party_id"].to_list() == ["S1"]
    assert out["n_transactions"].item() == 4
    assert out["metric"].item() == pytest.approx(4 / 6)


def test_night_payments_near_miss_evening_before_22() -> None:
    assert fired(weekly("S1", n=6, hour=21), "night_payments").is_empty()


def test_night_payments_near_miss_london_sender_at_sydney_night() -> None:
    # 23:00 in Sydney is midday in London: a London sender paying then is not at night.
    rows = weekly("S1", n=6, hour=23, sender_country="GB", currency="GBP")
    assert fired(rows, "night_payments").is_empty()


def test_many_beneficiaries() -> None:
    rows = [pay("S1", f"B{i}", i, country=c) for i, c in enumerate(["PH", "TH", "PH"])]
    out = fired(rows, "many_beneficiaries")
    assert out["metric"].to_list() == [3.0]


def test_many_beneficiaries_near_miss_one_outside_high_risk() -> None:
    rows = [pay("S1", f"B{i}", i, country=c) for i, c in enumerate(["PH", "IN", "PH"])]
    assert fired(rows, "many_beneficiaries").is_empty()


def test_many_senders_flags_the_beneficiary_and_its_senders() -> None:
    rows = [pay(f"S{i}", "B9", i) for i in range(3)]
    ben = fired(rows, "many_senders", role="beneficiary")
    assert ben["party_id"].to_list() == ["B9"]
    assert ben["metric"].item() == 3.0
    senders = fired(rows, "many_senders")
    assert senders["party_id"].to_list() == ["S0", "S1", "S2"]
    assert set(senders["indicator"]) == {"pays_shared_beneficiary"}


def test_many_senders_near_miss_two_siblings() -> None:
    rows = [pay(f"S{i}", "B9", i) for i in range(2)]
    assert fired(rows, "many_senders", role="beneficiary").is_empty()
    assert fired(rows, "many_senders").is_empty()


def test_escalating_amounts() -> None:
    rows = [pay("S1", "B1", 7.0 * i, amount=20.0 + 10 * i) for i in range(8)]
    out = fired(rows, "escalating_amounts")
    assert out["party_id"].to_list() == ["S1"]
    # split at day 24.5: first half days 0-21 (20..50, mean 35), second 28-49 (60..90, mean 75)
    assert out["metric"].item() == pytest.approx(75 / 35)


def test_escalating_amounts_near_miss_flat_amounts() -> None:
    rows = [pay("S1", "B1", 7.0 * i, amount=50.0 + (i % 2)) for i in range(8)]
    assert fired(rows, "escalating_amounts").is_empty()


def test_innocuous_descriptions_in_several_languages() -> None:
    texts = ["School Fees", "pang-gamot ni bunso", "ค่าเทอม", "Colegiatura marzo"]
    rows = [pay("S1", "B1", i, description=t) for i, t in enumerate(texts)]
    out = fired(rows, "innocuous_descriptions")
    assert out["n_transactions"].to_list() == [4]


def test_innocuous_descriptions_near_miss_keyword_inside_a_word() -> None:
    texts = ["download", "upload fee", "payload", None]
    rows = [pay("S1", "B1", i, description=t) for i, t in enumerate(texts)]
    assert fired(rows, "innocuous_descriptions").is_empty()


def _history() -> list[Row]:
    return [pay("OLD", "M1", 0.0, channel="card", country="AU", merchant_category="5411")]


def test_new_sender_burst() -> None:
    rows = [*_history(), pay("NEW", "M2", 40.0, channel="card", country="AU")]
    rows += [pay("NEW", "B1", 41.0 + 5 * i) for i in range(4)]
    out = fired(rows, "new_sender_burst")
    assert out["party_id"].to_list() == ["NEW"]
    assert out["metric"].item() == pytest.approx(1.0)
    assert out["n_transactions"].item() == 4


def test_new_sender_burst_near_miss_slow_start() -> None:
    rows = [*_history(), pay("NEW", "M2", 40.0, channel="card", country="AU")]
    rows += [pay("NEW", "B1", 70.0 + 5 * i) for i in range(4)]  # 30 days after first seen
    assert fired(rows, "new_sender_burst").is_empty()


def test_risky_merchants_alongside_transfers() -> None:
    rows = weekly("S1", n=3)
    rows.append(pay("S1", "M1", 2, channel="card", country="AU", merchant_category="4816"))
    rows += weekly("S2", n=3)
    rows.append(pay("S2", "M2", 2, channel="card", country="AU", merchant_category="Webcam site"))
    out = fired(rows, "risky_merchants")
    assert out["party_id"].to_list() == ["S1", "S2"]
    assert out["metric"].to_list() == [3.0, 3.0]


def test_risky_merchants_near_misses() -> None:
    rows = weekly("S1", n=2)  # a VPN but only two transfers
    rows.append(pay("S1", "M1", 2, channel="card", country="AU", merchant_category="4816"))
    rows += weekly("S2", n=3)  # MCC containing 4816 is not 4816
    rows.append(pay("S2", "M2", 2, channel="card", country="AU", merchant_category="54816"))
    assert fired(rows, "risky_merchants").is_empty()


def test_round_amounts() -> None:
    out = fired(weekly("S1", n=6, amount=50.0), "round_amounts")
    assert out["metric"].to_list() == [1.0]


def test_round_amounts_near_miss() -> None:
    assert fired(weekly("S1", n=6, amount=49.37), "round_amounts").is_empty()


def test_every_rule_has_a_typology_and_can_be_disabled() -> None:
    assert set(TYPOLOGIES) == set(ScreeningConfig().rules.model_dump())
    config = ScreeningConfig.model_validate({"rules": {"round_amounts": {"enabled": False}}})
    from uncounted.screening.typologies import indicators

    prepared = prepare(frame(weekly("S1", n=6)).lazy(), config).materialize()
    names = set(indicators(prepared, config).collect()["indicator"])
    assert "round_amounts" not in names
    assert "low_value_corridor" in names


def test_each_typology_is_one_query_rendered_for_both_engines() -> None:
    from uncounted.screening.typologies import TYPOLOGY_COLUMNS

    lvc = TYPOLOGIES["low_value_corridor"]
    polars_sql, spark_sql = lvc.render(CONFIG, "polars"), lvc.render(CONFIG, "spark")
    assert "CAST(last_at AS BIGINT)" in polars_sql and "unix_micros(last_at)" in spark_sql
    assert "FROM senders" in polars_sql and "FROM {senders}" in spark_sql
    assert "metric >= CAST(2.0 AS DOUBLE)" in polars_sql  # floats never become DECIMALs
    assert "MICROS(" not in polars_sql and "MICROS(" not in spark_sql
    assert TYPOLOGY_COLUMNS == {
        "innocuous_descriptions": ("description",),
        "risky_merchants": ("merchant_category",),
    }
