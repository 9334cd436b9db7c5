"""The justice indicators as a registry: one function per catalogue id, over shared frames.

The metric catalogue (:mod:`uncounted.metrics`) says which justice indicators exist — its
entries whose ``module`` is :data:`MODULE` —, in which order, with which variants and
definitions. Each is computed by one function registered under its id with
:func:`indicator`; adding an indicator is one catalogue entry and one function::

    @indicator("J18")
    def _reported_to_charge(inputs: Inputs, variants: Variants) -> Parts:
        \"\"\"J18: suspects charged / suspects reported (Wilson). Formula and source.\"\"\"
        frame = inputs.share(inputs.suspects, "report_on", "charge_on", inputs.basis)
        return [tag(frame, "proportion", "wilson", variants[0])]

A function reads the intermediate frames :class:`Inputs` builds once per call — suspect,
victim and case paths with only the attributes the disaggregation and the registered
indicators need, plus results several indicators share (:meth:`Inputs.shared`) — and
returns frames of rows ``*by, variant, numerator, denominator, value, lower, upper, unit,
method``. ``variants`` are the catalogue's variant labels with the settings filled in, in
order. :func:`compute` runs the functions in catalogue order, adds the ``indicator`` column,
orders the rows and sets ``value_is``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from uncounted.errors import InvalidInput
from uncounted.justice.data import JusticeData
from uncounted.justice.measures import Basis, Window, rate
from uncounted.justice.stages import (
    case_paths,
    suspect_paths_with,
    victim_paths_with,
    with_unnamed_events,
)
from uncounted.metrics import Metric, load_catalogue

#: The ``module`` of the catalogue entries computed here (by :func:`indicators`).
MODULE = "uncounted.justice.indicators"

COLUMNS: tuple[str, ...] = (
    "indicator",
    "variant",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "unit",
    "method",
    "value_is",
)

#: Methods whose value is estimated (censored paths), not computed from numerator and
#: denominator: for those rows numerator and denominator are the observed counts.
ESTIMATED = (
    "kaplan-meier",
    "kaplan-meier product",
    "aalen-johansen",
    "truncation-corrected product-limit",
)

#: The frames one indicator returns (each with ``variant``, ``unit`` and ``method``).
Parts = list[pl.DataFrame]
#: The catalogue's variant labels of one indicator, settings filled in.
Variants = tuple[str, ...]


@dataclass
class Inputs:
    """What every indicator function reads, built once per :func:`compute` call."""

    data: JusticeData
    keys: list[str]
    window: Window
    basis: Basis
    as_of: dt.date
    level: float
    sentence_benchmark_months: int
    time_standard_days: int
    #: One row per suspect per case (:func:`~uncounted.justice.stages.suspect_paths`).
    suspects: pl.DataFrame
    #: One row per victim per case (:func:`~uncounted.justice.stages.victim_paths`).
    victims: pl.DataFrame
    #: One row per case with its report and investigation dates, named suspect or not.
    cases: pl.DataFrame
    _memo: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)

    def share(
        self,
        paths: pl.DataFrame,
        den: str,
        num: str,
        how: Basis = "cohort",
        den_mask: pl.Expr | None = None,
        num_mask: pl.Expr | None = None,
        ci: bool = True,
    ) -> pl.DataFrame:
        """:func:`~uncounted.justice.measures.rate` with this call's groups, window and level."""
        return rate(
            paths, self.keys, self.window, how, self.as_of, den_date=den, num_date=num,
            den_mask=den_mask, num_mask=num_mask, level=self.level, ci=ci,
        )  # fmt: skip

    def shared(self, name: str, build: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """``build()``, computed once per call and reused by every indicator asking ``name``."""
        if name not in self._memo:
            self._memo[name] = build()
        return self._memo[name]


IndicatorFunction = Callable[[Inputs, Variants], Parts]


@dataclass(frozen=True)
class _Registered:
    compute: IndicatorFunction
    suspect_columns: frozenset[str]
    victim_columns: frozenset[str]


#: Indicator id → its function (filled by :func:`indicator` as the modules are imported).
REGISTRY: dict[str, _Registered] = {}


def indicator(
    metric_id: str, *, suspect_columns: Sequence[str] = (), victim_columns: Sequence[str] = ()
) -> Callable[[IndicatorFunction], IndicatorFunction]:
    """Register the decorated function as the computation of catalogue entry ``metric_id``.

    ``suspect_columns`` / ``victim_columns``: case or person attributes (beyond the
    disaggregation) the function reads from :attr:`Inputs.suspects` / :attr:`Inputs.victims`
    (and :attr:`Inputs.cases`, built from the suspects).
    """

    def register(function: IndicatorFunction) -> IndicatorFunction:
        if metric_id in REGISTRY:
            raise InvalidInput(f"Justice indicator {metric_id!r} is registered twice.")
        REGISTRY[metric_id] = _Registered(
            function, frozenset(suspect_columns), frozenset(victim_columns)
        )
        return function

    return register


def catalogued() -> tuple[Metric, ...]:
    """The catalogue's justice indicators, in catalogue order."""
    return tuple(m for m in load_catalogue() if m.module == MODULE)


def id_range() -> str:
    """The first and last justice indicator ids, e.g. ``"J1–J17"`` (for help and captions)."""
    ids = [m.id for m in catalogued()]
    return f"{ids[0]}–{ids[-1]}" if len(ids) > 1 else "".join(ids)


def _functions(metrics: Sequence[Metric]) -> list[_Registered]:
    missing = [m.id for m in metrics if m.id not in REGISTRY]
    if missing:
        raise InvalidInput(
            f"The metric catalogue lists {', '.join(missing)} (module {MODULE}) but no function "
            "computes it; register one with @uncounted.justice.registry.indicator(id)."
        )
    return [REGISTRY[m.id] for m in metrics]


def compute(
    data: JusticeData,
    *,
    keys: list[str],
    window: Window,
    basis: Basis,
    sentence_benchmark_months: int,
    time_standard_days: int,
    level: float,
) -> pl.DataFrame:
    """Every catalogued justice indicator, in catalogue order (see :func:`indicators`)."""
    metrics = catalogued()
    functions = _functions(metrics)
    # Only the attributes the disaggregation asks for (plus those an indicator reads).
    suspects = suspect_paths_with(data, {*keys, *(c for f in functions for c in f.suspect_columns)})
    victims = victim_paths_with(data, {*keys, *(c for f in functions for c in f.victim_columns)})
    # the report and investigation dates of every case, named suspect or not
    cases = case_paths(suspects, stages=("report", "investigation"))
    cases = with_unnamed_events(cases, data, ("report", "investigation"))
    inputs = Inputs(
        data=data,
        keys=keys,
        window=window,
        basis=basis,
        as_of=data.observed_to,
        level=level,
        sentence_benchmark_months=sentence_benchmark_months,
        time_standard_days=time_standard_days,
        suspects=suspects,
        victims=victims,
        cases=cases,
    )
    settings = {
        "sentence_benchmark_months": sentence_benchmark_months,
        "time_standard_days": time_standard_days,
    }
    parts: list[pl.DataFrame] = []
    for m, f in zip(metrics, functions, strict=True):
        for frame in f.compute(inputs, m.variant_labels(**settings)):
            parts.append(frame.with_columns(pl.lit(m.id).alias("indicator")))
    return _assemble(parts, keys, [m.id for m in metrics])


def _assemble(parts: list[pl.DataFrame], keys: list[str], ids: list[str]) -> pl.DataFrame:
    frames = [p.select(*keys, *COLUMNS[:-1]) for p in parts if p.height]
    if not frames:
        return pl.DataFrame(
            schema={**dict.fromkeys(keys, pl.String()), **dict.fromkeys(COLUMNS, pl.String())}
        )
    out = pl.concat(frames, how="vertical_relaxed")
    out = out.with_columns(
        pl.when(pl.col("method").is_in(ESTIMATED))
        .then(pl.lit("estimated"))
        .otherwise(pl.lit("observed"))
        .alias("value_is")
    )
    order = {name: i for i, name in enumerate(ids, start=1)}
    rank = pl.col("indicator").replace_strict(order, return_dtype=pl.Int32)
    return (
        out.with_columns(rank.alias("_order"))
        .sort([*keys, "_order"], nulls_last=True, maintain_order=True)
        .drop("_order")
        .with_columns(pl.col("value", "lower", "upper").replace([np.inf], [None]))
    )


def tag(frame: pl.DataFrame, unit: str, method: str, variant: str | None = None) -> pl.DataFrame:
    """``frame`` with its ``unit``, ``method`` and (unless it has one) ``variant`` columns."""
    extra = [pl.lit(unit).alias("unit"), pl.lit(method).alias("method")]
    if variant is not None:
        extra.append(pl.lit(variant).alias("variant"))
    return frame.with_columns(extra)


__all__ = [
    "COLUMNS",
    "ESTIMATED",
    "MODULE",
    "REGISTRY",
    "IndicatorFunction",
    "Inputs",
    "Parts",
    "Variants",
    "catalogued",
    "compute",
    "id_range",
    "indicator",
    "tag",
]
