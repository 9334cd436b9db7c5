"""Linkage error carried into the estimate (:mod:`uncounted.linkage.uncertainty`): plausible
linkages drawn from match probabilities, recalibration on reviewers' decisions, and the
linkage-only and total intervals, on hand-built records whose truth is known."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.linkage.estimate import estimate_linked
from uncounted.linkage.uncertainty import (
    LinkageUncertainty,
    calibrate_probabilities,
    draw_linkages,
    linkage_uncertainty,
)
from uncounted.prevalence import LogLinearEstimator


def _world(seed: int = 3, people: int = 600) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Three lists, each person on each with probability 0.4; each sighting is a record.
    Pairs: every true pair scored 0.95, plus 150 false pairs across people scored 0.05."""
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(people):
        for agency in ("A", "B", "C"):
            if rng.random() < 0.4:
                rows.append((f"{agency}{person}", agency, person))
    records = pl.DataFrame(rows, schema=["record_id", "agency", "person"], orient="row")
    records = records.with_columns(
        pl.lit("2024").alias("period"),
        pl.lit("Female").alias("sex"),
        pl.lit(30).alias("age"),
        pl.lit("KH").alias("citizenship"),
    )
    true_pairs = (
        records.join(records, on="person", suffix="_r")
        .filter(pl.col("record_id") < pl.col("record_id_r"))
        .select(
            pl.col("record_id").alias("unique_id_l"),
            pl.col("record_id_r").alias("unique_id_r"),
            pl.lit(0.95).alias("match_probability"),
        )
    )
    ids = records["record_id"].to_numpy()
    a, b = rng.choice(ids, 150), rng.choice(ids, 150)
    false = pl.DataFrame({"unique_id_l": a, "unique_id_r": b}).filter(
        pl.col("unique_id_l").str.slice(1) != pl.col("unique_id_r").str.slice(1)
    )
    false = false.with_columns(pl.lit(0.05).alias("match_probability"))
    return records, pl.concat([true_pairs, false])


def _make() -> LogLinearEstimator:
    return LogLinearEstimator()


def test_draws_link_each_pair_with_its_probability():
    ids = pl.Series(["a", "b", "c"])
    pairs = pl.DataFrame(
        {"unique_id_l": ["a", "b"], "unique_id_r": ["b", "c"], "match_probability": [1.0, 0.3]}
    )
    draws = draw_linkages(ids, pairs, 2000, random_state=1)
    together = [d["cluster"].n_unique() == 1 for d in draws]
    a_b = all(d["cluster"][0] == d["cluster"][1] for d in draws)
    assert a_b  # probability 1: always linked
    assert np.mean(together) == pytest.approx(0.3, abs=0.03)
    with pytest.raises(InvalidInput):
        draw_linkages(ids, pairs, 0)


def test_intervals_contain_each_other_and_the_truth():
    records, pairs = _world()
    people = records["person"].n_unique()
    u = linkage_uncertainty(records, pairs, _make, n_draws=30, random_state=2)
    assert isinstance(u, LinkageUncertainty)
    assert u.n_draws == 30 and u.failed == 0 and u.calibration is None
    assert u.total_low <= u.linkage_low <= u.estimate <= u.linkage_high <= u.total_high
    # 600 people, each seen with probability 1 - 0.6**3 = 0.784: about 600 in truth
    assert u.total_low <= 600 <= u.total_high
    assert people < u.total_high
    frame = u.to_frame()
    assert frame["interval"].to_list() == ["linkage only", "total (linkage and estimator)"]
    assert frame["ci_low"].to_list() == [u.linkage_low, u.total_low]
    assert "LinkageUncertainty(estimate" in repr(u) and "30 draws" in repr(u)
    data = u.to_dict()
    assert data["draws"] == 30 and len(data["per_draw"]) == 30


