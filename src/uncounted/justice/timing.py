"""Time to event between stages, with open cases censored (never dropped).

Three product-limit estimators, vectorised in NumPy (lifelines is the reference they are
tested against, value for value):

- :func:`kaplan_meier` — Kaplan & Meier (1958, JASA 53:457): ``S(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ)``
  with Greenwood's variance ``Σ dᵢ / (nᵢ(nᵢ − dᵢ))`` and the exponential ("log−log")
  Greenwood interval, exactly as ``lifelines.KaplanMeierFitter`` (delayed entry supported).
  ``1 − S(τ)`` at the last event time is the *conversion probability* of a stage transition
  (the share of people at a stage who reach the next one), open paths censored at ``as_of``.
- :func:`cumulative_incidence` — Aalen–Johansen for competing outcomes (e.g. conviction vs
  acquittal vs dismissal after trial): ``F_k(t) = Σ_{tᵢ ≤ t} S(tᵢ₋) d_{k,i}/nᵢ``, variance
  and log−log interval as ``lifelines.AalenJohansenFitter`` (Collett 2015, p. 411), but
  ties are handled exactly instead of jittered.
- :func:`delay_distribution` — the delay between two stages among people who reached both,
  corrected for right truncation: a delay is only seen if it ended by ``as_of``, so recent
  cohorts show only short delays. The reverse-time product-limit of Lagakos, Barraj &
  De Gruttola (1988, Biometrika 75:515): ``F(u) = Π_{v > u} (1 − g(v)/R(v))`` with
  ``R(v) = #{i: Dᵢ ≤ v ≤ Wᵢ}`` (``Wᵢ`` = time from the first stage to ``as_of``), Greenwood
  variance and the same log−log interval. Its quantiles are the median / P75 / P90 delays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from uncounted.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _loglog_band(
    estimate: FloatArray, variance: FloatArray, level: float
) -> tuple[FloatArray, FloatArray]:
    """Exponential Greenwood band of a product-limit ``estimate`` (lifelines' formula)."""
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log(estimate)
        c = z * np.sqrt(variance) / v
        lower = np.exp(-np.exp(np.log(-v) - c))
        upper = np.exp(-np.exp(np.log(-v) + c))
    return np.nan_to_num(lower, nan=1.0), np.nan_to_num(upper, nan=1.0)


def _first_at_or_below(timeline: FloatArray, curve: FloatArray, q: float) -> float:
    hit = np.flatnonzero(curve <= q)
    return float(timeline[hit[0]]) if hit.size else float("inf")


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan–Meier curve: ``survival`` and its interval at each time of ``timeline``."""

    timeline: FloatArray
    survival: FloatArray
    lower: FloatArray
    upper: FloatArray
    at_risk: FloatArray
    observed: FloatArray
    level: float

    @property
    def n_events(self) -> int:
        """Number of events seen."""
        return int(self.observed.sum())

    def at(self, t: float) -> tuple[float, float, float]:
        """``S(t)`` with its interval (right-continuous step function)."""
        i = int(np.searchsorted(self.timeline, t, side="right")) - 1
        if i < 0:
            return 1.0, 1.0, 1.0
        return float(self.survival[i]), float(self.lower[i]), float(self.upper[i])

    def quantile(self, share: float) -> tuple[float, float, float]:
        """Time by which ``share`` of subjects had the event, with interval (inf if never).

        As ``lifelines.utils.qth_survival_time(1 − share, ...)``: the first time ``S ≤ 1 − share``.
        """
        q = 1.0 - share
        return (
            _first_at_or_below(self.timeline, self.survival, q),
            _first_at_or_below(self.timeline, self.lower, q),
            _first_at_or_below(self.timeline, self.upper, q),
        )

    def conversion(self) -> tuple[float, float, float]:
        """``1 − S`` at the last time: the probability of the event ever (within follow-up)."""
        if self.timeline.size == 0:
            return float("nan"), float("nan"), float("nan")
        return (
            float(1.0 - self.survival[-1]),
            float(1.0 - self.upper[-1]),
            float(1.0 - self.lower[-1]),
        )


def _event_table(
    durations: FloatArray, observed: npt.NDArray[np.bool_], entry: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Times, removed, observed and at-risk counts, as lifelines' survival table.

    Someone entering at ``t`` is at risk only after ``t`` (left truncation: ``entry < t ≤
    duration``), except at the first time, as in lifelines.
    """
    n = durations.size
    both = np.concatenate([durations, entry])
    span = float(both.max() - both.min()) if both.size else 0.0
    if both.size and span < 4 * both.size + 1024 and np.all(both == np.round(both)):
        # Whole days in a modest range (the usual case): count by bincount, O(n), no sort.
        low = both.min()
        slot = (both - low).astype(np.int64)
        size = int(slot.max()) + 1
        removed = np.bincount(slot[:n], minlength=size).astype(np.float64)
        deaths = np.bincount(slot[:n], weights=observed.astype(np.float64), minlength=size).astype(
            np.float64
        )
        entrance = np.bincount(slot[n:], minlength=size).astype(np.float64)
        used = (removed > 0) | (entrance > 0)
        times = np.flatnonzero(used).astype(np.float64) + low
        removed, deaths, entrance = removed[used], deaths[used].astype(np.float64), entrance[used]
    else:
        times, inverse = np.unique(both, return_inverse=True)
        removed = np.bincount(inverse[:n], minlength=times.size).astype(np.float64)
        deaths = np.bincount(
            inverse[:n], weights=observed.astype(np.float64), minlength=times.size
        ).astype(np.float64)
        entrance = np.bincount(inverse[n:], minlength=times.size).astype(np.float64)
    return times.astype(np.float64), removed, deaths, _at_risk(removed, entrance)


def _at_risk(removed: FloatArray, entrance: FloatArray) -> FloatArray:
    at_risk = (np.cumsum(entrance) - (np.cumsum(removed) - removed)).astype(np.float64)
    if at_risk.size:
        at_risk[1:] -= entrance[1:]
    return at_risk


def _whole_days(values: npt.NDArray[Any]) -> IntArray | None:
    """``values`` as int64 when they are a non-empty array of integers (whole days): the
    estimators then count by :func:`numpy.bincount` without checking or sorting."""
    kind, size = values.dtype.kind, values.dtype.itemsize
    if values.size == 0 or not (kind == "i" or (kind == "u" and size <= 4)):
        return None
    return values.astype(np.int64, copy=False)


def _day_table(
    days: IntArray, observed: npt.NDArray[np.bool_], start: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None:
    """:func:`_event_table` of whole-day durations when everyone enters at ``start``: the
    same counts, without building and checking the entry array. None when the days span
    too wide a range to count by slot (the caller then takes the general path)."""
    n = days.size
    low, high = min(int(days.min()), start), max(int(days.max()), start)
    if high - low >= 8 * n + 1024:  # as _event_table decides (its arrays hold 2n times)
        return None
    size = high - low + 1
    slot = days - low
    removed = np.bincount(slot, minlength=size).astype(np.float64)
    weights = observed.astype(np.float64)
    deaths = np.bincount(slot, weights=weights, minlength=size).astype(np.float64, copy=False)
    entrance = np.zeros(size)
    entrance[start - low] = n
    used = (removed > 0) | (entrance > 0)
    times = np.flatnonzero(used).astype(np.float64) + low
    removed, deaths, entrance = removed[used], deaths[used], entrance[used]
    return times, removed, deaths, _at_risk(removed, entrance)


def kaplan_meier(
    durations: npt.ArrayLike,
    observed: npt.ArrayLike,
    entry: npt.ArrayLike | None = None,
    level: float = 0.95,
) -> SurvivalCurve:
    """Kaplan–Meier estimate of the time to an event; ``observed`` false = censored."""
    raw = np.asarray(durations)
    d = np.asarray(observed, dtype=bool)
    if raw.shape != d.shape or raw.ndim != 1:
        raise InvalidInput("durations and observed must be one-dimensional and the same length.")
    days = _whole_days(raw) if entry is None else None
    if days is not None:
        # Whole days, everyone at risk from the start (or the earliest time if negative).
        table = _day_table(days, d, min(int(days.min()), 0))
        if table is not None:
            return _survival_curve(*table, level)
    t = raw.astype(np.float64)
    if np.isnan(t).any():
        raise InvalidInput("durations contain missing values; censor open paths at as_of.")
    born = np.zeros_like(t) if entry is None else np.asarray(entry, dtype=np.float64)
    if entry is None and t.size and t.min() < 0:
        born = np.full_like(t, t.min())
    if np.any(born > t):
        raise InvalidInput("An entry time lies after its duration; check the stage dates.")
    return _survival_curve(*_event_table(t, d, born), level)


def _survival_curve(
    times: FloatArray, _removed: FloatArray, deaths: FloatArray, at_risk: FloatArray, level: float
) -> SurvivalCurve:
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - deaths / at_risk, 1.0)
        increment = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0)
    survival = np.cumprod(factor).astype(np.float64)
    variance = np.cumsum(increment).astype(np.float64)
    lower, upper = _loglog_band(survival, variance, level)
    return SurvivalCurve(times, survival, lower, upper, at_risk, deaths, level)


