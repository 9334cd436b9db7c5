"""Payment typologies of online sexual exploitation of children, each written once, in SQL.

Each typology is one :class:`Typology`: a docstring (formula and source) and one ``SELECT``
that both engines run, Polars through :class:`polars.SQLContext` and Spark through
``SparkSession.sql`` (:mod:`uncounted.screening.spark`). A typology returns the indicators
it fired, one row per party, in the :data:`INDICATOR_SCHEMA`:

``party_role`` ("sender" or "beneficiary"), ``party_id``, ``indicator`` (the rule's name),
``n_transactions``, ``amount`` (in the reference currency), ``first_at``, ``last_at`` (the
period of the transactions counted) and ``metric`` (the rule's own measure, named in its
docstring).

The queries read the tables of :class:`~uncounted.screening.inputs.Prepared` (each engine
builds them in its own way, in one pass): ``corridor`` (the low-value corridor transfers),
``cards``, ``first_seen``, ``bounds``, and the per-party aggregates ``senders`` and
``beneficiaries``. In the text, ``{senders}`` and the like name those tables, ``{name}``
any parameter of the rule (floats are passed as ``DOUBLE``), ``{day}`` the microseconds in
a day, and ``MICROS(x)`` the microseconds since 1970 of a timestamp column ``x`` (the one
function the two SQL dialects spell differently). Write literals with a decimal point as
``CAST(30 AS DOUBLE)``: both dialects read ``30.0`` as a DECIMAL.

Adding a typology: see "How to add a typology" in ``docs/screening.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

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

Engine = Literal["polars", "spark"]

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

#: The tables a typology's query may read (see :class:`~uncounted.screening.inputs.Prepared`).
TABLES = ("corridor", "cards", "first_seen", "bounds", "senders", "beneficiaries")

_MICROS = re.compile(r"MICROS\(([\w.]+)\)")
_MICROS_BY_ENGINE: dict[Engine, str] = {
    "polars": r"CAST(\1 AS BIGINT)",  # Datetime("us") cast to Int64 is microseconds
    "spark": r"unix_micros(\1)",
}


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    return f"CAST({value!r} AS DOUBLE)"


@dataclass(frozen=True)
class Typology:
    """One typology: its rule name, what it does (``doc``), its query and the optional
    payment columns it reads (without one of them it is switched off, see
    :func:`~uncounted.screening.screen.switch_off`).

    Called with ``(prepared, config)`` it runs on Polars and returns a LazyFrame in the
    :data:`INDICATOR_SCHEMA`.
    """

    name: str
    doc: str
    sql: str
    reads: tuple[str, ...] = ()

    def render(self, config: ScreeningConfig, engine: Engine) -> str:
        """The query for ``engine``, with the rule's parameters filled in.

        Tables are named as they are for Polars' SQL context, and as ``{senders}`` and the
        like for ``SparkSession.sql(query, senders=df, ...)``.
        """
        rule = getattr(config.rules, self.name)
        params = {k: _sql_value(v) for k, v in rule.model_dump().items()}
        tables = {t: t if engine == "polars" else "{" + t + "}" for t in TABLES}
        text = self.sql.format(**params, **tables, day=US_PER_DAY)
        return _MICROS.sub(_MICROS_BY_ENGINE[engine], text)

    def __call__(self, prepared: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
        frames = {t: getattr(prepared, t) for t in TABLES}
        out = pl.SQLContext(frames=frames).execute(self.render(config, "polars"))
        return out.select([pl.col(c).cast(t) for c, t in INDICATOR_SCHEMA.items()])


def _indicator(role: str, name: str, prefix: str = "") -> str:
    """The select list of an indicator row (for the typologies' queries)."""
    return (
        f"'{role}' AS party_role, party_id, '{name}' AS indicator, "
        f"{prefix}n_transactions AS n_transactions, {prefix}amount AS amount, "
        f"{prefix}first_at AS first_at, {prefix}last_at AS last_at, metric"
    )


low_value_corridor = Typology(
    "low_value_corridor",
    """Frequent low-value transfers to high-risk corridors.

    Fires when a sender makes ``n >= min_count`` low-value corridor transfers at a rate
    ``n / max(span, 30 days) * 30 >= min_per_30_days`` (span = last - first transfer) with a
    median amount ``<= max_median_amount``. The same test on what a beneficiary receives
    gives the beneficiary indicator ``low_value_inflow``.
    metric = that rate per 30 days. Source: AUSTRAC (2019) "frequent, low-value remittances
    ... between A$10 and A$100", "under A$500"; FATF (2025) EUR 10-200.
    """,
    """
    WITH parties AS (
        SELECT 'sender' AS party_role, 'low_value_corridor' AS indicator,
               party_id, n_transactions, amount, first_at, last_at, median
        FROM {senders}
        UNION ALL
        SELECT 'beneficiary' AS party_role, 'low_value_inflow' AS indicator,
               party_id, n_transactions, amount, first_at, last_at, median
        FROM {beneficiaries}
    ), rated AS (
        SELECT *, n_transactions
                  / GREATEST((MICROS(last_at) - MICROS(first_at)) / {day}, CAST(30 AS DOUBLE))
                  * CAST(30 AS DOUBLE) AS metric
        FROM parties
    )
    SELECT party_role, party_id, indicator, n_transactions, amount, first_at, last_at, metric
    FROM rated
    WHERE n_transactions >= {min_count} AND metric >= {min_per_30_days}
      AND median <= {max_median_amount}
    """,
)

night_payments = Typology(
    "night_payments",
    """Low-value corridor transfers at night or early morning in the sender's time zone.

    Fires when ``n_night >= min_count`` and ``n_night / n >= min_share``; counts, amount and
    period are of the night transfers; metric = the night share. Source: FATF (2025),
    repeated payments late at night or early in the morning (the viewer's time zone matches
    the victim's daytime). Night hours are a default of ours (22:00-06:00).
    """,
    f"""
    SELECT {_indicator("sender", "night_payments", "night_")}
    FROM (SELECT *, night_n_transactions / n_transactions AS metric FROM {{senders}}) AS s
    WHERE night_n_transactions >= {{min_count}} AND metric >= {{min_share}}
    """,
)

many_beneficiaries = Typology(
    "many_beneficiaries",
    """One sender paying many beneficiaries in high-risk countries.

    Fires when a sender's low-value corridor transfers go to ``>= min_beneficiaries``
    distinct beneficiaries; metric = that number. Source: AUSTRAC (2019), FINTRAC Project
    Shadow. We cannot tell "unrelated" beneficiaries apart from relatives without names:
    distinct ids stand in for it.
    """,
    f"""
    SELECT {_indicator("sender", "many_beneficiaries")}
    FROM (SELECT *, n_beneficiaries AS metric FROM {{senders}}) AS s
    WHERE metric >= {{min_beneficiaries}}
    """,
)

many_senders = Typology(
    "many_senders",
    """Many senders paying one beneficiary in a high-risk country.

    Fires for a beneficiary receiving low-value corridor transfers from ``>= min_senders``
    distinct senders (metric = that number). Each of those senders also gets the indicator
    ``pays_shared_beneficiary`` (counts, amount and period of their transfers to such
    beneficiaries; metric = how many such beneficiaries they pay). Source: AUSTRAC case
    study, "frequent, low-value outgoing remittances to a common beneficiary ... sent by
    multiple Australia-based customers".
    """,
    f"""
    WITH shared AS (
        SELECT *, n_senders AS metric FROM {{beneficiaries}} WHERE n_senders >= {{min_senders}}
    ), payers AS (
        SELECT sender_id AS party_id, COUNT(*) AS n_transactions, SUM(amount_ref) AS amount,
               MIN(timestamp) AS first_at, MAX(timestamp) AS last_at,
               COUNT(DISTINCT beneficiary_id) AS metric
        FROM {{corridor}}
        WHERE beneficiary_id IN (SELECT party_id FROM shared)
        GROUP BY sender_id
    )
    SELECT {_indicator("beneficiary", "many_senders")} FROM shared
    UNION ALL
    SELECT {_indicator("sender", "pays_shared_beneficiary")} FROM payers
    """,
)

escalating_amounts = Typology(
    "escalating_amounts",
    """Amounts escalating over time.

    For each sender with ``n >= min_count`` low-value corridor transfers: r = Pearson
    correlation of amount with time, and ratio = mean amount in the second half of the span
    over the first half (split at (first + last) / 2). Fires when ``r >= min_correlation``
    and ``ratio >= min_ratio``; metric = ratio. Source: AUSTRAC (2019): payments start small
    and infrequent, then grow larger and more frequent. Thresholds are ours.
    """,
    f"""
    SELECT {_indicator("sender", "escalating_amounts")}
    FROM (SELECT *, late_mean / early_mean AS metric FROM {{senders}}) AS s
    WHERE n_transactions >= {{min_count}} AND corr >= {{min_correlation}}
      AND metric >= {{min_ratio}}
    """,
)

innocuous_descriptions = Typology(
    "innocuous_descriptions",
    """Innocuous descriptions ("school fees", "uniform", "medical", "gift", "load", ...).

    Fires when ``>= min_count`` of a sender's low-value corridor transfers have a
    description starting a word with a configured keyword; counts, amount and period are of
    those transfers; metric = their share of the sender's corridor transfers. Source:
    AUSTRAC (2019): "school fees", "uniform", "medical bills", "gift", "accommodation";
    FATF (2025): "family support", "medical bills", "education". Other languages are ours.
    """,
    f"""
    SELECT {_indicator("sender", "innocuous_descriptions", "hit_")}
    FROM (SELECT *, hit_n_transactions / n_transactions AS metric FROM {{senders}}) AS s
    WHERE hit_n_transactions >= {{min_count}}
    """,
    reads=("description",),
)

new_sender_burst = Typology(
    "new_sender_burst",
    """A new sender who starts the pattern at once.

    Fires when the sender first appears ``>= min_history_days`` after the data start (so
    is new, not merely old and first seen), the first low-value corridor transfer follows
    within ``max_days_to_start`` days, and ``>= min_count`` such transfers fall within
    ``window_days`` of the first. Counts, amount and period are of the burst; metric = days
    from first appearance to the first corridor transfer. Source: AUSTRAC (2019) notes new
    customers transacting in this way at once; all thresholds are ours.
    """,
    f"""
    WITH timed AS (
        SELECT s.*, MICROS(f.first_seen) - MICROS(b.data_start) AS since_start,
               MICROS(s.first_at) - MICROS(f.first_seen) AS to_start
        FROM {{senders}} AS s
        JOIN {{first_seen}} AS f ON s.party_id = f.sender_id
        CROSS JOIN {{bounds}} AS b
    )
    SELECT {_indicator("sender", "new_sender_burst", "burst_")}
    FROM (SELECT *, to_start / {{day}} AS metric FROM timed) AS t
    WHERE since_start >= {{min_history_days}} * {{day}}
      AND to_start <= {{max_days_to_start}} * {{day}}
      AND burst_n_transactions >= {{min_count}}
    """,
)

risky_merchants = Typology(
    "risky_merchants",
    """Card purchases from webcam, streaming-platform or VPN merchants alongside transfers.

    Fires when a sender makes ``>= min_purchases`` card purchases in a risky merchant
    category and ``>= min_corridor_transfers`` low-value corridor transfers; counts, amount
    and period are of the purchases; metric = the number of corridor transfers. Source:
    AUSTRAC (2019, 2022 update): VPN, spyware or video-capture purchases combined with
    low-value transfers; FINTRAC Project Shadow. Merchant categories are ours.
    """,
    f"""
    WITH purchases AS (
        SELECT sender_id AS party_id, COUNT(*) AS n_transactions, SUM(amount_ref) AS amount,
               MIN(timestamp) AS first_at, MAX(timestamp) AS last_at
        FROM {{cards}}
        GROUP BY sender_id
    ), both_ AS (
        SELECT p.*, s.n_transactions AS metric
        FROM purchases AS p JOIN {{senders}} AS s ON p.party_id = s.party_id
    )
    SELECT {_indicator("sender", "risky_merchants")}
    FROM both_
    WHERE n_transactions >= {{min_purchases}} AND metric >= {{min_corridor_transfers}}
    """,
    reads=("merchant_category",),
)

round_amounts = Typology(
    "round_amounts",
    """Even-denominated amounts.

    Fires when ``>= min_count`` of a sender's low-value corridor transfers are multiples of
    ``unit`` (in the sending currency) and they are ``>= min_share`` of them; counts, amount
    and period are of the round ones; metric = the share. Source: FATF (2025), payments
    often even-denominated. Weak alone: family remittances are round too.
    """,
    f"""
    SELECT {_indicator("sender", "round_amounts", "round_")}
    FROM (SELECT *, round_n_transactions / n_transactions AS metric FROM {{senders}}) AS s
    WHERE round_n_transactions >= {{min_count}} AND metric >= {{min_share}}
    """,
)

#: Every typology, by rule name (the key in the rules file).
TYPOLOGIES: dict[str, Typology] = {
    t.name: t
    for t in (
        low_value_corridor,
        night_payments,
        many_beneficiaries,
        many_senders,
        escalating_amounts,
        innocuous_descriptions,
        new_sender_burst,
        risky_merchants,
        round_amounts,
    )
}

#: The optional payment columns each typology reads. Without one of them the typology is
#: switched off (and the result says so); every other typology still runs.
TYPOLOGY_COLUMNS: dict[str, tuple[str, ...]] = {
    name: t.reads for name, t in TYPOLOGIES.items() if t.reads
}


def enabled(config: ScreeningConfig) -> list[Typology]:
    """The typologies switched on in ``config``, in :data:`TYPOLOGIES` order."""
    return [t for name, t in TYPOLOGIES.items() if getattr(config.rules, name).enabled]


def links(p: Prepared) -> pl.LazyFrame:
    """Sender-beneficiary pairs of low-value corridor transfers, with counts and amounts."""
    return p.corridor.group_by("sender_id", "beneficiary_id").agg(*basic())


def indicators(p: Prepared, config: ScreeningConfig) -> pl.LazyFrame:
    """All enabled typologies' indicators, stacked (in the :data:`INDICATOR_SCHEMA`)."""
    frames = [t(p, config) for t in enabled(config)]
    if not frames:
        return pl.LazyFrame(schema=INDICATOR_SCHEMA)
    return pl.concat(frames)


__all__ = [
    "INDICATOR_SCHEMA",
    "TABLES",
    "TYPOLOGIES",
    "TYPOLOGY_COLUMNS",
    "Engine",
    "Prepared",
    "Typology",
    "enabled",
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
