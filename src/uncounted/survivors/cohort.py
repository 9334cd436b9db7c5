"""Cohort analytics: change from intake to latest, and the share restored by time in care.

**Change from intake.** For survivors with a follow-up assessment and domain ``d`` scored at
both, ``Δ_i = latest_i − intake_i``; the estimate is ``Δ̄`` with the paired interval
``Δ̄ ± t_{n−1, 1−α/2} · s_Δ / √n`` (Student 1908; any text on paired t-tests).

**Time to restoration.** ``T`` is the first scheduled visit (months since intake) at which the
survivor scores restored (see :mod:`uncounted.survivors.scoring`). Assessments are mapped to
their nominal visit (:mod:`uncounted.survivors.schedule`). A survivor last seen not restored
at visit ``L`` and first seen restored at visit ``R`` has ``T ∈ (L, R]`` — an interval, not a
point, when a visit in between was missed or unscoreable; a survivor never seen restored is
right-censored at the last visit (still in care, or lost). The share restored by ``t`` months,
``F(t) = P(T ≤ t)``, is the nonparametric maximum-likelihood estimate for interval-censored
data (Turnbull 1976, *JRSS B* 38:290–295), computed by :func:`turnbull_npmle` (the tests
check it against ``lifelines``' ``npmle``); with no
missed visits it equals ``1 −`` the Kaplan–Meier estimate. ``F(t)`` counts only the mass of
Turnbull intervals that end by ``t``. Intervals: percentile bootstrap over survivors.

Naive Kaplan–Meier on the first *observed* restored visit dates restoration late whenever a
visit is missed (about 2.5 points low at 12 months on the synthetic world); the interval
estimate removes that bias.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from uncounted.errors import InvalidInput, NotFitted, SparseDataWarning
from uncounted.survivors.instrument import Instrument
from uncounted.survivors.schedule import assessment_visits

GROUPINGS = ("programme", "jurisdiction", "sex", "minor", "exploitation_type")


def _visits(profiles: pl.DataFrame, instrument: Instrument) -> pl.DataFrame:
    """One row per survivor × nominal visit (the first assessment of each visit)."""
    need = {"assessment_id", "person_id", "assessed_on", "restored"}
    if not need <= set(profiles.columns):
        raise InvalidInput("Profiles need the columns of score_profiles(); score them first.")
    visits = assessment_visits(profiles.rename({"assessment_id": "id"}), instrument)
    return visits.sort("person_id", "assessed_on", "id").unique(
        ["person_id", "visit_month"], keep="first", maintain_order=True
    )


def restoration_intervals(profiles: pl.DataFrame, instrument: Instrument) -> pl.DataFrame:
    """Per survivor, the interval ``(lower, upper]`` in months holding ``T`` (module doc).

    Columns: ``person_id, lower, upper`` (``upper`` infinite when right-censored, ``lower ==
    upper == 0`` when restored at intake), ``restored`` and ``last_month``.
    """
    visits = _visits(profiles, instrument).filter(pl.col("restored").is_not_null())
    rows: list[tuple[int, float, float, bool, int]] = []
    for (person,), g in visits.group_by("person_id", maintain_order=True):
        months, restored = g["visit_month"].to_list(), g["restored"].to_list()
        last_negative = -1
        for month, ok in zip(months, restored, strict=True):
            if ok:
                rows.append((int(person), float(last_negative + 1), float(month), True, month))
                break
            last_negative = month
        else:
            rows.append((int(person), float(last_negative + 1), np.inf, False, last_negative))
    return pl.DataFrame(
        rows,
        schema={
            "person_id": pl.Int64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "restored": pl.Boolean,
            "last_month": pl.Int64,
        },
        orient="row",
    )


def turnbull_npmle(
    lower: np.ndarray, upper: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Turnbull's self-consistency (EM) NPMLE for closed intervals ``[lower, upper]``.

    Returns the innermost (Turnbull) intervals as an ``(m, 2)`` array and their
    probabilities. A vectorised twin of ``lifelines.fitters.npmle.npmle`` (same likelihood,
    checked equal in the tests), fast enough for bootstrap replicates.
    """
    lo, hi = np.asarray(lower, float), np.asarray(upper, float)
    w = np.ones(lo.size) if weights is None else np.asarray(weights, float)
    ends = sorted([(v, 0) for v in np.unique(lo)] + [(v, 1) for v in np.unique(hi)])
    inner = np.array([(a[0], b[0]) for a, b in itertools.pairwise(ends) if a[1] == 0 and b[1] == 1])
    keys, inverse = np.unique(np.column_stack([lo, hi]), axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=w)
    keep = counts > 0
    keys, counts = keys[keep], counts[keep]
    a = (keys[:, :1] <= inner[None, :, 0]) & (inner[None, :, 1] <= keys[:, 1:])
    p = np.full(len(inner), 1.0 / len(inner))
    for _ in range(20_000):
        new = p * ((counts / (a @ p)) @ a) / counts.sum()
        if np.max(np.abs(new - p)) < 1e-9:
            p = new
            break
        p = new
    return inner, p


