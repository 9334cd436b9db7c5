"""Indicators that are not a plain rate: J1 per population, J7 cumulative, J13 pending age."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
from scipy import stats

from uncounted.justice.intervals import poisson_interval
from uncounted.justice.measures import Window, anchored, count

#: Adjacent suspect transitions, in order (J7 and the bottlenecks).
TRANSITIONS: tuple[tuple[str, str], ...] = (
    ("report", "investigation"),
    ("investigation", "arrest"),
    ("arrest", "charge"),
    ("charge", "trial"),
    ("trial", "verdict"),
    ("verdict", "appeal"),
)


def per_population(
    victims: pl.DataFrame, population: pl.DataFrame, by: list[str], window: Window, level: float
) -> pl.DataFrame | None:
    """J1 per 100 000 population (person-years when the window spans several years)."""
    if not set(by) <= {"jurisdiction", "year"}:
        return None
    counts = count(victims, by, window, "identification_on", distinct="person_id")
    pop = population
    if window.start is not None and window.end is not None:
        pop = pop.filter(pl.col("year").is_between(window.start.year, window.end.year))
    pop = (
        pop.group_by(by).agg(pl.col("population").sum())
        if by
        else pop.select(pl.col("population").sum())
    )
    if "year" in by:
        counts = counts.with_columns(pl.col("year").cast(pl.Int64))
        pop = pop.with_columns(pl.col("year").cast(pl.Int64))
    joined = (
        counts.join(pop, on=by, how="inner") if by else pl.concat([counts, pop], how="horizontal")
    )
    n = joined["numerator"].to_numpy()
    lo, hi = poisson_interval(n, level)
    scale = 1e5 / joined["population"].cast(pl.Float64).to_numpy()
    return joined.with_columns(
        pl.Series("denominator", joined["population"].cast(pl.Float64).to_numpy()),
        pl.Series("value", n * scale),
        pl.Series("lower", lo * scale),
        pl.Series("upper", hi * scale),
    ).drop("population")


def cumulative_attrition(steps: pl.DataFrame, by: list[str], level: float) -> pl.DataFrame:
    """1 − Π conversions up to each stage; interval by the delta method on log scale."""
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    rows: list[dict[str, object]] = []
    parts = steps.partition_by(by, as_dict=True) if by else {(): steps}
    for key, part in parts.items():
        log_p, var = 0.0, 0.0
        order = {f"{a}→{b}": i for i, (a, b) in enumerate(TRANSITIONS)}
        for row in sorted(part.iter_rows(named=True), key=lambda r: order[r["variant"]]):
            p, lo, hi = row["value"], row["lower"], row["upper"]
            if p is None or not p > 0 or row["variant"] == "verdict→appeal":
                continue
            log_p += math.log(p)
            if lo is not None and hi is not None and lo > 0:
                var += ((math.log(hi) - math.log(lo)) / (2 * z)) ** 2
            keep = math.exp(log_p)
            half = z * math.sqrt(var)
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "variant": "cumulative to " + row["variant"].split("→")[1],
                    "numerator": None,
                    "denominator": None,
                    "value": 1.0 - keep,
                    "lower": max(0.0, 1.0 - keep * math.exp(half)),
                    "upper": 1.0 - keep * math.exp(-half),
                }
            )
    schema = {
        **{b: steps.schema[b] for b in by},
        "variant": pl.String(),
        "numerator": pl.Float64(),
        "denominator": pl.Float64(),
        "value": pl.Float64(),
        "lower": pl.Float64(),
        "upper": pl.Float64(),
    }
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def pending_caseload(
    suspects: pl.DataFrame, by: list[str], window: Window, as_of: dt.date
) -> pl.DataFrame:
    """J13: defendants charged and awaiting a verdict at the window's end, and their age."""
    ref = min(window.end, as_of) if window.end is not None else as_of
    waiting = suspects.filter(
        pl.col("charge_on").is_not_null()
        & (pl.col("charge_on") <= ref)
        & (pl.col("verdict_on").is_null() | (pl.col("verdict_on") > ref))
    ).with_columns(
        (pl.lit(ref) - pl.col("charge_on")).dt.total_days().cast(pl.Float64).alias("age")
    )
    waiting = anchored(waiting, "charge_on", by)
    stats_ = [
        ("pending", pl.len().cast(pl.Float64), "defendants"),
        ("age median", pl.col("age").quantile(0.5, "nearest"), "days"),
        ("age P90", pl.col("age").quantile(0.9, "nearest"), "days"),
    ]
    out = []
    for name, expr, unit in stats_:
        agg = (
            waiting.group_by(by).agg(
                expr.alias("value"), pl.len().cast(pl.Float64).alias("numerator")
            )
            if by
            else waiting.select(expr.alias("value"), pl.len().cast(pl.Float64).alias("numerator"))
        )
        out.append(
            agg.with_columns(
                pl.lit(name).alias("variant"),
                pl.lit(None, pl.Float64).alias("denominator"),
                pl.lit(None, pl.Float64).alias("lower"),
                pl.lit(None, pl.Float64).alias("upper"),
                pl.lit(unit).alias("unit"),
            )
        )
    return pl.concat(out, how="diagonal_relaxed")


__all__ = ["TRANSITIONS", "cumulative_attrition", "pending_caseload", "per_population"]