def test_linkage_alone_moves_the_estimate_only_when_links_are_uncertain():
    records, pairs = _world()
    certain = pairs.with_columns(
        pl.when(pl.col("match_probability") > 0.5)
        .then(1.0)
        .otherwise(0.0)
        .alias("match_probability")
    )
    sure = linkage_uncertainty(records, certain, _make, n_draws=10)
    assert sure.linkage_low == pytest.approx(sure.linkage_high)  # one linkage, drawn 10 times
    unsure = linkage_uncertainty(records, pairs, _make, n_draws=30)
    assert unsure.linkage_high - unsure.linkage_low > 0
    # the total interval is at least as wide as the estimator's own
    est = sure.draws["ci_low"][0], sure.draws["ci_high"][0]
    assert sure.total_low == pytest.approx(est[0], rel=0.02)
    assert sure.total_high == pytest.approx(est[1], rel=0.02)


def test_decisions_recalibrate_the_undecided_pairs():
    pairs = pl.DataFrame(
        {
            "unique_id_l": [f"l{i}" for i in range(40)] + ["x"],
            "unique_id_r": [f"r{i}" for i in range(40)] + ["y"],
            "match_probability": [0.6] * 40 + [0.6],
        }
    )
    # reviewers found only 1 in 4 of the pairs scored 0.6 to be the same person
    decisions = (
        pairs.head(40)
        .with_columns(
            pl.Series("decision", ["match" if i % 4 == 0 else "non-match" for i in range(40)])
        )
        .drop("match_probability")
    )
    out, ab = calibrate_probabilities(pairs, decisions)
    assert ab is not None
    p = out.filter(pl.col("unique_id_l") == "x")["match_probability"][0]
    assert p == pytest.approx(0.25, abs=0.01)
    decided = out.filter(pl.col("decision") == "match")["match_probability"].unique()
    assert decided.to_list() == [1.0]
    # too few decisions: the model's probabilities are kept
    kept, none = calibrate_probabilities(pairs, decisions.head(5))
    assert none is None
    assert kept.filter(pl.col("unique_id_l") == "x")["match_probability"][0] == 0.6


def test_estimate_linked_carries_the_uncertainty():
    records, pairs = _world()
    linked = estimate_linked(records, pairs, _make, draws=20, sensitivity_thresholds=(0.5,))
    assert linked.uncertainty is not None and linked.uncertainty.n_draws == 20
    data = linked.to_dict()["linkage_uncertainty"]
    assert data["total_ci_low"] <= data["estimate"] <= data["total_ci_high"]
    assert math.isfinite(data["total_ci_high"])
    assert estimate_linked(records, pairs, _make).uncertainty is None


def test_estimate_from_a_saved_run(tmp_path):
    """A saved run's pairs hold decisions as probabilities 1 and 0: they are fixed links, and
    are not mistaken for scores to recalibrate on."""
    import json

    from uncounted.linkage.pipeline import estimate_saved_run, latest_run

    records, pairs = _world()
    decided = pairs.with_columns(pl.lit(None, dtype=pl.String).alias("decision"))
    decided = pl.concat(
        [
            decided.head(30).with_columns(
                pl.lit(1.0).alias("match_probability"), pl.lit("match").alias("decision")
            ),
            decided.slice(30),
        ]
    )
    assert latest_run(tmp_path) is None
    run = tmp_path / "20260101T000000"
    run.mkdir()
    decided.write_parquet(run / "pairs.parquet")
    (run / "summary.json").write_text(json.dumps({"match_threshold": 0.9}))
    assert latest_run(tmp_path) == run
    linked = estimate_saved_run(records, run, _make, draws=10)
    u = linked.uncertainty
    assert u is not None and u.n_draws == 10 and u.calibration is None
    assert u.total_low <= u.estimate <= u.total_high
    assert linked.threshold == 0.9


def test_strata_are_added_up_on_every_draw():
    records, pairs = _world()
    records = records.with_columns(
        pl.when(pl.col("person") % 2 == 0).then(pl.lit("Male")).otherwise(pl.lit("Female"))
        .alias("sex")
    )  # fmt: skip
    u = linkage_uncertainty(records, pairs, _make, n_draws=4, by=["sex"])
    assert u.failed == 0 and u.total_low <= u.estimate <= u.total_high
    # each draw's total is the sum over the two sexes, about the 600 people of the world
    assert u.draws["estimate"].min() > 450 and u.draws["estimate"].max() < 800
