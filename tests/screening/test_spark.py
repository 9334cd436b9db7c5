"""The PySpark rules give the same indicators, scores and alerts as the Polars ones.

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

from uncounted.screening import ScreeningConfig, screen
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
