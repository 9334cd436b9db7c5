"""Reliability of an instrument: internal consistency and agreement between assessors.

* **Cronbach's alpha** (Cronbach 1951, *Psychometrika* 16:297–334) of ``k`` items with item
  variances ``s²_i`` and total-score variance ``s²_X``: ``α = k/(k−1) · (1 − Σ s²_i / s²_X)``;
  complete rows only (listwise); percentile bootstrap interval over respondents.
* **Weighted kappa** (Cohen 1968, *Psychological Bulletin* 70:213–220) of two raters on an
  ordinal scale ``c_1 < … < c_m``: ``κ_w = 1 − Σ w_ij o_ij / Σ w_ij e_ij`` with observed
  proportions ``o``, chance proportions ``e_ij = o_i· o_·j`` and disagreement weights
  ``w_ij = |i−j|`` (linear) or ``(i−j)²`` (quadratic).
* **Intraclass correlations** (Shrout & Fleiss 1979, *Psychological Bulletin* 86:420–428;
  McGraw & Wong 1996, *Psychological Methods* 1:30–46) from the two-way ANOVA of ``n``
  targets × ``k`` raters with mean squares ``MSR`` (targets), ``MSC`` (raters), ``MSE``
  (residual), ``MSW`` (within targets)::

      ICC1  = (MSR − MSW) / (MSR + (k−1)·MSW)             one-way random, single rater
      ICC2  = (MSR − MSE) / (MSR + (k−1)·MSE + k(MSC − MSE)/n)   two-way random, absolute
      ICC3  = (MSR − MSE) / (MSR + (k−1)·MSE)             two-way mixed, consistency
      ICC1k = (MSR − MSW) / MSR,  ICC2k = (MSR − MSE) / (MSR + (MSC − MSE)/n),
      ICC3k = (MSR − MSE) / MSR                            (mean of k raters)

  with the F-based confidence intervals of McGraw & Wong (Satterthwaite's degrees of freedom
  for ICC2). For two assessors rating the same survivor on the same day, ICC2 is the one to
  report (agreement, assessors a sample of all assessors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

from uncounted.errors import InvalidInput
from uncounted.survivors.instrument import Instrument


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with its bootstrap interval and the rows and items used."""

    alpha: float
    lower: float
    upper: float
    n: int
    k: int


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var)) if total_var > 0 else float("nan")


