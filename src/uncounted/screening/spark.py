"""The same typologies on PySpark, for payment volumes beyond one machine.

Install the ``spark`` extra (``pip install 'uncounted[spark]'``; needs Java 17+). Pass a
Spark DataFrame in the canonical schema of :mod:`.mapping` (e.g. ``spark.read.parquet`` of
a file written after :func:`~uncounted.screening.read_payments`); the session time zone must
be UTC. Each function below mirrors the Polars typology of the same name in
:mod:`.typologies` (formulas and sources are documented there); the indicators are brought
back to Polars, and scoring, ranking and the draft summaries are shared, so both engines
give the same alerts (a test checks this on a simulated sample).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from itertools import chain
from typing import Any

import polars as pl

from uncounted.errors import ConfigurationError
from uncounted.screening.config import ScreeningConfig
from uncounted.screening.inputs import keyword_pattern, merchant_pattern
from uncounted.screening.mapping import COLUMNS, OPTIONAL_COLUMNS
from uncounted.screening.screen import ScreeningResult, finish, switch_off
from uncounted.screening.typologies import INDICATOR_SCHEMA

try:
    from pyspark.sql import Column, DataFrame, Window
    from pyspark.sql import functions as F  # noqa: N812
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise ConfigurationError(
        "PySpark is not installed: pip install 'uncounted[spark]' (and Java 17+)."
    ) from exc

_US_PER_DAY = 86_400_000_000


def _map(mapping: dict[str, object]) -> Column:
    return F.create_map(*[F.lit(x) for x in chain.from_iterable(mapping.items())])


def prepare_spark(df: DataFrame, config: ScreeningConfig) -> dict[str, DataFrame]:
    """Corridor transfers, risky card purchases, first appearance, data start, and the
    per-sender and per-beneficiary aggregates every rule reads (computed once, cached, so
    that a run needs few shuffles)."""
    rate = _map(dict(config.fx_rates))[F.col("currency")]
    tz = F.coalesce(
        _map(dict(config.sender_timezones))[F.col("sender_country")], F.lit(config.default_timezone)
    )
    unit = config.rules.round_amounts.unit
    corridor = (
        df.filter(
            F.col("channel").isin(config.transfer_channels)
            & F.col("beneficiary_country").isin(config.high_risk_countries)
            & (F.col("sender_country") != F.col("beneficiary_country"))
        )
        .withColumn("amount_ref", F.col("amount") * rate)
        .filter(F.col("amount_ref").between(config.min_amount, config.max_amount))
        .select(
            "transaction_id",
            "timestamp",
            "sender_id",
            "sender_country",
            "beneficiary_id",
            "beneficiary_country",
            "amount_ref",
            "description",
            F.hour(F.from_utc_timestamp(F.col("timestamp"), tz)).alias("local_hour"),
            (F.abs(F.round(F.col("amount") / unit, 0) * unit - F.col("amount")) < 0.005).alias(
                "is_round"
            ),
        )
    )
    cards = df.filter(
        (F.col("channel") == config.card_channel)
        & F.col("merchant_category").rlike(
            merchant_pattern(config.rules.risky_merchants.categories)
        )
    ).select("sender_id", "timestamp", (F.col("amount") * rate).alias("amount_ref"))
    first_seen = df.groupBy("sender_id").agg(F.min("timestamp").alias("first_seen"))
    bounds = df.agg(F.min("timestamp").alias("data_start"))
    corridor = corridor.cache()
    return {
        "corridor": corridor,
        "cards": cards,
        "first_seen": first_seen,
        "bounds": bounds,
        "senders": _sender_aggregates(corridor, config).cache(),
        "beneficiaries": _beneficiary_aggregates(corridor).cache(),
    }


def _basic(prefix: str = "") -> list[Column]:
    return [
        F.count(F.lit(1)).alias(f"{prefix}n_transactions"),
        F.sum("amount_ref").alias(f"{prefix}amount"),
        F.min("timestamp").alias(f"{prefix}first_at"),
        F.max("timestamp").alias(f"{prefix}last_at"),
    ]


def _cond(cond: Column, prefix: str) -> list[Column]:
    return [
        F.coalesce(F.sum(cond.cast("long")), F.lit(0)).alias(f"{prefix}n_transactions"),
        F.sum(F.when(cond, F.col("amount_ref"))).alias(f"{prefix}amount"),
        F.min(F.when(cond, F.col("timestamp"))).alias(f"{prefix}first_at"),
        F.max(F.when(cond, F.col("timestamp"))).alias(f"{prefix}last_at"),
    ]


def _micros(col: Column) -> Column:
    return F.unix_micros(col)


def _night(c: ScreeningConfig) -> Column:
    r, h = c.rules.night_payments, F.col("local_hour")
    if r.start_hour > r.end_hour:
        return (h >= r.start_hour) | (h < r.end_hour)
    return (h >= r.start_hour) & (h < r.end_hour)


def _sender_aggregates(corridor: DataFrame, c: ScreeningConfig) -> DataFrame:
    """One row per sender with everything the sender rules need."""
    w = Window.partitionBy("sender_id")
    first, last = F.min("timestamp").over(w), F.max("timestamp").over(w)
    since = _micros(F.col("timestamp")) - _micros(F.col("_first"))
    hit = F.coalesce(
        F.col("description").rlike(keyword_pattern(c.rules.innocuous_descriptions.keywords)),
        F.lit(False),
    )
    burst = since < c.rules.new_sender_burst.window_days * _US_PER_DAY
    return (
        corridor.withColumn("_first", first)
        .withColumn("_last", last)
        .withColumn("t", since.cast("double") / 1e6)
        .withColumn("late", since * 2 > _micros(F.col("_last")) - _micros(F.col("_first")))
        .groupBy(F.col("sender_id").alias("party_id"))
        .agg(
            *_basic(),
            F.median("amount_ref").alias("median"),
            F.countDistinct("beneficiary_id").alias("n_beneficiaries"),
            F.corr("amount_ref", "t").alias("corr"),
            F.avg(F.when(~F.col("late"), F.col("amount_ref"))).alias("early_mean"),
            F.avg(F.when(F.col("late"), F.col("amount_ref"))).alias("late_mean"),
            *_cond(_night(c), "night_"),
            *_cond(hit, "hit_"),
            *_cond(F.col("is_round"), "round_"),
            *_cond(burst, "burst_"),
            F.min("sender_country").alias("home_country"),
            F.array_join(F.array_sort(F.collect_set("beneficiary_country")), ", ").alias(
                "counterpart_countries"
            ),
        )
    )


def _beneficiary_aggregates(corridor: DataFrame) -> DataFrame:
    """One row per beneficiary with what the beneficiary rules need."""
    return corridor.groupBy(F.col("beneficiary_id").alias("party_id")).agg(
        *_basic(),
        F.median("amount_ref").alias("median"),
        F.countDistinct("sender_id").alias("n_senders"),
        F.min("beneficiary_country").alias("home_country"),
        F.array_join(F.array_sort(F.collect_set("sender_country")), ", ").alias(
            "counterpart_countries"
        ),
    )


def _out(df: DataFrame, role: str, indicator: str, prefix: str = "") -> DataFrame:
    return df.select(
        F.lit(role).alias("party_role"),
        F.col("party_id"),
        F.lit(indicator).alias("indicator"),
        F.col(f"{prefix}n_transactions").cast("long").alias("n_transactions"),
        F.col(f"{prefix}amount").cast("double").alias("amount"),
        F.col(f"{prefix}first_at").alias("first_at"),
        F.col(f"{prefix}last_at").alias("last_at"),
        F.col("metric").cast("double"),
    )


def low_value_corridor(p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    r = c.rules.low_value_corridor
    span = F.greatest(
        (_micros(F.col("last_at")) - _micros(F.col("first_at"))) / _US_PER_DAY, F.lit(30.0)
    )

    def frequent(agg: DataFrame) -> DataFrame:
        return agg.withColumn("metric", F.col("n_transactions") / span * 30.0).filter(
            (F.col("n_transactions") >= r.min_count)
            & (F.col("metric") >= r.min_per_30_days)
            & (F.col("median") <= r.max_median_amount)
        )

    return _out(frequent(p["senders"]), "sender", "low_value_corridor").unionByName(
        _out(frequent(p["beneficiaries"]), "beneficiary", "low_value_inflow")
    )


def night_payments(p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    r = c.rules.night_payments
    df = (
        p["senders"]
        .withColumn("metric", F.col("night_n_transactions") / F.col("n_transactions"))
        .filter((F.col("night_n_transactions") >= r.min_count) & (F.col("metric") >= r.min_share))
    )
    return _out(df, "sender", "night_payments", "night_")


def many_beneficiaries(p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    r = c.rules.many_beneficiaries
    df = (
        p["senders"]
        .withColumn("metric", F.col("n_beneficiaries"))
        .filter(F.col("metric") >= r.min_beneficiaries)
    )
    return _out(df, "sender", "many_beneficiaries")


def many_senders(p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    r = c.rules.many_senders
    shared = (
        p["beneficiaries"]
        .withColumn("metric", F.col("n_senders"))
        .filter(F.col("metric") >= r.min_senders)
    )
    ids = F.broadcast(shared.select(F.col("party_id").alias("beneficiary_id")))
    senders = (
        p["corridor"]
        .join(ids, "beneficiary_id", "left_semi")
        .groupBy(F.col("sender_id").alias("party_id"))
        .agg(*_basic(), F.countDistinct("beneficiary_id").alias("metric"))
    )
    return _out(shared, "beneficiary", "many_senders").unionByName(
        _out(senders, "sender", "pays_shared_beneficiary")
    )


def escalating_amounts(p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    r = c.rules.escalating_amounts
    df = (
        p["senders"]
        .withColumn("corr", F.when(~F.isnan("corr"), F.col("corr")))
        .withColumn("metric", F.col("late_mean") / F.col("early_mean"))
        .filter(
            (F.col("n_transactions") >= r.min_count)
            & (F.col("corr") >= r.min_correlation)
            & (F.col("metric") >= r.min_ratio)
        )
    )
    return _out(df, "sender", "escalating_amounts")


def innocuous_descriptions(p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    r = c.rules.innocuous_descriptions
    df = (
        p["senders"]
        .withColumn("metric", F.col("hit_n_transactions") / F.col("n_transactions"))
        .filter(F.col("hit_n_transactions") >= r.min_count)
    )
    return _out(df, "sender", "innocuous_descriptions", "hit_")


def new_sender_burst(p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    r, day = c.rules.new_sender_burst, _US_PER_DAY
    seen = p["first_seen"].withColumnRenamed("sender_id", "party_id")
    since_start = _micros(F.col("first_seen")) - _micros(F.col("data_start"))
    to_start = _micros(F.col("first_at")) - _micros(F.col("first_seen"))
    df = (
        p["senders"]
        .join(seen, "party_id")
        .crossJoin(F.broadcast(p["bounds"]))
        .filter(
            (since_start >= r.min_history_days * day)
            & (to_start <= r.max_days_to_start * day)
            & (F.col("burst_n_transactions") >= r.min_count)
        )
        .withColumn("metric", (_micros(F.col("first_at")) - _micros(F.col("first_seen"))) / day)
    )  # fmt: skip
    return _out(df, "sender", "new_sender_burst", "burst_")


def risky_merchants(p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    r = c.rules.risky_merchants
    transfers = p["senders"].select(
        F.col("party_id").alias("sender_id"), F.col("n_transactions").alias("metric")
    )
    df = (
        p["cards"]
        .groupBy("sender_id")
        .agg(*_basic())
        .join(transfers, "sender_id")
        .filter(
            (F.col("n_transactions") >= r.min_purchases)
            & (F.col("metric") >= r.min_corridor_transfers)
        )
        .withColumnRenamed("sender_id", "party_id")
    )
    return _out(df, "sender", "risky_merchants")


def round_amounts(p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    r = c.rules.round_amounts
    df = (
        p["senders"]
        .withColumn("metric", F.col("round_n_transactions") / F.col("n_transactions"))
        .filter((F.col("round_n_transactions") >= r.min_count) & (F.col("metric") >= r.min_share))
    )
    return _out(df, "sender", "round_amounts", "round_")


SPARK_TYPOLOGIES: dict[str, Callable[[dict[str, DataFrame], ScreeningConfig], DataFrame]] = {
    "low_value_corridor": low_value_corridor,
    "night_payments": night_payments,
    "many_beneficiaries": many_beneficiaries,
    "many_senders": many_senders,
    "escalating_amounts": escalating_amounts,
    "innocuous_descriptions": innocuous_descriptions,
    "new_sender_burst": new_sender_burst,
    "risky_merchants": risky_merchants,
    "round_amounts": round_amounts,
}


def _to_polars(df: DataFrame) -> pl.DataFrame:
    """Collect a (small) Spark result into Polars, timestamps as UTC."""
    names = [f.name for f in df.schema.fields]
    rows = [r.asDict() for r in df.collect()]
    out = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame(schema=names)
    for f in df.schema.fields:
        if f.dataType.simpleString().startswith("timestamp"):
            dtype = out.schema[f.name]
            if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
                out = out.with_columns(pl.col(f.name).dt.replace_time_zone("UTC"))
    return out


def spark_session(master: str = "local[*]", app_name: str = "uncounted-screening") -> Any:
    """A Spark session on ``master`` (``local[*]``, ``spark://host:7077``, ``yarn``,
    ``k8s://…``) with the UTC session time zone the typologies need."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def screen_parquet_spark(
    path: str, config: ScreeningConfig | None = None, master: str = "local[*]"
) -> ScreeningResult:
    """Screen canonical payments stored as Parquet at ``path`` (a file or folder the cluster
    can read: ``hdfs://``, ``s3a://``, or a shared disk) on the Spark cluster at ``master``.

    The file must already be in the canonical schema of :mod:`.mapping`: write it once with
    ``read_payments(file, mapping).sink_parquet(path)``.
    """
    session = spark_session(master)
    df = session.read.parquet(str(path))
    missing = [c for c in COLUMNS if c not in OPTIONAL_COLUMNS and c not in df.columns]
    if missing:
        raise ConfigurationError(
            f"{path} is not in the canonical payment schema (missing {', '.join(missing)}); "
            "write it with uncounted.screening.read_payments(file, mapping).sink_parquet(...)."
        )
    return screen_spark(df, config)


