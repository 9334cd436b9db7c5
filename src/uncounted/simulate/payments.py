"""Synthetic payment traffic with planted offenders, and its truth.

The world: senders in Australia, Canada, the UK and the US, of four kinds.

- ``consumer``: card purchases at home (groceries, fuel, restaurants, streaming
  subscriptions; a few buy a VPN every month) and domestic bank transfers.
- ``family``: the same, plus remittances home (the Philippines, India, Viet Nam, China,
  Mexico, Thailand, ...). Most send about monthly (median A$250, round amounts, descriptions
  such as "family support", "school fees", "allowance"); a fifth send weekly small sums
  ("allowance", "baon", "load"); some siblings send to the same household.
- ``business``: pays contractors and suppliers abroad (many in the Philippines) by bank
  transfer in office hours, by invoice.
- ``offender`` (planted): pays facilitators in high-risk countries (Philippines first, then
  Thailand, Colombia, Mexico, the Dominican Republic) in frequent low-value transfers, at
  three levels of subtlety. ``obvious``: many transfers, mostly at night, several
  beneficiaries, innocuous descriptions, escalating amounts, VPN/webcam purchases, often a
  new customer. ``moderate``: fewer of each. ``subtle``: a family remitter who also sends a
  few small transfers to one or two facilitators, mostly in daytime. Facilitators are
  partly shared between offenders (many senders, one beneficiary).

Local times use each country's standard offset (no daylight saving); amounts are drawn in
Australian dollars and converted at the default rates of the screening rules. Everything is
reproducible from ``random_state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import polars as pl

from uncounted.errors import InvalidInput

SENDER_COUNTRIES = ("AU", "CA", "GB", "US")
_SENDER_P = (0.55, 0.15, 0.15, 0.15)
_CURRENCY = {"AU": "AUD", "CA": "CAD", "GB": "GBP", "US": "USD"}
_FX = {"AUD": 1.0, "CAD": 1.11, "GBP": 1.94, "USD": 1.52}  # AUD per unit
_OFFSET_H = {"AU": 10, "CA": -5, "GB": 0, "US": -5}
COUNTRIES = ("AU", "CA", "GB", "US", "PH", "TH", "CO", "MX", "DO", "IN", "VN", "CN", "NZ")
_C = {c: i for i, c in enumerate(COUNTRIES)}
_FAMILY_HOME = {
    "PH": 0.30,
    "TH": 0.06,
    "CO": 0.04,
    "MX": 0.08,
    "DO": 0.02,
    "IN": 0.2,
    "VN": 0.12,
    "CN": 0.13,
    "NZ": 0.05,
}
_SUPPLIER = {"PH": 0.35, "IN": 0.2, "CN": 0.2, "US": 0.1, "MX": 0.05, "TH": 0.05, "VN": 0.05}
_FACILITATOR = {"PH": 0.6, "TH": 0.12, "CO": 0.1, "MX": 0.1, "DO": 0.08}
CHANNELS = ("remittance", "e_wallet", "bank_transfer", "card")
DESCRIPTIONS = (
    "",
    "family support",
    "allowance",
    "school fees",
    "gift",
    "medical",
    "for mum",
    "para kay nanay",
    "baon",
    "load",
    "uniform",
    "tuition",
    "invoice",
    "contractor payment",
    "rent",
    "dinner",
    "pang-gamot",
    "regalo",
)
_D = {d: i for i, d in enumerate(DESCRIPTIONS)}
MCCS = ("5411", "5812", "5541", "4899", "5732", "5311", "4816", "5967", "7273")
_MCC_NAME = {
    "5411": "grocery stores",
    "5812": "restaurants",
    "5541": "service stations",
    "4899": "cable and streaming services",
    "5732": "electronics",
    "5311": "department stores",
    "4816": "computer network services (vpn)",
    "5967": "inbound teleservices (webcam)",
    "7273": "dating and escort services",
}
_NIGHT = np.array([22, 23, 0, 1, 2, 3, 4, 5])
# id ranges of beneficiaries by kind
_HOUSEHOLD, _SUPPLIER_ID, _FACIL, _MERCHANT, _PAYEE = (
    10**8,
    2 * 10**8,
    3 * 10**8,
    4 * 10**8,
    5 * 10**8,
)


@dataclass(frozen=True)
class PaymentWorld:
    """Synthetic payments (canonical schema) and the truth behind them."""

    payments: pl.DataFrame
    senders: pl.DataFrame  # sender_id, sender_country, kind, subtlety, is_offender
    beneficiaries: pl.DataFrame  # beneficiary_id, beneficiary_country, is_facilitator

    @property
    def offender_ids(self) -> set[str]:
        """Ids of the planted offenders."""
        return set(self.senders.filter(pl.col("is_offender"))["sender_id"].to_list())

    @property
    def facilitator_ids(self) -> set[str]:
        """Ids of the beneficiaries who are facilitators."""
        return set(self.beneficiaries.filter(pl.col("is_facilitator"))["beneficiary_id"].to_list())


class _Tx:
    """Column arrays of transactions, appended group by group."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("s", "b", "bc", "day", "hour", "aud", "ch", "desc", "mcc", "rnd")
        }

    def add(self, **arrays: np.ndarray) -> None:
        n = len(arrays["s"])
        for k, parts in self.cols.items():
            parts.append(np.asarray(arrays[k]) if k in arrays else np.full(n, -1))

    def stacked(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.cols.items()}


