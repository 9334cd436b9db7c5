"""Payment typologies of online sexual exploitation of children, as Polars lazy queries.

Each typology is one function ``(prepared, config) -> LazyFrame`` returning the indicators it
fired, one row per party, in the :data:`INDICATOR_SCHEMA`:

``party_role`` ("sender" or "beneficiary"), ``party_id``, ``indicator`` (the rule's name),
``n_transactions``, ``amount`` (in the reference currency), ``first_at``, ``last_at`` (the
period of the transactions counted) and ``metric`` (the rule's own measure, named in its
docstring).

The rules read :class:`~uncounted.screening.inputs.Prepared`: the low-value corridor
transfers and the per-sender and per-beneficiary aggregates built from them in
:mod:`.inputs`. The same rules are written for PySpark in :mod:`uncounted.screening.spark`;
a test checks both give identical indicators.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from uncounted.screening.config import ScreeningConfig
from uncounted.screening.inputs import (
    US_PER_DAY,
    Prepared,
    basic,
    keyword_pattern,
    merchant_pattern,
    prepare,
)

INDICATOR_SCHEMA: dict[str, pl.DataType] = {
    "party_role": pl.String(),
    "party_id": pl.String(),
    "indicator": pl.String(),
    "n_transactions": pl.Int64(),
    "amount": pl.Float64(),
    "first_at": pl.Datetime("us", "UTC"),
    "last_at": pl.Datetime("us", "UTC"),
    "metric": pl.Float64(),
}


def _out(lf: pl.LazyFrame, role: str, indicator: str, prefix: str = "") -> pl.LazyFrame:
    return lf.select(
        pl.lit(role).alias("party_role"),
        pl.col("party_id"),
        pl.lit(indicator).alias("indicator"),
        pl.col(f"{prefix}n_transactions").cast(pl.Int64).alias("n_transactions"),
        pl.col(f"{prefix}amount").cast(pl.Float64).alias("amount"),
        pl.col(f"{prefix}first_at").alias("first_at"),
        pl.col(f"{prefix}last_at").alias("last_at"),
        pl.col("metric").cast(pl.Float64),
    )


def _share(prefix: str) -> pl.Expr:
    return (pl.col(f"{prefix}n_transactions") / pl.col("n_transactions")).alias("metric")


def low_value_corridor(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Frequent low-value transfers to high-risk corridors.

    Fires when a sender makes ``n >= min_count`` low-value corridor transfers at a rate
    ``n / max(span, 30 days) * 30 >= min_per_30_days`` (span = last - first transfer) with a
    median amount ``<= max_median_amount``. The same test on what a beneficiary receives
    gives the beneficiary indicator ``low_value_inflow``.
    metric = that rate per 30 days. Source: AUSTRAC (2019) "frequent, low-value remittances
    ... between A$10 and A$100", "under A$500"; FATF (2025) EUR 10-200.
    """
    r = config.rules.low_value_corridor
    span = ((pl.col("last_at") - pl.col("first_at")).dt.total_microseconds() / US_PER_DAY).clip(
        lower_bound=30.0
    )

    def frequent(agg: pl.LazyFrame) -> pl.LazyFrame:
        return agg.with_columns(metric=pl.col("n_transactions") / span * 30.0).filter(
            (pl.col("n_transactions") >= r.min_count)
            & (pl.col("metric") >= r.min_per_30_days)
            & (pl.col("median") <= r.max_median_amount)
        )

    return pl.concat(
        [
            _out(frequent(p.senders), "sender", "low_value_corridor"),
            _out(frequent(p.beneficiaries), "beneficiary", "low_value_inflow"),
        ]
    )


