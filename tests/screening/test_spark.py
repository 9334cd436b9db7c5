"""The typologies (one SQL text each) give the same indicators, scores and alerts on Polars
and on PySpark.

One local Spark session (local[1], one shuffle partition) for the whole module; Java 17+
is needed (CI installs default-jre-headless when java is missing).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from tests.screening.screening_fixtures import Row, frame, pay
from uncounted.screening import ScreeningConfig, ScreeningResult, screen
from uncounted.simulate.payments import simulate_payments

pytestmark = pytest.mark.slow

if shutil.which("java") is None:  # pragma: no cover - CI installs Java
    if os.environ.get("CI"):
        pytest.fail("Java is missing: .ci/run installs default-jre-headless", pytrace=False)
    pytest.skip("Spark needs Java (apt-get install default-jre-headless)", allow_module_level=True)


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("uncounted-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _run(engine: str, payments: pl.DataFrame, request: pytest.FixtureRequest) -> ScreeningResult:
    """Screen ``payments`` on ``engine`` (Spark reads them back from a Parquet file)."""
    if engine == "polars":
        return screen(payments)
    from uncounted.screening.spark import screen_spark

    spark = request.getfixturevalue("spark")
    path = request.getfixturevalue("tmp_path") / "payments.parquet"
    payments.write_parquet(path)
    return screen_spark(spark.read.parquet(str(path)))


def _each_typology_once() -> list[Row]:
    """One sender (or beneficiary) per typology, each firing it (fixtures of
    test_typologies.py); plus an old customer, so that new senders can be new."""
    weekly = [7.0 * i for i in range(8)]
    texts = ["School Fees", "pang-gamot ni bunso", "ค่าเทอม", "Colegiatura marzo"]
    return [
        pay("OLD", "M1", 0.0, channel="card", country="AU", merchant_category="5411"),
        *[pay("S_LVC", "B_LVC", d) for d in weekly],
        *[pay("S_NIGHT", "B_NIGHT", d, hour=23) for d in weekly[:4]],
        *[pay("S_NIGHT", "B_NIGHT2", d, hour=14) for d in weekly[:2]],
        *[pay("S_MANYB", f"B_MB{i}", i, country=c) for i, c in enumerate(["PH", "TH", "PH"])],
        *[pay(f"S_SIB{i}", "B_SHARED", i) for i in range(3)],
        *[pay("S_ESC", "B_ESC", d, amount=20.0 + 10 * i) for i, d in enumerate(weekly)],
        *[pay("S_DESC", "B_DESC", i, description=t) for i, t in enumerate(texts)],
        pay("S_NEW", "M2", 40.0, channel="card", country="AU"),
        *[pay("S_NEW", "B_NEW", 41.0 + 5 * i, amount=47.5) for i in range(4)],
        *[pay("S_RISKY", "B_RISKY", d, amount=33.3) for d in weekly[:3]],
        pay("S_RISKY", "M3", 2, channel="card", country="AU", merchant_category="4816"),
    ]


@pytest.mark.parametrize("engine", ["polars", "spark"])
def test_every_typology_fires_the_same_on_each_engine(
    engine: str, request: pytest.FixtureRequest
) -> None:
    """One body for both engines: each typology fires on its own party, with the counts
    and metrics worked out by hand (8 weekly transfers span 49 days: 8 / 49 * 30 per 30
    days; the night sender's 6 span 21 days, counted as 30)."""
    result = _run(engine, frame(_each_typology_once()), request)
    got = result.indicators.select(
        "party_role", "party_id", "indicator", "n_transactions", pl.col("metric").round(4)
    ).rows()
    lvc = round(8 / 49 * 30, 4)
    assert got == [
        ("beneficiary", "B_ESC", "low_value_inflow", 8, lvc),
        ("beneficiary", "B_LVC", "low_value_inflow", 8, lvc),
        ("beneficiary", "B_NIGHT", "paid_by_alerted_senders", 4, 1.0),
        ("beneficiary", "B_NIGHT2", "paid_by_alerted_senders", 2, 1.0),
        ("beneficiary", "B_SHARED", "many_senders", 3, 3.0),
        ("sender", "S_DESC", "innocuous_descriptions", 4, 1.0),
        ("sender", "S_ESC", "escalating_amounts", 8, round(75 / 35, 4)),
        ("sender", "S_ESC", "low_value_corridor", 8, lvc),
        ("sender", "S_ESC", "round_amounts", 8, 1.0),
        ("sender", "S_LVC", "low_value_corridor", 8, lvc),
        ("sender", "S_LVC", "round_amounts", 8, 1.0),
        ("sender", "S_MANYB", "many_beneficiaries", 3, 3.0),
        ("sender", "S_NEW", "new_sender_burst", 4, 1.0),
        ("sender", "S_NIGHT", "low_value_corridor", 6, 6.0),
        ("sender", "S_NIGHT", "night_payments", 4, round(4 / 6, 4)),
        ("sender", "S_NIGHT", "round_amounts", 6, 1.0),
        ("sender", "S_RISKY", "risky_merchants", 1, 3.0),
        ("sender", "S_SIB0", "pays_shared_beneficiary", 1, 1.0),
        ("sender", "S_SIB1", "pays_shared_beneficiary", 1, 1.0),
        ("sender", "S_SIB2", "pays_shared_beneficiary", 1, 1.0),
    ]
    assert result.alerts.select("party_role", "party_id", "score").rows() == [
        ("sender", "S_NIGHT", 4.0)
    ]


def _rounded(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("amount").round(6), pl.col("metric").round(9))


def test_spark_and_polars_give_identical_alerts(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from uncounted.screening.spark import screen_spark

    world = simulate_payments(1200, 12, random_state=3)
    path = tmp_path / "payments.parquet"
    world.payments.write_parquet(path)
    config = ScreeningConfig()
    expected = screen(world.payments, config)
    got = screen_spark(spark.read.parquet(str(path)), config)  # type: ignore[attr-defined]
    assert expected.indicators.height > 50
    assert set(expected.indicators["indicator"]) >= {
        "low_value_corridor", "night_payments", "many_beneficiaries", "many_senders",
        "pays_shared_beneficiary", "innocuous_descriptions", "risky_merchants",
        "round_amounts", "low_value_inflow", "paid_by_alerted_senders",
    }  # fmt: skip
    assert _rounded(got.indicators).equals(_rounded(expected.indicators))
    assert got.scores.equals(expected.scores)
    assert expected.alerts.height > 0
    assert got.alerts.equals(expected.alerts)


def test_spark_without_merchant_category_switches_the_same_typology_off(  # type: ignore[no-untyped-def]
    spark, tmp_path: Path
) -> None:
    from uncounted.screening.spark import screen_spark

    world = simulate_payments(600, 8, random_state=5)
    payments = world.payments.drop("merchant_category")
    path = tmp_path / "transfers.parquet"
    payments.write_parquet(path)
    expected = screen(payments)
    got = screen_spark(spark.read.parquet(str(path)))  # type: ignore[attr-defined]
    assert list(got.switched_off) == list(expected.switched_off) == ["risky_merchants"]
    assert _rounded(got.indicators).equals(_rounded(expected.indicators))
    assert got.alerts.equals(expected.alerts)


def test_spark_session_must_be_utc(spark) -> None:  # type: ignore[no-untyped-def]
    from uncounted.errors import ConfigurationError
    from uncounted.screening.spark import screen_spark

    df = spark.createDataFrame([(1,)], ["x"])  # type: ignore[attr-defined]
    spark.conf.set("spark.sql.session.timeZone", "Australia/Sydney")  # type: ignore[attr-defined]
    try:
        with pytest.raises(ConfigurationError, match="UTC"):
            screen_spark(df)
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")  # type: ignore[attr-defined]
