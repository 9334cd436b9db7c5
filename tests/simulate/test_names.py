"""Name pools: weighted draws, each convention, the sources stated, and each kind of variation
a record goes through between agencies."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import polars as pl
import pytest

from uncounted.simulate._names import (
    MONONYM_SHARE,
    POOL_COUNTRIES,
    draw_names,
    full_name,
    name_pool,
    random_identity,
    strip_diacritics,
)
from uncounted.simulate.agency_records import RecordNoise, population_records

QUIET = {k: 0.0 for k in vars(RecordNoise())}


@pytest.mark.parametrize("country", POOL_COUNTRIES)
def test_every_pool_states_its_sources_and_has_names_for_both_sexes(country):
    pool = name_pool(country)
    assert "Sources:" in pool.sources and "Simplified:" in pool.sources
    assert "CC BY-SA" in pool.sources  # the licence of what was used
    for sex in ("F", "M"):
        assert len(pool.part("given", sex).names) >= 14
        assert pool.part("given", sex).p.sum() == pytest.approx(1.0)


def test_vietnamese_family_names_follow_their_published_shares():
    names = draw_names(np.random.default_rng(1), "VN", ["Female"] * 10_000 + ["Male"] * 10_000)
    family = Counter(f for _, f in names)
    pool = name_pool("VN").part("family")
    assert 0.38 <= pool.share("Nguyễn") <= 0.41  # 38.4 %, renormalised over the listed names
    assert family["Nguyễn"] / 20_000 == pytest.approx(pool.share("Nguyễn"), abs=0.01)
    assert family["Trần"] / 20_000 == pytest.approx(pool.share("Trần"), abs=0.01)
    # the given name carries the middle name: "Thị" for most women, "Văn" for most men
    women = Counter(g.split(" ")[0] for g, _ in names[:10_000])
    assert women["Thị"] / 10_000 > 0.5
    assert full_name("Văn An", "Nguyễn", "VN") == "Nguyễn Văn An"  # family first
    assert full_name("Dara", "Sok", "KH") == "Sok Dara"
    assert full_name("Maria", "Santos", "PH") == "Maria Santos"
    assert full_name("Aye Aye", None, "MM") == "Aye Aye"


def test_burmese_names_have_no_family_name_and_indonesians_mostly_one_name():
    mm = draw_names(np.random.default_rng(2), "MM", ["Female", "Male"] * 2_000)
    assert all(f is None for _, f in mm)
    assert {len(g.split(" ")) for g, _ in mm} >= {1, 2, 3}
    idn = draw_names(np.random.default_rng(3), "ID", ["Female", "Male"] * 5_000)
    share = sum(f is None for _, f in idn) / len(idn)
    assert share == pytest.approx(MONONYM_SHARE["ID"], abs=0.02)


def test_thai_family_names_are_diverse_and_filipino_ones_weighted_by_rank():
    th = Counter(f for _, f in draw_names(np.random.default_rng(4), "TH", ["Male"] * 5_000))
    assert len(th) > 300
    assert th.most_common(1)[0][1] / 5_000 < 0.03
    ph = Counter(f for _, f in draw_names(np.random.default_rng(5), "PH", ["Male"] * 20_000))
    assert ph["Santos"] > ph["Reyes"] > ph["Abad"]  # rank 1, 2, last: not uniform


def test_an_identity_takes_the_same_draws_whatever_the_country():
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    one = random_identity(a, "VN", "Female", 1990)
    random_identity(b, "MM", "Male", 1990)
    assert a.integers(0, 10**9) == b.integers(0, 10**9)  # a world's later draws unchanged
    assert one["phone"].startswith("+84") and one["birth_date"].startswith("1990-")


def _records(**noise: float) -> pl.DataFrame:
    return population_records(4_000, seed=6, noise=RecordNoise(**{**QUIET, **noise})).records


@pytest.fixture(scope="module")
def truth() -> pl.DataFrame:
    return _records()


def _against(truth: pl.DataFrame, noisy: pl.DataFrame) -> pl.DataFrame:
    return truth.join(noisy, on="record_id", suffix="_noisy")


def test_diacritics_are_dropped(truth):
    assert strip_diacritics("Nguyễn Văn Đức") == "Nguyen Van Duc"
    assert truth.filter(pl.col("citizenship") == "VN")["family_name"].str.contains("ễ").any()
    noisy = _records(no_diacritics=1.0)
    names = pl.concat([noisy["given_name"], noisy["family_name"].drop_nulls()])
    assert names.map_elements(str.isascii, return_dtype=pl.Boolean).all()


def test_transliteration_gives_the_countries_variant_spellings(truth):
    both = _against(truth, _records(transliteration=1.0))
    th = both.filter(pl.col("citizenship") == "TH")
    assert (th["given_name"] != th["given_name_noisy"]).mean() > 0.6
    variants = set(th.filter(pl.col("given_name") == "Siriporn")["given_name_noisy"])
    assert variants & {"Siriphon", "Siripolm", "Silipon", "Sirippon", "Siripon", "Silipoln"}


def test_swapped_order_puts_the_family_name_first(truth):
    both = _against(truth, _records(swapped_order=1.0)).filter(pl.col("family_name").is_not_null())
    assert (both["given_name_noisy"] == both["family_name"]).all()
    assert (both["family_name_noisy"] == both["given_name"]).all()


def test_nicknames_and_burmese_honorifics(truth):
    both = _against(truth, _records(nickname=1.0))
    ph = both.filter(pl.col("citizenship") == "PH", pl.col("sex") == "Male")
    assert set(ph["given_name_noisy"]) <= set(name_pool("PH").part("nickname", "M").names)
    mm = both.filter(pl.col("citizenship") == "MM")
    prefix = mm["given_name_noisy"].str.split(" ").list.first()
    assert prefix.is_in(["Ma", "Daw", "Ko", "U", "Maung", "Mg"]).all()


def test_typos_change_one_keystroke(truth):
    both = _against(truth, _records(typo=1.0)).filter(pl.col("given_name").str.len_chars() >= 4)
    changed = both["given_name"] != both["given_name_noisy"]
    assert changed.mean() > 0.9
    length = (
        both["given_name"].str.len_chars().cast(pl.Int64)
        - both["given_name_noisy"].str.len_chars().cast(pl.Int64)
    ).abs()
    assert length.max() <= 1


def test_missing_and_year_only_birth_dates():
    missing = _records(missing_birth_date=1.0)["birth_date"]
    assert missing.null_count() == missing.len()
    year_only = _records(year_only_birth_date=1.0)["birth_date"]
    assert year_only.dt.day().eq(1).all() and year_only.dt.month().eq(1).all()
    assert isinstance(year_only[0], dt.date)


def test_heavy_profile_adds_every_kind_of_name_variation():
    default, heavy = RecordNoise(), RecordNoise.heavy()
    for kind in ("transliteration", "typo", "swapped_order", "nickname", "no_diacritics"):
        assert getattr(heavy, kind) > getattr(default, kind)
    assert heavy.year_only_birth_date > default.year_only_birth_date