def cronbach_alpha(
    items: np.ndarray,
    *,
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    random_state: int | None = None,
) -> AlphaResult:
    """Cronbach's alpha of an ``n × k`` item matrix (NaN = unanswered; such rows dropped)."""
    x = np.asarray(items, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise InvalidInput("Cronbach's alpha needs a respondents × items matrix with 2+ items.")
    x = x[~np.isnan(x).any(axis=1)]
    n = x.shape[0]
    if n < 3:
        raise InvalidInput(f"Cronbach's alpha needs at least 3 complete rows; there are {n}.")
    rng = np.random.default_rng(random_state)
    boots = np.array([_alpha(x[rng.integers(0, n, n)]) for _ in range(n_bootstrap)])
    boots = boots[~np.isnan(boots)]
    tail = (1 - confidence) / 2
    lower, upper = np.quantile(boots, [tail, 1 - tail]) if boots.size else (np.nan, np.nan)
    return AlphaResult(_alpha(x), float(lower), float(upper), n, x.shape[1])


def domain_alpha(
    assessments: pl.DataFrame,
    items: pl.DataFrame,
    instrument: Instrument,
    *,
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    random_state: int | None = None,
) -> pl.DataFrame:
    """Alpha per domain on each survivor's intake assessment (one row per survivor).

    Columns: ``domain, items, n, alpha, lower, upper``.
    """
    own = assessments
    if "instrument_id" in own.columns:
        own = own.filter(pl.col("instrument_id") == instrument.id)
    intake = own.sort("assessed_on", "id").unique("person_id", keep="first")
    wide = (
        items.filter(pl.col("assessment_id").is_in(intake["id"].implode()))
        .with_columns(pl.col("score").cast(pl.Float64))
        .pivot(on="item", index="assessment_id", values="score", aggregate_function="first")
    )
    rows = []
    for domain in instrument.domains:
        cols = [pl.col(i) if i in wide.columns else pl.lit(None) for i in domain.item_ids]
        matrix = wide.select(c.cast(pl.Float64) for c in cols).to_numpy()
        res = cronbach_alpha(
            matrix, confidence=confidence, n_bootstrap=n_bootstrap, random_state=random_state
        )
        rows.append((domain.id, res.k, res.n, res.alpha, res.lower, res.upper))
    return pl.DataFrame(
        rows, schema=["domain", "items", "n", "alpha", "lower", "upper"], orient="row"
    )


def weighted_kappa(
    rater_a: np.ndarray,
    rater_b: np.ndarray,
    *,
    categories: tuple[int, ...] = (1, 2, 3, 4),
    weights: Literal["linear", "quadratic"] = "quadratic",
) -> float:
    """Cohen's weighted kappa of two raters' ordinal ratings (formula in the module doc)."""
    a, b = np.asarray(rater_a), np.asarray(rater_b)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise InvalidInput("Weighted kappa needs two equally long, non-empty rating vectors.")
    index = {c: i for i, c in enumerate(categories)}
    unknown = sorted({int(v) for v in np.concatenate([a, b])} - set(index))
    if unknown:
        raise InvalidInput(f"Ratings {unknown} are not among the categories {categories}.")
    m = len(categories)
    observed = np.zeros((m, m))
    np.add.at(observed, ([index[int(v)] for v in a], [index[int(v)] for v in b]), 1.0)
    observed /= a.size
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    i, j = np.indices((m, m))
    w = np.abs(i - j) if weights == "linear" else (i - j) ** 2
    denominator = float((w * expected).sum())
    if denominator == 0:
        raise InvalidInput("Weighted kappa is undefined: both raters used a single category.")
    return 1.0 - float((w * observed).sum()) / denominator


def intraclass_correlation(ratings: np.ndarray, confidence: float = 0.95) -> pl.DataFrame:
    """The six Shrout–Fleiss ICCs of an ``n targets × k raters`` matrix (no missing values).

    Columns: ``type`` (ICC1 … ICC3k), ``icc``, ``F``, ``df1``, ``df2``, ``pval``, ``lower``,
    ``upper`` (formulas in the module doc).
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2 or np.isnan(x).any():
        raise InvalidInput("ICC needs a complete targets × raters matrix (2+ of each).")
    n, k = x.shape
    grand = x.mean()
    ss_r = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_c = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_e = ((x - grand) ** 2).sum() - ss_r - ss_c
    msr, msc = ss_r / (n - 1), ss_c / (k - 1)
    mse = ss_e / ((n - 1) * (k - 1))
    msw = (ss_c + ss_e) / (n * (k - 1))
    q = 1 - (1 - confidence) / 2
    f1, df1w = msr / msw, n * (k - 1)
    f3, df3 = msr / mse, (n - 1) * (k - 1)
    icc1 = (msr - msw) / (msr + (k - 1) * msw)
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = (msr - mse) / (msr + (k - 1) * mse)
    fl1, fu1 = f1 / stats.f.ppf(q, n - 1, df1w), f1 * stats.f.ppf(q, df1w, n - 1)
    fl3, fu3 = f3 / stats.f.ppf(q, n - 1, df3), f3 * stats.f.ppf(q, df3, n - 1)
    a = k * icc2 / (n * (1 - icc2))
    b = 1 + k * icc2 * (n - 1) / (n * (1 - icc2))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / df3)
    fl2, fu2 = stats.f.ppf(q, n - 1, v), stats.f.ppf(q, v, n - 1)
    lo2 = n * (msr - fl2 * mse) / (fl2 * (k * msc + (k * n - k - n) * mse) + n * msr)
    hi2 = n * (fu2 * msr - mse) / (k * msc + (k * n - k - n) * mse + n * fu2 * msr)
    p1 = float(stats.f.sf(f1, n - 1, df1w))
    p3 = float(stats.f.sf(f3, n - 1, df3))
    rows = [
        ("ICC1", icc1, f1, n - 1, df1w, p1, (fl1 - 1) / (fl1 + k - 1), (fu1 - 1) / (fu1 + k - 1)),
        ("ICC2", icc2, f3, n - 1, df3, p3, lo2, hi2),
        ("ICC3", icc3, f3, n - 1, df3, p3, (fl3 - 1) / (fl3 + k - 1), (fu3 - 1) / (fu3 + k - 1)),
        ("ICC1k", (msr - msw) / msr, f1, n - 1, df1w, p1, 1 - 1 / fl1, 1 - 1 / fu1),
        (
            "ICC2k",
            (msr - mse) / (msr + (msc - mse) / n),
            f3,
            n - 1,
            df3,
            p3,
            lo2 * k / (1 + lo2 * (k - 1)),
            hi2 * k / (1 + hi2 * (k - 1)),
        ),
        ("ICC3k", (msr - mse) / msr, f3, n - 1, df3, p3, 1 - 1 / fl3, 1 - 1 / fu3),
    ]
    return pl.DataFrame(
        [tuple(float(v) if not isinstance(v, str) else v for v in r) for r in rows],
        schema=["type", "icc", "F", "df1", "df2", "pval", "lower", "upper"],
        orient="row",
    )


def inter_rater_pairs(
    assessments: pl.DataFrame, items: pl.DataFrame, instrument: Instrument
) -> pl.DataFrame:
    """Item scores of the same survivor rated by two assessors on the same day.

    Columns: ``person_id, assessed_on, domain, item, score_a, score_b`` (the first two
    assessors by assessment id; further assessors on that day are ignored).
    """
    own = assessments
    if "instrument_id" in own.columns:
        own = own.filter(pl.col("instrument_id") == instrument.id)
    firsts = own.sort("id").unique(["person_id", "assessed_on", "assessor"], keep="first")
    ranked = firsts.with_columns(
        pl.col("id").rank("ordinal").over("person_id", "assessed_on").alias("rater")
    ).filter(pl.col("rater") <= 2)
    paired = ranked.filter(pl.len().over("person_id", "assessed_on") == 2)
    scores = items.join(
        paired.select(pl.col("id").alias("assessment_id"), "person_id", "assessed_on", "rater"),
        on="assessment_id",
    ).with_columns(pl.col("score").cast(pl.Float64))
    wide = scores.pivot(
        on="rater",
        index=["person_id", "assessed_on", "item"],
        values="score",
        aggregate_function="first",
    )
    if wide.is_empty():
        return pl.DataFrame(
            schema={
                "person_id": pl.Int64,
                "assessed_on": pl.Date,
                "domain": pl.String,
                "item": pl.String,
                "score_a": pl.Float64,
                "score_b": pl.Float64,
            }
        )
    return (
        wide.rename({"1": "score_a", "2": "score_b"})
        .with_columns(
            pl.col("item").replace_strict(instrument.domain_of_item, default=None).alias("domain")
        )
        .drop_nulls(["domain", "score_a", "score_b"])
        .select("person_id", "assessed_on", "domain", "item", "score_a", "score_b")
        .sort("person_id", "assessed_on", "item")
    )


def inter_rater_agreement(
    assessments: pl.DataFrame,
    items: pl.DataFrame,
    instrument: Instrument,
    weights: Literal["linear", "quadratic"] = "quadratic",
) -> pl.DataFrame:
    """Per domain: pairs, weighted kappa on item scores, ICC2 on domain means.

    Columns: ``domain, pairs, kappa_w, icc2, icc2_lower, icc2_upper``.
    """
    pairs = inter_rater_pairs(assessments, items, instrument)
    if pairs.is_empty():
        raise InvalidInput(
            "No survivor was rated by two assessors on the same day; inter-rater agreement "
            "needs such double ratings (record both assessments with their assessor)."
        )
    scale = tuple(range(instrument.scale.min, instrument.scale.max + 1))
    rows = []
    for domain in instrument.domain_ids:
        sub = pairs.filter(pl.col("domain") == domain)
        means = sub.group_by("person_id", "assessed_on").agg(
            pl.col("score_a").mean(), pl.col("score_b").mean()
        )
        if means.height < 2:
            raise InvalidInput(
                f"Domain {domain!r} has {means.height} double rating(s); ICC needs 2 or more.",
            )
        kappa = weighted_kappa(
            sub["score_a"].to_numpy(), sub["score_b"].to_numpy(), categories=scale, weights=weights
        )
        icc = intraclass_correlation(means.select("score_a", "score_b").to_numpy())
        icc2 = icc.filter(pl.col("type") == "ICC2").row(0, named=True)
        rows.append((domain, means.height, kappa, icc2["icc"], icc2["lower"], icc2["upper"]))
    return pl.DataFrame(
        rows,
        schema=["domain", "pairs", "kappa_w", "icc2", "icc2_lower", "icc2_upper"],
        orient="row",
    )


__all__ = [
    "AlphaResult",
    "cronbach_alpha",
    "domain_alpha",
    "inter_rater_agreement",
    "inter_rater_pairs",
    "intraclass_correlation",
    "weighted_kappa",
]
