"""Synthetic identities (names, birth dates, phone numbers) by citizenship, from name pools.

The pools are data files, one per country, in ``simulate/data/names/<cc>.csv``: each begins
with comment lines naming its **sources** (with their licence) and what was simplified, then
rows ``part,sex,name,weight``. Parts:

- ``given`` (by sex ``F``/``M``), ``middle`` (Vietnamese "Văn", "Thị", ...), ``family``;
- ``family_prefix``/``family_suffix``: elements joined into Thai family names, which are
  unique per family and so far too diverse for a list;
- ``element``: a syllable sometimes appended to a Burmese name;
- ``nickname`` (sex or blank for both) and ``honorific`` (prefixed, Burmese "Ma", "Ko");
- ``spelling``: ``a>b``, a spelling that another agency writes the other way (either way).

``weight`` is the relative frequency where one is published (Vietnamese family names: Nguyễn
38.4 %, ...); blank means a Zipf-like weight ``1 / rank`` within the part and sex, in the
order of the file (lists are ordered most common first). Draws are weighted, never uniform.

Conventions (:data:`FAMILY_FIRST`, :data:`MONONYM_SHARE`): Vietnamese and Khmer names are
written family name first; Burmese names have no family name; most Indonesians have a single
name. No real person's data is used: each name is common, each combination invented.
"""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

#: Countries with a name pool (ISO 3166 alpha-2).
POOL_COUNTRIES: tuple[str, ...] = ("PH", "KH", "TH", "MY", "ID", "MM", "VN", "AU")

#: Conventions that write the family name first ("Nguyễn Văn An", "Sok Dara").
FAMILY_FIRST: frozenset[str] = frozenset({"VN", "KH"})

#: Share of people with a single name and no family name (Burmese: all; Indonesian: most).
MONONYM_SHARE: dict[str, float] = {"MM": 1.0, "ID": 0.6}

#: Share of Thai family names composed from elements rather than drawn from the list.
COMPOSED_FAMILY_SHARE: dict[str, float] = {"TH": 0.8}

#: Share of Burmese names with one more syllable appended ("Khin Myo" + "Thu").
EXTRA_ELEMENT_SHARE: dict[str, float] = {"MM": 1 / 3}

DIAL: dict[str, str] = {
    "PH": "+63",
    "KH": "+855",
    "TH": "+66",
    "MY": "+60",
    "ID": "+62",
    "MM": "+95",
    "VN": "+84",
    "AU": "+61",
}

_SEX = {"Female": "F", "Male": "M"}


@dataclass(frozen=True)
class Weighted:
    """Names and their probabilities (summing to 1)."""

    names: tuple[str, ...]
    p: np.ndarray

    def draw(self, rng: np.random.Generator, size: int) -> list[str]:
        """``size`` names drawn with replacement by weight."""
        if not self.names:
            return [""] * size
        return [self.names[i] for i in rng.choice(len(self.names), size=size, p=self.p)]

    def share(self, name: str) -> float:
        """The probability of ``name`` (0 if absent)."""
        return float(sum(p for n, p in zip(self.names, self.p, strict=True) if n == name))


@dataclass(frozen=True)
class NamePool:
    """One country's names, weights, spelling variants and where they come from."""

    country: str
    parts: dict[tuple[str, str], Weighted]
    spellings: tuple[tuple[str, str], ...]
    sources: str
    extra: dict[str, Any] = field(default_factory=dict)

    def part(self, part: str, sex: str = "") -> Weighted:
        """The weighted names of ``part`` for ``sex`` ("F", "M"), or for both if none by sex."""
        for key in ((part, sex), (part, "")):
            if key in self.parts:
                return self.parts[key]
        return Weighted((), np.zeros(0))


def _weighted(rows: list[tuple[str, str]]) -> Weighted:
    names = tuple(n for n, _ in rows)
    w = np.array([float(v) if v.strip() else 1.0 / (rank + 1) for rank, (_, v) in enumerate(rows)])
    return Weighted(names, w / w.sum())


