"""Ranked alerts, each explained, with a draft suspicious-matter summary.

An alert is a party whose risk score reached its threshold (:mod:`.scoring`). Each alert
lists every indicator that fired with its count, amount and period, and carries a draft
summary in plain words for the analyst to check, edit and file (a suspicious matter report
to AUSTRAC, a suspicious transaction report to FINTRAC, ...). The draft states facts from the
data and the published indicators they match; it never states that a crime happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from uncounted.screening.config import ScreeningConfig

_SOURCES = (
    "AUSTRAC's financial crime guide 'Combating the sexual exploitation of children for "
    "financial gain' (2019), FATF's report on online child sexual exploitation (2025) and "
    "FINTRAC's Project Shadow operational alert"
)


def _money(amount: float, config: ScreeningConfig) -> str:
    return f"{config.reference_currency} {amount:,.2f}"


def _day(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d")


def _phrase(ind: dict[str, Any], countries: str, config: ScreeningConfig) -> str:
    """One sentence fragment for one fired indicator."""
    n, m, amt = ind["n_transactions"], ind["metric"], _money(ind["amount"], config)
    rules = config.rules
    period = f"between {_day(ind['first_at'])} and {_day(ind['last_at'])}"
    name = ind["indicator"]
    lo, hi = _money(config.min_amount, config), _money(config.max_amount, config)
    if name == "low_value_corridor":
        return (
            f"made {n} low-value transfers ({lo}-{hi} each, {amt} in total) to beneficiaries "
            f"in {countries or 'high-risk countries'} {period}, about {m:.1f} per 30 days"
        )
    if name == "night_payments":
        r = rules.night_payments
        return (
            f"made {n} of those transfers ({m:.0%}) at night in the sender's time zone "
            f"({r.start_hour:02d}:00-{r.end_hour:02d}:00), {amt} in total, {period}"
        )
    if name == "many_beneficiaries":
        return f"paid {m:.0f} different beneficiaries in high-risk countries {period}"
    if name == "pays_shared_beneficiary":
        return (
            f"paid {m:.0f} beneficiary(ies) who also receive low-value transfers from at least "
            f"{rules.many_senders.min_senders - 1} other senders ({n} transfers, {amt}, {period})"
        )
    if name == "escalating_amounts":
        return (
            f"increased the amounts over time: the mean transfer in the second half of "
            f"the period was {m:.1f} times that of the first half ({period})"
        )
    if name == "innocuous_descriptions":
        return (
            f"gave {n} transfers ({m:.0%} of them, {amt}) innocuous descriptions such as "
            f"'school fees', 'medical' or 'gift' {period}"
        )
    if name == "new_sender_burst":
        return (
            f"as a new customer, began these transfers {m:.0f} days after first appearing, "
            f"with {n} in the first {rules.new_sender_burst.window_days} days ({amt})"
        )
    if name == "risky_merchants":
        return (
            f"made {n} card purchase(s) ({amt}) from VPN, webcam or streaming merchants "
            f"{period}, alongside {m:.0f} low-value corridor transfers"
        )
    if name == "round_amounts":
        return f"sent {n} transfers ({m:.0%}) in round amounts {period}"
    if name == "low_value_inflow":
        return (
            f"received {n} low-value transfers ({lo}-{hi} each, {amt} in total) from "
            f"senders in {countries or 'other countries'} {period}, about {m:.1f} per 30 days"
        )
    if name == "paid_by_alerted_senders":
        return (
            f"was paid {n} of those transfers ({amt}) by {m:.0f} sender(s) who are themselves "
            f"alerted {period}"
        )
    if name == "many_senders":
        return (
            f"received {n} low-value transfers ({amt} in total) from {m:.0f} different "
            f"senders {period}"
        )
    return f"fired {name} ({n} transactions, {amt}, {period})"


def _label(ind: dict[str, Any], config: ScreeningConfig) -> str:
    return (
        f"{ind['indicator']}(n={ind['n_transactions']}, {_money(ind['amount'], config)}, "
        f"{_day(ind['first_at'])}..{_day(ind['last_at'])})"
    )


def draft_summary(
    alert: dict[str, Any], fired: list[dict[str, Any]], config: ScreeningConfig
) -> str:
    """Draft suspicious-matter summary text for one alerted party."""
    role, pid = alert["party_role"], alert["party_id"]
    home = alert.get("home_country") or "unknown country"
    countries = alert.get("counterpart_countries") or ""
    who = "The customer" if role == "sender" else "The beneficiary"
    facts = "; ".join(_phrase(ind, countries, config) for ind in fired)
    return (
        f"DRAFT - for analyst review. {role.capitalize()} {pid} ({home}), risk score "
        f"{alert['score']:g} (rank {alert['rank']}). {who} {facts}. These patterns match "
        f"payment indicators published in {_SOURCES} for payments linked to the online sexual "
        "exploitation of children. They are indicators, not proof: review the customer's "
        "profile, history and any travel before deciding whether to report."
    )


def build_alerts(
    indicators: pl.DataFrame,
    scores: pl.DataFrame,
    profiles: pl.DataFrame,
    config: ScreeningConfig,
) -> pl.DataFrame:
    """The alerted parties, senders then beneficiaries, each ranked, explained and drafted."""
    alerted = scores.filter(pl.col("alert")).join(
        profiles, on=["party_role", "party_id"], how="left"
    )
    fired = {
        key: rows
        for key, rows in indicators.join(
            alerted.select("party_role", "party_id"), on=["party_role", "party_id"], how="semi"
        )
        .sort("indicator")
        .rows_by_key(["party_role", "party_id"], named=True)
        .items()
    }
    records = []
    for alert in alerted.iter_rows(named=True):
        rows = fired[(alert["party_role"], alert["party_id"])]
        order = {name: i for i, name in enumerate(alert["indicators"])}
        rows = sorted(rows, key=lambda r: order.get(r["indicator"], 99))
        records.append(
            {
                "rank": alert["rank"],
                "party_role": alert["party_role"],
                "party_id": alert["party_id"],
                "score": alert["score"],
                "n_indicators": alert["n_indicators"],
                "indicators": "; ".join(_label(r, config) for r in rows),
                "home_country": alert["home_country"],
                "counterpart_countries": alert["counterpart_countries"],
                "first_at": alert["first_at"],
                "last_at": alert["last_at"],
                "summary": draft_summary(alert, rows, config),
            }
        )
    schema: dict[str, pl.DataType] = {
        "rank": pl.Int64(),
        "party_role": pl.String(),
        "party_id": pl.String(),
        "score": pl.Float64(),
        "n_indicators": pl.Int64(),
        "indicators": pl.String(),
        "home_country": pl.String(),
        "counterpart_countries": pl.String(),
        "first_at": pl.Datetime("us", "UTC"),
        "last_at": pl.Datetime("us", "UTC"),
        "summary": pl.String(),
    }
    return pl.DataFrame(records, schema=schema)


__all__ = [
    "build_alerts",
    "draft_summary",
]