def _share_by(
    lower: np.ndarray, upper: np.ndarray, weights: np.ndarray | None, months: np.ndarray
) -> np.ndarray:
    inner, p = turnbull_npmle(lower, upper, weights)
    return np.array([float(np.sum(p[inner[:, 1] <= m])) for m in months])


class TimeToRestoration:
    """Share of survivors restored by ``months`` since intake (Turnbull NPMLE; module doc).

    Settings: ``instrument`` (threshold, schedule), ``months`` to report, ``confidence``,
    ``n_bootstrap`` replicates and ``random_state``. ``fit(profiles)`` takes the output of
    :func:`~uncounted.survivors.scoring.score_profiles`. Learned: ``share_`` (dict month →
    share), ``ci_`` (dict month → (lower, upper)), ``n_`` survivors, ``n_restored_`` seen
    restored, ``intervals_`` (per-survivor intervals).
    """

    def __init__(
        self,
        *,
        instrument: Instrument,
        months: Sequence[int] = (6, 12, 24),
        confidence: float = 0.95,
        n_bootstrap: int = 200,
        random_state: int | None = None,
    ) -> None:
        self.instrument = instrument
        self.months = months
        self.confidence = confidence
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def fit(self, profiles: pl.DataFrame) -> TimeToRestoration:
        """Estimate from scored profiles (one row per assessment)."""
        if not 0 < self.confidence < 1:
            raise InvalidInput("confidence must be between 0 and 1, e.g. 0.95.")
        if self.n_bootstrap < 20:
            raise InvalidInput("n_bootstrap must be at least 20 (200 or more for reporting).")
        intervals = restoration_intervals(profiles, self.instrument)
        if intervals.is_empty():
            raise InvalidInput("No scored assessments to estimate restoration from.")
        months = np.asarray(list(self.months), dtype=float)
        lower, upper = intervals["lower"].to_numpy(), intervals["upper"].to_numpy()
        n = intervals.height
        share = _share_by(lower, upper, None, months)
        # resampling survivors = multinomial counts over their distinct intervals
        keys, counts = np.unique(np.column_stack([lower, upper]), axis=0, return_counts=True)
        rng = np.random.default_rng(self.random_state)
        draws = np.array(
            [
                _share_by(keys[:, 0], keys[:, 1], rng.multinomial(n, counts / n), months)
                for _ in range(self.n_bootstrap)
            ]
        )
        alpha = 1 - self.confidence
        lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
        self.intervals_ = intervals
        self.n_ = n
        self.n_restored_ = int(intervals["restored"].sum())
        self.share_ = {int(m): float(s) for m, s in zip(months, share, strict=True)}
        self.ci_ = {int(m): (float(a), float(b)) for m, a, b in zip(months, lo, hi, strict=True)}
        return self

    @property
    def summary(self) -> pl.DataFrame:
        """``month, share_restored, lower, upper`` with ``survivors`` and ``seen_restored``."""
        if not hasattr(self, "share_"):
            raise NotFitted("Call fit(profiles) before reading the restoration summary.")
        return pl.DataFrame(
            {
                "month": list(self.share_),
                "share_restored": list(self.share_.values()),
                "lower": [c[0] for c in self.ci_.values()],
                "upper": [c[1] for c in self.ci_.values()],
                "survivors": [self.n_] * len(self.share_),
                "seen_restored": [self.n_restored_] * len(self.share_),
            }
        )


