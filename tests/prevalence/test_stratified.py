"""Stratified estimation: per-stratum estimates add up, sparse strata are named, and the
method factory rejects settings that do not apply."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.prevalence import LogLinearEstimator
from uncounted.prevalence.methods import make_estimator
from uncounted.prevalence.stratified import estimate_by_strata, membership_records


def _records(n_by_stratum: dict[str, int], p=(0.3, 0.4, 0.35), seed=0) -> pl.DataFrame:
    """Independent lists A, B, C with capture probabilities ``p`` in every stratum."""
    rng = np.random.default_rng(seed)
    rows = []
    for stratum, n in n_by_stratum.items():
        for person in range(n):
            for name, prob in zip("ABC", p, strict=True):
                if rng.random() < prob:
                    rows.append((f"{stratum}-{person}", name, stratum))
    return pl.DataFrame(rows, schema=["person_id", "list", "sex"], orient="row")


def test_strata_add_up_and_cover_the_truth():
    records = _records({"Female": 3000, "Male": 2000}, seed=1)
    result = estimate_by_strata(records, ["sex"], LogLinearEstimator)
    table = {r["sex"]: r for r in result.strata.iter_rows(named=True)}
    assert table["Female"]["ci_low"] <= 3000 <= table["Female"]["ci_high"]
    assert table["Male"]["ci_low"] <= 2000 <= table["Male"]["ci_high"]
    assert result.total == pytest.approx(table["Female"]["estimate"] + table["Male"]["estimate"])
    assert result.ci_low <= 5000 <= result.ci_high
    assert result.complete and result.observed == records["person_id"].n_unique()


def test_sparse_stratum_is_named_and_counted_as_observed():
    records = _records({"Female": 3000, "Transgender/NonConforming": 6}, seed=2)
    result = estimate_by_strata(records, ["sex"], LogLinearEstimator)
    assert not result.complete
    assert result.sparse_strata == ["sex=Transgender/NonConforming"]
    sparse = result.strata.filter(pl.col("sex") == "Transgender/NonConforming").row(0, named=True)
    assert sparse["status"] == "too sparse to estimate" and "fewer than 20" in sparse["note"]
    female = result.strata.filter(pl.col("sex") == "Female")["estimate"].item()
    assert result.total == pytest.approx(female + sparse["observed"])
    assert "lower bound" in result.to_dict()["note"]


def test_people_in_two_strata_are_refused():
    records = pl.DataFrame(
        {"person_id": ["p1", "p1"], "list": ["A", "B"], "sex": ["Female", "Male"]}
    )
    with pytest.raises(InvalidInput, match="more than one stratum"):
        estimate_by_strata(records, ["sex"], LogLinearEstimator)


def test_membership_records_by_year_are_person_years():
    memberships = pl.DataFrame(
        {
            "person_id": [1, 1, 2],
            "list": ["A", "B", "A"],
            "period": ["2023", "2024", "2024"],
            "sex": ["Female", "Female", "Male"],
            "age_at_identification": [15, 15, 30],
        }
    )
    out = membership_records(memberships, ["year", "minor"])
    assert out["person_id"].to_list() == ["1@2023", "1@2024", "2@2024"]
    assert out["minor"].to_list() == [True, True, False]
    with pytest.raises(InvalidInput, match="Cannot stratify"):
        membership_records(memberships, ["region"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "magic"}, "Unknown method"),
        ({"method": "stepwise", "criterion": "aic"}, "loglinear only"),
        ({"criterion": "aic", "interactions": ["A:B"]}, "either"),
        ({"method": "lcmcr", "ci": "profile"}, "credible"),
    ],
)
def test_make_estimator_rejects_settings_that_do_not_apply(kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        make_estimator(**kwargs)


def test_estimate_headline_puts_the_panel_beside_the_truth():
    """The demo's headline is the panel of methods beside the truth, with the diagnostics and
    the caveat (issue #17 item 5), and the low-heterogeneity contrast when given."""
    from uncounted.prevalence import CaptureHistories
    from uncounted.prevalence.methods import estimate_headline
    from uncounted.simulate.capture import simulate_demo_lists

    sim = simulate_demo_lists(population=1500, frailty_sd=0.8, seed=4)
    low = simulate_demo_lists(population=1500, frailty_sd=0.0, seed=4)
    lines = estimate_headline(
        CaptureHistories.from_frame(sim.table),
        sim.population,
        CaptureHistories.from_frame(low.table),
        low.population,
    )
    (title, observed), *_ = lines.items()
    assert "panel of methods" in title
    assert observed == f"{int(sim.table['count'].sum()):,} observed"
    assert lines["  truth (known only in this synthetic world)"] == "1,500"
    assert any("(recommended)" in key for key in lines)
    assert any(key.startswith("  no frailty: Stepwise") for key in lines)
    assert any(key.startswith("  Mth Chao") for key in lines)
    assert "spread across methods" in "".join(lines)
    assert "caveat" in "".join(lines)
    assert any("low-heterogeneity world" in key for key in lines)