def screen_spark(df: DataFrame, config: ScreeningConfig | None = None) -> ScreeningResult:
    """Screen a canonical Spark DataFrame; same result as :func:`~uncounted.screening.screen`
    (without ``description`` or ``merchant_category``, the typologies reading them are off)."""
    config = config or ScreeningConfig()
    session_tz = df.sparkSession.conf.get("spark.sql.session.timeZone")
    if session_tz not in ("UTC", "Etc/UTC", "GMT"):
        raise ConfigurationError(
            f"Spark session time zone is {session_tz}; set spark.sql.session.timeZone=UTC."
        )
    absent = [c for c in OPTIONAL_COLUMNS if c not in df.columns]
    config, off = switch_off(config, absent)
    for column in absent:
        df = df.withColumn(column, F.lit(None).cast("string"))
    p = prepare_spark(df, config)
    frames = [
        fn(p, config)
        for name, fn in SPARK_TYPOLOGIES.items()
        if getattr(config.rules, name).enabled
    ]
    fired = (
        _to_polars(reduce(lambda a, b: a.unionByName(b), frames))
        if frames
        else pl.DataFrame(schema=INDICATOR_SCHEMA)
    )
    if fired.is_empty():
        fired = pl.DataFrame(schema=INDICATOR_SCHEMA)
    links = _to_polars(p["corridor"].groupBy("sender_id", "beneficiary_id").agg(*_basic()))
    cols = ["party_id", "home_country", "counterpart_countries"]
    profiles = _to_polars(
        p["senders"]
        .select(*cols, F.lit("sender").alias("party_role"))
        .unionByName(p["beneficiaries"].select(*cols, F.lit("beneficiary").alias("party_role")))
    )
    for name in ("corridor", "senders", "beneficiaries"):
        p[name].unpersist()
    return finish(fired, links, profiles, config, off)


__all__ = [
    "SPARK_TYPOLOGIES",
    "escalating_amounts",
    "innocuous_descriptions",
    "low_value_corridor",
    "many_beneficiaries",
    "many_senders",
    "new_sender_burst",
    "night_payments",
    "prepare_spark",
    "risky_merchants",
    "round_amounts",
    "screen_parquet_spark",
    "screen_spark",
    "spark_session",
]
