"""Normalised identifiers: spelling variants of one name meet, different names do not."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.linkage import prepare_records


def _records(names: list[tuple[str | None, str | None]], **extra: list[object]) -> pl.DataFrame:
    n = len(names)
    base: dict[str, list[object]] = {
        "record_id": [f"r{i}" for i in range(n)],
        "agency": ["A"] * n,
        "recorded_on": [dt.date(2024, 5, 1)] * n,
        "given_name": [g for g, _ in names],
        "family_name": [f for _, f in names],
        "birth_date": [None] * n,
        "age": [30] * n,
        "sex": ["Female"] * n,
        "citizenship": ["KH"] * n,
        "place": [None] * n,
        "phone": [None] * n,
    }
    base.update(extra)
    return pl.DataFrame(
        base,
        schema_overrides={
            "birth_date": pl.Date,
            "place": pl.String,
            "phone": pl.String,
            "family_name": pl.String,
        },
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Sreymom", "Chan"), ("Srey Mom", "Chan")),  # syllables together or apart
        (("Sreymom", "Chan"), ("Chan", "Sreymom")),  # swapped order
        (("Chaiyaporn", "Boonmee"), ("Jaiyaphon", "Boonmee")),  # ch/j, ph/p, porn/phon
        (("Sokha", "Khieu"), ("Sokhaa", "Kieu")),  # doubled vowel, kh/k
        (("Kyaw Zin", None), ("Kyau Zin", None)),  # aw/au
        (("Thandar", None), ("Ma Thandar", None)),  # honorific
        (("José", "Dela Cruz"), ("JOSE", "dela-cruz")),  # accents, case, punctuation
        (("Đào", "Đặng"), ("Dao", "Dang")),  # Vietnamese d with stroke (no decomposition)
        (("Łucja", "Søren"), ("Lucja", "Soren")),  # other letters NFKD leaves whole
    ],
)
def test_spelling_variants_share_the_name_key(a, b):
    keys = prepare_records(_records([a, b]))["name_key"].to_list()
    assert keys[0] == keys[1]


def test_letters_without_a_decomposition_are_spelt_in_ascii():
    import polars as pl

    from uncounted.domain.names import clean_name

    names = pl.Series(["Đặng Thị Đào", "Straße", "Æsa Œlund", "Þóra Ðís", "Kırım"])
    cleaned = pl.select(clean_name(pl.lit(names))).to_series().to_list()
    assert cleaned == ["dang thi dao", "strasse", "aesa oelund", "thora dis", "kirim"]


def test_different_names_differ_and_tokens_are_order_free():
    out = prepare_records(_records([("Sokha", "Chan"), ("Dara", "Chan"), ("Chan", "Sokha")]))
    assert out["name_key"][0] != out["name_key"][1]
    assert out["name_tokens"][0].to_list() == out["name_tokens"][2].to_list()
    assert out["name_first"][0] == out["name_first"][2] == "can"


def test_birth_year_from_date_or_age_and_january_first_is_year_only():
    recs = _records(
        [("A", "B")] * 3,
        birth_date=[dt.date(1990, 5, 17), None, dt.date(1988, 1, 1)],
        age=[30, 40, 20],
    )
    out = prepare_records(recs)
    assert out["birth_year"].to_list() == [1990, 1984, 1988]
    assert out["birth_date"].to_list() == ["1990-05-17", None, None]


def test_phone_keeps_its_last_eight_digits():
    out = prepare_records(_records([("A", "B")] * 2, phone=["+855 12-345-678", "012345678"]))
    assert out["phone"].to_list() == ["12345678", "12345678"]


def test_missing_columns_and_duplicate_ids_are_refused():
    with pytest.raises(InvalidInput, match="lack the column"):
        prepare_records(_records([("A", "B")]).drop("family_name"))
    # Optional fields may be absent: blank in every record (tests/linkage/test_optional_columns).
    assert prepare_records(_records([("A", "B")]).drop("phone"))["phone"].to_list() == [None]
    dup = _records([("A", "B")] * 2).with_columns(pl.lit("r0").alias("record_id"))
    with pytest.raises(InvalidInput, match="unique"):
        prepare_records(dup)
