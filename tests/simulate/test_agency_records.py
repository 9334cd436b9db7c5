"""Agencies' noisy records of a synthetic world keep the truth and the noise they promise."""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.simulate.agency_records import (
    RecordNoise,
    agency_records,
    population_records,
)

COLUMNS = [
    "record_id", "agency", "person", "given_name", "family_name", "birth_date", "age", "sex",
    "citizenship", "place", "region", "phone", "recorded_on", "period",
]  # fmt: skip


@pytest.fixture(scope="module")
def world():
    return simulate_world(WorldConfig(seed=3, n_victims=600))


def test_one_record_per_list_membership_with_the_truth(world):
    recs = agency_records(world, seed=1).records
    assert recs.columns == COLUMNS
    assert recs.height == world.frames["list_memberships"].height
    assert recs["record_id"].n_unique() == recs.height
    by_list = {code: set(group["person"].to_list()) for (code,), group in recs.group_by("agency")}
    assert by_list == {k: set(v) for k, v in world.truth.victim_ids_by_list.items() if v}


def test_same_seed_same_records_and_a_new_seed_new_noise(world):
    a = agency_records(world, seed=5).records
    assert a.equals(agency_records(world, seed=5).records)
    assert not a.equals(agency_records(world, seed=6).records)


def test_noise_rates_are_close_to_the_settings():
    noise = RecordNoise()
    recs = population_records(20_000, seed=2, noise=noise).records
    n = recs.height
    missing_birth = recs["birth_date"].null_count() / n
    assert missing_birth == pytest.approx(noise.missing_birth_date, abs=0.015)
    assert recs["phone"].null_count() / n == pytest.approx(noise.missing_phone, abs=0.015)
    # a person's records disagree on the spelling of the given name in a good share of pairs
    spellings = recs.group_by("person").agg(pl.col("given_name").n_unique(), pl.len())
    multi = spellings.filter(pl.col("len") > 1)
    assert (multi["given_name"] > 1).mean() > 0.3


def test_transliteration_variants_are_kept_recognisable():
    recs = population_records(5_000, seed=4, noise=RecordNoise(transliteration=1.0)).records
    assert recs["given_name"].null_count() == 0
    kh = recs.filter(pl.col("citizenship") == "KH")
    assert kh["given_name"].str.contains(r"[a-z]").all()


def test_no_noise_means_identical_records_of_a_person():
    quiet = RecordNoise(**{k: 0.0 for k in vars(RecordNoise())})
    recs = population_records(3_000, seed=1, noise=quiet).records
    per = recs.group_by("person").agg(
        pl.col("given_name", "family_name", "birth_date", "phone").n_unique()
    )
    assert (per.select(pl.exclude("person")) == 1).to_numpy().all()


def test_heavy_noise_profile_and_invalid_settings():
    assert RecordNoise.heavy().missing_birth_date > RecordNoise().missing_birth_date
    with pytest.raises(InvalidInput, match="probability"):
        population_records(100, noise=RecordNoise(typo=1.5))
    with pytest.raises(InvalidInput, match="at least 10"):
        population_records(5)
