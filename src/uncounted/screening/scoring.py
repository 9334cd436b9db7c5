"""Risk scores per party from the indicators that fired.

score(party) = sum of the weights of the distinct indicators that fired for it

except ``paid_by_alerted_senders``, which counts its weight once per alerted sender paying
the beneficiary, up to ``alerted_sender_cap`` (a facilitator paid by several alerted
customers outranks a household paid by one).

Weights and thresholds are in the rules file (defaults are ours). A party is alerted when
its score reaches the threshold of its role (``sender_threshold`` or
``beneficiary_threshold``). The score is deliberately additive and unitless so that every
point can be traced to one named indicator: no single indicator reaches the default sender
threshold alone (AUSTRAC 2019: "no single financial indicator will reveal" the activity).
"""

from __future__ import annotations

import polars as pl

from uncounted.screening.config import ScreeningConfig


def indicator_weights(config: ScreeningConfig) -> dict[str, float]:
    """Weight of each indicator name (rule names, plus the derived ones)."""
    rules = config.rules
    weights = {name: float(rule.weight) for name, rule in rules}
    weights["pays_shared_beneficiary"] = float(rules.many_senders.sender_weight)
    weights["low_value_inflow"] = float(rules.low_value_corridor.beneficiary_weight)
    weights["paid_by_alerted_senders"] = float(rules.many_senders.alerted_sender_weight)
    return weights


def _score(indicators: pl.DataFrame, config: ScreeningConfig) -> pl.DataFrame:
    weights = indicator_weights(config)
    thresholds = {"sender": config.sender_threshold, "beneficiary": config.beneficiary_threshold}
    return (
        indicators.with_columns(
            weight=pl.col("indicator").replace_strict(weights, return_dtype=pl.Float64)
            * pl.when(pl.col("indicator") == "paid_by_alerted_senders")
            .then(pl.col("metric").clip(upper_bound=config.rules.many_senders.alerted_sender_cap))
            .otherwise(1.0)
        )
        .sort(["weight", "indicator"], descending=[True, False])
        .group_by("party_role", "party_id", maintain_order=True)
        .agg(
            pl.col("weight").sum().round(6).alias("score"),
            pl.len().alias("n_indicators"),
            pl.col("indicator").alias("indicators"),
            pl.col("first_at").min(),
            pl.col("last_at").max(),
        )
        .with_columns(
            alert=pl.col("score")
            >= pl.col("party_role").replace_strict(thresholds, return_dtype=pl.Float64)
        )
        .sort(
            ["party_role", "score", "n_indicators", "party_id"],
            descending=[True, True, True, False],
        )
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("party_role"))
    )


def paid_by_alerted_senders(
    scores: pl.DataFrame, links: pl.DataFrame, config: ScreeningConfig
) -> pl.DataFrame:
    """Beneficiary indicator: paid low-value corridor transfers by alerted senders.

    One row per beneficiary paid by at least one alerted sender; counts, amount and period
    are of those senders' transfers to it; metric = the number of alerted senders. This is
    how a financial-intelligence unit widens a case from a customer to their counterparts.
    """
    alerted = scores.filter((pl.col("party_role") == "sender") & pl.col("alert")).select(
        pl.col("party_id").alias("sender_id")
    )
    return (
        links.join(alerted, on="sender_id", how="semi")
        .group_by(pl.col("beneficiary_id").alias("party_id"))
        .agg(
            pl.col("n_transactions").sum(),
            pl.col("amount").sum(),
            pl.col("first_at").min(),
            pl.col("last_at").max(),
            pl.col("sender_id").n_unique().cast(pl.Float64).alias("metric"),
        )
        .select(
            pl.lit("beneficiary").alias("party_role"),
            "party_id",
            pl.lit("paid_by_alerted_senders").alias("indicator"),
            pl.col("n_transactions").cast(pl.Int64),
            "amount",
            "first_at",
            "last_at",
            "metric",
        )
    )


def score_parties(
    indicators: pl.DataFrame, links: pl.DataFrame, config: ScreeningConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Score senders, then beneficiaries (who also get :func:`paid_by_alerted_senders`).

    ``links`` holds the sender-beneficiary pairs of low-value corridor transfers
    (``sender_id``, ``beneficiary_id``, ``n_transactions``, ``amount``, ``first_at``,
    ``last_at``). Returns ``(indicators, scores)``: the indicators with the derived
    beneficiary rows added, and one row per party with at least one indicator: ``party_role``,
    ``party_id``, ``score``, ``n_indicators``, ``indicators`` (names, heaviest first),
    ``first_at``, ``last_at``, ``alert`` (score >= the role's threshold) and ``rank`` (1 =
    highest score within the role; ties broken by number of indicators, then id). Sorted by
    role (senders first), then rank.
    """
    first = _score(indicators, config)
    if config.rules.many_senders.enabled:
        derived = paid_by_alerted_senders(first, links, config)
        indicators = pl.concat([indicators, derived.cast(indicators.schema)]).sort(
            ["party_role", "party_id", "indicator"]
        )
    return indicators, _score(indicators, config)


__all__ = [
    "indicator_weights",
    "paid_by_alerted_senders",
    "score_parties",
]