def night_payments(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Low-value corridor transfers at night or early morning in the sender's time zone.

    Fires when ``n_night >= min_count`` and ``n_night / n >= min_share``; counts, amount and
    period are of the night transfers; metric = the night share. Source: FATF (2025),
    repeated payments late at night or early in the morning (the viewer's time zone matches
    the victim's daytime). Night hours are a default of ours (22:00-06:00).
    """
    r = config.rules.night_payments
    lf = p.senders.with_columns(_share("night_")).filter(
        (pl.col("night_n_transactions") >= r.min_count) & (pl.col("metric") >= r.min_share)
    )
    return _out(lf, "sender", "night_payments", "night_")


def many_beneficiaries(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """One sender paying many beneficiaries in high-risk countries.

    Fires when a sender's low-value corridor transfers go to ``>= min_beneficiaries``
    distinct beneficiaries; metric = that number. Source: AUSTRAC (2019), FINTRAC Project
    Shadow. We cannot tell "unrelated" beneficiaries apart from relatives without names:
    distinct ids stand in for it.
    """
    r = config.rules.many_beneficiaries
    lf = p.senders.with_columns(metric=pl.col("n_beneficiaries")).filter(
        pl.col("metric") >= r.min_beneficiaries
    )
    return _out(lf, "sender", "many_beneficiaries")


def many_senders(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Many senders paying one beneficiary in a high-risk country.

    Fires for a beneficiary receiving low-value corridor transfers from ``>= min_senders``
    distinct senders (metric = that number). Each of those senders also gets the indicator
    ``pays_shared_beneficiary`` (counts, amount and period of their transfers to such
    beneficiaries; metric = how many such beneficiaries they pay). Source: AUSTRAC case
    study, "frequent, low-value outgoing remittances to a common beneficiary ... sent by
    multiple Australia-based customers".
    """
    r = config.rules.many_senders
    shared = p.beneficiaries.with_columns(metric=pl.col("n_senders")).filter(
        pl.col("metric") >= r.min_senders
    )
    ids = shared.select(pl.col("party_id").alias("beneficiary_id"))
    senders = (
        p.corridor.join(ids, on="beneficiary_id", how="semi")
        .group_by(pl.col("sender_id").alias("party_id"))
        .agg(*basic(), pl.col("beneficiary_id").n_unique().alias("metric"))
    )
    return pl.concat(
        [
            _out(shared, "beneficiary", "many_senders"),
            _out(senders, "sender", "pays_shared_beneficiary"),
        ]
    )


def escalating_amounts(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Amounts escalating over time.

    For each sender with ``n >= min_count`` low-value corridor transfers: r = Pearson
    correlation of amount with time, and ratio = mean amount in the second half of the span
    over the first half (split at (first + last) / 2). Fires when ``r >= min_correlation``
    and ``ratio >= min_ratio``; metric = ratio. Source: AUSTRAC (2019): payments start small
    and infrequent, then grow larger and more frequent. Thresholds are ours.
    """
    r = config.rules.escalating_amounts
    lf = p.senders.with_columns(metric=pl.col("late_mean") / pl.col("early_mean")).filter(
        (pl.col("n_transactions") >= r.min_count)
        & (pl.col("corr") >= r.min_correlation)
        & (pl.col("metric") >= r.min_ratio)
    )
    return _out(lf, "sender", "escalating_amounts")


def innocuous_descriptions(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Innocuous descriptions ("school fees", "uniform", "medical", "gift", "load", ...).

    Fires when ``>= min_count`` of a sender's low-value corridor transfers have a
    description starting a word with a configured keyword; counts, amount and period are of
    those transfers; metric = their share of the sender's corridor transfers. Source:
    AUSTRAC (2019): "school fees", "uniform", "medical bills", "gift", "accommodation";
    FATF (2025): "family support", "medical bills", "education". Other languages are ours.
    """
    r = config.rules.innocuous_descriptions
    lf = p.senders.with_columns(_share("hit_")).filter(pl.col("hit_n_transactions") >= r.min_count)
    return _out(lf, "sender", "innocuous_descriptions", "hit_")


def new_sender_burst(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """A new sender who starts the pattern at once.

    Fires when the sender first appears ``>= min_history_days`` after the data start (so
    is new, not merely old and first seen), the first low-value corridor transfer follows
    within ``max_days_to_start`` days, and ``>= min_count`` such transfers fall within
    ``window_days`` of the first. Counts, amount and period are of the burst; metric = days
    from first appearance to the first corridor transfer. Source: AUSTRAC (2019) notes new
    customers transacting in this way at once; all thresholds are ours.
    """
    r = config.rules.new_sender_burst
    since_start = (pl.col("first_seen") - pl.col("data_start")).dt.total_microseconds()
    to_start = (pl.col("first_at") - pl.col("first_seen")).dt.total_microseconds()
    lf = (
        p.senders.join(p.first_seen.rename({"sender_id": "party_id"}), on="party_id")
        .join(p.bounds, how="cross")
        .filter(
            (since_start >= r.min_history_days * US_PER_DAY)
            & (to_start <= r.max_days_to_start * US_PER_DAY)
            & (pl.col("burst_n_transactions") >= r.min_count)
        )
        .with_columns(metric=to_start / US_PER_DAY)
    )
    return _out(lf, "sender", "new_sender_burst", "burst_")


def risky_merchants(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Card purchases from webcam, streaming-platform or VPN merchants alongside transfers.

    Fires when a sender makes ``>= min_purchases`` card purchases in a risky merchant
    category and ``>= min_corridor_transfers`` low-value corridor transfers; counts, amount
    and period are of the purchases; metric = the number of corridor transfers. Source:
    AUSTRAC (2019, 2022 update): VPN, spyware or video-capture purchases combined with
    low-value transfers; FINTRAC Project Shadow. Merchant categories are ours.
    """
    r = config.rules.risky_merchants
    transfers = p.senders.select(pl.col("party_id"), pl.col("n_transactions").alias("metric"))
    lf = (
        p.cards.group_by(pl.col("sender_id").alias("party_id"))
        .agg(*basic())
        .join(transfers, on="party_id", how="inner")
        .filter(
            (pl.col("n_transactions") >= r.min_purchases)
            & (pl.col("metric") >= r.min_corridor_transfers)
        )
    )
    return _out(lf, "sender", "risky_merchants")


def round_amounts(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Even-denominated amounts.

    Fires when ``>= min_count`` of a sender's low-value corridor transfers are multiples of
    ``unit`` (in the sending currency) and they are ``>= min_share`` of them; counts, amount
    and period are of the round ones; metric = the share. Source: FATF (2025), payments
    often even-denominated. Weak alone: family remittances are round too.
    """
    r = config.rules.round_amounts
    lf = p.senders.with_columns(_share("round_")).filter(
        (pl.col("round_n_transactions") >= r.min_count) & (pl.col("metric") >= r.min_share)
    )
    return _out(lf, "sender", "round_amounts", "round_")


#: Every typology, by rule name (the key in the rules file).
TYPOLOGIES: dict[str, Callable[[Prepared, ScreeningConfig], pl.LazyFrame]] = {
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


def links(p: Prepared) -> pl.LazyFrame:
    """Sender-beneficiary pairs of low-value corridor transfers, with counts and amounts."""
    return p.corridor.group_by("sender_id", "beneficiary_id").agg(*basic())


def indicators(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """All enabled typologies' indicators, stacked (in the :data:`INDICATOR_SCHEMA`)."""
    frames = [
        fn(p, config) for name, fn in TYPOLOGIES.items() if getattr(config.rules, name).enabled
    ]
    if not frames:
        return pl.LazyFrame(schema=INDICATOR_SCHEMA)
    return pl.concat(frames)


__all__ = [
    "INDICATOR_SCHEMA",
    "TYPOLOGIES",
    "Prepared",
    "escalating_amounts",
    "indicators",
    "innocuous_descriptions",
    "keyword_pattern",
    "links",
    "low_value_corridor",
    "many_beneficiaries",
    "many_senders",
    "merchant_pattern",
    "new_sender_burst",
    "night_payments",
    "prepare",
    "risky_merchants",
    "round_amounts",
]
