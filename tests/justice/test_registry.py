"""The catalogue drives the justice indicators: every entry has a function, and each
function returns exactly the variants its entry lists, in that order."""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.justice import indicators
from uncounted.justice.registry import MODULE, REGISTRY, catalogued, id_range, indicator
from uncounted.metrics import load_catalogue


def test_every_catalogued_indicator_has_one_function_and_back():
    ids = [m.id for m in catalogued()]
    assert ids == [m.id for m in load_catalogue() if m.module == MODULE]
    assert set(ids) == set(REGISTRY)
    assert id_range() == f"{ids[0]}–{ids[-1]}"


@pytest.mark.parametrize(
    "settings",
    [{}, {"sentence_benchmark_months": 24, "time_standard_days": 180}],
)
def test_each_indicator_returns_the_variants_of_its_entry(hand_data, settings):
    """The twelve hand-worked cases (with a population table) reach every stage, so every
    variant is there; with other settings the labels follow them."""
    table = indicators(hand_data, period="2024", **settings)
    filled = {"sentence_benchmark_months": 48, "time_standard_days": 365, **settings}
    for m in catalogued():
        rows = table.filter(pl.col("indicator") == m.id)["variant"].to_list()
        assert rows == list(m.variant_labels(**filled)), m.id
    assert table["indicator"].unique(maintain_order=True).to_list() == [m.id for m in catalogued()]


def test_an_id_is_registered_once():
    with pytest.raises(InvalidInput, match="registered twice"):
        indicator("J1")(REGISTRY["J1"].compute)
