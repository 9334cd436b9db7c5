"""Payment typologies of online sexual exploitation of children, as Polars lazy queries.

Each typology is one function ``(prepared, config) -> LazyFrame`` returning the indicators it
fired, one row per party, in the :data:`INDICATOR_SCHEMA`:

``party_role`` ("sender" or "beneficiary"), ``party_id``, ``indicator`` (the rule's name),
``n_transactions``, ``amount`` (in the reference currency), ``first_at``, ``last_at`` (the
period of the transactions counted) and ``metric`` (the rule's own measure, named in its
docstring).

Most rules look at *low-value corridor transfers*: payments on a transfer channel
(remittance, bank transfer, e-wallet) from a sender in one country to a beneficiary in a
high-risk country, of ``min_amount``-``max_amount`` in the reference currency (AUSTRAC 2019:
A$10-100 typical, under A$500; FATF 2025: EUR 10-200). :func:`prepare` builds that set, the
risky card purchases and each sender's first appearance in one streaming pass over the
file; the rules then run on those much smaller frames.

The same rules are written for PySpark in :mod:`uncounted.screening.spark`; a test checks
both give identical indicators.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from uncounted.screening.config import ScreeningConfig

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

_US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Prepared:
    """The inputs every typology reads.

    ``corridor``: low-value corridor transfers with ``amount_ref`` (reference currency),
    ``local_hour`` (sender's time zone) and ``is_round``; ``cards``: card purchases from
    risky merchant categories; ``first_seen``: each sender's first payment of any kind;
    ``bounds``: one row with ``data_start``, the first timestamp in the file.
    """

    corridor: pl.LazyFrame
    cards: pl.LazyFrame
    first_seen: pl.LazyFrame
    bounds: pl.LazyFrame

    def materialize(self, *also: pl.LazyFrame) -> tuple[Prepared, list[pl.DataFrame]]:
        """Compute all four (and any ``also`` queries on the same input) in one streaming
        pass; return them held in memory, with the collected ``also`` frames."""
        frames = pl.collect_all(
            [self.corridor, self.cards, self.first_seen, self.bounds, *also], engine="streaming"
        )
        return Prepared(*(f.lazy() for f in frames[:4])), frames[4:]


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
    return Prepared(corridor, cards, first_seen, bounds)


def _out(lf: pl.LazyFrame, role: str, indicator: str) -> pl.LazyFrame:
    return lf.select(
        pl.lit(role).alias("party_role"),
        pl.col("party_id"),
        pl.lit(indicator).alias("indicator"),
        pl.col("n_transactions").cast(pl.Int64),
        pl.col("amount").cast(pl.Float64),
        pl.col("first_at"),
        pl.col("last_at"),
        pl.col("metric").cast(pl.Float64),
    )


def _basic() -> list[pl.Expr]:
    return [
        pl.len().alias("n_transactions"),
        pl.col("amount_ref").sum().alias("amount"),
        pl.col("timestamp").min().alias("first_at"),
        pl.col("timestamp").max().alias("last_at"),
    ]


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
    span = ((pl.col("last_at") - pl.col("first_at")).dt.total_microseconds() / _US_PER_DAY).clip(
        lower_bound=30.0
    )

    def frequent(party: str) -> pl.LazyFrame:
        return (
            p.corridor.group_by(pl.col(party).alias("party_id"))
            .agg(*_basic(), pl.col("amount_ref").median().alias("median"))
            .with_columns(metric=pl.col("n_transactions") / span * 30.0)
            .filter(
                (pl.col("n_transactions") >= r.min_count)
                & (pl.col("metric") >= r.min_per_30_days)
                & (pl.col("median") <= r.max_median_amount)
            )
        )

    return pl.concat(
        [
            _out(frequent("sender_id"), "sender", "low_value_corridor"),
            _out(frequent("beneficiary_id"), "beneficiary", "low_value_inflow"),
        ]
    )


def _is_night(config: ScreeningConfig) -> pl.Expr:
    r = config.rules.night_payments
    h = pl.col("local_hour")
    if r.start_hour > r.end_hour:
        return (h >= r.start_hour) | (h < r.end_hour)
    return (h >= r.start_hour) & (h < r.end_hour)


def night_payments(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Low-value corridor transfers at night or early morning in the sender's time zone.

    Fires when ``n_night >= min_count`` and ``n_night / n >= min_share``; counts, amount and
    period are of the night transfers; metric = the night share. Source: FATF (2025),
    repeated payments late at night or early in the morning (the viewer's time zone matches
    the victim's daytime). Night hours are a default of ours (22:00-06:00).
    """
    r = config.rules.night_payments
    night = _is_night(config)
    lf = (
        p.corridor.group_by(pl.col("sender_id").alias("party_id"))
        .agg(
            night.sum().alias("n_transactions"),
            pl.len().alias("n_all"),
            pl.col("amount_ref").filter(night).sum().alias("amount"),
            pl.col("timestamp").filter(night).min().alias("first_at"),
            pl.col("timestamp").filter(night).max().alias("last_at"),
        )
        .with_columns(metric=pl.col("n_transactions") / pl.col("n_all"))
        .filter((pl.col("n_transactions") >= r.min_count) & (pl.col("metric") >= r.min_share))
    )
    return _out(lf, "sender", "night_payments")


def many_beneficiaries(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """One sender paying many beneficiaries in high-risk countries.

    Fires when a sender's low-value corridor transfers go to ``>= min_beneficiaries``
    distinct beneficiaries; metric = that number. Source: AUSTRAC (2019), FINTRAC Project
    Shadow. We cannot tell "unrelated" beneficiaries apart from relatives without names:
    distinct ids stand in for it.
    """
    r = config.rules.many_beneficiaries
    lf = (
        p.corridor.group_by(pl.col("sender_id").alias("party_id"))
        .agg(*_basic(), pl.col("beneficiary_id").n_unique().alias("metric"))
        .filter(pl.col("metric") >= r.min_beneficiaries)
    )
    return _out(lf, "sender", "many_beneficiaries")


def _shared_beneficiaries(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    r = config.rules.many_senders
    return (
        p.corridor.group_by(pl.col("beneficiary_id").alias("party_id"))
        .agg(*_basic(), pl.col("sender_id").n_unique().alias("metric"))
        .filter(pl.col("metric") >= r.min_senders)
    )


def many_senders(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Many senders paying one beneficiary in a high-risk country.

    Fires for a beneficiary receiving low-value corridor transfers from ``>= min_senders``
    distinct senders (metric = that number). Each of those senders also gets the indicator
    ``pays_shared_beneficiary`` (counts, amount and period of their transfers to such
    beneficiaries; metric = how many such beneficiaries they pay). Source: AUSTRAC case
    study, "frequent, low-value outgoing remittances to a common beneficiary ... sent by
    multiple Australia-based customers".
    """
    shared = _shared_beneficiaries(p, config)
    senders = (
        p.corridor.join(
            shared.select(pl.col("party_id").alias("beneficiary_id")),
            on="beneficiary_id",
            how="semi",
        )
        .group_by(pl.col("sender_id").alias("party_id"))
        .agg(*_basic(), pl.col("beneficiary_id").n_unique().alias("metric"))
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
    first = pl.col("timestamp").min().over("sender_id")
    last = pl.col("timestamp").max().over("sender_id")
    lf = (
        p.corridor.with_columns(
            t=(pl.col("timestamp") - first).dt.total_microseconds().cast(pl.Float64) / 1e6,
            late=(pl.col("timestamp") - first).dt.total_microseconds() * 2
            > (last - first).dt.total_microseconds(),
        )
        .group_by(pl.col("sender_id").alias("party_id"))
        .agg(
            *_basic(),
            pl.corr("amount_ref", "t").fill_nan(None).alias("corr"),
            pl.col("amount_ref").filter(~pl.col("late")).mean().alias("early_mean"),
            pl.col("amount_ref").filter(pl.col("late")).mean().alias("late_mean"),
        )
        .with_columns(metric=pl.col("late_mean") / pl.col("early_mean"))
        .filter(
            (pl.col("n_transactions") >= r.min_count)
            & (pl.col("corr") >= r.min_correlation)
            & (pl.col("metric") >= r.min_ratio)
        )
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
    hit = pl.col("description").str.contains(keyword_pattern(r.keywords)).fill_null(False)
    lf = (
        p.corridor.group_by(pl.col("sender_id").alias("party_id"))
        .agg(
            hit.sum().alias("n_transactions"),
            pl.len().alias("n_all"),
            pl.col("amount_ref").filter(hit).sum().alias("amount"),
            pl.col("timestamp").filter(hit).min().alias("first_at"),
            pl.col("timestamp").filter(hit).max().alias("last_at"),
        )
        .with_columns(metric=pl.col("n_transactions") / pl.col("n_all"))
        .filter(pl.col("n_transactions") >= r.min_count)
    )
    return _out(lf, "sender", "innocuous_descriptions")


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
    day = _US_PER_DAY
    first_corr = pl.col("timestamp").min().over("sender_id")
    lf = (
        p.corridor.join(p.first_seen, on="sender_id", how="inner")
        .join(p.bounds, how="cross")
        .filter(
            (pl.col("first_seen") - pl.col("data_start")).dt.total_microseconds()
            >= r.min_history_days * day
        )
        .with_columns(first_corr=first_corr)
        .filter(
            (
                (pl.col("first_corr") - pl.col("first_seen")).dt.total_microseconds()
                <= r.max_days_to_start * day
            )
            & (
                (pl.col("timestamp") - pl.col("first_corr")).dt.total_microseconds()
                < r.window_days * day
            )
        )
        .group_by(pl.col("sender_id").alias("party_id"))
        .agg(
            *_basic(),
            (
                (
                    pl.col("first_corr").first() - pl.col("first_seen").first()
                ).dt.total_microseconds()
                / day
            ).alias("metric"),
        )
        .filter(pl.col("n_transactions") >= r.min_count)
    )
    return _out(lf, "sender", "new_sender_burst")


def risky_merchants(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """Card purchases from webcam, streaming-platform or VPN merchants alongside transfers.

    Fires when a sender makes ``>= min_purchases`` card purchases in a risky merchant
    category and ``>= min_corridor_transfers`` low-value corridor transfers; counts, amount
    and period are of the purchases; metric = the number of corridor transfers. Source:
    AUSTRAC (2019, 2022 update): VPN, spyware or video-capture purchases combined with
    low-value transfers; FINTRAC Project Shadow. Merchant categories are ours.
    """
    r = config.rules.risky_merchants
    transfers = p.corridor.group_by("sender_id").agg(pl.len().alias("metric"))
    lf = (
        p.cards.group_by("sender_id")
        .agg(*_basic())
        .join(transfers, on="sender_id", how="inner")
        .filter(
            (pl.col("n_transactions") >= r.min_purchases)
            & (pl.col("metric") >= r.min_corridor_transfers)
        )
        .rename({"sender_id": "party_id"})
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
    rnd = pl.col("is_round")
    lf = (
        p.corridor.group_by(pl.col("sender_id").alias("party_id"))
        .agg(
            rnd.sum().alias("n_transactions"),
            pl.len().alias("n_all"),
            pl.col("amount_ref").filter(rnd).sum().alias("amount"),
            pl.col("timestamp").filter(rnd).min().alias("first_at"),
            pl.col("timestamp").filter(rnd).max().alias("last_at"),
        )
        .with_columns(metric=pl.col("n_transactions") / pl.col("n_all"))
        .filter((pl.col("n_transactions") >= r.min_count) & (pl.col("metric") >= r.min_share))
    )
    return _out(lf, "sender", "round_amounts")


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
    return p.corridor.group_by("sender_id", "beneficiary_id").agg(*_basic())


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