@cache
def name_pool(country: str) -> NamePool:
    """The name pool of ``country`` (read once from the package's data files)."""
    text = (
        resources.files("uncounted.simulate")
        .joinpath(f"data/names/{country.lower()}.csv")
        .read_text("utf-8")
    )
    lines = text.splitlines()
    sources = "\n".join(line[1:].strip() for line in lines if line.startswith("#"))
    rows: dict[tuple[str, str], list[tuple[str, str]]] = {}
    spellings: list[tuple[str, str]] = []
    for row in csv.DictReader(line for line in lines if not line.startswith("#")):
        part, sex, name = row["part"], row["sex"] or "", row["name"]
        if part == "spelling":
            a, b = name.split(">")
            spellings.append((a.lower(), b.lower()))
            continue
        rows.setdefault((part, sex), []).append((name, row.get("weight") or ""))
    parts = {key: _weighted(value) for key, value in rows.items()}
    return NamePool(country, parts, tuple(spellings), sources)


def draw_names(
    rng: np.random.Generator, country: str, sexes: list[str] | np.ndarray
) -> list[tuple[str, str | None]]:
    """(given name, family name or None) for people of ``country`` with ``sexes``.

    Given names include the Vietnamese middle name ("Văn An"); Thai family names are mostly
    composed (:data:`COMPOSED_FAMILY_SHARE`); Burmese names may get one more syllable;
    :data:`MONONYM_SHARE` of people have no family name. Weighted draws (see the module).
    """
    pool = name_pool(country if country in POOL_COUNTRIES else "PH")
    c = pool.country
    n = len(sexes)
    codes = [_SEX.get(str(s), "F") for s in sexes]
    given: list[str] = [""] * n
    for code in ("F", "M"):
        idx = [i for i, s in enumerate(codes) if s == code]
        drawn = pool.part("given", code).draw(rng, len(idx))
        middle = pool.part("middle", code).draw(rng, len(idx)) if c == "VN" else None
        for k, i in enumerate(idx):
            given[i] = f"{middle[k]} {drawn[k]}" if middle else drawn[k]
    if c in EXTRA_ELEMENT_SHARE:
        extra = pool.part("element").draw(rng, n)
        add = rng.random(n) < EXTRA_ELEMENT_SHARE[c]
        given = [f"{g} {e}" if a else g for g, e, a in zip(given, extra, add, strict=True)]
    family: list[str | None] = list(pool.part("family").draw(rng, n))
    if c in COMPOSED_FAMILY_SHARE:
        pre = pool.part("family_prefix").draw(rng, n)
        suf = pool.part("family_suffix").draw(rng, n)
        composed = rng.random(n) < COMPOSED_FAMILY_SHARE[c]
        family = [
            (a + b).capitalize() if use else f
            for f, a, b, use in zip(family, pre, suf, composed, strict=True)
        ]
    none = rng.random(n) < MONONYM_SHARE.get(c, 0.0)
    family = [None if drop or not f else f for f, drop in zip(family, none, strict=True)]
    return list(zip(given, family, strict=True))


def full_name(given: str, family: str | None, country: str) -> str:
    """The name as the person's own convention writes it (family first in Vietnam and
    Cambodia, given first elsewhere; a single name alone)."""
    if not family:
        return given
    return f"{family} {given}" if country in FAMILY_FIRST else f"{given} {family}"


def strip_diacritics(text: str) -> str:
    """``text`` without diacritics, as most agencies' systems record Vietnamese names
    ("Nguyễn Văn Đức" → "Nguyen Van Duc"; "Đ"/"đ" become "D"/"d")."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def random_identity(
    rng: np.random.Generator, citizenship: str, sex: str, birth_year: int
) -> dict[str, Any]:
    """One invented identity: names (from the country's pool), birth date, identity number
    and phone.

    Takes two 31-bit draws from ``rng`` to seed the name draw, then the birth day, identity
    number and phone, so a world's other draws do not depend on the pools' sizes.
    """
    country = citizenship if citizenship in POOL_COUNTRIES else "PH"
    a, b = int(rng.integers(0, 2**31)), int(rng.integers(0, 2**31))
    ((given, family),) = draw_names(np.random.default_rng([a, b]), country, [sex])
    birth = dt.date(int(birth_year), 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
    return {
        "given_name": given,
        "family_name": family,
        "other_names": None,
        "birth_date": birth.isoformat(),
        "identity_number": f"{country}{int(rng.integers(10**7, 10**8))}",
        "phone": f"{DIAL[country]}{int(rng.integers(10**8, 10**9))}",
        "email": None,
        "address": None,
    }
