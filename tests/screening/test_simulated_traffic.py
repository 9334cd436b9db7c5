"""Recovery of planted offenders in simulated payment traffic (fixed seed).

World: 20 000 senders, 200 planted offenders (a third each obvious, moderate, subtle), 180
days, seed 2024, default rules. Measured when written: precision 0.648, recall 0.94, average
precision 0.891 (seeds 7, 8, 11, 12, 13 give recall 0.93-0.96, precision 0.67-0.69, AP
0.89-0.92). The issue's goal is recall >= 0.9 with precision >= 0.5 at the default threshold.
"""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.screening import evaluate_alerts, screen
from uncounted.simulate.payments import simulate_payments


@pytest.fixture(scope="module")
def world_and_result():  # type: ignore[no-untyped-def]
    world = simulate_payments(20_000, 200, random_state=2024)
    return world, screen(world.payments)


@pytest.mark.slow
def test_recall_and_precision_at_default_threshold(world_and_result) -> None:  # type: ignore[no-untyped-def]
    world, result = world_and_result
    q = evaluate_alerts(result.scores, world.offender_ids, n_parties=20_000)
    assert q.recall >= 0.9
    assert q.precision >= 0.5
    assert q.average_precision >= 0.8
    assert (q.recall, round(q.precision, 3)) == (0.94, 0.648)


@pytest.mark.slow
def test_obvious_offenders_are_all_found(world_and_result) -> None:  # type: ignore[no-untyped-def]
    world, result = world_and_result
    alerted = set(result.alerts.filter(pl.col("party_role") == "sender")["party_id"])
    by_level = world.senders.filter(pl.col("is_offender")).group_by("subtlety").agg("sender_id")
    recall = {
        row["subtlety"]: len(alerted & set(row["sender_id"])) / len(row["sender_id"])
        for row in by_level.iter_rows(named=True)
    }
    assert recall["obvious"] == 1.0
    assert recall["moderate"] >= 0.9
    assert recall["subtle"] < recall["obvious"]  # the hidden ones are harder, as planted
