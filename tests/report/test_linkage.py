"""With linked records, the prevalence section shows how the estimate moves with the match
threshold — the linkage library's own sensitivity table, read back from the page."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from tests.report._parse import interval, number, read
from uncounted.linkage import estimate_linked
from uncounted.prevalence import StepwiseEstimator
from uncounted.report import build_report
from uncounted.simulate.agency_records import agency_records


@pytest.fixture(scope="module")
def linked(world):
    """The world's agency records, with pairs scored from the truth: records of the same
    person at 0.8 (lost above that threshold) or 0.95, and false links at 0.6."""
    records = agency_records(world, seed=3).records
    rng = np.random.default_rng(3)
    same = (
        records.select("record_id", "person")
        .join(records.select("record_id", "person"), on="person", suffix="_r")
        .filter(pl.col("record_id") < pl.col("record_id_r"))
    )
    same = same.with_columns(
        pl.Series("match_probability", np.where(rng.random(same.height) < 0.2, 0.8, 0.95))
    )
    ids = records["record_id"].to_numpy()
    false = pl.DataFrame(
        {
            "unique_id_l": rng.choice(ids, 15),
            "unique_id_r": rng.choice(ids, 15),
            "match_probability": [0.6] * 15,
        }
    ).filter(pl.col("unique_id_l") != pl.col("unique_id_r"))
    pairs = pl.concat(
        [
            same.select(
                pl.col("record_id").alias("unique_id_l"),
                pl.col("record_id_r").alias("unique_id_r"),
                "match_probability",
            ),
            false,
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sparse-cell caveats at some thresholds
        return estimate_linked(records, pairs, StepwiseEstimator, threshold=0.9)


def test_the_sensitivity_table_is_the_linkage_library_s(world, linked):
    report = build_report(world.frames, linkage=linked, n_bootstrap=20)
    html = report.to_html()
    assert "taken as already linked" not in html
    assert f"{linked.records:,} records were linked" in html
    table = read(html).tables["linkage-sensitivity"]
    rows = [r for r in table if "data-threshold" in r.attrs]
    notes = [r.cells[0] for r in table if "data-threshold" not in r.attrs]
    expected = linked.sensitivity.sort("threshold")
    assert len(rows) == expected.height == 5
    for row, e in zip(rows, expected.iter_rows(named=True), strict=True):
        assert row.cells[0].startswith(f"{e['threshold']}")
        assert row.cells[0].endswith("(chosen)") == (e["threshold"] == 0.9)
        assert number(row.cells[1]) == e["individuals"]
        if e["estimate"] is None:  # not identifiable at that threshold: the reason is shown
            assert row.cells[2] == "–" and e["note"] and notes[0] == e["note"]
            continue
        assert abs(number(row.cells[2]) - e["estimate"]) <= 0.5
        low, high = interval(row.cells[3])
        assert abs(low - e["ci_low"]) <= 0.5 and abs(high - e["ci_high"]) <= 0.5
    # a missed link splits a person: fewer individuals at a lower threshold
    individuals = expected["individuals"].to_list()
    assert individuals == sorted(individuals)
    assert expected.filter(pl.col("threshold") == 0.9)["estimate"][0] is not None
    twin = report.to_dict()["prevalence"]["linkage_sensitivity"]
    assert [r["threshold"] for r in twin] == expected["threshold"].to_list()
    assert "sensitivity" in report.prevalence.charts
