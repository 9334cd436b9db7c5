"""Pairs no blocking rule compares: how many true pairs they hold, and carrying them into the
estimate's linkage error.

Blocking (:func:`uncounted.linkage.model.blocking_rules`) scores only pairs that agree on every
column of at least one rule. A true pair that agrees on none (both name parts spelt another
way, no birth date, no phone) is a missed link in the headline linkage *and in every plausible
linkage drawn from the scored pairs*: each splits one person into two, each on fewer lists, and
the estimate runs high whatever the draws. Under ``RecordNoise.heavy()`` an eighth of the
true pairs are never compared, and the draws' estimates ran 10–20 % above the estimate on the
true linkage (``benchmarks/linkage_coverage.py``).

**Blocking recall** (the share of true pairs some rule compares) is estimated from the
compared pairs themselves. Each pair's agreement on the blocking columns is grouped as the
Fellegi–Sunter model groups its comparisons, independent given a match: the name columns
together (one categorical pattern), the birth columns together, and each other column alone.
Given a match, ``P(x) = Π_g π_g(x_g)``; compared pairs are those whose pattern ``x`` lies in
the region ``R`` the rules accept, a sample of the true pairs truncated to ``R``. Maximising
``Σ_i w_i [log P(x_i) − log P(R)]`` over the ``π`` gives the recall ``r = P(R)``; the pairs
are those the model scores 0.5 or more, ``w_i`` their match probability (taking every compared
pair at its probability counts the many pairs of different people in the middle of the range
as matches whose names disagree, and put recall 3–6 points low). What identifies the patterns
outside ``R`` is that some rules ignore whole groups: the phone rule compares pairs whatever
their names and dates, the birth-date rule whatever their names. It is a truncated-sample
estimate of a population, as capture–recapture is with the rules as lists (blocking recall is
the "pairs completeness" of Christen 2012, *Data Matching*, ch. 7; the truncated multinomial
likelihood: Sanathanan 1972, *Annals of Mathematical Statistics* 43: 142–152).
The expected number of true pairs never compared is ``found · (1 − r) / r``, with ``found``
the sum of the compared pairs' match probabilities.

On simulated heavy-noise records with known truth (``population_records``, five lists) the
estimate was 0.853, 0.862 and 0.872 where the true share was 0.850, 0.882 and 0.868 (3 000,
10 000 and 20 000 records); with about 200 true pairs (2 000 victims, ``simulate_world``) it
is within ±0.09. The independence of the groups is an assumption: records that are poor in
one field are often poor in others, which makes the uncompared share larger than estimated.

**Carrying them into the draws.** For files of at most
``LinkageSettings.compare_all_max_records`` records, every pair of records of the same sex on
different lists (:data:`OUTSIDE_CANDIDATES`) is scored by the trained model and those no rule
compares are kept (:func:`outside_pairs`). Their probabilities are too high
as they stand: that no rule compares a pair is itself evidence against a match, which the
model, scoring comparisons one column at a time, does not weigh (on simulated heavy-noise
files they summed to 3.5 times the true pairs among them). :func:`shift_to_missed` moves
them all by one constant on the logit scale (a change of prior odds, the same for every such
pair) so that they sum to the true pairs expected among them; the draws then link each with
its shifted probability (:func:`uncounted.linkage.uncertainty.linkage_uncertainty`). Larger
files keep the estimate of recall and say that the interval does not carry what blocking
missed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import brentq, minimize
from scipy.special import expit, logit

from uncounted.linkage.model import ARRAY_KEYS, PREDICTION_BLOCKING_KEYS

__all__ = [
    "MAX_PAIRS",
    "OUTSIDE_CANDIDATES",
    "OUTSIDE_FLOOR",
    "BlockingRecall",
    "blocking_columns",
    "compared",
    "estimate_blocking_recall",
    "outside_pairs",
    "rule_agreements",
    "shift_to_missed",
]

#: The pairs scored beyond the rules: records of the same sex on different lists (one list
#: holds a person once, and sex is wrong in well under 1 % of true pairs). Half the pairs of
#: every pair, and half the time.
OUTSIDE_CANDIDATES = "l.sex = r.sex and l.agency <> r.agency"

#: Pairs outside every rule scored below this are not kept (their shifted probability is
#: smaller still, and at a few thousand records there are millions of them).
OUTSIDE_FLOOR = 1e-4

#: Compared pairs used to estimate blocking recall at most (a random sample beyond it).
MAX_PAIRS = 200_000

#: Columns estimated as one pattern (the model compares them together).
_GROUPS: tuple[tuple[str, ...], ...] = (
    ("name_key", "name_first", "name_second", "name_tokens", "name_prefixes", "prefix_key"),
    ("birth_date", "birth_year"),
)


def blocking_columns(keys: Sequence[Sequence[str]] = PREDICTION_BLOCKING_KEYS) -> list[str]:
    """Every column some rule blocks on, in a fixed order."""
    return sorted({c for rule in keys for c in rule})


def rule_agreements(
    prepared: pl.DataFrame,
    pairs: pl.DataFrame,
    keys: Sequence[Sequence[str]] = PREDICTION_BLOCKING_KEYS,
) -> pl.DataFrame:
    """``pairs`` (``unique_id_l``, ``unique_id_r``, anything else kept) with one boolean column
    per blocking column: both records hold it and it is equal (a list column: they share a
    value), as Splink's blocking compares them; and ``agency_l``, ``agency_r``."""
    columns = blocking_columns(keys)
    have = [c for c in columns if c in prepared.columns]
    side = prepared.select("unique_id", "agency", *have).with_columns(
        pl.col("unique_id").cast(pl.String)
    )
    joined = pairs.with_columns(
        pl.col("unique_id_l").cast(pl.String), pl.col("unique_id_r").cast(pl.String)
    ).join(
        side.rename({c: f"{c}__l" for c in side.columns if c != "unique_id"}),
        left_on="unique_id_l",
        right_on="unique_id",
    )
    joined = joined.join(
        side.rename({c: f"{c}__r" for c in side.columns if c != "unique_id"}),
        left_on="unique_id_r",
        right_on="unique_id",
    )

    def agree(c: str) -> pl.Expr:
        if c not in have:
            return pl.lit(False)
        left, right = pl.col(f"{c}__l"), pl.col(f"{c}__r")
        if c in ARRAY_KEYS:
            return (left.list.set_intersection(right).list.len() > 0).fill_null(False)
        return (left == right).fill_null(False)

    return joined.with_columns(
        *(agree(c).alias(c) for c in columns),
        pl.col("agency__l").alias("agency_l"),
        pl.col("agency__r").alias("agency_r"),
    ).drop([c for c in joined.columns if c.endswith(("__l", "__r"))])