@dataclass(frozen=True)
class IncidenceCurve:
    """Cumulative incidence of one outcome among competing ones, with interval."""

    timeline: FloatArray
    incidence: FloatArray
    lower: FloatArray
    upper: FloatArray
    variance: FloatArray
    level: float

    def final(self) -> tuple[float, float, float]:
        """Cumulative incidence at the last time, with interval."""
        if self.timeline.size == 0:
            return float("nan"), float("nan"), float("nan")
        return float(self.incidence[-1]), float(self.lower[-1]), float(self.upper[-1])


def cumulative_incidence(
    durations: npt.ArrayLike,
    outcomes: npt.ArrayLike,
    outcome_of_interest: int,
    level: float = 0.95,
) -> IncidenceCurve:
    """Aalen–Johansen cumulative incidence; ``outcomes`` are ints, 0 = censored (open)."""
    return cumulative_incidences(durations, outcomes, [outcome_of_interest], level)[0]


def cumulative_incidences(
    durations: npt.ArrayLike,
    outcomes: npt.ArrayLike,
    outcomes_of_interest: Sequence[int],
    level: float = 0.95,
) -> list[IncidenceCurve]:
    """:func:`cumulative_incidence` of each of ``outcomes_of_interest``, in that order: the
    competing outcomes share one event table, so it is counted once."""
    raw = np.asarray(durations)
    k = np.asarray(outcomes, dtype=np.int64)
    if raw.shape != k.shape or raw.ndim != 1:
        raise InvalidInput("durations and outcomes must be one-dimensional and the same length.")
    days = _whole_days(raw)
    table = None if days is None else _day_table(days, k > 0, 0)
    if days is not None and table is not None:
        times, _removed, deaths, at_risk = table
        low = int(times[0])  # the earliest duration or the entry at 0, both in the table
        slot, size = days - low, int(times[-1]) - low + 1
        used = (times - low).astype(np.int64)

        def tally(weights: FloatArray) -> FloatArray:
            counts = np.bincount(slot, weights=weights, minlength=size)
            return counts[used].astype(np.float64, copy=False)
    else:
        t = raw.astype(np.float64)
        times, _removed, deaths, at_risk = _event_table(t, k > 0, np.zeros_like(t))
        where = np.searchsorted(times, t)

        def tally(weights: FloatArray) -> FloatArray:
            counts = np.bincount(where, weights=weights, minlength=times.size)
            return counts.astype(np.float64, copy=False)

    return [
        _incidence(times, deaths, at_risk, tally((k == code).astype(float)), level)
        for code in outcomes_of_interest
    ]


