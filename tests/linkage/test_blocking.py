"""Pairs no blocking rule compares: which they are, how many true pairs they hold, and the
draws that link them."""

from __future__ import annotations

import json
import warnings

import numpy as np
import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.linkage import LinkageSettings, estimate_linked, link_records, prepare_records
from uncounted.linkage.blocking import (
    BlockingRecall,
    blocking_columns,
    compared,
    estimate_blocking_recall,
    rule_agreements,
    shift_to_missed,
)
from uncounted.linkage.pipeline import estimate_saved_run, save_run
from uncounted.linkage.run import score_pairs
from uncounted.linkage.uncertainty import LinkageUncertainty
from uncounted.prevalence import CaptureHistories, LogLinearEstimator
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.simulate.agency_records import RecordNoise, agency_records, population_records


def _true_pairs(records: pl.DataFrame) -> pl.DataFrame:
    ids = records.select(pl.col("record_id").cast(pl.String), "person").unique("record_id")
    return (
        ids.join(ids, on="person", suffix="_r")
        .filter(pl.col("record_id") < pl.col("record_id_r"))
        .select(
            pl.col("record_id").alias("unique_id_l"), pl.col("record_id_r").alias("unique_id_r")
        )
    )


def test_the_rules_as_data_compare_exactly_the_pairs_splink_blocks():
    """Every pair scored without blocking, split by :func:`compared`: the compared ones are
    exactly those Splink's blocking rules score (same model, same floor)."""
    records = population_records(500, seed=4, noise=RecordNoise.heavy()).records
    prepared = prepare_records(records)
    cfg = LinkageSettings(prediction_floor=1e-12, review_threshold=0.5, uncertainty_draws=0)
    blocked = score_pairs(prepared, cfg)
    every = score_pairs(
        prepared, cfg, model={**blocked.model, "blocking_rules_to_generate_predictions": []}
    )
    marked = rule_agreements(prepared, every.pairs)
    inside = marked.filter(compared())
    key = ["unique_id_l", "unique_id_r"]
    assert inside.height == blocked.pairs.height
    assert inside.select(key).sort(key).equals(blocked.pairs.select(key).sort(key))
    assert marked.height > 10 * inside.height  # the rest were never compared


@pytest.mark.slow
def test_blocking_recall_is_estimated_from_the_compared_pairs():
    """Heavy noise, about 10 000 records: the model fitted on the true compared pairs gives
    the share compared within 2.5 points; from the model's probabilities, within 3."""
    records = population_records(10_000, seed=2, noise=RecordNoise.heavy()).records
    prepared = prepare_records(records)
    truth = rule_agreements(prepared, _true_pairs(records))
    true_recall = float(truth.select(compared()).to_series().mean())
    oracle = estimate_blocking_recall(
        truth.filter(compared()).with_columns(match_probability=pl.lit(1.0))
    )
    run = link_records(records, LinkageSettings(uncertainty_draws=0))
    assert oracle is not None and run.scored.blocking is not None
    assert 0.8 < true_recall < 0.92  # 0.882
    assert oracle.recall == pytest.approx(true_recall, abs=0.025)  # 0.863
    assert run.scored.blocking.recall == pytest.approx(true_recall, abs=0.03)  # 0.862
    assert run.scored.outside is None  # no draws asked for: nothing scored beyond the rules


def test_too_few_matches_give_no_estimate():
    frame = pl.DataFrame(
        {
            "unique_id_l": ["a"],
            "unique_id_r": ["b"],
            "match_probability": [0.9],
        }
    ).with_columns(pl.lit(True).alias(c) for c in blocking_columns())
    assert estimate_blocking_recall(frame) is None


def test_shift_to_missed_moves_every_probability_by_one_logit_constant():
    p = np.array([0.9, 0.5, 0.2, 0.01, 0.001])
    out = shift_to_missed(p, 0.5)
    assert out.sum() == pytest.approx(0.5, abs=1e-8)
    assert np.all(np.diff(out) < 0)  # the order is kept
    logit = np.log(p / (1 - p))
    shifted = np.log(out / (1 - out))
    assert np.ptp(shifted - logit) == pytest.approx(0.0, abs=1e-6)
    assert shift_to_missed(p, 0.0).sum() == 0.0
    assert shift_to_missed(p, 10.0).tolist() == [1.0] * 5
    assert shift_to_missed(np.array([]), 3.0).size == 0


def test_missed_pairs_follow_from_recall():
    assert BlockingRecall(0.8, 100, 50.0).missed(200.0) == pytest.approx(50.0)
    assert BlockingRecall(1.0, 100, 50.0).missed(200.0) == 0.0


def test_the_caveat_says_when_the_interval_leaves_the_never_compared_pairs_out():
    base = {
        "estimate": 100.0,
        "linkage_low": 90.0,
        "linkage_high": 110.0,
        "total_low": 80.0,
        "total_high": 120.0,
        "draws": pl.DataFrame(),
    }
    left_out = LinkageUncertainty(**base, blocking_recall=0.86, never_compared=420.0)
    assert "86%" in left_out.caveat and "420" in left_out.caveat
    assert left_out.to_dict()["caveat"] == left_out.caveat
    drawn = LinkageUncertainty(
        **base, blocking_recall=0.86, never_compared=420.0, never_compared_drawn=True
    )
    assert drawn.caveat == ""
    assert LinkageUncertainty(**base, blocking_recall=0.97, never_compared=3.0).caveat == ""
    assert LinkageUncertainty(**base).caveat == ""


def test_settings_refuse_a_negative_limit():
    with pytest.raises(InvalidInput, match="compare_all_max_records"):
        LinkageSettings(compare_all_max_records=-1).validate()


@pytest.mark.slow
def test_draws_that_link_the_never_compared_pairs_no_longer_run_high(tmp_path):
    """A heavy-noise world where an eighth of the true pairs share no blocking key: the draws'
    median was 18 % above the estimate on the true linkage; with the pairs never compared
    drawn at their shifted probabilities it is within 5 %. The run saves them, and the saved
    run estimates the same."""
    world = simulate_world(WorldConfig(seed=107, n_victims=2000, frailty_sd=0.3))
    records = agency_records(world, noise=RecordNoise.heavy(), seed=107).records
    run = link_records(records, LinkageSettings())
    assert run.scored.outside is not None and run.scored.outside.height > 1000
    assert run.scored.blocking is not None

    def make() -> LogLinearEstimator:
        return LogLinearEstimator(criterion="bic")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        true_linkage = make().fit(
            CaptureHistories.from_records(
                records.select(pl.col("person").cast(pl.String), pl.col("agency").alias("list")),
                "person",
                "list",
            )
        )
        common = {"draws": 30, "random_state": 1, "one_record_per_list": True}
        without = estimate_linked(records, run.scored.pairs, make, **common).uncertainty
        carried = estimate_linked(
            records,
            run.scored.pairs,
            make,
            blocking=run.scored.blocking,
            outside=run.scored.outside,
            **common,
        ).uncertainty
        saved = estimate_saved_run(
            records, save_run(run, tmp_path / "run"), make, draws=30, random_state=1
        ).uncertainty
    assert without is not None and carried is not None and saved is not None
    truth_linked = true_linkage.population_
    assert without.estimate > 1.12 * truth_linked
    assert carried.estimate == pytest.approx(truth_linked, rel=0.05)
    assert carried.never_compared_drawn and carried.caveat == ""
    assert saved.estimate == carried.estimate
    summary = json.loads((tmp_path / "run" / "summary.json").read_text("utf-8"))
    assert summary["blocking_recall"] == pytest.approx(run.scored.blocking.recall, abs=1e-4)
