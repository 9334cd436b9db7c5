"""Worked fixtures for due diligence: four partners, their statement scores and a risk table.

Hand-worked values (used in the tests):

* P1's statement FY2024 on s16 scores a..g = 3, 2, 1, 0, 2, (f not scored → 0), 1: total 9 of
  21 → 42.857 %. Second reviewer on a..d: 3, 3, 1, 0. Pairs (3,3) (2,3) (1,1) (0,0): observed
  quadratic disagreement Σw·o = 1/4; chance Σw·e = 3 (marginals a: ¼ each of 0–3; b: 0 ¼,
  1 ¼, 3 ½) → κ_w = 1 − 0.25/3 = 0.91667; exact agreement 3/4.
* P2's statement on s54(5) scores a..f = 3, 3, 3, 2, 3, 3 → 17/18 = 94.444 %; one pair
  (2, 0) on UK-d: a disagreement; one pair → no kappa.
* P3 scores 3 on every s16 criterion → 100 %. P4 has no statement.
"""

from __future__ import annotations

import base64
import datetime as dt

import polars as pl
import pytest

from uncounted.duediligence import ZoneCertificate
from uncounted.settings import Settings

#: Keys for the stores these tests make (the store refuses to guess keys).
KEYS = {
    "data_key": base64.urlsafe_b64encode(bytes(range(32))).decode(),
    "secret_key": base64.urlsafe_b64encode(bytes(range(32, 64))).decode(),
}


@pytest.fixture(autouse=True)
def _keys(monkeypatch):
    monkeypatch.setenv("UNCOUNTED_DATA_KEY", KEYS["data_key"])
    monkeypatch.setenv("UNCOUNTED_SECRET_KEY", KEYS["secret_key"])


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings of a fresh store with its keys."""
    return Settings(data_dir=tmp_path / "data", **KEYS)


SCHEMA = {
    "partner": pl.String,
    "statement": pl.String,
    "framework": pl.String,
    "criterion": pl.String,
    "score": pl.Int64,
    "evidence": pl.String,
    "location": pl.String,
    "reviewer": pl.String,
    "second_score": pl.Int64,
    "second_reviewer": pl.String,
}
AU = "au-msa-2018-s16"
UK = "uk-msa-2015-s54"


def _rows(partner: str, fw: str, scores: dict[str, tuple[int, int | None]]) -> list[tuple]:
    return [
        (
            partner,
            "FY2024",
            fw,
            c,
            a,
            f"quote {c}",
            "p. 1",
            "ana",
            b,
            "ben" if b is not None else None,
        )
        for c, (a, b) in scores.items()
    ]


@pytest.fixture
def scores() -> pl.DataFrame:
    rows = (
        _rows(
            "P1",
            AU,
            {
                "AU-a": (3, 3),
                "AU-b": (2, 3),
                "AU-c": (1, 1),
                "AU-d": (0, 0),
                "AU-e": (2, None),
                "AU-g": (1, None),
            },
        )
        + _rows(
            "P2",
            UK,
            {
                "UK-a": (3, None),
                "UK-b": (3, None),
                "UK-c": (3, None),
                "UK-d": (2, 0),
                "UK-e": (3, None),
                "UK-f": (3, None),
            },
        )
        + _rows("P3", AU, {f"AU-{k}": (3, None) for k in "abcdefg"})
    )
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


@pytest.fixture
def risk_table() -> pl.DataFrame:
    return pl.DataFrame(
        [
            ("DOL", 2024, "CN", "textiles", True, False, None, None),
            ("GEMS", 2022, "CN", None, None, None, None, 6.8),
            ("DOL", 2024, "CI", "cocoa", True, True, None, None),
            ("GEMS", 2022, "GH", None, None, None, None, 5.2),
            ("own", 2025, "TH", "fish", None, None, 0.5, None),
        ],
        schema={
            "source": pl.String,
            "year": pl.Int64,
            "country": pl.String,
            "good": pl.String,
            "forced_labour": pl.Boolean,
            "child_labour": pl.Boolean,
            "score": pl.Float64,
            "prevalence_per_1000": pl.Float64,
        },
        orient="row",
    )


@pytest.fixture
def sourcing() -> pl.DataFrame:
    return pl.DataFrame(
        [
            ("P1", "textiles", "CN", None),
            ("P1", "tomato products", "CN", None),
            ("P1", "cocoa", "GH", None),
            ("P1", "fish", "TH", None),
            ("P1", "coffee", "VN", None),
            ("P2", "cocoa", "CI", "West Africa corridor"),
            ("P2", "garments", "KH", "Mekong corridor"),
            ("P2", "rice", None, None),
            ("P3", "cocoa", "GH", None),
        ],
        schema=["partner", "good", "country", "zone"],
        orient="row",
    )


@pytest.fixture
def certificates() -> list[ZoneCertificate]:
    day = dt.date(2026, 11, 30)
    return [
        ZoneCertificate(
            "West Africa corridor",
            ("CI", "GH"),
            "2025",
            "certified",
            day,
            ({"id": "J5", "variant": "trafficking", "status": "met"},),
        ),
        ZoneCertificate("Mekong corridor", ("KH", "TH"), "2025", "provisional", day, ()),
    ]


@pytest.fixture
def partners() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "partner": ["P1", "P2", "P3", "P4"],
            "business": ["Alpha Apparel", "Beta Foods", "Gamma Cocoa", "Delta Build"],
            "country": ["AU", "GB", "GH", "PH"],
            "sectors": [["apparel"], ["food"], ["food"], ["construction"]],
            "tier1_suppliers": [["Mill A"], [], [], []],
        }
    )
