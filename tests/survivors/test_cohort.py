"""Cohort analytics: paired change, restoration intervals, Turnbull = lifelines, known truth."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from scipy import stats

from uncounted.errors import NotFitted, SparseDataWarning
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.survivors import (
    TimeToRestoration,
    change_from_intake,
    cohort_summary,
    default_instrument,
    restoration_headlines,
    restoration_intervals,
    summarise_survivors,
    turnbull_npmle,
)

TOOL = default_instrument()
DOMAINS = TOOL.domain_ids
START = dt.date(2023, 1, 1)


def _profiles(rows: list[tuple[int, int, float, bool | None]]) -> pl.DataFrame:
    """Profiles from (person, days since intake, score of every domain, restored)."""
    return pl.DataFrame(
        {
            "assessment_id": list(range(1, len(rows) + 1)),
            "person_id": [r[0] for r in rows],
            "assessed_on": [START + dt.timedelta(days=r[1]) for r in rows],
            **{d: [r[2] for r in rows] for d in DOMAINS},
            "restored": [r[3] for r in rows],
        },
        schema_overrides={"restored": pl.Boolean},
    )


def test_restoration_intervals_by_hand():
    profiles = _profiles(
        [
            (1, 0, 2.0, False),
            (1, 183, 3.0, True),  # restored at 6 months: (0, 6]
            (2, 0, 2.0, False),
            (2, 365, 3.2, True),  # 6-month visit missed: (0, 12]
            (3, 0, 2.0, False),
            (3, 183, 2.5, False),
            (3, 365, 2.8, None),  # unknown at 12
            (3, 730, 2.9, False),  # → censored after 24 months
            (4, 0, 2.0, False),
            (4, 183, 2.1, False),
            (4, 730, 3.4, True),  # (6, 24]
            (5, 0, 3.1, True),  # restored at intake: [0, 0]
        ]
    )
    got = restoration_intervals(profiles, TOOL).select("person_id", "lower", "upper")
    assert got.rows() == [
        (1, 1.0, 6.0),
        (2, 1.0, 12.0),
        (3, 25.0, np.inf),
        (4, 7.0, 24.0),
        (5, 0.0, 0.0),
    ]


def test_turnbull_equals_lifelines_npmle():
    """Reference: lifelines.fitters.npmle.npmle on the same closed intervals."""
    from lifelines.fitters.npmle import npmle

    rng = np.random.default_rng(3)
    grid = np.array([0.0, 6, 12, 24, 36])
    lower = rng.choice(grid[:-1], 300) + 1
    upper = np.where(rng.random(300) < 0.3, np.inf, lower + rng.choice([5.0, 11, 23], 300))
    inner, p = turnbull_npmle(lower, upper)
    p_ref, inner_ref = npmle(lower, upper, tol=1e-12)
    assert inner.tolist() == [list(i) for i in inner_ref]
    np.testing.assert_allclose(p, p_ref, atol=1e-5)


def test_without_missed_visits_it_is_kaplan_meier():
    """With every visit made, the share restored is 1 − KM (lifelines) at each visit."""
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(5)
    rows, durations, events = [], [], []
    for person in range(200):
        first = rng.choice([6, 12, 24, 36, 99])
        last = rng.choice([12, 24, 36])
        for month in (0, 6, 12, 24, 36):
            if month > last:
                break
            rows.append((person, round(month * 30.4375), 2.0, bool(month >= first)))
            if month >= first:
                break
        durations.append(min(first, last))
        events.append(first <= last)
    fit = TimeToRestoration(instrument=TOOL, months=(6, 12, 24), n_bootstrap=50).fit(
        _profiles(rows)
    )
    km = KaplanMeierFitter().fit(durations, events)
    for month in (6, 12, 24):
        assert fit.share_[month] == pytest.approx(1 - km.predict(month), abs=1e-6)


def test_change_from_intake_equals_a_paired_t_interval():
    """Reference: scipy.stats.ttest_rel(latest, intake).confidence_interval()."""
    intake = [1.5, 2.0, 1.0, 2.5, 1.75]
    latest = [3.0, 2.5, 2.0, 3.5, 1.75]
    rows = [(p, 0, a, False) for p, a in enumerate(intake)]
    rows += [(p, 183, 1.0, False) for p in range(5)]  # a 6-month visit, superseded
    rows += [(p, 730, b, True) for p, b in enumerate(latest)]
    change = change_from_intake(_profiles(rows), TOOL).row(0, named=True)
    ref = stats.ttest_rel(latest, intake).confidence_interval(0.95)
    assert change["n"] == 5 and change["change"] == pytest.approx(0.8)
    assert (change["lower"], change["upper"]) == pytest.approx((ref.low, ref.high))
    assert change["intake_mean"] == pytest.approx(1.75)


def test_not_fitted():
    with pytest.raises(NotFitted):
        _ = TimeToRestoration(instrument=TOOL).summary


@pytest.fixture(scope="module")
def world():
    return simulate_world(WorldConfig(seed=2026))


@pytest.mark.slow
def test_share_restored_covers_the_generators_truth(world):
    """Known truth: the world's share restored at a scheduled visit by 12 and 24 months
    (``world.truth.restoration_rate``, 0.483 and 0.852) lies in the 95% intervals."""
    result = summarise_survivors(
        world.frames["assessments"], world.frames["assessment_items"], TOOL, random_state=7
    )
    table = result.restoration.filter(pl.col("group") == "all")
    for month, share, lower, upper in table.select(
        "month", "share_restored", "lower", "upper"
    ).rows():
        truth = world.truth.restoration_rate[str(month)]
        assert lower <= truth <= upper, (month, share, lower, upper, truth)
        assert abs(share - truth) < 0.05
    change = result.change.filter(pl.col("domain") == "overall").row(0, named=True)
    assert 1.3 < change["change"] < 1.7 and change["lower"] > 0


@pytest.mark.slow
def test_groups_and_sparse_groups(world):
    persons = world.frames["persons"].select(pl.col("id").alias("person_id"), "sex")
    people = world.frames["assessments"].select("person_id").unique().join(persons, on="person_id")
    people = people.with_columns(
        tiny=pl.when(pl.col("person_id") == people["person_id"].min())
        .then(pl.lit("one"))
        .otherwise(pl.lit("rest"))
    )
    items = world.frames["assessment_items"]
    assessments = world.frames["assessments"]
    from uncounted.survivors import score_domains, score_profiles

    profiles = score_profiles(score_domains(assessments, items, TOOL), TOOL)
    by_sex = cohort_summary(profiles, TOOL, survivors=people, by="sex", n_bootstrap=50)
    assert set(by_sex.restoration["sex"]) == {"Female", "Male"}
    sizes = by_sex.restoration.filter(pl.col("month") == 12)["survivors"].sum()
    assert sizes == profiles["person_id"].n_unique()
    with pytest.warns(SparseDataWarning, match="'one' has 1 survivor"):
        cohort_summary(profiles, TOOL, survivors=people, by="tiny", n_bootstrap=20)


def test_demo_headlines_show_estimate_and_truth():
    small = simulate_world(WorldConfig(seed=3, n_victims=300))
    frames = small.frames
    lines = restoration_headlines(
        frames["assessments"], frames["assessment_items"], TOOL, small.truth.restoration_rate
    )
    assert lines["survivors assessed"] == str(frames["assessments"]["person_id"].n_unique())
    assert lines["survivors restored by 12 months (95% CI)"].endswith("; truth 48.3%")
    nine = frames["assessments"]["person_id"].unique().sort().head(9).implode()
    few = frames["assessments"].filter(pl.col("person_id").is_in(nine))
    assert list(restoration_headlines(few, frames["assessment_items"], TOOL)) == [
        "survivors assessed"
    ]
