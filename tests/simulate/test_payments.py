"""Synthetic payment traffic: reproducible, canonical, with the truth it was built from."""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.screening import CHANNELS, COLUMNS
from uncounted.simulate.payments import simulate_payments


def test_same_seed_same_traffic() -> None:
    a = simulate_payments(500, 10, random_state=5)
    b = simulate_payments(500, 10, random_state=5)
    assert a.payments.equals(b.payments)
    assert not a.payments.equals(simulate_payments(500, 10, random_state=6).payments)


def test_canonical_schema_and_truth() -> None:
    world = simulate_payments(2000, 30, random_state=1)
    p = world.payments
    assert p.columns == list(COLUMNS)
    assert p["timestamp"].dtype == pl.Datetime("us", "UTC")
    assert p["transaction_id"].n_unique() == p.height
    assert set(p["channel"]) <= set(CHANNELS)
    assert (p["amount"] > 0).all()
    assert len(world.offender_ids) == 30
    levels = world.senders.filter(pl.col("is_offender"))["subtlety"].value_counts()
    assert dict(levels.iter_rows()) == {"obvious": 10, "moderate": 10, "subtle": 10}
    # every planted offender pays a facilitator in a high-risk country
    paid = p.filter(pl.col("sender_id").is_in(list(world.offender_ids)))
    facil = paid.filter(pl.col("beneficiary_id").is_in(list(world.facilitator_ids)))
    assert facil["sender_id"].n_unique() == 30
    assert set(facil["beneficiary_country"]) <= {"PH", "TH", "CO", "MX", "DO"}
    # a beneficiary has one country
    per_ben = (
        p.filter(pl.col("channel") != "card")
        .group_by("beneficiary_id")
        .agg(pl.col("beneficiary_country").n_unique())
    )
    assert per_ben["beneficiary_country"].max() == 1


def test_volume_scales_with_senders() -> None:
    n = simulate_payments(1000, 10, random_state=2).payments.height
    assert 40_000 < n < 70_000  # about 40-60 payments per sender over 180 days


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInput):
        simulate_payments(100, 0)


def test_the_shortest_documented_period_simulates() -> None:
    """days >= 90 is accepted, but 90-105 days failed drawing the new customers' start."""
    from uncounted.simulate import simulate_payments

    world = simulate_payments(200, 5, days=90, random_state=1)
    stamps = world.payments["timestamp"]
    span = stamps.max() - stamps.min()
    assert span.days <= 91
    assert world.offender_ids <= set(world.payments["sender_id"])
