"""The whole chain on a synthetic world: agencies' noisy lists → linkage → capture histories →
estimate, which must cover the world's true population, with the threshold sensitivity."""

from __future__ import annotations

import warnings

import pytest

from uncounted.errors import SparseDataWarning
from uncounted.linkage import LinkageSettings, estimate_from_records
from uncounted.prevalence import LogLinearEstimator
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.simulate.agency_records import agency_records


@pytest.mark.slow
def test_linked_estimate_covers_the_true_population():
    """World seed 7, 4 000 victims, mild heterogeneity (frailty sd 0.3, under which the
    log-linear model searched by BIC is appropriate); with the true linkage the same
    estimator gives about 4 100 (3 700–4 600)."""
    world = simulate_world(WorldConfig(seed=7, n_victims=4000, frailty_sd=0.3))
    records = agency_records(world, seed=7).records
    with warnings.catch_warnings():
        # the two national lists never overlap: a model with their pair term says so
        warnings.simplefilter("ignore", SparseDataWarning)
        run, linked = estimate_from_records(
            records, lambda: LogLinearEstimator(criterion="bic"), settings=LinkageSettings()
        )
    estimate, low, high = linked.total
    print(f"\ntruth {world.truth.population}: estimate {estimate:.0f} ({low:.0f}-{high:.0f})")
    print(linked.sensitivity)
    assert low <= world.truth.population <= high
    assert linked.individuals == run.individuals
    assert linked.sensitivity["threshold"].to_list() == [0.5, 0.7, 0.9, 0.97, 0.99]
    # stricter thresholds split people: more individuals, never fewer
    assert linked.sensitivity["individuals"].is_sorted()
    assert set(linked.to_dict()) >= {"estimate", "ci_low", "ci_high", "sensitivity"}
    # caveats of the other thresholds' fits are kept in the table, not lost
    notes = " ".join(linked.sensitivity["note"].to_list())
    assert "PNP:TH-DSI" in notes  # national lists of two countries never overlap


@pytest.mark.slow
def test_stratified_linked_estimate_by_sex():
    world = simulate_world(WorldConfig(seed=7, n_victims=4000, frailty_sd=0.3))
    records = agency_records(world, seed=7).records
    _, linked = estimate_from_records(
        records, lambda: LogLinearEstimator(criterion="bic"), by=["sex"]
    )
    strata = linked.estimate.strata
    assert set(strata["sex"].to_list()) == {"Female", "Male"}
    assert linked.total[0] == pytest.approx(strata["estimate"].sum())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::uncounted.errors.SparseDataWarning")
@pytest.mark.parametrize("seed", [101, 103, 110])
def test_interval_with_linkage_error_covers_the_truth(seed):
    """Three worlds of ``benchmarks/linkage_coverage.py`` (2 000 victims, 60 pairs reviewed,
    the truth answering): the total interval covers the true population and holds the
    linkage-only interval (the study:
    13 of the 13 worlds where the estimator covers with the true linkage are covered)."""
    import polars as pl

    from uncounted.linkage import estimate_linked, link_records

    world = simulate_world(WorldConfig(seed=seed, n_victims=2000, frailty_sd=0.3))
    records = agency_records(world, seed=seed).records
    run = link_records(records, LinkageSettings(uncertainty_draws=0))
    ids = records.unique("record_id").select(pl.col("record_id").cast(pl.String), "person")
    band = (
        run.scored.pairs.filter(pl.col("match_probability").is_between(0.05, 0.99))
        .join(ids.rename({"record_id": "unique_id_l", "person": "p_l"}), on="unique_id_l")
        .join(ids.rename({"record_id": "unique_id_r", "person": "p_r"}), on="unique_id_r")
    )
    decisions = band.sample(min(60, band.height), seed=seed).select(
        "unique_id_l",
        "unique_id_r",
        pl.when(pl.col("p_l") == pl.col("p_r"))
        .then(pl.lit("match"))
        .otherwise(pl.lit("non-match"))
        .alias("decision"),
    )
    linked = estimate_linked(
        records,
        run.scored.pairs,
        lambda: LogLinearEstimator(criterion="bic"),
        decisions=decisions,
        sensitivity_thresholds=(),
        draws=50,
        random_state=seed,
    )
    u = linked.uncertainty
    assert u is not None and u.calibration is not None and u.failed == 0
    _, low, high = linked.total
    print(f"\nthreshold {low:.0f}-{high:.0f}; {u!r}")
    assert u.total_low <= 2000 <= u.total_high
    assert u.total_low <= u.linkage_low <= u.linkage_high <= u.total_high
