"""The same typologies on PySpark, for payment volumes beyond one machine.

Install the ``spark`` extra (``pip install 'uncounted[spark]'``; needs Java 17+). Pass a
Spark DataFrame in the canonical schema of :mod:`.mapping` (e.g. ``spark.read.parquet`` of
a file written after :func:`~uncounted.screening.read_payments`); the session time zone must
be UTC. :func:`prepare_spark` builds the tables the typologies read (the Spark twin of
:func:`~uncounted.screening.inputs.prepare`); each typology of :mod:`.typologies` is one SQL
query, run here by ``SparkSession.sql`` and there by Polars' SQL context, so a typology is
written once. The indicators are brought back to Polars, and scoring, ranking and the draft
summaries are shared, so both engines give the same alerts (a test checks this on a
simulated sample).
"""

from __future__ import annotations

from functools import reduce
from itertools import chain
from typing import Any

import polars as pl

from uncounted.errors import ConfigurationError
from uncounted.screening.config import ScreeningConfig
from uncounted.screening.inputs import keyword_pattern, merchant_pattern
from uncounted.screening.mapping import COLUMNS, OPTIONAL_COLUMNS
from uncounted.screening.screen import ScreeningResult, finish, switch_off
from uncounted.screening.typologies import INDICATOR_SCHEMA, TABLES, Typology, enabled

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
    per-sender and per-beneficiary aggregates every rule reads (computed once, so that a
    run needs few shuffles).

    The corridor transfers are cached; the aggregates are materialized with
    ``localCheckpoint`` instead, because Spark SQL does not find a cached aggregate again
    when a query names it (it recomputed them for every typology's query).
    """
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
        "senders": _sender_aggregates(corridor, config).localCheckpoint(),
        "beneficiaries": _beneficiary_aggregates(corridor).localCheckpoint(),
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
            F.corr("amount_ref", "t").alias("_corr"),
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
        .withColumn("corr", F.when(~F.isnan("_corr"), F.col("_corr")))  # as Polars: NaN -> null
        .drop("_corr")
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


def run_typology(typology: Typology, p: dict[str, DataFrame], c: ScreeningConfig) -> DataFrame:
    """Run one typology's query (the same text Polars runs) on Spark."""
    session = p["corridor"].sparkSession
    df = session.sql(typology.render(c, "spark"), None, **{t: p[t] for t in TABLES})
    return df.select(*[F.col(n).cast(_SPARK_TYPES[n]) for n in INDICATOR_SCHEMA])


_SPARK_TYPES = {
    "party_role": "string",
    "party_id": "string",
    "indicator": "string",
    "n_transactions": "long",
    "amount": "double",
    "first_at": "timestamp",
    "last_at": "timestamp",
    "metric": "double",
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
    frames = [run_typology(t, p, config) for t in enabled(config)]
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
    p["corridor"].unpersist()  # the checkpointed aggregates go with their DataFrames
    return finish(fired, links, profiles, config, off)


__all__ = [
    "prepare_spark",
    "run_typology",
    "screen_parquet_spark",
    "screen_spark",
    "spark_session",
]
