"""Difference-in-differences between programme and comparison areas on indicator series.

Model (two-way fixed effects; Angrist & Pischke 2009, *Mostly Harmless Econometrics*, §5.2):

    y_at = α_a + γ_t + β · D_at + ε_at,      D_at = 1 if area a is a programme area and t ≥ start

β is the programme's effect on the indicator. Standard errors are cluster-robust by area
(Bertrand, Duflo & Mullainathan 2004, QJE 119:249), with the small-sample correction of
statsmodels' ``cov_type="cluster"``; intervals use Student's t on (clusters − 1) df. With few
areas (< 10 clusters) they are unreliable, and a warning says so.

**Parallel trends**, the assumption DiD rests on, is checked on the pre-programme periods only:

* a trend test — ``y_at = α_a + γ_t + δ · (treated_a × t) + ε``; δ ≠ 0 means the two groups
  already moved apart before the programme;
* an event study — one coefficient per period relative to the last pre-programme period
  (``treated_a × 1[t = k]``), so leads (before ``start``) should be near zero and lags show
  how the effect builds.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from uncounted.errors import InvalidInput, SparseDataWarning

REQUIRED = ("area", "period", "value", "treated")


def _check(panel: pl.DataFrame, start: int | float) -> pl.DataFrame:
    missing = [c for c in REQUIRED if c not in panel.columns]
    if missing:
        raise InvalidInput(
            f"The indicator panel lacks column(s) {', '.join(missing)}; it needs one row per "
            "area and period with columns area, period, value, treated."
        )
    df = panel.select(REQUIRED).drop_nulls()
    if df.height < panel.height:
        warnings.warn(
            f"{panel.height - df.height} row(s) with missing values were left out.",
            SparseDataWarning,
            stacklevel=3,
        )
    flip = df.group_by("area").agg(pl.col("treated").n_unique().alias("n")).filter(pl.col("n") > 1)
    if flip.height:
        raise InvalidInput(
            f"Area {flip['area'][0]!r} is marked both treated and not: 'treated' must be fixed "
            "per area (programme area or comparison area)."
        )
    groups = set(df["treated"].to_list())
    if groups != {True, False}:
        raise InvalidInput("The panel needs both programme (treated) and comparison areas.")
    periods = df["period"]
    if not (periods.min() < start <= periods.max()):  # type: ignore[operator]
        raise InvalidInput(
            f"The programme start {start} must fall after the first period and no later than "
            "the last, so there are periods before and after it."
        )
    return df.with_columns(pl.col("treated").cast(pl.Boolean))


def _dummies(values: np.ndarray) -> np.ndarray:
    levels = np.unique(values)
    return np.asarray(values[:, None] == levels[None, 1:], dtype=float)


def _ols_cluster(
    y: np.ndarray, x: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    import statsmodels.api as sm

    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return np.asarray(fit.params), np.asarray(fit.bse), len(np.unique(groups))


@dataclass(frozen=True)
class DiDResult:
    """The DiD effect, its interval, and the parallel-trends diagnostics."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_areas: int
    n_periods: int
    simple_did: float
    pre_trend: float
    pre_trend_se: float
    pre_trend_p: float
    event_study: pl.DataFrame

    @property
    def parallel_trends_plausible(self) -> bool:
        """True when the pre-programme trend difference is not significant at 5 %."""
        return math.isnan(self.pre_trend_p) or self.pre_trend_p >= 0.05

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (the event study as a list of rows)."""
        return {
            "effect": self.effect,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "n_areas": self.n_areas,
            "n_periods": self.n_periods,
            "simple_did": self.simple_did,
            "pre_trend": self.pre_trend,
            "pre_trend_p": self.pre_trend_p,
            "parallel_trends_plausible": self.parallel_trends_plausible,
            "event_study": self.event_study.to_dicts(),
        }

    def to_frame(self) -> pl.DataFrame:
        """The headline numbers as a one-row frame (the event study is ``event_study``)."""
        data = self.to_dict()
        data.pop("event_study")
        return pl.DataFrame([data])


def difference_in_differences(
    panel: pl.DataFrame, start: int | float, level: float = 0.95
) -> DiDResult:
    """Estimate the programme effect from an area × period indicator panel (see module doc)."""
    df = _check(panel, start)
    y = df["value"].to_numpy().astype(float)
    area = df["area"].cast(pl.String).to_numpy()
    period = df["period"].to_numpy()
    treated = df["treated"].to_numpy().astype(float)
    post = (period >= start).astype(float)
    fixed = np.column_stack([np.ones(len(y)), _dummies(area), _dummies(period)])
    params, bse, clusters = _ols_cluster(y, np.column_stack([fixed, treated * post]), area)
    if clusters < 10:
        warnings.warn(
            f"Only {clusters} areas: cluster-robust intervals are unreliable below about 10.",
            SparseDataWarning,
            stacklevel=2,
        )
    effect, se = float(params[-1]), float(bse[-1])
    q = float(stats.t.ppf(0.5 + level / 2, max(clusters - 1, 1)))
    p = float(2 * stats.t.sf(abs(effect / se), max(clusters - 1, 1))) if se > 0 else 0.0
    means = df.group_by(["treated", pl.col("period") >= start]).agg(pl.col("value").mean())
    m = {(bool(t), bool(a)): float(v) for t, a, v in means.iter_rows()}
    simple = (m[(True, True)] - m[(True, False)]) - (m[(False, True)] - m[(False, False)])
    trend, trend_se, trend_p = _pre_trend(y, area, period, treated, start)
    return DiDResult(
        effect=effect,
        se=se,
        ci_low=effect - q * se,
        ci_high=effect + q * se,
        p_value=p,
        n_areas=len(np.unique(area)),
        n_periods=len(np.unique(period)),
        simple_did=simple,
        pre_trend=trend,
        pre_trend_se=trend_se,
        pre_trend_p=trend_p,
        event_study=_event_study(y, area, period, treated, start, fixed, q),
    )


def _pre_trend(
    y: np.ndarray, area: np.ndarray, period: np.ndarray, treated: np.ndarray, start: float
) -> tuple[float, float, float]:
    pre = period < start
    if len(np.unique(period[pre])) < 2:
        return math.nan, math.nan, math.nan  # one pre period: no trend to test
    t = period[pre].astype(float)
    x = np.column_stack(
        [np.ones(pre.sum()), _dummies(area[pre]), _dummies(period[pre]), treated[pre] * t]
    )
    params, bse, clusters = _ols_cluster(y[pre], x, area[pre])
    delta, se = float(params[-1]), float(bse[-1])
    p = float(2 * stats.t.sf(abs(delta / se), max(clusters - 1, 1))) if se > 0 else math.nan
    return delta, se, p


def _event_study(
    y: np.ndarray,
    area: np.ndarray,
    period: np.ndarray,
    treated: np.ndarray,
    start: float,
    fixed: np.ndarray,
    q: float,
) -> pl.DataFrame:
    levels = np.unique(period)
    reference = levels[levels < start].max()
    shown = [k for k in levels if k != reference]
    x = np.column_stack([fixed, *[treated * (period == k) for k in shown]])
    params, bse, _ = _ols_cluster(y, x, area)
    coef, se = params[-len(shown) :], bse[-len(shown) :]
    return pl.DataFrame(
        {
            "period": [*shown, reference],
            "relative_to_start": ["lead" if k < start else "lag" for k in shown] + ["reference"],
            "estimate": [*coef.tolist(), 0.0],
            "ci_low": [*(coef - q * se).tolist(), 0.0],
            "ci_high": [*(coef + q * se).tolist(), 0.0],
        }
    ).sort("period")


__all__ = ["DiDResult", "difference_in_differences"]