def _incidence(
    times: FloatArray, deaths: FloatArray, at_risk: FloatArray, mine: FloatArray, level: float
) -> IncidenceCurve:
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - deaths / at_risk, 1.0)
        survival = np.cumprod(factor)
        lag = np.concatenate([[1.0], survival[:-1]])
        hazard_k = np.where(at_risk > 0, mine / at_risk, 0.0)
        incidence = np.cumsum(lag * hazard_k)
        a = np.where(at_risk > deaths, deaths / at_risk / (at_risk - deaths), 0.0)
        second = np.cumsum(np.where(at_risk > 0, lag**2 * mine * (at_risk - mine) / at_risk**3, 0))
        c = np.where(at_risk > 0, lag * mine / at_risk**2, 0.0)
    f = incidence
    first = f**2 * np.cumsum(a) - 2 * f * np.cumsum(a * f) + np.cumsum(a * f**2)
    third = f * np.cumsum(c) - np.cumsum(c * f)
    variance = first + second - 2 * third
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.log(-np.log(f))
        se = np.sqrt(variance) / (f * np.abs(np.log(f)))
        upper = np.exp(-np.exp(centre - z * se))
        lower = np.exp(-np.exp(centre + z * se))
    return IncidenceCurve(times, incidence, lower, upper, variance, level)