def change_from_intake(
    profiles: pl.DataFrame, instrument: Instrument, confidence: float = 0.95
) -> pl.DataFrame:
    """Mean change intake → latest per domain and overall, with paired t intervals.

    Columns: ``domain, n, intake_mean, latest_mean, change, lower, upper``. ``overall`` is
    the mean of the six domain scores, for assessments where none is missing.
    """
    domains = instrument.domain_ids
    complete = pl.all_horizontal(pl.col(d).is_not_null() for d in domains)
    visits = _visits(profiles, instrument).with_columns(
        overall=pl.when(complete).then(pl.mean_horizontal(*domains))
    )
    first = visits.filter(pl.col("visit_month") == 0)
    latest = visits.filter(pl.col("visit_month") > 0).group_by("person_id").agg(pl.all().last())
    rows = []
    t_quantile = 1 - (1 - confidence) / 2
    for d in (*instrument.domain_ids, "overall"):
        pairs = first.select("person_id", pl.col(d).alias("a")).join(
            latest.select("person_id", pl.col(d).alias("b")), on="person_id"
        )
        pairs = pairs.drop_nulls()
        n = pairs.height
        a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
        diff = b - a
        mean = float(diff.mean()) if n else float("nan")
        half = (
            float(stats.t.ppf(t_quantile, n - 1) * diff.std(ddof=1) / np.sqrt(n))
            if n > 1
            else float("nan")
        )
        rows.append(
            (
                d,
                n,
                float(a.mean()) if n else None,
                float(b.mean()) if n else None,
                mean,
                mean - half,
                mean + half,
            )
        )
    return pl.DataFrame(
        rows,
        schema=["domain", "n", "intake_mean", "latest_mean", "change", "lower", "upper"],
        orient="row",
    )


@dataclass(frozen=True)
class CohortSummary:
    """Change from intake and share restored, overall or per group of ``by``."""

    by: str | None
    change: pl.DataFrame
    restoration: pl.DataFrame

    def to_frame(self) -> pl.DataFrame:
        """The share restored by month, per group (the change by domain is ``change``)."""
        return self.restoration

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "by": self.by,
            "change": self.change.to_dicts(),
            "restoration": self.restoration.to_dicts(),
        }

    def plot(self, ax: Any = None) -> Any:
        """Share restored by months since intake, per group, with intervals (matplotlib)."""
        from uncounted._plot import line_chart

        r = self.restoration.sort("month")
        series = {
            str(group): (
                g["month"].to_list(),
                g["share_restored"].to_list(),
                g["lower"].to_list(),
                g["upper"].to_list(),
            )
            for (group,), g in r.group_by("group", maintain_order=True)
        }
        return line_chart(
            series,
            ax=ax,
            title="Share of survivors restored",
            xlabel="months since intake",
            ylabel="share restored",
        )


