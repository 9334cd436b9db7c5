"""Each agency's own records of the victims it saw, with realistic noise and the truth kept.

In a synthetic world (:func:`~uncounted.simulate.simulate_world`) every victim is one person
row: the linkage is already done. Real agencies hand over their own records, each spelling
names its own way. :func:`agency_records` turns a world's list memberships back into those
raw records; :func:`population_records` draws a large hidden population directly (with a
much richer pool of invented names) for linkage at scale.

Names come from each country's weighted name pool (``simulate/data/names/<cc>.csv``, see
:mod:`uncounted.simulate._names` for the sources and conventions: Burmese names without a
family name, most Indonesians with one name, Vietnamese and Khmer names family first, Thai
family names unique and diverse, Vietnamese family names few and very common).

Noise, each applied independently per record with the probabilities of :class:`RecordNoise`:

- **diacritics dropped** (``no_diacritics``): "Nguyễn Văn Đức" recorded "Nguyen Van Duc";
- **transliteration**: another common romanisation from the country's pool ("spelling"
  rows: Thai ``porn``/``phon``, ``chai``/``chay`` (RTGS vs others), Khmer ``kh``/``k``,
  ``chh``/``ch``, ``ea``/``ia``, Burmese ``kyaw``/``kyau``, ``htet``/``het``, Indonesian old
  spelling ``oe``/``u``, ``dj``/``j``, ...), or syllables written together or apart
  ("Srey Mom"/"Sreymom");
- **typo**: one keystroke error (substitution, deletion, insertion, transposition);
- **swapped order**: given and family names recorded the other way round — three times as
  often for family-first conventions (Vietnamese, Khmer; :data:`SWAP_FAMILY_FIRST`);
- **nickname**: a nickname from the pool instead of the given name ("Jun", "Baby", "Noi",
  "Ploy") — three times as often for Filipino and Thai records (:data:`NICKNAME_COMMON`) —
  or, for Burmese names, an honorific in front ("Ma Aye Aye", "Ko Zaw Win");
- **missing** birth date, family name, phone or citizenship; **year-only** birth dates
  (recorded as 1 January, as many registration systems do);
- **wrong age**: off by one to three years; **wrong sex** (rare); **another phone number**.

The column ``person`` is the truth (the victim's id), never used by linkage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from uncounted.errors import InvalidInput
from uncounted.simulate._names import (
    DIAL,
    FAMILY_FIRST,
    POOL_COUNTRIES,
    draw_names,
    name_pool,
    strip_diacritics,
)
from uncounted.simulate.world import COUNTRIES, World

__all__ = ["AgencyRecords", "RecordNoise", "agency_records", "population_records"]

#: Invented home provinces/districts per country, "KH-01" .. "KH-25".
_DISTRICTS = 25
_POOLS = frozenset(POOL_COUNTRIES)

#: Countries whose records carry nicknames often (Filipino and Thai everyday names): the
#: ``nickname`` probability is multiplied by this factor there (capped at 1).
NICKNAME_COMMON: dict[str, float] = {"PH": 3.0, "TH": 3.0}

#: Family-first conventions (:data:`~uncounted.simulate._names.FAMILY_FIRST`) are recorded
#: the other way round this many times as often by agencies used to given-name-first forms.
SWAP_FAMILY_FIRST = 3.0


@dataclass(frozen=True)
class RecordNoise:
    """Per-record probabilities of each kind of recording error (see the module docstring)."""

    transliteration: float = 0.30
    no_diacritics: float = 0.70
    typo: float = 0.10
    swapped_order: float = 0.10
    nickname: float = 0.03
    missing_birth_date: float = 0.15
    year_only_birth_date: float = 0.10
    wrong_age: float = 0.10
    missing_family_name: float = 0.05
    missing_phone: float = 0.30
    other_phone: float = 0.10
    missing_citizenship: float = 0.05
    missing_place: float = 0.10
    wrong_place: float = 0.03
    wrong_sex: float = 0.005

    @classmethod
    def heavy(cls) -> RecordNoise:
        """A harsher profile: more variant spellings, typos, swapped names and nicknames,
        twice the missing birth dates and year-only dates, half the phones missing."""
        return cls(
            transliteration=0.45,
            no_diacritics=0.9,
            typo=0.20,
            swapped_order=0.15,
            nickname=0.06,
            missing_birth_date=0.30,
            year_only_birth_date=0.20,
            wrong_age=0.15,
            missing_phone=0.50,
            other_phone=0.15,
            missing_citizenship=0.10,
            missing_place=0.20,
        )

    def validate(self) -> None:
        """Raise :class:`InvalidInput` unless every probability is in [0, 1]."""
        for name, value in vars(self).items():
            if not 0.0 <= float(value) <= 1.0:
                raise InvalidInput(f"RecordNoise.{name} must be a probability in [0, 1].")


@dataclass(frozen=True)
class AgencyRecords:
    """Agencies' raw records (one row per record) and the true number of people.

    ``records`` columns: ``record_id``, ``agency``, ``person`` (truth), ``given_name``,
    ``family_name``, ``birth_date`` (date), ``age`` (at recording), ``sex``, ``citizenship``,
    ``place`` (home province or district, e.g. ``KH-07``), ``region`` (country where recorded),
    ``phone``, ``recorded_on`` (date), ``period`` (year).
    """

    records: pl.DataFrame
    population: int
    noise: RecordNoise = field(default_factory=RecordNoise)

    def true_pairs(self) -> int:
        """Number of record pairs that belong to the same person (pairwise truth)."""
        sizes = self.records.group_by("person").len().get_column("len").to_numpy()
        return int((sizes * (sizes - 1) // 2).sum())


def _typo(rng: np.random.Generator, word: str) -> str:
    if len(word) < 3:
        return word
    i = int(rng.integers(1, len(word)))
    kind = int(rng.integers(0, 4))
    letter = chr(int(rng.integers(97, 123)))
    if kind == 0:
        return word[:i] + letter + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + letter + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def _transliterate(rng: np.random.Generator, name: str, country: str | None) -> str:
    """Another agency's spelling of ``name``: syllables joined ("Srey Mom"/"Sreymom") or one
    of the country's interchangeable spellings (its pool's ``spelling`` rows) swapped."""
    if " " in name and rng.random() < 0.4:
        return name.replace(" ", "", 1)
    rules = name_pool(country).spellings if country in _POOLS else ()
    lower = name.lower()
    options = [(a, b) for a, b in rules if a in lower] + [
        (b, a) for a, b in rules if b in lower and len(b) > 1
    ]
    if not options:
        return name
    a, b = options[int(rng.integers(0, len(options)))]
    at = lower.find(a)
    out = lower[:at] + b + lower[at + len(a) :]
    return " ".join(w[:1].upper() + w[1:] for w in out.split(" "))


def _nickname(rng: np.random.Generator, given: str, country: str | None, sex: str) -> str:
    """A nickname instead of the given name, or (Burmese) an honorific in front of it."""
    if country not in _POOLS:
        return given
    pool = name_pool(country)
    code = "M" if sex == "Male" else "F"
    titles = pool.part("honorific", code)
    if titles.names:
        return f"{titles.draw(rng, 1)[0]} {given}"
    nicknames = pool.part("nickname", code)
    return nicknames.draw(rng, 1)[0] if nicknames.names else given


def _noisy(rng: np.random.Generator, truth: pl.DataFrame, noise: RecordNoise) -> pl.DataFrame:
    """Apply ``noise`` to one row per record of true values."""
    noise.validate()
    n = truth.height
    u = {k: rng.random(n) for k in vars(noise)}
    given: list[str | None] = []
    family: list[str | None] = []
    births: list[dt.date | None] = []
    ages: list[int] = []
    phones: list[str | None] = []
    for i, row in enumerate(truth.iter_rows(named=True)):
        g: str | None = row["given_name"]
        f: str | None = row["family_name"] or None
        country: str | None = row["citizenship"]
        if u["no_diacritics"][i] < noise.no_diacritics:
            g = strip_diacritics(g) if g else g
            f = strip_diacritics(f) if f else f
        if g and u["transliteration"][i] < noise.transliteration:
            g = _transliterate(rng, g, country)
        if f and rng.random() < noise.transliteration / 2:
            f = _transliterate(rng, f, country)
        if g and u["typo"][i] < noise.typo:
            g = _typo(rng, g)
        if f and rng.random() < noise.typo / 2:
            f = _typo(rng, f)
        if g and u["nickname"][i] < noise.nickname * NICKNAME_COMMON.get(country or "", 1.0):
            g = _nickname(rng, g, country, row["sex"])
        if u["missing_family_name"][i] < noise.missing_family_name:
            f = None
        swap = noise.swapped_order * (SWAP_FAMILY_FIRST if country in FAMILY_FIRST else 1.0)
        if f and u["swapped_order"][i] < swap:
            g, f = f, g
        given.append(g)
        family.append(f)
        birth: dt.date | None = row["birth_date"]
        if u["missing_birth_date"][i] < noise.missing_birth_date:
            birth = None
        elif birth is not None and u["year_only_birth_date"][i] < noise.year_only_birth_date:
            birth = dt.date(birth.year, 1, 1)
        births.append(birth)
        age = int(row["age"])
        if u["wrong_age"][i] < noise.wrong_age:
            age = max(0, age + int(rng.choice([-3, -2, -1, 1, 2, 3])))
        ages.append(age)
        phone: str | None = row["phone"]
        if u["missing_phone"][i] < noise.missing_phone:
            phone = None
        elif phone and u["other_phone"][i] < noise.other_phone:
            phone = phone[:-9] + str(int(rng.integers(10**8, 10**9)))
        phones.append(phone)
    flip = u["wrong_sex"] < noise.wrong_sex
    moved = u["wrong_place"] < noise.wrong_place
    other_place = [
        f"{p[:2]}-{int(d):02d}"
        for p, d in zip(truth["place"], rng.integers(1, _DISTRICTS + 1, n), strict=True)
    ]
    return truth.with_columns(
        pl.Series("given_name", given, dtype=pl.String),
        pl.Series("family_name", family, dtype=pl.String),
        pl.Series("birth_date", births, dtype=pl.Date),
        pl.Series("age", ages, dtype=pl.Int64),
        pl.Series("phone", phones, dtype=pl.String),
        pl.when(pl.Series(flip))
        .then(pl.when(pl.col("sex") == "Female").then(pl.lit("Male")).otherwise(pl.lit("Female")))
        .otherwise(pl.col("sex"))
        .alias("sex"),
        pl.when(pl.Series(u["missing_citizenship"] < noise.missing_citizenship))
        .then(None)
        .otherwise(pl.col("citizenship"))
        .alias("citizenship"),
        pl.when(pl.Series(u["missing_place"] < noise.missing_place))
        .then(None)
        .when(pl.Series(moved))
        .then(pl.Series(other_place))
        .otherwise(pl.col("place"))
        .alias("place"),
    ).select(
        "record_id",
        "agency",
        "person",
        "given_name",
        "family_name",
        "birth_date",
        "age",
        "sex",
        "citizenship",
        "place",
        "region",
        "phone",
        "recorded_on",
        "period",
    )


def agency_records(
    world: World, *, noise: RecordNoise | None = None, seed: int = 0
) -> AgencyRecords:
    """Each agency's records of the victims on its list in ``world``, with noise.

    One record per list membership (a person recorded by an agency in two periods has two
    records). ``person`` is the world's person id; ``population`` the world's true total.
    """
    rng = np.random.default_rng(seed)
    f = world.frames
    agencies = f["agencies"].select(pl.col("id").alias("agency_id"), pl.col("code").alias("agency"))
    victims = world.population.select(
        pl.col("victim").cast(pl.String).alias("external_id"), pl.col("country").alias("region")
    )
    persons = (
        f["persons"]
        .with_columns(pl.Series("district", rng.integers(1, _DISTRICTS + 1, f["persons"].height)))
        .with_columns(
            (pl.col("citizenship") + "-" + pl.col("district").cast(pl.String).str.zfill(2)).alias(
                "place"
            )
        )
    )
    persons = persons.join(victims, on="external_id", how="inner")
    truth = (
        f["list_memberships"]
        .join(agencies, on="agency_id")
        .join(persons.rename({"id": "person_id"}), on="person_id")
        .join(f["person_identities"], on="person_id")
        .sort("id")
        .select(
            (pl.col("agency") + "-" + pl.col("id").cast(pl.String)).alias("record_id"),
            "agency",
            pl.col("person_id").alias("person"),
            "given_name",
            "family_name",
            pl.col("birth_date").str.to_date(),
            (pl.col("recorded_on").dt.year() - pl.col("birth_year")).cast(pl.Int64).alias("age"),
            "sex",
            "citizenship",
            "place",
            "region",
            "phone",
            "recorded_on",
            "period",
        )
    )
    return AgencyRecords(
        _noisy(rng, truth, noise or RecordNoise()), world.truth.population, noise or RecordNoise()
    )


#: (code, place or "" for regional, base rate of recording) of the direct generator's lists.
DEFAULT_LISTS: tuple[tuple[str, str, float], ...] = (
    ("POLICE-PH", "PH", 0.9),
    ("POLICE-TH", "TH", 0.8),
    ("NGO-SEA", "", 0.25),
    ("LAB-INSP", "", 0.2),
    ("IOM-RET", "", 0.15),
)


def population_records(
    n_people: int,
    *,
    seed: int = 0,
    noise: RecordNoise | None = None,
    lists: tuple[tuple[str, str, float], ...] = DEFAULT_LISTS,
    frailty_sd: float = 0.8,
) -> AgencyRecords:
    """Draw ``n_people`` victims with invented identities and the agencies' noisy records.

    Each list records a person with probability ``1 - exp(-rate * catchability)`` (times 2.5
    in its own country, zero elsewhere for national lists), ``catchability`` log-normal with
    mean 1 — the same mechanism as :func:`simulate_world`, without cases and survivors, so
    that a million records take about a minute. About ``0.9 * n_people`` records result.
    """
    if n_people < 10:
        raise InvalidInput("population_records needs at least 10 people (n_people).")
    rng = np.random.default_rng(seed)
    codes = np.array(list(COUNTRIES))
    country = rng.choice(codes, size=n_people, p=[0.25, 0.12, 0.25, 0.18, 0.1, 0.05, 0.05])
    migrant_from = np.array(["KH", "MM", "ID", "PH", "VN"])  # citizenships of those moved
    home = np.where(rng.random(n_people) < 0.45, rng.choice(migrant_from, n_people), country)
    sex = rng.choice(np.array(["Female", "Male"]), size=n_people, p=[0.62, 0.38])
    minor = rng.random(n_people) < 0.25
    age = np.where(minor, rng.integers(9, 18, n_people), rng.integers(18, 56, n_people))
    catch = rng.lognormal(-(frailty_sd**2) / 2, frailty_sd, n_people)
    start = dt.date(2021, 1, 1)
    rows: dict[str, list[object]] = {k: [] for k in ("agency", "person", "recorded_on")}
    for code, place, rate in lists:
        hazard = rate * catch * np.where(country == place, 2.5, 0.0 if place else 1.0)
        for idx in np.flatnonzero(rng.random(n_people) < 1.0 - np.exp(-hazard)):
            rows["agency"].append(code)
            rows["person"].append(int(idx) + 1)
            rows["recorded_on"].append(start + dt.timedelta(days=int(rng.integers(0, 1642))))
    names: list[tuple[str, str | None]] = [("", None)] * n_people
    for c in np.unique(home):
        where = np.flatnonzero(home == c)
        for i, name in zip(where.tolist(), draw_names(rng, str(c), sex[where]), strict=True):
            names[i] = name
    birth_offset = rng.integers(0, 365, n_people)
    people = pl.DataFrame(
        {
            "person": np.arange(1, n_people + 1),
            "given_name": [g for g, _ in names],
            "family_name": [fam for _, fam in names],
            "birth_year0": 2023 - age,
            "birth_offset": birth_offset,
            "sex": sex,
            "citizenship": home,
            "place": [
                f"{c}-{int(d):02d}"
                for c, d in zip(home, rng.integers(1, _DISTRICTS + 1, n_people), strict=True)
            ],
            "region": country,
            "phone": [
                f"{DIAL[str(c)]}{int(p)}"
                for c, p in zip(home, rng.integers(10**8, 10**9, n_people), strict=True)
            ],
        },
        schema_overrides={"family_name": pl.String},
    )
    truth = (
        pl.DataFrame(rows, schema={"agency": pl.String, "person": pl.Int64, "recorded_on": pl.Date})
        .with_row_index("n", offset=1)
        .join(people, on="person")
        .sort("n")
        .with_columns(
            (pl.col("agency") + "-" + pl.col("n").cast(pl.String)).alias("record_id"),
            (pl.date(pl.col("birth_year0"), 1, 1) + pl.duration(days=pl.col("birth_offset"))).alias(
                "birth_date"
            ),
            (pl.col("recorded_on").dt.year() - pl.col("birth_year0")).cast(pl.Int64).alias("age"),
            pl.col("recorded_on").dt.year().cast(pl.String).alias("period"),
        )
    )
    noise = noise or RecordNoise()
    return AgencyRecords(_noisy(rng, truth, noise), n_people, noise)
