"""Linkage error carried into the population estimate: many plausible linkages, one estimate
each, and an interval that holds both the linkage's and the estimator's uncertainty.

**Plausible linkages.** Each scored pair is a link with its match probability ``p`` (reviewers'
decisions fixed at 1 or 0), drawn independently; individuals are the connected components of
the drawn links. This is the edge-sampling approximation to a posterior over linkages: the
Fellegi–Sunter probabilities are treated as the posterior probability that a pair is the same
person, as in the multiple imputation of linkage (Goldstein, Harron & Wade 2012, *Statistics
in Medicine* 31: 3481–3493; the linkage-as-missing-data view of Tancredi & Liseo 2011, *Annals
of Applied Statistics* 5: 1553–1585, and Sadinle 2017, *JASA* 112: 600–612, whose fully
Bayesian samplers respect one-to-one and transitivity constraints that independent edges do
not). Each draw gives new capture histories, refitted with the same estimator.

**Calibration by clerical review.** Splink's probabilities rest on conditional independence
of the comparisons, and are often too high in the middle of the range (in the simulated worlds
of ``benchmarks/linkage_coverage.py``, pairs scored 0.2–0.8 are the same person far less often
than that). When reviewers have decided at least :data:`MIN_REVIEWED` pairs, both ways, the
undecided pairs' probabilities within the range reviewed are recalibrated on those
decisions: a logistic regression of the decision on the match weight (Platt 1999 scaling;
reviewing a sample of pairs to estimate false- and missed-match rates is the approach of
Winkler 1995 and Christen 2012, §7). Reviewed pairs themselves are fixed links or non-links.

**Pairs never compared.** A true pair no blocking rule compares is a missed link in every
draw, and the draws' estimates run high. Given the estimated blocking recall ``r`` and the
pairs no rule compares, scored by the same model (:mod:`uncounted.linkage.blocking`, small
files), those pairs join the draws with their probabilities shifted by one constant on the
logit scale so that they sum to the true pairs expected among them, ``found · (1 − r) / r``
(``found``: the sum of the compared pairs' probabilities after recalibration). Without those
pairs (a larger file), the result says how many true pairs were never compared and that the
interval does not carry them.

**Combining.** The *linkage-only* interval is the 2.5 and 97.5 % points of the draws' point
estimates (how far linkage alone moves the figure). The *total* interval mixes the draws'
sampling distributions: from each draw ``d``, values are drawn from a split normal whose 2.5
and 97.5 % points are that draw's own interval (``N_d - z·s_lo`` and ``N_d + z·s_hi``, so an
asymmetric interval stays asymmetric), and the total interval is the 2.5 and 97.5 % points of
the pooled values. Mixing draws across imputations is the combination Zhou & Reiter (2010,
*The American Statistician* 64: 159–163) recommend for Bayesian inference after multiple
imputation; it is Rubin's (1987) total variance ``W + (1 + 1/D) B`` without the normality of
``N``, which a population estimate with a long right tail lacks. The point estimate is the
median of the draws' estimates.

An estimator whose interval has no upper end on a draw (``∞``) makes the total interval's upper
end ``∞`` too. Draws the estimator cannot fit (not identifiable) are counted and left out.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from uncounted.errors import InvalidInput, NotIdentifiable
from uncounted.linkage.blocking import BlockingRecall, shift_to_missed
from uncounted.linkage.estimate import Make, _fit, _total, linked_memberships

__all__ = [
    "DEFAULT_DRAWS",
    "MIN_REVIEWED",
    "LinkageUncertainty",
    "calibrate_probabilities",
    "draw_linkages",
    "linkage_uncertainty",
]

#: Plausible linkages drawn by default: enough for stable 2.5/97.5 % points of the mixture
#: (each draw contributes ``values_per_draw`` values), few enough to refit in seconds.
DEFAULT_DRAWS = 50

#: Decided pairs (with both decisions among them) needed to recalibrate the probabilities.
MIN_REVIEWED = 20

_Z = 1.959963984540054  # standard normal 97.5 % point


@dataclass(frozen=True)
class LinkageUncertainty:
    """A population estimate with linkage error carried into its interval.

    Attributes:
        estimate: median of the draws' point estimates.
        linkage_low, linkage_high: 2.5 and 97.5 % points of the draws' estimates (linkage
            error alone).
        total_low, total_high: 2.5 and 97.5 % points of the mixture of the draws' sampling
            distributions (linkage error and the estimator's own uncertainty).
        draws: one row per plausible linkage: ``draw``, ``individuals``, ``estimate``,
            ``ci_low``, ``ci_high`` (failed draws have nulls and a ``note``).
        failed: draws the estimator could not fit.
        level: the intervals' coverage (0.95).
        calibration: ``(a, b)`` of the recalibration on reviewers' decisions, or ``None``
            (the model's probabilities used as they are).
        blocking_recall: estimated share of true pairs the blocking rules compare, or
            ``None`` (not estimated).
        never_compared: true pairs expected among the pairs no rule compares, or ``None``.
        never_compared_drawn: whether the draws linked pairs no rule compares (small files),
            so that the intervals carry what blocking missed.
    """

    estimate: float
    linkage_low: float
    linkage_high: float
    total_low: float
    total_high: float
    draws: pl.DataFrame = field(repr=False)
    failed: int = 0
    level: float = 0.95
    calibration: tuple[float, float] | None = None
    blocking_recall: float | None = None
    never_compared: float | None = None
    never_compared_drawn: bool = False

    @property
    def caveat(self) -> str:
        """What the intervals leave out, in a sentence ("" when nothing worth saying): true
        pairs never compared that the draws could not link (a file too large to score every
        pair), when blocking is estimated to miss more than 5 % of them."""
        if self.blocking_recall is None or self.never_compared_drawn:
            return ""
        if self.blocking_recall >= 0.95:
            return ""
        return (
            f"Blocking compared an estimated {self.blocking_recall:.0%} of the true pairs; "
            f"about {self.never_compared or 0:,.0f} were never compared and every plausible "
            "linkage misses them, so the estimate and its intervals run high."
        )

    @property
    def n_draws(self) -> int:
        """Plausible linkages drawn (fitted and failed)."""
        return self.draws.height

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (the draws' table included)."""
        return {
            "estimate": self.estimate,
            "linkage_ci_low": self.linkage_low,
            "linkage_ci_high": _finite(self.linkage_high),
            "total_ci_low": self.total_low,
            "total_ci_high": _finite(self.total_high),
            "level": self.level,
            "draws": self.n_draws,
            "failed": self.failed,
            "calibration": None if self.calibration is None else list(self.calibration),
            "blocking_recall": self.blocking_recall,
            "never_compared": self.never_compared,
            "never_compared_drawn": self.never_compared_drawn,
            "caveat": self.caveat,
            "method": "independent edge draws from match probabilities; mixture of the draws' "
            "sampling distributions (Zhou & Reiter 2010)",
            "per_draw": self.draws.to_dicts(),
        }

    def to_frame(self) -> pl.DataFrame:
        """The two intervals, one row each: ``interval``, ``estimate``, ``ci_low``,
        ``ci_high``."""
        return pl.DataFrame(
            {
                "interval": ["linkage only", "total (linkage and estimator)"],
                "estimate": [self.estimate, self.estimate],
                "ci_low": [self.linkage_low, self.total_low],
                "ci_high": [self.linkage_high, self.total_high],
            }
        )

    def __repr__(self) -> str:
        return (
            f"LinkageUncertainty(estimate {self.estimate:,.0f}; linkage only "
            f"{self.linkage_low:,.0f}–{self.linkage_high:,.0f}; total {self.total_low:,.0f}–"
            f"{self.total_high:,.0f}; {self.n_draws} draws"
            + (f", {self.failed} failed" if self.failed else "")
            + ")"
        )


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _edges(record_ids: pl.Series, pairs: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (a, b) into ``record_ids`` and their match probabilities (p > 0 only)."""
    index = pl.DataFrame(
        {"unique_id": record_ids.cast(pl.String), "i": np.arange(record_ids.len(), dtype=np.int64)}
    )
    links = (
        pairs.filter(pl.col("match_probability") > 0)
        .join(index.rename({"unique_id": "unique_id_l", "i": "a"}), on="unique_id_l")
        .join(index.rename({"unique_id": "unique_id_r", "i": "b"}), on="unique_id_r")
    )
    return (
        links.get_column("a").to_numpy(),
        links.get_column("b").to_numpy(),
        links.get_column("match_probability").to_numpy().astype(np.float64),
    )


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return np.asarray(np.log(q / (1 - q)))


def calibrate_probabilities(
    pairs: pl.DataFrame, decisions: pl.DataFrame | None, min_reviewed: int = MIN_REVIEWED
) -> tuple[pl.DataFrame, tuple[float, float] | None]:
    """Pairs with decisions applied and, given ``min_reviewed`` decided pairs of both kinds
    that the model scored, undecided probabilities recalibrated: ``logit p' = a + b·logit p``
    fitted by maximum likelihood (Newton–Raphson) on the decided pairs, applied only within
    the range of probabilities the reviewers saw (outside it there is no evidence, and the
    model's probability stays). Returns the pairs
    (``unique_id_l``, ``unique_id_r``, ``match_probability``, ``decision``) and ``(a, b)``
    (``None`` when too few decisions)."""
    from uncounted.linkage.clusters import apply_decisions

    decided = apply_decisions(pairs, decisions)
    if decisions is None or decisions.height < min_reviewed:
        return decided, None
    raw = apply_decisions(pairs, None).select(
        "unique_id_l", "unique_id_r", pl.col("match_probability").alias("raw")
    )
    both = decided.join(raw, on=["unique_id_l", "unique_id_r"], how="left")
    # a probability of exactly 0 or 1 is a decision already applied (a saved run), not a score
    train = both.filter(
        pl.col("decision").is_not_null() & pl.col("raw").is_between(0, 1, closed="none")
    )
    y = (train.get_column("decision") == "match").to_numpy().astype(np.float64)
    if train.height < min_reviewed or y.min() == y.max():
        return decided, None
    x = _logit(train.get_column("raw").to_numpy())
    design = np.column_stack([np.ones_like(x), x])
    beta = np.array([0.0, 1.0])
    for _ in range(50):
        mu = 1 / (1 + np.exp(-design @ beta))
        w = mu * (1 - mu) + 1e-9
        hess = design.T @ (design * w[:, None]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(hess, design.T @ (y - mu))
        beta = beta + step
        if np.abs(step).max() < 1e-8:
            break
    a, b = float(beta[0]), float(beta[1])
    logits = pl.lit(a) + pl.lit(b) * pl.col("raw").clip(1e-9, 1 - 1e-9).map_batches(
        lambda s: pl.Series(_logit(s.to_numpy())), return_dtype=pl.Float64
    )
    seen = train.get_column("raw").to_numpy()
    lo, hi = float(seen.min()), float(seen.max())
    out = both.with_columns(
        pl.when(pl.col("decision").is_null() & pl.col("raw").is_between(lo, hi))
        .then(1 / (1 + (-logits).exp()))
        .otherwise(pl.col("match_probability"))
        .alias("match_probability")
    ).drop("raw")
    return out, (a, b)


#: A drawn link's probability is kept (it orders the merges) but at least this, so that every
#: drawn link passes :func:`resolve_clusters`'s threshold.
_DRAWN_FLOOR = 1e-9


def draw_linkages(
    record_ids: pl.Series,
    pairs: pl.DataFrame,
    n_draws: int,
    random_state: int | None = 0,
    *,
    lists: pl.DataFrame | None = None,
    same_list_threshold: float = 0.99,
) -> list[pl.DataFrame]:
    """``n_draws`` plausible clusterings of ``record_ids``: each pair (after
    :func:`~uncounted.linkage.clusters.apply_decisions`) a link with its match probability,
    independently; individuals are connected components. Each: ``unique_id``, ``cluster``.

    With ``lists`` (``unique_id``, ``agency``), each draw's links are clustered as the
    headline is with ``one_record_per_list``: by
    :func:`~uncounted.linkage.clusters.resolve_clusters` (strongest link first; a merge that
    would put two records of one list together is refused unless they match directly at
    ``same_list_threshold``), so the draws do not chain people the headline keeps apart."""
    if n_draws < 1:
        raise InvalidInput("Draw at least one plausible linkage (n_draws >= 1).")
    ids = record_ids.cast(pl.String)
    a, b, p = _edges(ids, pairs)
    n = ids.len()
    rng = np.random.default_rng(random_state)
    out = []
    for _ in range(n_draws):
        keep = rng.random(p.size) < p
        if lists is not None:
            from uncounted.linkage.clusters import resolve_clusters

            drawn = pl.DataFrame(
                {
                    "unique_id_l": ids.gather(a[keep]),
                    "unique_id_r": ids.gather(b[keep]),
                    "match_probability": np.maximum(p[keep], _DRAWN_FLOOR),
                }
            )
            out.append(
                resolve_clusters(
                    lists, drawn, _DRAWN_FLOOR, same_list_threshold=same_list_threshold
                )
            )
            continue
        graph = coo_matrix(
            (np.ones(int(keep.sum()), dtype=np.int8), (a[keep], b[keep])), shape=(n, n)
        )
        _, labels = connected_components(graph, directed=False)
        out.append(pl.DataFrame({"unique_id": ids, "cluster": labels.astype(np.int64)}))
    return out


def _split_normal(
    rng: np.random.Generator, centre: float, low: float, high: float, size: int
) -> np.ndarray:
    """Values from the split normal whose 2.5 and 97.5 % points are ``low`` and ``high``."""
    z = rng.standard_normal(size)
    s_lo = max(centre - low, 0.0) / _Z
    s_hi = max(high - centre, 0.0) / _Z
    return centre + np.where(z < 0, z * s_lo, z * s_hi)


def linkage_uncertainty(
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    make: Make,
    *,
    decisions: pl.DataFrame | None = None,
    n_draws: int = DEFAULT_DRAWS,
    by: Sequence[str] = (),
    random_state: int | None = 0,
    values_per_draw: int = 200,
    one_record_per_list: bool = False,
    same_list_threshold: float = 0.99,
    blocking: BlockingRecall | None = None,
    outside: pl.DataFrame | None = None,
) -> LinkageUncertainty:
    """Draw ``n_draws`` plausible linkages from the scored ``pairs`` (reviewers'
    ``decisions`` fixed, and used to recalibrate the rest: :func:`calibrate_probabilities`),
    refit ``make()`` on each and combine (see the module docstring). ``records`` as for
    :func:`~uncounted.linkage.estimate.linked_memberships`. With ``one_record_per_list``,
    each draw is clustered with the rule that one list holds a person once (see
    :func:`draw_linkages`), as the headline estimate is. With ``blocking`` (the estimated
    blocking recall) and ``outside`` (the pairs no rule compares, scored), the draws link
    those pairs too, their probabilities shifted to the true pairs expected among them."""
    if values_per_draw < 1:
        raise InvalidInput("values_per_draw must be at least 1.")
    pairs, calibration = calibrate_probabilities(pairs, decisions)
    never_compared = None
    drawn_outside = False
    if blocking is not None:
        found = float(pairs.get_column("match_probability").sum())
        never_compared = blocking.missed(found)
        if outside is not None and outside.height:
            shifted = shift_to_missed(
                outside.get_column("match_probability").to_numpy(), never_compared
            )
            pairs = pl.concat(
                [
                    pairs.select("unique_id_l", "unique_id_r", "match_probability", "decision"),
                    outside.select(
                        pl.col("unique_id_l").cast(pl.String),
                        pl.col("unique_id_r").cast(pl.String),
                        pl.Series("match_probability", shifted, dtype=pl.Float64),
                        pl.lit(None, dtype=pl.String).alias("decision"),
                    ),
                ],
                how="vertical_relaxed",
            )
            drawn_outside = True
    ids = records.get_column("record_id").cast(pl.String).unique(maintain_order=True)
    rng = np.random.default_rng(None if random_state is None else random_state + 1)
    rows: list[dict[str, Any]] = []
    mixture: list[np.ndarray] = []
    unbounded = False
    lists = None
    if one_record_per_list:
        lists = records.select(
            pl.col("record_id").cast(pl.String).alias("unique_id"), "agency"
        ).unique("unique_id", keep="first", maintain_order=True)
    drawn = draw_linkages(
        ids, pairs, n_draws, random_state, lists=lists, same_list_threshold=same_list_threshold
    )
    for d, clusters in enumerate(drawn):
        frame = linked_memberships(records, clusters, by)
        individuals = clusters.get_column("cluster").n_unique()
        try:
            with warnings.catch_warnings():  # each draw's caveats are the headline's own
                warnings.simplefilter("ignore")
                est, low, high = _total(_fit(frame, by, make))
        except NotIdentifiable as exc:
            rows.append({"draw": d, "individuals": individuals, "note": str(exc)})
            continue
        rows.append(
            {
                "draw": d,
                "individuals": individuals,
                "estimate": est,
                "ci_low": low,
                "ci_high": high,
                "note": "",
            }
        )
        if not math.isfinite(high):
            unbounded = True
            continue
        mixture.append(_split_normal(rng, est, low, high, values_per_draw))
    table = pl.DataFrame(
        rows,
        schema={
            "draw": pl.Int64,
            "individuals": pl.Int64,
            "estimate": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
            "note": pl.String,
        },
    )
    fitted = table.get_column("estimate").drop_nulls().to_numpy()
    if fitted.size == 0:
        raise NotIdentifiable(
            "No plausible linkage could be estimated: " + (rows[0]["note"] if rows else "no draws")
        )
    pooled = np.concatenate(mixture) if mixture else fitted
    total_low, total_high = np.quantile(pooled, [0.025, 0.975])
    lo, hi = np.quantile(fitted, [0.025, 0.975])
    return LinkageUncertainty(
        estimate=float(np.median(fitted)),
        linkage_low=float(lo),
        linkage_high=float(hi),
        total_low=float(total_low),
        total_high=math.inf if unbounded else float(total_high),
        draws=table,
        failed=int(table.get_column("estimate").null_count()),
        calibration=calibration,
        blocking_recall=None if blocking is None else blocking.recall,
        never_compared=never_compared,
        never_compared_drawn=drawn_outside,
    )
