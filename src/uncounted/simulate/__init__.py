"""Synthetic worlds with a known truth, for the demo, the tests and the benchmarks."""

from uncounted.simulate.payments import PaymentWorld, simulate_payments
from uncounted.simulate.survivors import ASSESSMENT_ITEMS, INSTRUMENT_ID
from uncounted.simulate.world import (
    COUNTRIES,
    JusticeTruth,
    World,
    WorldConfig,
    WorldTruth,
    simulate_world,
)

__all__ = [
    "ASSESSMENT_ITEMS",
    "COUNTRIES",
    "INSTRUMENT_ID",
    "JusticeTruth",
    "PaymentWorld",
    "World",
    "WorldConfig",
    "WorldTruth",
    "simulate_payments",
    "simulate_world",
]