def _pick(rng: np.random.Generator, probs: dict[str, float], n: int) -> np.ndarray:
    keys = list(probs)
    p = np.array([probs[k] for k in keys])
    return np.array([_C[k] for k in keys])[rng.choice(len(keys), size=n, p=p / p.sum())]


def _hours(rng: np.random.Generator, night_p: np.ndarray) -> np.ndarray:
    night = rng.random(len(night_p)) < night_p
    return np.where(night, rng.choice(_NIGHT, len(night_p)), rng.integers(8, 22, len(night_p)))


def _cards(
    tx: _Tx,
    rng: np.random.Generator,
    senders: np.ndarray,
    rate: float,
    days: int,
    start: np.ndarray,
    vpn: np.ndarray,
    risky: np.ndarray,
) -> None:
    n = rng.poisson(rate * (days - start) / days)
    s = np.repeat(senders, n)
    m = rng.choice(6, size=len(s), p=[0.35, 0.25, 0.15, 0.1, 0.05, 0.1])
    st = np.repeat(start, n)
    tx.add(
        s=s,
        b=_MERCHANT + m * 1000 + rng.integers(0, 1000, len(s)),
        bc=np.full(len(s), -2),
        day=rng.integers(st, days),
        hour=rng.integers(7, 23, len(s)),
        aud=np.round(rng.lognormal(3.3, 0.8, len(s)), 2),
        ch=np.full(len(s), 3),
        mcc=m,
    )
    # monthly VPN subscriptions (ordinary privacy-minded customers and offenders alike)
    v = senders[vpn]
    k = np.full(len(v), max(days // 30, 1))
    s = np.repeat(v, k)
    tx.add(
        s=s,
        b=_MERCHANT + 6000 + (s % 7),
        bc=np.full(len(s), -2),
        day=rng.integers(0, days, len(s)),
        hour=rng.integers(0, 24, len(s)),
        aud=np.full(len(s), 12.99),
        ch=np.full(len(s), 3),
        mcc=np.full(len(s), 6),
    )
    # webcam / adult streaming purchases
    r = senders[risky]
    k = rng.integers(1, 5, len(r))
    s = np.repeat(r, k)
    tx.add(
        s=s,
        b=_MERCHANT + 7000 + (s % 5),
        bc=np.full(len(s), -2),
        day=rng.integers(np.repeat(start[risky], k), days),
        hour=rng.choice(_NIGHT, len(s)),
        aud=np.round(rng.uniform(20, 120, len(s)), 2),
        ch=np.full(len(s), 3),
        mcc=rng.choice([7, 8], len(s)),
    )


def _family(
    tx: _Tx,
    rng: np.random.Generator,
    senders: np.ndarray,
    days: int,
    frequent: np.ndarray,
    household_pool: int,
) -> None:
    n_s = len(senders)
    shared = rng.random(n_s) < 0.15
    hid = rng.integers(0, household_pool, n_s)
    home = np.where(
        shared, _pick(rng, _FAMILY_HOME, household_pool)[hid], _pick(rng, _FAMILY_HOME, n_s)
    )
    house = np.where(shared, _HOUSEHOLD + hid, _HOUSEHOLD + household_pool + senders)
    rate = np.where(
        frequent, days / 7 * rng.uniform(0.7, 1.3, n_s), days / 30 * rng.uniform(0.8, 1.5, n_s)
    )
    n = rng.poisson(rate)
    idx = np.repeat(np.arange(n_s), n)
    f = frequent[idx]
    aud = np.where(
        f, rng.lognormal(np.log(80), 0.4, len(idx)), rng.lognormal(np.log(250), 0.5, len(idx))
    )
    second = rng.random(len(idx)) < 0.2  # a second relative now and then
    d_regular = rng.choice(
        [1, 2, 3, 4, 5, 6, 7, 0], len(idx), p=[0.25, 0.1, 0.08, 0.05, 0.03, 0.05, 0.04, 0.4]
    )
    d_frequent = rng.choice([2, 8, 9, 0], len(idx), p=[0.3, 0.1, 0.1, 0.5])
    tx.add(
        s=senders[idx],
        b=np.where(second, house[idx] + 50 * 10**6, house[idx]),
        bc=home[idx],
        day=rng.integers(0, days, len(idx)),
        hour=_hours(rng, np.full(len(idx), 0.12)),
        aud=np.clip(aud, 20, 3000),
        ch=rng.choice(3, len(idx), p=[0.6, 0.25, 0.15]),
        desc=np.where(f, d_frequent, d_regular),
        rnd=rng.choice([0, 10, 50], len(idx), p=[0.1, 0.6, 0.3]),
    )


def _business(
    tx: _Tx, rng: np.random.Generator, senders: np.ndarray, days: int, supplier_pool: int
) -> None:
    k = rng.integers(3, 13, len(senders))
    s = np.repeat(senders, k)
    sup_index = rng.integers(0, supplier_pool, len(s))
    sup = _SUPPLIER_ID + sup_index
    country = _pick(rng, _SUPPLIER, supplier_pool)[sup_index]
    n = rng.poisson(days / 14, len(s))
    idx = np.repeat(np.arange(len(s)), n)
    day = rng.integers(0, days, len(idx))
    day = np.where(day % 7 >= 5, day - 2, day)  # weekdays (day 0 is a Monday)
    tx.add(
        s=s[idx],
        b=sup[idx],
        bc=country[idx],
        day=np.clip(day, 0, days - 1),
        hour=rng.integers(9, 17, len(idx)),
        aud=np.clip(rng.lognormal(np.log(700), 0.6, len(idx)), 100, 9000),
        ch=np.full(len(idx), 2),
        desc=np.full(len(idx), _D["invoice"]),
        rnd=np.zeros(len(idx), int),
    )


def _offenders(
    tx: _Tx,
    rng: np.random.Generator,
    senders: np.ndarray,
    level: np.ndarray,
    start: np.ndarray,
    days: int,
    n_facilitators: int,
) -> None:
    """level: 0 obvious, 1 moderate, 2 subtle."""
    lo = np.array([25, 12, 8])[level]
    hi = np.array([60, 30, 18])[level]
    n = rng.integers(lo, hi + 1)
    n_ben = rng.integers(np.array([3, 2, 1])[level], np.array([7, 4, 3])[level])
    night_p = np.array([0.7, 0.45, 0.25])[level]
    desc_p = np.array([0.7, 0.5, 0.6])[level]
    esc = np.where(
        rng.random(len(senders)) < np.array([0.6, 0.4, 0.2])[level],
        rng.uniform(1, 3, len(senders)),
        0.0,
    )
    base = rng.uniform(15, 60, len(senders))
    fac_country = _pick(rng, _FACILITATOR, n_facilitators)
    # each offender's beneficiaries: shared facilitators (60%) or private ones
    ben = np.where(
        rng.random((len(senders), 6)) < 0.6,
        _FACIL + rng.integers(0, n_facilitators, (len(senders), 6)),
        _FACIL + n_facilitators + senders[:, None] * 8 + np.arange(6),
    )
    idx = np.repeat(np.arange(len(senders)), n)
    which = rng.integers(0, n_ben[idx])
    b = ben[idx, which]
    shared_b = b < _FACIL + n_facilitators
    private_country = _pick(rng, _FACILITATOR, (int(senders.max()) + 1) * 8)
    bc = np.where(
        shared_b,
        fac_country[np.clip(b - _FACIL, 0, n_facilitators - 1)],
        private_country[np.maximum(b - _FACIL - n_facilitators, 0)],
    )
    day = rng.integers(start[idx], days)
    u = (day - start[idx]) / np.maximum(days - start[idx], 1)
    aud = np.clip(base[idx] * (1 + esc[idx] * u) * rng.uniform(0.8, 1.2, len(idx)), 10, 480)
    innocuous = np.array(
        [
            _D[d]
            for d in ("school fees", "medical", "gift", "uniform", "load", "allowance", "tuition")
        ]
    )
    desc = np.where(rng.random(len(idx)) < desc_p[idx], rng.choice(innocuous, len(idx)), 0)
    tx.add(
        s=senders[idx],
        b=b,
        bc=bc,
        day=day,
        hour=_hours(rng, night_p[idx]),
        aud=aud,
        ch=rng.choice(3, len(idx), p=[0.6, 0.3, 0.1]),
        desc=desc,
        rnd=rng.choice([0, 5, 10], len(idx), p=[0.2, 0.4, 0.4]),
    )


def simulate_payments(
    n_senders: int = 20_000,
    n_offenders: int = 60,
    *,
    days: int = 180,
    start: date = date(2024, 1, 1),
    random_state: int | None = 0,
) -> PaymentWorld:
    """Simulate ``days`` of payment traffic of ``n_senders`` customers, ``n_offenders`` planted.

    About 40 payments per sender on average (mostly card purchases): 250 000 senders give
    about 10 million payments.
    """
    if n_senders < 10 or not 0 < n_offenders < n_senders // 2 or days < 90:
        raise InvalidInput(
            "simulate_payments needs n_senders >= 10, 0 < n_offenders < n_senders / 2 and "
            "days >= 90."
        )
    rng = np.random.default_rng(random_state)
    country = rng.choice(len(SENDER_COUNTRIES), n_senders, p=_SENDER_P)
    kind = rng.choice(3, n_senders, p=[0.5, 0.42, 0.08])  # consumer, family, business
    off = rng.choice(n_senders, n_offenders, replace=False)
    kind[off] = 3
    level = np.full(n_senders, -1)
    level[off] = rng.permutation(np.arange(n_offenders) % 3)
    # new customers: half the obvious offenders, a fifth of the moderate ones, 3% of others
    new_p = np.select([level == 0, level == 1], [0.5, 0.2], 0.03)
    # new customers start from day 45 and at least 60 days before the end (when there is room)
    latest = max(days - 60, 46)
    start_day = np.where(rng.random(n_senders) < new_p, rng.integers(45, latest, n_senders), 0)
    ids = np.arange(n_senders)
    tx = _Tx()
    risky = np.select([level == 0, level == 1, level == 2], [0.7, 0.4, 0.15], 0.003)
    _cards(
        tx,
        rng,
        ids,
        40.0 * days / 180,
        days,
        start_day,
        vpn=rng.random(n_senders) < 0.04,
        risky=rng.random(n_senders) < risky,
    )
    fam = ids[(kind == 1) | (level == 2)]
    _family(tx, rng, fam, days, rng.random(len(fam)) < 0.2, max(len(fam) // 8, 1))
    _business(tx, rng, ids[kind == 2], days, max(int((kind == 2).sum()) * 20, 1))
    _offenders(tx, rng, off, level[off], start_day[off], days, max(n_offenders // 3, 3))
    return _assemble(tx.stacked(), rng, country, kind, level, start, days)


def _assemble(
    a: dict[str, np.ndarray],
    rng: np.random.Generator,
    country: np.ndarray,
    kind: np.ndarray,
    level: np.ndarray,
    start: date,
    days: int,
) -> PaymentWorld:
    sc = country[a["s"]]
    offset = np.array([_OFFSET_H[c] for c in SENDER_COUNTRIES])[sc]
    bc = np.where(a["bc"] == -2, np.array([_C[c] for c in SENDER_COUNTRIES])[sc], a["bc"])
    # domestic payees: cards carry the merchant; fill transfers without a country (none here)
    secs = a["day"] * 86400 + a["hour"] * 3600 + rng.integers(0, 3600, len(sc)) - offset * 3600
    fx = np.array([_FX[_CURRENCY[c]] for c in SENDER_COUNTRIES])[sc]
    local = a["aud"] / fx
    unit = a["rnd"]
    amount = np.where(
        unit > 0, np.maximum(np.round(local / np.maximum(unit, 1)) * unit, unit), np.round(local, 2)
    )
    t0 = datetime(start.year, start.month, start.day, tzinfo=UTC)
    mcc = a["mcc"]
    df = pl.DataFrame(
        {
            "s": a["s"],
            "b": a["b"],
            "secs": secs,
            "sc": sc,
            "bc": bc,
            "amount": amount,
            "ch": a["ch"],
            "desc": a["desc"],
            "mcc": mcc,
        }
    ).sort("secs", "s", "b")
    card = pl.col("ch") == 3
    payments = df.select(
        pl.format("T{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(9)).alias(
            "transaction_id"
        ),
        (pl.lit(t0) + pl.duration(seconds=pl.col("secs")))
        .dt.cast_time_unit("us")
        .alias("timestamp"),
        pl.format("S{}", pl.col("s").cast(pl.String).str.zfill(7)).alias("sender_id"),
        pl.col("sc").replace_strict(dict(enumerate(SENDER_COUNTRIES))).alias("sender_country"),
        pl.when(card)
        .then(pl.format("M{}", pl.col("b") - _MERCHANT))
        .otherwise(pl.format("B{}", pl.col("b")))
        .alias("beneficiary_id"),
        pl.col("bc").replace_strict(dict(enumerate(COUNTRIES))).alias("beneficiary_country"),
        pl.col("amount"),
        pl.col("sc")
        .replace_strict({i: _CURRENCY[c] for i, c in enumerate(SENDER_COUNTRIES)})
        .alias("currency"),
        pl.col("ch").replace_strict(dict(enumerate(CHANNELS))).alias("channel"),
        pl.when(card)
        .then(None)
        .otherwise(pl.col("desc").clip(lower_bound=0).replace_strict(dict(enumerate(DESCRIPTIONS))))
        .alias("description"),
        pl.when(card)
        .then(
            pl.col("mcc").replace_strict(
                {i: _MCC_NAME[m] for i, m in enumerate(MCCS)}, default=None
            )
        )
        .alias("merchant_category"),
    )
    names = np.array(["consumer", "family", "business", "offender"])
    subtle = np.array(["obvious", "moderate", "subtle"])
    senders = pl.DataFrame(
        {
            "sender_id": [f"S{i:07d}" for i in range(len(country))],
            "sender_country": np.array(SENDER_COUNTRIES)[country],
            "kind": names[kind],
            "subtlety": [subtle[x] if x >= 0 else None for x in level],
            "is_offender": kind == 3,
        }
    )
    ben = (
        df.filter(pl.col("ch") != 3)
        .group_by("b")
        .agg(pl.col("bc").first())
        .sort("b")
        .select(
            pl.format("B{}", pl.col("b")).alias("beneficiary_id"),
            pl.col("bc").replace_strict(dict(enumerate(COUNTRIES))).alias("beneficiary_country"),
            ((pl.col("b") >= _FACIL) & (pl.col("b") < _MERCHANT)).alias("is_facilitator"),
        )
    )
    return PaymentWorld(payments, senders, ben)


__all__ = [
    "CHANNELS",
    "COUNTRIES",
    "DESCRIPTIONS",
    "MCCS",
    "SENDER_COUNTRIES",
    "PaymentWorld",
    "simulate_payments",
]