def cohort_summary(
    profiles: pl.DataFrame,
    instrument: Instrument,
    *,
    survivors: pl.DataFrame | None = None,
    by: str | None = None,
    months: Sequence[int] = (12, 24),
    confidence: float = 0.95,
    n_bootstrap: int = 200,
    random_state: int | None = None,
) -> CohortSummary:
    """Change and restoration for the whole cohort, or per value of ``by``.

    ``survivors`` has ``person_id`` and the grouping columns (``programme``,
    ``jurisdiction``, ``sex``, ``minor``, ``exploitation_type``); groups with fewer than ten
    survivors raise a :class:`SparseDataWarning`.
    """
    groups: list[tuple[str, pl.DataFrame]] = [("all", profiles)]
    if by is not None:
        if survivors is None or by not in survivors.columns:
            raise InvalidInput(
                f"Cannot group by {by!r}: choose one of {', '.join(GROUPINGS)} and pass the "
                "survivors frame that holds it."
            )
        keyed = profiles.join(
            survivors.select("person_id", pl.col(by).cast(pl.String).fill_null("Unknown")),
            on="person_id",
            how="left",
        ).with_columns(pl.col(by).fill_null("Unknown"))
        groups = [
            (str(key[0]), g.drop(by))
            for key, g in sorted(keyed.group_by(by), key=lambda kv: str(kv[0][0]))
        ]
    changes, restorations = [], []
    for name, group in groups:
        size = group["person_id"].n_unique()
        if size < 10:
            warnings.warn(
                f"Group {name!r} has {size} survivor(s): its estimates are unreliable.",
                SparseDataWarning,
                stacklevel=2,
            )
        change = change_from_intake(group, instrument, confidence)
        fit = TimeToRestoration(
            instrument=instrument,
            months=months,
            confidence=confidence,
            n_bootstrap=n_bootstrap,
            random_state=random_state,
        ).fit(group)
        label = pl.lit(name).alias(by or "group")
        changes.append(change.select(label, pl.all()))
        restorations.append(fit.summary.select(label, pl.all()))
    return CohortSummary(by=by, change=pl.concat(changes), restoration=pl.concat(restorations))


__all__ = [
    "GROUPINGS",
    "CohortSummary",
    "TimeToRestoration",
    "change_from_intake",
    "cohort_summary",
    "restoration_headlines",
    "restoration_intervals",
    "summarise_survivors",
    "turnbull_npmle",
]


def summarise_survivors(
    assessments: pl.DataFrame,
    items: pl.DataFrame,
    instrument: Instrument,
    *,
    survivors: pl.DataFrame | None = None,
    by: str | None = None,
    months: Sequence[int] = (12, 24),
    confidence: float = 0.95,
    n_bootstrap: int = 200,
    random_state: int | None = None,
) -> CohortSummary:
    """Score stored assessments and summarise the cohort (:func:`cohort_summary`)."""
    from uncounted.survivors.scoring import score_domains, score_profiles

    profiles = score_profiles(score_domains(assessments, items, instrument), instrument)
    return cohort_summary(
        profiles,
        instrument,
        survivors=survivors,
        by=by,
        months=months,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
    )


def restoration_headlines(
    assessments: pl.DataFrame,
    items: pl.DataFrame,
    instrument: Instrument,
    truth: dict[str, float] | None = None,
    *,
    random_state: int | None = 1,
) -> dict[str, str]:
    """Headline numbers for the demo: survivors assessed, share restored by 12 and 24 months.

    With ``truth`` (the synthetic world's ``restoration_rate``) each line shows it beside the
    estimate. Fewer than ten assessed survivors give only the count.
    """
    from uncounted.survivors.scoring import score_domains, score_profiles

    survivors = assessments["person_id"].n_unique() if assessments.height else 0
    lines = {"survivors assessed": f"{survivors:,}"}
    if survivors < 10:
        return lines
    profiles = score_profiles(score_domains(assessments, items, instrument), instrument)
    fit = TimeToRestoration(instrument=instrument, months=(12, 24), random_state=random_state).fit(
        profiles
    )
    for month in (12, 24):
        lower, upper = fit.ci_[month]
        text = f"{fit.share_[month]:.1%} ({lower:.1%}–{upper:.1%})"
        if truth is not None and str(month) in truth:
            text += f"; truth {truth[str(month)]:.1%}"
        lines[f"survivors restored by {month} months (95% CI)"] = text
    return lines
