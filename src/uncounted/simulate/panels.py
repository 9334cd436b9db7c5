"""Synthetic indicator panels (areas × periods) with a planted programme effect.

``y_at = a_a + b·t + g·treated_a·t + effect·treated_a·1[t ≥ start] + N(0, σ²)`` with area
levels ``a_a ~ N(10, 2²)``; half the areas are programme areas. ``g`` (default 0) plants a
violation of parallel trends.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def simulate_indicator_panel(
    *,
    areas: int = 30,
    periods: int = 8,
    start: int = 5,
    effect: float = 0.0,
    trend: float = 0.3,
    diverging_trend: float = 0.0,
    noise: float = 1.0,
    seed: int = 0,
) -> pl.DataFrame:
    """One row per area and period: area, period, value, treated."""
    rng = np.random.default_rng(seed)
    level = rng.normal(10.0, 2.0, areas)
    treated = np.arange(areas) < areas // 2
    rows = []
    for a in range(areas):
        for t in range(1, periods + 1):
            value = (
                level[a]
                + trend * t
                + diverging_trend * treated[a] * t
                + effect * treated[a] * (t >= start)
                + rng.normal(0.0, noise)
            )
            rows.append((f"A{a:02d}", t, float(value), bool(treated[a])))
    return pl.DataFrame(
        rows,
        schema={"area": pl.String, "period": pl.Int64, "value": pl.Float64, "treated": pl.Boolean},
        orient="row",
    )


__all__ = ["simulate_indicator_panel"]