def compared(keys: Sequence[Sequence[str]] = PREDICTION_BLOCKING_KEYS) -> pl.Expr:
    """True where a pair of :func:`rule_agreements` agrees on every column of some rule."""
    return pl.any_horizontal(pl.all_horizontal(*(pl.col(c) for c in rule)) for rule in keys)


@dataclass(frozen=True)
class BlockingRecall:
    """The estimated share of true pairs the blocking rules compare.

    Attributes:
        recall: estimated share of true pairs some rule compares (``P(R)``, see the module).
        pairs: compared pairs the estimate rests on.
        matches: the sum of their match probabilities (the true pairs they hold, as far as
            the model believes).
    """

    recall: float
    pairs: int
    matches: float

    def missed(self, found: float) -> float:
        """True pairs expected among those never compared, when the compared pairs hold
        ``found`` true pairs: ``found · (1 − r) / r``."""
        return found * (1.0 - self.recall) / self.recall if self.recall > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"recall": self.recall, "pairs": self.pairs, "matches": self.matches}


def _groups(columns: Sequence[str]) -> list[tuple[str, ...]]:
    grouped = [tuple(c for c in g if c in columns) for g in _GROUPS]
    grouped = [g for g in grouped if g]
    alone = [(c,) for c in columns if not any(c in g for g in grouped)]
    return grouped + alone


