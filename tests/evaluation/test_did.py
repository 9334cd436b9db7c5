"""Difference-in-differences recovers a planted effect, finds none where none was planted,
and flags diverging pre-programme trends."""

from __future__ import annotations

import warnings

import polars as pl
import pytest

from uncounted.errors import InvalidInput, SparseDataWarning
from uncounted.evaluation import difference_in_differences
from uncounted.simulate.panels import simulate_indicator_panel


def test_recovers_planted_effect():
    panel = simulate_indicator_panel(effect=-2.0, seed=1)
    result = difference_in_differences(panel, start=5)
    assert result.ci_low <= -2.0 <= result.ci_high
    assert result.p_value < 0.001
    assert result.effect == pytest.approx(result.simple_did, abs=1e-9)  # balanced panel
    assert result.parallel_trends_plausible
    leads = result.event_study.filter(pl.col("relative_to_start") == "lead")
    lags = result.event_study.filter(pl.col("relative_to_start") == "lag")
    assert leads.height == 3 and lags.height == 4
    assert (lags["estimate"] < -1.0).all()


def test_no_effect_where_none_was_planted():
    """Across 20 panels without an effect, the 95 % interval holds 0 at least 16 times
    (P(X ≥ 16) > 0.999 for X ~ Binomial(20, 0.95))."""
    covered = sum(
        (r := difference_in_differences(simulate_indicator_panel(seed=s), start=5)).ci_low
        <= 0.0
        <= r.ci_high
        for s in range(20)
    )
    assert covered >= 16


def test_diverging_pre_trends_are_flagged():
    panel = simulate_indicator_panel(diverging_trend=0.8, seed=2)
    result = difference_in_differences(panel, start=5)
    assert not result.parallel_trends_plausible
    assert result.pre_trend == pytest.approx(0.8, abs=0.3)


def test_few_areas_warn():
    panel = simulate_indicator_panel(areas=6, effect=1.0, seed=3)
    with pytest.warns(SparseDataWarning, match="Only 6 areas"):
        difference_in_differences(panel, start=5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.drop("treated"), "lacks column"),
        (lambda p: p.with_columns(treated=pl.lit(True)), "both programme"),
        (
            lambda p: p.with_columns(
                treated=pl.when(pl.col("period") == 1).then(True).otherwise(pl.col("treated"))
            ),
            "both treated and not",
        ),
    ],
)
def test_bad_panels(change, message):
    with pytest.raises(InvalidInput, match=message):
        difference_in_differences(change(simulate_indicator_panel(seed=0)), start=5)


def test_start_outside_the_series():
    with pytest.raises(InvalidInput, match="must fall after the first period"):
        difference_in_differences(simulate_indicator_panel(seed=0), start=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = difference_in_differences(simulate_indicator_panel(seed=0), start=2)
    assert result.pre_trend != result.pre_trend  # one pre period: NaN, no test possible