@dataclass(frozen=True)
class DelayCurve:
    """Distribution function ``F(u) = P(delay ≤ u)`` of a truncation-corrected delay."""

    values: FloatArray
    cdf: FloatArray
    lower: FloatArray
    upper: FloatArray
    n: int
    level: float

    def quantile(self, share: float) -> tuple[float, float, float]:
        """Smallest delay ``u`` with ``F(u) ≥ share``, with interval (inf when out of reach)."""
        return (
            _first_at_or_above(self.values, self.cdf, share),
            _first_at_or_above(self.values, self.upper, share),
            _first_at_or_above(self.values, self.lower, share),
        )


def _first_at_or_above(values: FloatArray, curve: FloatArray, q: float) -> float:
    hit = np.flatnonzero(curve >= q - 1e-12)
    return float(values[hit[0]]) if hit.size else float("inf")


def delay_distribution(
    delays: npt.ArrayLike, windows: npt.ArrayLike, level: float = 0.95
) -> DelayCurve:
    """Right-truncation-corrected distribution of delays (see module docstring).

    ``delays`` are the observed times from one stage to the next; ``windows`` the time from
    the first stage to the observation date, so each delay satisfies ``delay ≤ window``.
    """
    d = np.asarray(delays, dtype=np.float64)
    w = np.asarray(windows, dtype=np.float64)
    if d.shape != w.shape or d.ndim != 1:
        raise InvalidInput("delays and windows must be one-dimensional and the same length.")
    if np.any(d > w):
        raise InvalidInput("A delay is longer than its observation window; check as_of.")
    if d.size == 0:
        empty = np.empty(0)
        return DelayCurve(empty, empty, empty, empty, 0, level)
    integral = np.all(d == np.round(d)) and np.all(w == np.round(w))
    if d.min() >= 0 and w.max() < 4 * d.size + 1024 and integral:
        # Whole days (the usual case): counts by bincount instead of sorting.
        size = int(w.max()) + 1
        all_counts = np.bincount(d.astype(np.int64), minlength=size).astype(np.float64)
        below = np.concatenate([[0.0], np.cumsum(np.bincount(w.astype(np.int64),
                                                             minlength=size))])  # fmt: skip
        values = np.flatnonzero(all_counts).astype(np.float64)
        g = all_counts[all_counts > 0]
        gone = below[values.astype(np.int64)].astype(np.float64)  # #{W < v}
    else:
        values, counts = np.unique(d, return_counts=True)
        g = counts.astype(np.float64)
        gone = np.searchsorted(np.sort(w), values, side="left").astype(np.float64)
    reached = np.cumsum(g)  # #{D ≤ v}
    risk = reached - gone
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(risk > 0, 1.0 - g / risk, 1.0)
        increment = np.where(risk > g, g / (risk * (risk - g)), 0.0)
    # F(u) = Π_{v > u} factor(v): a reversed cumulative product, shifted by one.
    tail = np.cumprod(factor[::-1])[::-1]
    cdf = np.concatenate([tail[1:], [1.0]])
    variance = np.concatenate([np.cumsum(increment[::-1])[::-1][1:], [0.0]])
    lower, upper = _loglog_band(cdf, variance, level)
    return DelayCurve(values, cdf, lower, upper, int(d.size), level)


__all__ = [
    "DelayCurve",
    "IncidenceCurve",
    "SurvivalCurve",
    "cumulative_incidence",
    "cumulative_incidences",
    "delay_distribution",
    "kaplan_meier",
]