def estimate_blocking_recall(
    agreements: pl.DataFrame,
    weights: str = "match_probability",
    keys: Sequence[Sequence[str]] = PREDICTION_BLOCKING_KEYS,
    at_least: float = 0.5,
) -> BlockingRecall | None:
    """Blocking recall from compared pairs (:func:`rule_agreements` of the scored pairs, or of
    a random sample of :data:`MAX_PAIRS` of them) whose column ``weights`` is ``at_least``
    or more, each weighted by it (see the module for the model). ``None`` when they hold fewer
    than 5 matches between them (nothing to estimate from)."""
    rows = agreements.filter(compared(keys) & (pl.col(weights) >= at_least))
    w = rows.get_column(weights).to_numpy().astype(np.float64)
    if w.sum() < 5:
        return None
    columns = blocking_columns(keys)
    groups = _groups(columns)
    # each group's patterns seen among the compared pairs: the categories of its distribution
    codes: list[np.ndarray] = []
    levels: list[list[tuple[bool, ...]]] = []
    for g in groups:
        pattern = rows.select(pl.concat_list([pl.col(c).cast(pl.Int8) for c in g]).alias("p"))
        seen = [tuple(bool(v) for v in p) for p in pattern.get_column("p").to_list()]
        cats = sorted(set(seen))
        index = {c: i for i, c in enumerate(cats)}
        codes.append(np.array([index[s] for s in seen], dtype=np.int64))
        levels.append(cats)
    # which combinations of the groups' patterns some rule accepts
    shape = tuple(len(c) for c in levels)
    where = {c: (gi, g.index(c)) for gi, g in enumerate(groups) for c in g}
    accepted = np.zeros(shape, dtype=bool)
    for combo in itertools.product(*(range(n) for n in shape)):
        value = {c: levels[gi][combo[gi]][pos] for c, (gi, pos) in where.items()}
        accepted[combo] = any(all(value[c] for c in rule) for rule in keys)
    total = w.sum()
    sizes = list(shape)
    splits = np.cumsum([0, *sizes])

    def probabilities(theta: np.ndarray) -> list[np.ndarray]:
        out = []
        for gi in range(len(groups)):
            t = theta[splits[gi] : splits[gi + 1]]
            e = np.exp(t - t.max())
            out.append(e / e.sum())
        return out

    def joint(ps: list[np.ndarray]) -> np.ndarray:
        j = np.ones(())
        for p in ps:
            j = np.multiply.outer(j, p)
        return j

    def negative_log_likelihood(theta: np.ndarray) -> float:
        ps = probabilities(theta)
        ll = sum(float(w @ np.log(p[c])) for p, c in zip(ps, codes, strict=True))
        region = float(joint(ps)[accepted].sum())
        return float(-(ll - total * math.log(region)))

    fit = minimize(negative_log_likelihood, np.zeros(splits[-1]), method="L-BFGS-B")
    recall = float(joint(probabilities(fit.x))[accepted].sum())
    return BlockingRecall(recall=recall, pairs=rows.height, matches=float(total))


def outside_pairs(
    prepared: pl.DataFrame,
    every: pl.DataFrame,
    keys: Sequence[Sequence[str]] = PREDICTION_BLOCKING_KEYS,
) -> pl.DataFrame:
    """Of ``every`` scored pair, those no rule compares, between records of different lists
    (one list holds a person once): ``unique_id_l``, ``unique_id_r``, ``match_probability``,
    sorted."""
    marked = rule_agreements(prepared, every.select(*_PAIR), keys)
    outside = marked.filter(~compared(keys) & (pl.col("agency_l") != pl.col("agency_r")))
    return outside.select(*_PAIR).sort("unique_id_l", "unique_id_r")  # joins reorder rows


_PAIR = ("unique_id_l", "unique_id_r", "match_probability")


def shift_to_missed(probabilities: np.ndarray, missed: float) -> np.ndarray:
    """``probabilities`` moved by one constant ``c`` on the logit scale,
    ``p' = 1 / (1 + exp(−(logit p + c)))``, so that they sum to ``missed`` (the true pairs
    expected among them). Kept as they are when ``missed`` is not below their sum and the
    sum is already what is expected or they are too few to reach it."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.size == 0 or missed <= 0:
        return np.zeros_like(p)
    if missed >= p.size:
        return np.ones_like(p)
    x = logit(np.clip(p, 1e-12, 1 - 1e-12))

    def excess(c: float) -> float:
        return float(expit(x + c).sum() - missed)

    low, high = -60.0, 60.0
    if excess(low) >= 0 or excess(high) <= 0:
        return p
    c = brentq(excess, low, high, xtol=1e-10)
    return np.asarray(expit(x + c))
