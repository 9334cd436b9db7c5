"""Hand-made payment fixtures for the screening typologies."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from uncounted.screening import COLUMNS

SYDNEY = ZoneInfo("Australia/Sydney")
START = datetime(2024, 5, 6, 12, 0, tzinfo=SYDNEY)  # a Monday, no DST change for months

Row = dict[str, object]


def pay(
    sender: str,
    beneficiary: str,
    day: float,
    amount: float = 50.0,
    *,
    country: str = "PH",
    hour: int = 12,
    channel: str = "remittance",
    description: str | None = None,
    merchant_category: str | None = None,
    sender_country: str = "AU",
    currency: str = "AUD",
) -> Row:
    """One payment ``day`` days after START, at ``hour`` o'clock Sydney time."""
    when = (START + timedelta(days=day)).replace(hour=hour)
    return {
        "transaction_id": f"{sender}-{beneficiary}-{day}-{hour}-{amount}",
        "timestamp": when,
        "sender_id": sender,
        "sender_country": sender_country,
        "beneficiary_id": beneficiary,
        "beneficiary_country": country,
        "amount": amount,
        "currency": currency,
        "channel": channel,
        "description": description,
        "merchant_category": merchant_category,
    }


def frame(rows: list[Row]) -> pl.DataFrame:
    """Canonical payment frame of the rows (timestamps in UTC)."""
    df = pl.DataFrame(
        rows,
        schema={
            "transaction_id": pl.String,
            "timestamp": pl.Datetime("us", "Australia/Sydney"),
            "sender_id": pl.String,
            "sender_country": pl.String,
            "beneficiary_id": pl.String,
            "beneficiary_country": pl.String,
            "amount": pl.Float64,
            "currency": pl.String,
            "channel": pl.String,
            "description": pl.String,
            "merchant_category": pl.String,
        },
    )
    return df.with_columns(pl.col("timestamp").dt.convert_time_zone("UTC")).select(COLUMNS)
