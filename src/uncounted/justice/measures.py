"""The building blocks of the indicators: rates, counts, conversions and delays by group.

Each function takes a frame of paths (one row per person or case, one date per stage), the
disaggregation columns ``by`` and a :class:`Window`, and returns rows of the long indicator
table: ``*by, numerator, denominator, value, lower, upper``. ``year`` and ``quarter`` in
``by`` are taken from the date that places a row in the window (the *anchor*).

Two bases (see :mod:`uncounted.justice.indicators`): a **cohort** follows the people who
entered a stage in the window up to ``as_of``; a **period** count takes numerator and
denominator events that each happened in the window (as the US TIP report and UNODC do).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import polars as pl

from uncounted.errors import InvalidInput
from uncounted.justice.intervals import wilson_interval
from uncounted.justice.timing import cumulative_incidences, delay_distribution, kaplan_meier

Basis = Literal["cohort", "period"]

#: A path frame, eager or lazy (the measures build lazy queries so that each reads only the
#: few columns it needs from the wide path frames).
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

#: Columns the indicators can be disaggregated by.
DISAGGREGATIONS: tuple[str, ...] = (
    "jurisdiction",
    "year",
    "quarter",
    "exploitation_type",
    "sex",
    "minor",
)

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "numerator": pl.Float64(),
    "denominator": pl.Float64(),
    "value": pl.Float64(),
    "lower": pl.Float64(),
    "upper": pl.Float64(),
}


@dataclass(frozen=True)
class Window:
    """The reporting period ``[start, end]`` (both inclusive; ``None`` = all time)."""

    start: dt.date | None
    end: dt.date | None
    label: str

    @classmethod
    def parse(cls, period: str | None) -> Window:
        """``None`` (all), ``"2024"``, ``"2024Q3"`` or ``"2022:2024"`` (years, inclusive)."""
        if period is None or period == "":
            return cls(None, None, "all")
        text = period.strip().upper()
        if m := re.fullmatch(r"(\d{4})", text):
            year = int(m.group(1))
            return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), text)
        if m := re.fullmatch(r"(\d{4})Q([1-4])", text):
            year, q = int(m.group(1)), int(m.group(2))
            start = dt.date(year, 3 * q - 2, 1)
            end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
            return cls(start, end, text)
        if m := re.fullmatch(r"(\d{4}):(\d{4})", text):
            first, last = int(m.group(1)), int(m.group(2))
            if last >= first:
                return cls(dt.date(first, 1, 1), dt.date(last, 12, 31), text)
        raise InvalidInput(
            f"Cannot read the period {period!r}; write a year (2024), a quarter (2024Q3) "
            "or a range of years (2022:2024)."
        )

    def contains(self, column: str) -> pl.Expr:
        """Expression: ``column`` is a date inside the window (never true for null)."""
        expr = pl.col(column).is_not_null()
        if self.start is not None:
            expr = expr & (pl.col(column) >= self.start)
        if self.end is not None:
            expr = expr & (pl.col(column) <= self.end)
        return expr


def check_by(by: Sequence[str]) -> list[str]:
    """Validate the disaggregation columns."""
    unknown = [b for b in by if b not in DISAGGREGATIONS]
    if unknown:
        raise InvalidInput(
            f"Cannot disaggregate by {', '.join(unknown)}; choose from "
            f"{', '.join(DISAGGREGATIONS)}."
        )
    return list(dict.fromkeys(by))


def anchored(frame: Frame, anchor: str, by: Sequence[str]) -> Frame:
    """Add ``year``/``quarter`` from the ``anchor`` date when ``by`` asks for them."""
    extra = []
    if "year" in by:
        extra.append(pl.col(anchor).dt.year().alias("year"))
    if "quarter" in by:
        extra.append(
            (
                pl.col(anchor).dt.year().cast(pl.String)
                + "Q"
                + pl.col(anchor).dt.quarter().cast(pl.String)
            ).alias("quarter")
        )
    return frame.with_columns(extra) if extra else frame


def _grouped(frame: pl.LazyFrame, by: Sequence[str], *aggs: pl.Expr) -> pl.LazyFrame:
    if by:
        return frame.group_by(list(by)).agg(*aggs)
    return frame.select(*aggs)


def with_wilson(frame: pl.DataFrame, level: float) -> pl.DataFrame:
    """Add ``value = numerator / denominator`` with a Wilson interval (when a proportion)."""
    num = frame["numerator"].to_numpy().astype(np.float64)
    den = frame["denominator"].to_numpy().astype(np.float64)
    lower, upper = wilson_interval(np.minimum(num, den), den, level)
    proper = num <= den
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / den, np.nan)
    return frame.with_columns(
        pl.Series("value", value),
        pl.Series("lower", np.where(proper, lower, np.nan)),
        pl.Series("upper", np.where(proper, upper, np.nan)),
    )


def rate(
    paths: pl.DataFrame,
    by: Sequence[str],
    window: Window,
    basis: Basis,
    as_of: dt.date,
    *,
    den_date: str,
    num_date: str,
    den_mask: pl.Expr | None = None,
    num_mask: pl.Expr | None = None,
    level: float = 0.95,
    ci: bool = True,
) -> pl.DataFrame:
    """Rows reaching ``num_date`` among rows reaching ``den_date`` (see module docstring)."""
    den_mask = pl.lit(True) if den_mask is None else den_mask
    num_mask = pl.lit(True) if num_mask is None else num_mask
    reached = pl.col(num_date).is_not_null() & (pl.col(num_date) <= as_of) & num_mask
    lazy = paths.lazy()
    if basis == "cohort":
        cohort = anchored(lazy.filter(window.contains(den_date) & den_mask), den_date, by)
        out = _grouped(
            cohort,
            by,
            reached.sum().cast(pl.Float64).alias("numerator"),
            pl.len().cast(pl.Float64).alias("denominator"),
        ).collect()
    else:
        den = _grouped(
            anchored(lazy.filter(window.contains(den_date) & den_mask), den_date, by),
            by,
            pl.len().cast(pl.Float64).alias("denominator"),
        )
        num = _grouped(
            anchored(lazy.filter(window.contains(num_date) & reached), num_date, by),
            by,
            pl.len().cast(pl.Float64).alias("numerator"),
        )
        out = (
            (
                den.join(num, on=list(by), how="full", coalesce=True, nulls_equal=True)
                if by
                else pl.concat([den, num], how="horizontal")
            )
            .with_columns(pl.col("numerator", "denominator").fill_null(0.0))
            .collect()
        )
    if ci:
        return with_wilson(out, level)
    value = pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator"))
    return out.with_columns(
        value.alias("value"),
        pl.lit(None, pl.Float64).alias("lower"),
        pl.lit(None, pl.Float64).alias("upper"),
    )


def count(
    paths: pl.DataFrame,
    by: Sequence[str],
    window: Window,
    date: str,
    mask: pl.Expr | None = None,
    distinct: str | None = None,
) -> pl.DataFrame:
    """Number of rows whose ``date`` falls in the window (of distinct ``distinct`` values,
    e.g. people rather than proceedings, when given)."""
    mask = pl.lit(True) if mask is None else mask
    frame = anchored(paths.lazy().filter(window.contains(date) & mask), date, by)
    size = pl.len() if distinct is None else pl.col(distinct).n_unique()
    return (
        _grouped(frame, by, size.cast(pl.Float64).alias("numerator"))
        .with_columns(
            pl.lit(None, pl.Float64).alias("denominator"),
            pl.col("numerator").alias("value"),
            pl.lit(None, pl.Float64).alias("lower"),
            pl.lit(None, pl.Float64).alias("upper"),
        )
        .collect()
    )


def _entered(
    paths: pl.DataFrame,
    window: Window,
    by: Sequence[str],
    start: str,
    *columns: str,
    mask: pl.Expr | None = None,
    derived: Sequence[pl.Expr] = (),
) -> pl.DataFrame:
    """The rows whose ``start`` date falls in the window (and ``mask``), with ``by``, only
    the ``columns`` a time-to-event measure reads and the ``derived`` ones (computed in the
    same pass)."""
    keep = window.contains(start) if mask is None else window.contains(start) & mask
    frame = anchored(paths.lazy().filter(keep), start, by)
    return frame.select(*by, *dict.fromkeys((start, *columns)), *derived).collect()


def _per_group(
    frame: pl.DataFrame,
    by: Sequence[str],
    compute: Callable[[pl.DataFrame], list[dict[str, float | str]]],
) -> pl.DataFrame:
    rows: list[dict[str, object]] = []
    parts = frame.partition_by(list(by), as_dict=True) if by else {(): frame}
    for key, part in parts.items():
        keys = dict(zip(by, key, strict=True))
        rows.extend({**keys, **row} for row in compute(part))
    schema = {**{b: frame.schema[b] for b in by}, "variant": pl.String(), **RESULT_SCHEMA}
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _spell_columns(start: str, end: str, as_of: dt.date) -> list[pl.Expr]:
    """``_t``: whole days from ``start`` to ``end``, or to ``as_of`` while still open;
    ``_d``: ``end`` was reached by ``as_of``."""
    done = pl.col(end).is_not_null() & (pl.col(end) <= as_of)
    first = _day(pl.col(start))
    days = pl.when(done).then(_day(pl.col(end)) - first).otherwise(_day(as_of) - first)
    return [days.clip(lower_bound=0).alias("_t"), done.alias("_d")]


def _day(date: pl.Expr | dt.date) -> pl.Expr:
    """Days since 1970-01-01 (a Date's own integer, as Int64): differences of these are the
    ``total_days`` of date differences, without the round trip through milliseconds."""
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, dt.date):
        return pl.lit((date - dt.date(1970, 1, 1)).days, pl.Int64)
    return date.to_physical().cast(pl.Int64)


def _spells(part: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    # Whole days as integers: the estimators count them by slot (see timing._day_table).
    return part["_t"].to_numpy(), part["_d"].to_numpy().astype(bool)


def conversion(
    paths: pl.DataFrame,
    by: Sequence[str],
    window: Window,
    as_of: dt.date,
    transitions: Sequence[tuple[str, str]],
    level: float = 0.95,
    at_days: float | None = None,
) -> pl.DataFrame:
    """Kaplan–Meier probability of reaching ``end`` after ``start`` (open paths censored).

    With ``at_days`` the probability of reaching it within that many days, ``1 − S(at_days)``;
    otherwise ``1 − S`` at the last time seen. Variant: ``"start→end"``.
    """
    out = []
    for start, end in transitions:
        spells = _spell_columns(f"{start}_on", f"{end}_on", as_of)
        frame = _entered(paths, window, by, f"{start}_on", derived=spells)

        def compute(
            part: pl.DataFrame, s: str = start, e: str = end
        ) -> list[dict[str, float | str]]:
            t, d = _spells(part)
            curve = kaplan_meier(t, d, level=level)
            if at_days is None:
                p, lo, hi = curve.conversion()
            else:
                surv, s_lo, s_hi = curve.at(at_days)
                p, lo, hi = 1.0 - surv, 1.0 - s_hi, 1.0 - s_lo
            return [
                {
                    "variant": f"{s}→{e}",
                    "numerator": float(d.sum()),
                    "denominator": float(t.size),
                    "value": p,
                    "lower": lo,
                    "upper": hi,
                }
            ]

        out.append(_per_group(frame, by, compute))
    return pl.concat(out) if out else pl.DataFrame()


def delays(
    paths: pl.DataFrame,
    by: Sequence[str],
    window: Window,
    as_of: dt.date,
    transitions: Sequence[tuple[str, str]],
    shares: Sequence[float] = (0.5, 0.75, 0.9),
    level: float = 0.95,
) -> pl.DataFrame:
    """Median / P75 / P90 days from ``start`` to ``end`` among people who reached both,
    corrected for right truncation (:func:`~uncounted.justice.timing.delay_distribution`)."""
    out = []
    for start, end in transitions:
        s_on, e_on = f"{start}_on", f"{end}_on"
        done = pl.col(e_on).is_not_null() & (pl.col(e_on) <= as_of)
        first = _day(pl.col(s_on))
        spell = [
            (_day(pl.col(e_on)) - first).clip(lower_bound=0).alias("_delay"),
            (_day(as_of) - first).alias("_window"),
        ]
        frame = _entered(paths, window, by, s_on, mask=done, derived=spell)

        def compute(
            part: pl.DataFrame, label: str = f"{start}→{end}"
        ) -> list[dict[str, float | str]]:
            delay, wait = part["_delay"].to_numpy(), part["_window"].to_numpy()
            curve = delay_distribution(delay, wait, level)
            rows: list[dict[str, float | str]] = []
            for share in shares:
                q, lo, hi = curve.quantile(share)
                name = "median" if share == 0.5 else f"P{round(share * 100)}"
                rows.append(
                    {
                        "variant": f"{label} {name}",
                        "numerator": float(curve.n),
                        "denominator": None,  # type: ignore[dict-item]
                        "value": q,
                        "lower": lo,
                        "upper": hi,
                    }
                )
            return rows

        out.append(_per_group(frame, by, compute))
    return pl.concat(out) if out else pl.DataFrame()


#: Competing first-instance outcomes after trial, coded for the Aalen–Johansen estimator.
OUTCOME_CODES: dict[str, int] = {"convicted": 1, "acquitted": 2, "dismissed": 3}


def verdict_incidence(
    paths: pl.DataFrame, by: Sequence[str], window: Window, as_of: dt.date, level: float = 0.95
) -> pl.DataFrame:
    """Aalen–Johansen cumulative incidence of each verdict outcome after the trial started.

    Conviction, acquittal and dismissal compete; trials without a verdict by ``as_of`` are
    censored. Variant: ``"<outcome> after trial"``; numerator = verdicts of that outcome,
    denominator = defendants whose trial started in the window.
    """
    spells = _spell_columns("trial_on", "verdict_on", as_of)
    frame = _entered(paths, window, by, "trial_on", "verdict_outcome", derived=spells)

    def compute(part: pl.DataFrame) -> list[dict[str, float | str]]:
        t, d = _spells(part)
        outcome = part["verdict_outcome"].replace_strict(OUTCOME_CODES, default=4)
        codes = np.where(d, outcome.fill_null(4).to_numpy(), 0)
        rows: list[dict[str, float | str]] = []
        curves = cumulative_incidences(t, codes, list(OUTCOME_CODES.values()), level)
        for (name, code), curve in zip(OUTCOME_CODES.items(), curves, strict=True):
            value, lo, hi = curve.final()
            rows.append(
                {
                    "variant": f"{name} after trial",
                    "numerator": float((codes == code).sum()),
                    "denominator": float(t.size),
                    "value": value,
                    "lower": lo,
                    "upper": hi,
                }
            )
        return rows

    return _per_group(frame, by, compute)


__all__ = [
    "DISAGGREGATIONS",
    "OUTCOME_CODES",
    "RESULT_SCHEMA",
    "Basis",
    "Window",
    "anchored",
    "check_by",
    "conversion",
    "count",
    "delays",
    "rate",
    "verdict_incidence",
    "with_wilson",
]
