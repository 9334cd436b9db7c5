"""The inputs every typology reads, computed in one streaming pass over the payments.

*Low-value corridor transfers* are payments on a transfer channel (remittance, bank
transfer, e-wallet) from a sender in one country to a beneficiary in a high-risk country,
of ``min_amount``-``max_amount`` in the reference currency (AUSTRAC 2019: A$10-100 typical,
under A$500; FATF 2025: EUR 10-200). :func:`prepare` defines them, the risky card
purchases, each sender's first appearance and the first timestamp of the data, lazily;
:meth:`Prepared.materialize` collects them in one streaming pass over the payments and then
builds, from the (much smaller) corridor transfers, one aggregate row per sender and per
beneficiary holding every count, amount, period and statistic the typologies test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import polars as pl

from uncounted.screening.config import ScreeningConfig

US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Prepared:
    """The inputs every typology reads.

    ``corridor``: low-value corridor transfers with ``amount_ref`` (reference currency),
    ``local_hour`` (sender's time zone) and ``is_round``; ``cards``: card purchases from
    risky merchant categories; ``first_seen``: each sender's first payment of any kind;
    ``bounds``: one row with ``data_start``, the first timestamp in the file; ``senders``
    and ``beneficiaries``: per-party aggregates of the corridor transfers (see
    :func:`sender_aggregates`, :func:`beneficiary_aggregates`).
    """

    corridor: pl.LazyFrame
    cards: pl.LazyFrame
    first_seen: pl.LazyFrame
    bounds: pl.LazyFrame
    senders: pl.LazyFrame
    beneficiaries: pl.LazyFrame
    config: ScreeningConfig

    def materialize(self) -> Prepared:
        """Collect the inputs (one streaming pass over the payments), then the aggregates."""
        corridor, cards, first_seen, bounds = pl.collect_all(
            [self.corridor, self.cards, self.first_seen, self.bounds], engine="streaming"
        )
        done = replace(
            self,
            corridor=corridor.lazy(),
            cards=cards.lazy(),
            first_seen=first_seen.lazy(),
            bounds=bounds.lazy(),
        )
        senders, beneficiaries = pl.collect_all(
            [
                sender_aggregates(done.corridor, self.config),
                beneficiary_aggregates(done.corridor),
            ]
        )
        return replace(done, senders=senders.lazy(), beneficiaries=beneficiaries.lazy())


def keyword_pattern(keywords: list[str]) -> str:
    """Case-insensitive regex matching any keyword at the start of a word.

    The same pattern is valid in Rust (Polars) and Java (Spark) regex syntax.
    """
    alternatives = "|".join(re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", k.lower()) for k in keywords)
    return rf"(?iu)(^|[^\p{{L}}])({alternatives})"


def merchant_pattern(categories: list[str]) -> str:
    """Case-insensitive regex on the merchant category: exact MCC codes, or substrings of
    names. Valid in Rust (Polars), Java (Spark) and Python regex syntax."""
    codes = [c for c in categories if c.isdigit()]
    words = [
        re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", c.lower()) for c in categories if not c.isdigit()
    ]
    parts = []
    if codes:
        parts.append(rf"^({'|'.join(codes)})$")
    parts.extend(words)
    return "(?iu)" + "|".join(parts) if parts else "$^"


def _local_hour(config: ScreeningConfig) -> pl.Expr:
    ts = pl.col("timestamp")
    expr = ts.dt.convert_time_zone(config.default_timezone).dt.hour()
    for country, tz in config.sender_timezones.items():
        expr = (
            pl.when(pl.col("sender_country") == country)
            .then(ts.dt.convert_time_zone(tz).dt.hour())
            .otherwise(expr)
        )
    return expr.cast(pl.Int32)


def prepare(payments: pl.LazyFrame, config: ScreeningConfig) -> Prepared:
    """Lazy inputs of the typologies from canonical payments (see :mod:`.mapping`)."""
    rate = pl.col("currency").replace_strict(config.fx_rates, default=None, return_dtype=pl.Float64)
    unit = config.rules.round_amounts.unit
    corridor = (
        payments.filter(
            pl.col("channel").is_in(config.transfer_channels)
            & pl.col("beneficiary_country").is_in(config.high_risk_countries)
            & (pl.col("sender_country") != pl.col("beneficiary_country"))
        )
        .with_columns(amount_ref=pl.col("amount") * rate)
        .filter(pl.col("amount_ref").is_between(config.min_amount, config.max_amount))
        .select(
            "transaction_id",
            "timestamp",
            "sender_id",
            "sender_country",
            "beneficiary_id",
            "beneficiary_country",
            "amount_ref",
            "description",
            _local_hour(config).alias("local_hour"),
            (((pl.col("amount") / unit).round(0) * unit - pl.col("amount")).abs() < 0.005).alias(
                "is_round"
            ),
        )
    )
    cards = payments.filter(
        (pl.col("channel") == config.card_channel)
        & pl.col("merchant_category").str.contains(
            merchant_pattern(config.rules.risky_merchants.categories)
        )
    ).select("sender_id", "timestamp", (pl.col("amount") * rate).alias("amount_ref"))
    first_seen = payments.group_by("sender_id").agg(pl.col("timestamp").min().alias("first_seen"))
    bounds = payments.select(pl.col("timestamp").min().alias("data_start"))
    return Prepared(
        corridor,
        cards,
        first_seen,
        bounds,
        sender_aggregates(corridor, config),
        beneficiary_aggregates(corridor),
        config,
    )


def basic() -> list[pl.Expr]:
    """Count, total amount (reference currency), first and last timestamp of a group."""
    return [
        pl.len().alias("n_transactions"),
        pl.col("amount_ref").sum().alias("amount"),
        pl.col("timestamp").min().alias("first_at"),
        pl.col("timestamp").max().alias("last_at"),
    ]


def _subset(cond: pl.Expr, prefix: str) -> list[pl.Expr]:
    """The same four, over the transfers meeting ``cond``, named ``<prefix>...``."""
    return [
        cond.sum().cast(pl.Int64).alias(f"{prefix}n_transactions"),
        pl.col("amount_ref").filter(cond).sum().alias(f"{prefix}amount"),
        pl.col("timestamp").filter(cond).min().alias(f"{prefix}first_at"),
        pl.col("timestamp").filter(cond).max().alias(f"{prefix}last_at"),
    ]


def is_night(config: ScreeningConfig) -> pl.Expr:
    """Local hour in [start_hour, end_hour), wrapping past midnight."""
    r = config.rules.night_payments
    h = pl.col("local_hour")
    if r.start_hour > r.end_hour:
        return (h >= r.start_hour) | (h < r.end_hour)
    return (h >= r.start_hour) & (h < r.end_hour)


def sender_aggregates(corridor: pl.LazyFrame, config: ScreeningConfig) -> pl.LazyFrame:
    """One row per sender (``party_id``) with what the sender typologies test.

    Columns: ``n_transactions``, ``amount``, ``first_at``, ``last_at``, ``median`` (amount),
    ``n_beneficiaries``, ``corr`` (Pearson, amount with time), ``early_mean`` and
    ``late_mean`` (mean amount before / after the middle of the sender's span), the same
    four counts for the subsets ``night_`` (night hours), ``hit_`` (innocuous description),
    ``round_`` (round amount), ``burst_`` (within ``window_days`` of the first transfer),
    and ``home_country``, ``counterpart_countries`` for the alert text.
    """
    since = (pl.col("timestamp") - pl.col("_first")).dt.total_microseconds()
    span = (pl.col("_last") - pl.col("_first")).dt.total_microseconds()
    hit = pl.col("description").str.contains(
        keyword_pattern(config.rules.innocuous_descriptions.keywords)
    )
    burst = since < config.rules.new_sender_burst.window_days * US_PER_DAY
    return (
        corridor.with_columns(
            _first=pl.col("timestamp").min().over("sender_id"),
            _last=pl.col("timestamp").max().over("sender_id"),
        )
        .with_columns(
            t=since.cast(pl.Float64) / 1e6,
            late=since * 2 > span,
            _hit=hit.fill_null(False),
            _burst=burst,
            _night=is_night(config),
        )
        .group_by(pl.col("sender_id").alias("party_id"))
        .agg(
            *basic(),
            pl.col("amount_ref").median().alias("median"),
            pl.col("beneficiary_id").n_unique().alias("n_beneficiaries"),
            pl.corr("amount_ref", "t").fill_nan(None).alias("corr"),
            pl.col("amount_ref").filter(~pl.col("late")).mean().alias("early_mean"),
            pl.col("amount_ref").filter(pl.col("late")).mean().alias("late_mean"),
            *_subset(pl.col("_night"), "night_"),
            *_subset(pl.col("_hit"), "hit_"),
            *_subset(pl.col("is_round"), "round_"),
            *_subset(pl.col("_burst"), "burst_"),
            pl.col("sender_country").min().alias("home_country"),
            pl.col("beneficiary_country")
            .unique()
            .sort()
            .str.join(", ")
            .alias("counterpart_countries"),
        )
    )


def beneficiary_aggregates(corridor: pl.LazyFrame) -> pl.LazyFrame:
    """One row per beneficiary (``party_id``): the four counts, ``median``, ``n_senders``,
    ``home_country`` and ``counterpart_countries`` (the senders' countries)."""
    return corridor.group_by(pl.col("beneficiary_id").alias("party_id")).agg(
        *basic(),
        pl.col("amount_ref").median().alias("median"),
        pl.col("sender_id").n_unique().alias("n_senders"),
        pl.col("beneficiary_country").min().alias("home_country"),
        pl.col("sender_country").unique().sort().str.join(", ").alias("counterpart_countries"),
    )


def party_profiles(p: Prepared) -> pl.DataFrame:
    """Country of each party and the countries on the other side of its corridor transfers."""
    cols = ["party_id", "home_country", "counterpart_countries"]
    return pl.concat(
        [
            p.senders.select(*cols, party_role=pl.lit("sender")),
            p.beneficiaries.select(*cols, party_role=pl.lit("beneficiary")),
        ]
    ).collect()


__all__ = [
    "US_PER_DAY",
    "Prepared",
    "basic",
    "beneficiary_aggregates",
    "is_night",
    "keyword_pattern",
    "merchant_pattern",
    "party_profiles",
    "prepare",
    "sender_aggregates",
]
