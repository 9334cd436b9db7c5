"""The synthetic world is reproducible and its truth is internally consistent."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from uncounted.errors import InvalidInput
from uncounted.simulate import ASSESSMENT_ITEMS, WorldConfig, simulate_world


@pytest.fixture(scope="module")
def world():
    return simulate_world(WorldConfig(seed=11, n_victims=1500))


def test_same_seed_same_world(world):
    again = simulate_world(WorldConfig(seed=11, n_victims=1500))
    for name, frame in world.frames.items():
        assert_frame_equal(frame, again.frames[name])
    other = simulate_world(WorldConfig(seed=12, n_victims=1500))
    assert not other.frames["list_memberships"].equals(world.frames["list_memberships"])


def test_population_truth(world):
    assert world.truth.population == 1500 == world.population.height
    assert sum(world.truth.population_by_country.values()) == 1500


def test_lists_record_members_of_the_population(world):
    members = world.frames["list_memberships"]
    victims = world.frames["case_persons"].filter(pl.col("role") == "victim")
    seen = set().union(*world.truth.victim_ids_by_list.values())
    # every person on a list is a true victim (a person of the world's population)
    assert set(members["person_id"]) == seen
    assert seen <= set(world.frames["persons"]["id"])
    assert set(victims["person_id"]) <= seen
    # each list's membership in the frames equals the truth, and none is complete
    frame = world.frames["agencies"]
    agencies = dict(zip(frame["id"], frame["code"], strict=True))
    for agency_id, group in members.group_by("agency_id"):
        code = agencies[agency_id[0]]
        assert set(group["person_id"]) == world.truth.victim_ids_by_list[code]
        assert 0 < group.height < world.truth.population
    assert len(seen) < world.truth.population  # some victims are seen by no agency


def test_lists_are_dependent_where_configured(world):
    """NGO-SEA takes police referrals: its overlap with PNP exceeds independence."""
    lists = world.truth.victim_ids_by_list
    pnp, ngo = lists["PNP"], lists["NGO-SEA"]
    ph = world.truth.population_by_country["PH"]
    ngo_ph = len(ngo & set(world.frames["persons"]["id"]))  # any
    assert len(pnp & ngo) / len(pnp) > len(ngo) / world.truth.population
    assert ngo_ph > 0 and ph > 0


def test_justice_events_follow_stage_order_and_end_date(world):
    from uncounted.domain import SUSPECT_STAGES

    events = world.frames["justice_events"]
    assert events["occurred_on"].max() <= world.config.end
    order = {s.value: i for i, s in enumerate(SUSPECT_STAGES)}
    suspects = set(world.frames["case_persons"].filter(pl.col("role") == "suspect")["person_id"])
    for (_, person), path in events.filter(pl.col("person_id").is_in(suspects)).group_by(
        ["case_id", "person_id"]
    ):
        path = path.sort("occurred_on", maintain_order=True)
        ranks = [order[s] for s in path["stage"]]
        assert ranks == sorted(ranks), person
    verdicts = events.filter(pl.col("stage") == "verdict")
    assert set(verdicts["outcome"]) == {"convicted", "acquitted", "dismissed"}
    assert (world.frames["cases"]["status"] == "Active").any()  # some cases still open
    assert world.frames["case_links"].height > 0  # some cross-border proceedings


def test_assessments_use_the_instrument_items(world):
    items = set(world.frames["assessment_items"]["item"])
    assert items == {i for group in ASSESSMENT_ITEMS.values() for i in group}
    scores = world.frames["assessment_items"]["score"]
    assert scores.min() >= 1 and scores.max() <= 4
    assert 0 < world.truth.restoration_rate["12"] < world.truth.restoration_rate["24"] < 1


def test_bad_config():
    with pytest.raises(InvalidInput, match="at least 10 victims"):
        simulate_world(WorldConfig(n_victims=3))
