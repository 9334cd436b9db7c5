"""Design-based estimates from undercover venue surveys, and baseline/endline comparison.

Programme evaluations of commercial sexual exploitation of children measure, by undercover
visits to a sample of venues, the share of people in commercial sex who are minors (e.g.
Cambodia: 8.16 % in 2012, 2.2 % in 2015), the share of venues where minors are available, and
how long it takes to be offered a minor. Venues are the clusters (primary sampling units),
drawn within strata (areas), with sampling weights.

Every estimate here is a **ratio of weighted totals**, ``R̂ = Σ wᵢ yᵢ / Σ wᵢ xᵢ``:

=============================  =====================================  ====================
estimate                       y                                      x
=============================  =====================================  ====================
share of minors                minors seen on the visit               people seen
share aged 15 or under         aged 15 or under seen                  people seen
share of venues with minors    1 if a minor was seen at the venue     1 (one row a venue)
share of visits offered minor  1 if a minor was offered               1
minutes to be offered a minor  minutes × offered                      offered
=============================  =====================================  ====================

Its variance is estimated by **Taylor linearisation** (Woodruff 1971; Wolter 2007, *Introduction
to Variance Estimation*, §6.11), treating PSUs as drawn with replacement within strata, as R's
``survey::svyratio`` does for ``svydesign(ids=~venue, strata=~stratum, weights=~w)``:

    zᵢ = wᵢ (yᵢ − R̂ xᵢ) / X̂,        z_hj = Σ_{i ∈ PSU j of stratum h} zᵢ
    v(R̂) = Σ_h (1 − f_h) · n_h/(n_h − 1) · Σ_j (z_hj − z̄_h)²

with ``n_h`` PSUs in stratum ``h`` and optional sampling fraction ``f_h``. Intervals are
``R̂ ± q·se`` with ``q`` the normal quantile (R's default for ``confint(svyratio(...))``) or,
with ``df="design"``, Student's t on (number of PSUs − number of strata) degrees of freedom.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from uncounted.errors import InvalidInput, SparseDataWarning

#: Columns of a venue-survey observation frame (one row per visit).
OBSERVATION_COLUMNS: dict[str, str] = {
    "stratum": "area or other stratum the venue was drawn in",
    "venue": "venue id (the primary sampling unit)",
    "weight": "sampling weight of the visit (inverse inclusion probability)",
    "persons_seen": "people in commercial sex seen on the visit",
    "minors_seen": "of whom judged to be minors (under 18)",
    "under16_seen": "of whom judged to be aged 15 or under",
    "minor_offered": "whether the investigator was offered a minor (true/false)",
    "minutes_to_offer": "minutes until a minor was offered (blank when not offered)",
}


@dataclass(frozen=True)
class RatioEstimate:
    """A design-based ratio estimate with its linearised standard error and interval."""

    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n_units: int
    n_psu: int
    n_strata: int
    df: float

    def to_dict(self) -> dict[str, Any]:
        """The estimate as plain data."""
        return asdict(self)

    def to_frame(self) -> pl.DataFrame:
        """The result as a one-row frame (the fields of :meth:`to_dict`)."""
        return pl.DataFrame([self.to_dict()])


def ratio_estimate(
    y: np.ndarray,
    x: np.ndarray,
    weights: np.ndarray,
    strata: np.ndarray,
    clusters: np.ndarray,
    *,
    name: str = "ratio",
    fpc: dict[Any, float] | None = None,
    level: float = 0.95,
    df: Literal["normal", "design"] = "normal",
    lonely_psu: Literal["error", "adjust"] = "error",
) -> RatioEstimate:
    """Ratio of weighted totals with Taylor-linearised variance (formula in the module doc).

    ``fpc`` maps a stratum to its sampling fraction of PSUs (omitted: with replacement).
    A stratum with a single PSU has no within-stratum variance: ``lonely_psu="error"`` raises,
    ``"adjust"`` centres it at the grand mean of PSU totals (R's ``survey.lonely.psu="adjust"``).
    """
    y, x, w = (np.asarray(a, dtype=float) for a in (y, x, weights))
    if not (len(y) == len(x) == len(w) == len(strata) == len(clusters)):
        raise InvalidInput("y, x, weights, strata and clusters must have the same length.")
    if len(y) == 0:
        raise InvalidInput(f"No observations to estimate {name} from.")
    if np.any(~np.isfinite(y)) or np.any(~np.isfinite(x)) or np.any(~np.isfinite(w)):
        raise InvalidInput(f"Missing or non-finite values in the data for {name}.")
    if np.any(w <= 0):
        raise InvalidInput("Sampling weights must be positive.")
    total_x = float(np.sum(w * x))
    if total_x <= 0:
        raise InvalidInput(f"The denominator of {name} is zero: nothing to take a share of.")
    r = float(np.sum(w * y)) / total_x
    z = w * (y - r * x) / total_x
    psu = pl.DataFrame({"h": np.asarray(strata).astype(str), "j": np.asarray(clusters).astype(str)})
    totals = (
        psu.with_columns(z=pl.Series(z))
        .group_by(["h", "j"], maintain_order=True)
        .agg(pl.col("z").sum())
    )
    grand = float(np.mean(totals["z"].to_numpy()))
    variance = 0.0
    for (h,), group in totals.group_by(["h"], maintain_order=True):
        n_h = group.height
        zh = group["z"].to_numpy()
        f_h = (fpc or {}).get(h, 0.0)
        if n_h == 1:
            if lonely_psu == "error":
                raise InvalidInput(
                    f"Stratum {h!r} has a single venue, so its variance cannot be estimated; "
                    "merge it with a similar stratum or use lonely_psu='adjust'."
                )
            variance += (1 - f_h) * float((zh[0] - grand) ** 2)
            continue
        variance += (1 - f_h) * n_h / (n_h - 1) * float(np.sum((zh - zh.mean()) ** 2))
    se = math.sqrt(variance)
    n_psu, n_strata = totals.height, totals["h"].n_unique()
    dof = float(max(n_psu - n_strata, 1)) if df == "design" else math.inf
    q = float(
        stats.norm.ppf(0.5 + level / 2) if math.isinf(dof) else stats.t.ppf(0.5 + level / 2, dof)
    )
    if n_psu < 10:
        warnings.warn(
            f"{name} rests on {n_psu} venues; its interval is unreliable below about 10.",
            SparseDataWarning,
            stacklevel=2,
        )
    return RatioEstimate(name, r, se, r - q * se, r + q * se, len(y), n_psu, n_strata, dof)


def _check_columns(obs: pl.DataFrame) -> None:
    missing = [
        c
        for c in ("stratum", "venue", "weight", "persons_seen", "minors_seen")
        if c not in obs.columns
    ]
    if missing:
        raise InvalidInput(
            f"The survey observations lack column(s) {', '.join(missing)}; expected "
            + ", ".join(OBSERVATION_COLUMNS)
            + "."
        )
    bad = obs.filter(pl.col("minors_seen") > pl.col("persons_seen"))
    if bad.height:
        raise InvalidInput(
            f"{bad.height} visit(s) report more minors than people seen (first at venue "
            f"{bad['venue'][0]!r}); fix the counts."
        )


@dataclass(frozen=True)
class SurveyEstimates:
    """The venue-survey estimates of one survey round.

    The estimates on optional columns are ``None`` when the round lacks their column;
    ``not_estimated`` names each of them with the reason.
    """

    share_minors: RatioEstimate
    share_under16: RatioEstimate | None
    share_venues_with_minors: RatioEstimate
    share_visits_offered_minor: RatioEstimate | None
    minutes_to_offer: RatioEstimate | None
    not_estimated: dict[str, str] = field(default_factory=dict)

    def all(self) -> list[RatioEstimate]:
        """Every estimate that could be made, in a fixed order."""
        return [
            e
            for e in (
                self.share_minors,
                self.share_under16,
                self.share_venues_with_minors,
                self.share_visits_offered_minor,
                self.minutes_to_offer,
            )
            if e is not None
        ]

    @property
    def summary(self) -> pl.DataFrame:
        """One row per estimate."""
        return pl.DataFrame([e.to_dict() for e in self.all()])

    def to_frame(self) -> pl.DataFrame:
        """The estimates as a frame, one row each (the same as :attr:`summary`)."""
        return self.summary


def estimate_survey(
    observations: pl.DataFrame,
    *,
    level: float = 0.95,
    df: Literal["normal", "design"] = "normal",
    lonely_psu: Literal["error", "adjust"] = "error",
) -> SurveyEstimates:
    """All venue-survey estimates of one round (see the module doc for each formula).

    Only ``stratum``, ``venue``, ``weight``, ``persons_seen`` and ``minors_seen`` are
    required; an estimate whose optional column is absent is left out and named, with the
    reason, in :attr:`SurveyEstimates.not_estimated`.
    """
    _check_columns(observations)
    obs = observations
    kw: dict[str, Any] = {"level": level, "df": df, "lonely_psu": lonely_psu}

    def est(frame: pl.DataFrame, name: str, y: pl.Expr, x: pl.Expr) -> RatioEstimate:
        cols = frame.select(y.alias("y"), x.alias("x"), "weight", "stratum", "venue")
        return ratio_estimate(
            cols["y"].to_numpy(),
            cols["x"].to_numpy(),
            cols["weight"].to_numpy(),
            cols["stratum"].to_numpy(),
            cols["venue"].to_numpy(),
            name=name,
            **kw,
        )

    minors = est(obs, "share_minors", pl.col("minors_seen"), pl.col("persons_seen"))
    under16 = (
        est(obs, "share_under16", pl.col("under16_seen"), pl.col("persons_seen"))
        if "under16_seen" in obs.columns
        else None
    )
    venues = obs.group_by(["stratum", "venue"], maintain_order=True).agg(
        (pl.col("minors_seen").sum() > 0).cast(pl.Float64).alias("any_minor"),
        pl.col("weight").mean(),
    )
    with_minors = est(venues, "share_venues_with_minors", pl.col("any_minor"), pl.lit(1.0))
    offered = minutes = None
    skipped: dict[str, str] = {}
    if under16 is None:
        skipped["share_under16"] = "the visits have no under16_seen column"
    if "minor_offered" in obs.columns:
        o = pl.col("minor_offered").cast(pl.Float64)
        offered = est(obs, "share_visits_offered_minor", o, pl.lit(1.0))
        if "minutes_to_offer" not in obs.columns:
            skipped["minutes_to_offer"] = "the visits have no minutes_to_offer column"
        elif not obs["minor_offered"].any():
            skipped["minutes_to_offer"] = "no visit was offered a minor"
        else:
            t = pl.col("minutes_to_offer").fill_null(0.0).cast(pl.Float64)
            minutes = est(obs, "minutes_to_offer", t * o, o)
    else:
        reason = "the visits have no minor_offered column"
        skipped["share_visits_offered_minor"] = reason
        skipped["minutes_to_offer"] = reason
    return SurveyEstimates(minors, under16, with_minors, offered, minutes, skipped)


@dataclass(frozen=True)
class Change:
    """Change in one estimate from baseline to endline, with intervals and a test."""

    name: str
    baseline: float
    endline: float
    absolute: float
    absolute_ci: tuple[float, float]
    relative: float
    relative_ci: tuple[float, float]
    z: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        """The change as plain data."""
        return asdict(self)

    def to_frame(self) -> pl.DataFrame:
        """The result as a one-row frame (the fields of :meth:`to_dict`)."""
        return pl.DataFrame([self.to_dict()])


def compare_estimates(base: RatioEstimate, end: RatioEstimate, level: float = 0.95) -> Change:
    """Endline − baseline for independent samples.

    Absolute: ``Δ = R̂₂ − R̂₁``, ``se = √(se₁² + se₂²)``, Wald interval and two-sided z-test of
    no change. Relative: ``R̂₂/R̂₁ − 1`` with a delta-method interval on the log ratio,
    ``se(log(R̂₂/R̂₁)) = √((se₁/R̂₁)² + (se₂/R̂₂)²)`` (undefined when either share is 0).
    """
    q = float(stats.norm.ppf(0.5 + level / 2))
    diff = end.estimate - base.estimate
    se = math.hypot(base.se, end.se)
    z = diff / se if se > 0 else math.copysign(math.inf, diff) if diff else 0.0
    p = float(2 * stats.norm.sf(abs(z)))
    if base.estimate > 0 and end.estimate > 0:
        log_ratio = math.log(end.estimate / base.estimate)
        se_log = math.hypot(base.se / base.estimate, end.se / end.estimate)
        rel = end.estimate / base.estimate - 1
        rel_ci = (math.exp(log_ratio - q * se_log) - 1, math.exp(log_ratio + q * se_log) - 1)
    else:
        rel = end.estimate / base.estimate - 1 if base.estimate > 0 else math.nan
        rel_ci = (math.nan, math.nan)
    return Change(
        base.name,
        base.estimate,
        end.estimate,
        diff,
        (diff - q * se, diff + q * se),
        rel,
        rel_ci,
        z,
        p,
    )


def compare_surveys(
    baseline: SurveyEstimates, endline: SurveyEstimates, level: float = 0.95
) -> list[Change]:
    """Changes for every estimate present in both rounds."""
    ends = {e.name: e for e in endline.all()}
    return [compare_estimates(b, ends[b.name], level) for b in baseline.all() if b.name in ends]


__all__ = [
    "OBSERVATION_COLUMNS",
    "Change",
    "RatioEstimate",
    "SurveyEstimates",
    "compare_estimates",
    "compare_surveys",
    "estimate_survey",
    "ratio_estimate",
]
