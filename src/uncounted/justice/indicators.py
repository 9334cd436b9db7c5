"""The impunity indicators J1–J17, for a period or a cohort, with intervals.

Definitions, numerators, denominators and sources are in the metric catalogue
(``uncounted.metrics``, generated into ``docs/metrics.md``); this module computes them from
:class:`~uncounted.justice.data.JusticeData` frames. In short:

========  ==============================================================================
J1        victims identified: people, each counted once however many cases identified them
          in the period (count; per 100 000 population with a population table)
J2        cases investigated / cases reported
J3        suspects arrested / suspects identified (reported)
J4        suspects charged / arrested — all, trafficking charge, other charge
J5        defendants convicted / defendants with a first-instance verdict — all, by offence;
          and the Aalen–Johansen cumulative incidence of conviction, acquittal and
          dismissal after the trial started (competing outcomes, open trials censored)
J6        convictions / victims identified (people, as J1)
J7        attrition at each transition, 1 − Kaplan–Meier conversion (open paths censored),
          and cumulative (1 − product of conversions, delta-method interval)
J8        convictions upheld on appeal / appeals against convictions decided
J9        custodial sentences ≥ benchmark months / sentences
J10       median, P75, P90 days report→arrest, arrest→charge, charge→verdict, verdict→appeal
J11       share of charged defendants with a verdict within the time standard (KM)
J12       clearance: verdicts / charges filed in the period (CourTools 2)
J13       pending caseload (charged, no verdict) and its age in days (CourTools 4)
J14       victims who testified with protective measures / received compensation
J15       days from identification to aftercare placement and to repatriation
J16       cases with cross-border cooperation (a linked case abroad) / cases
J17       investigated cases with a joint operation (police with labour inspectors) / cases
========  ==============================================================================

Proportions carry Wilson intervals; time-to-event measures Greenwood log−log intervals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from uncounted.errors import InvalidInput
from uncounted.justice._special import (
    TRANSITIONS,
    cumulative_attrition,
    pending_caseload,
    per_population,
)
from uncounted.justice.data import JusticeData
from uncounted.justice.measures import (
    Basis,
    Window,
    check_by,
    conversion,
    count,
    delays,
    rate,
    verdict_incidence,
)
from uncounted.justice.stages import (
    case_paths,
    suspect_paths_with,
    victim_paths_with,
    with_unnamed_events,
)

#: The delays J10 reports.
DELAYS: tuple[tuple[str, str], ...] = (
    ("report", "arrest"),
    ("arrest", "charge"),
    ("charge", "verdict"),
    ("verdict", "appeal"),
)

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


def _tag(
    frame: pl.DataFrame, indicator: str, unit: str, method: str, variant: str | None = None
) -> pl.DataFrame:
    extra = [
        pl.lit(indicator).alias("indicator"),
        pl.lit(unit).alias("unit"),
        pl.lit(method).alias("method"),
    ]
    if variant is not None:
        extra.append(pl.lit(variant).alias("variant"))
    return frame.with_columns(extra)


def indicators(
    data: JusticeData,
    *,
    period: str | None = None,
    by: Sequence[str] = (),
    basis: Basis = "period",
    sentence_benchmark_months: int = 48,
    time_standard_days: int = 365,
    level: float = 0.95,
) -> pl.DataFrame:
    """All justice indicators for ``period`` (``"2024"``, ``"2024Q3"``, ``"2022:2024"``, None).

    ``basis="period"`` counts numerator and denominator events that happened in the period
    (J2–J4; the others are anchored on one event and read the same either way);
    ``basis="cohort"`` follows who entered the denominator stage in the period up to
    ``data.as_of``. Time-to-event measures (J7, J10, J11, J15) always follow the people who
    entered the starting stage in the period, with open paths censored at ``as_of``.
    Returns a long frame: ``*by, indicator, variant, numerator, denominator, value, lower,
    upper, unit, method, value_is`` (``estimated`` when the value is a Kaplan–Meier or
    Aalen–Johansen estimate and numerator and denominator are observed counts, ``observed``
    when it is computed from them).
    """
    if basis not in ("cohort", "period"):
        raise InvalidInput(f"basis must be 'cohort' or 'period', not {basis!r}.")
    if sentence_benchmark_months < 0 or time_standard_days <= 0:
        raise InvalidInput("The sentence benchmark and the time standard must be positive.")
    keys = check_by(by)
    window = Window.parse(period)
    as_of = data.observed_to
    # Only the attributes the disaggregation asks for (plus those an indicator reads).
    sp = suspect_paths_with(data, {*keys, "cross_border"})
    vp = victim_paths_with(data, {*keys, "prosecuted"})
    # the dates J2, J16, J17 read: of every case, named suspect or not
    cp = case_paths(sp, stages=("report", "investigation"))
    cp = with_unnamed_events(cp, data, ("report", "investigation"))

    def share(
        paths: pl.DataFrame,
        den: str,
        num: str,
        how: Basis = "cohort",
        den_mask: pl.Expr | None = None,
        num_mask: pl.Expr | None = None,
        ci: bool = True,
    ) -> pl.DataFrame:
        return rate(
            paths, keys, window, how, as_of, den_date=den, num_date=num,
            den_mask=den_mask, num_mask=num_mask, level=level, ci=ci,
        )  # fmt: skip

    victims = count(vp, keys, window, "identification_on", distinct="person_id")
    parts = [
        _tag(victims, "J1", "victims", "count", "count"),
        _tag(
            share(cp, "report_on", "investigation_on", basis), "J2", "proportion", "wilson", "all"
        ),
        _tag(share(sp, "report_on", "arrest_on", basis), "J3", "proportion", "wilson", "all"),
    ]
    if data.population is not None:
        per = per_population(vp, data.population, keys, window, level)
        if per is not None:
            parts.append(_tag(per, "J1", "per 100 000", "garwood", "per 100 000"))
    for variant, offence in (("all", None), ("trafficking", "trafficking"), ("other", "other")):
        charged = None if offence is None else pl.col("charge_offence") == offence
        j4 = share(sp, "arrest_on", "charge_on", basis, num_mask=charged)
        parts.append(_tag(j4, "J4", "proportion", "wilson", variant))
        tried = None if offence is None else pl.col("verdict_offence") == offence
        convicted = pl.col("verdict_outcome") == "convicted"
        j5 = share(sp, "verdict_on", "verdict_on", den_mask=tried, num_mask=convicted)
        parts.append(_tag(j5, "J5", "proportion", "wilson", variant))
    incidence = verdict_incidence(sp, keys, window, as_of, level)
    parts.append(_tag(incidence, "J5", "proportion", "aalen-johansen"))
    convictions = count(
        sp.filter(pl.col("verdict_outcome") == "convicted"), keys, window, "verdict_on"
    )
    j6 = convictions.select(*keys, "numerator").join(
        victims.select(*keys, pl.col("numerator").alias("denominator")),
        on=keys, how="full", coalesce=True, nulls_equal=True,
    ) if keys else pl.DataFrame({
        "numerator": convictions["numerator"], "denominator": victims["numerator"],
    })  # fmt: skip
    j6 = j6.with_columns(pl.col("numerator", "denominator").fill_null(0.0)).with_columns(
        pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator"))
        .alias("value"),
        pl.lit(None, pl.Float64).alias("lower"),
        pl.lit(None, pl.Float64).alias("upper"),
    )  # fmt: skip
    parts.append(_tag(j6, "J6", "ratio", "ratio", "all"))
    steps = conversion(sp, keys, window, as_of, TRANSITIONS, level)
    attrition = steps.with_columns(
        (1 - pl.col("value")).alias("value"),
        (1 - pl.col("upper")).alias("lower"),
        (1 - pl.col("lower")).alias("upper"),
    )
    parts.append(_tag(attrition, "J7", "proportion", "kaplan-meier"))
    cumulative = cumulative_attrition(steps, keys, level)
    parts.append(_tag(cumulative, "J7", "proportion", "kaplan-meier product"))
    upheld, of_conviction = (
        pl.col("appeal_outcome") == "upheld",
        pl.col("verdict_outcome") == "convicted",
    )
    j8 = share(sp, "appeal_on", "appeal_on", den_mask=of_conviction, num_mask=upheld)
    parts.append(_tag(j8, "J8", "proportion", "wilson", "convictions upheld"))
    long = pl.col("custodial").fill_null(False) & (
        pl.col("sentence_months").fill_null(0) >= sentence_benchmark_months
    )
    j9 = share(sp, "sentence_on", "sentence_on", num_mask=long)
    label = f"custodial ≥ {sentence_benchmark_months} months"
    parts.append(_tag(j9, "J9", "proportion", "wilson", label))
    method = "truncation-corrected product-limit"
    parts.append(_tag(delays(sp, keys, window, as_of, DELAYS, level=level), "J10", "days", method))
    within = conversion(
        sp, keys, window, as_of, [("charge", "verdict")], level, at_days=time_standard_days
    ).with_columns(pl.lit(f"within {time_standard_days} days").alias("variant"))
    parts.append(_tag(within, "J11", "proportion", "kaplan-meier"))
    j12 = share(sp, "charge_on", "verdict_on", "period", ci=False)
    parts.append(_tag(j12, "J12", "ratio", "ratio", "verdicts / charges"))
    parts.append(pending_caseload(sp, keys, window, as_of).with_columns(
        pl.lit("J13").alias("indicator"), pl.lit("empirical").alias("method"),
    ))  # fmt: skip
    prosecuted = pl.col("prosecuted")
    for variant, flag in (
        ("protective measures", "protective_measures"),
        ("compensation", "compensation"),
    ):
        j14 = share(vp, "testified_on", "testified_on", den_mask=prosecuted,
                    num_mask=pl.col(flag).fill_null(False))  # fmt: skip
        parts.append(_tag(j14, "J14", "proportion", "wilson", variant))
    aftercare = [("identification", "aftercare"), ("identification", "repatriated")]
    j15 = delays(vp, keys, window, as_of, aftercare, level=level)
    parts.append(_tag(j15, "J15", "days", method))
    j16 = share(cp, "entry_on", "entry_on", num_mask=pl.col("cross_border"))
    parts.append(_tag(j16, "J16", "proportion", "wilson", "cross-border cooperation"))
    joint = pl.col("joint_operation").fill_null(False)
    j17 = share(cp, "investigation_on", "investigation_on", num_mask=joint)
    parts.append(_tag(j17, "J17", "proportion", "wilson", "joint operations"))
    return _assemble(parts, keys)


def empty_reason(data: JusticeData) -> str | None:
    """Why every indicator would be empty (zeros that mean "no data", not "no justice").

    The indicators are computed from justice events (identification, report, arrest,
    charge, verdict…). A store with victims and cases but no events — a data hub's victim
    file, for instance — has nothing to compute them from; this says so, with what to do.
    ``None`` when there are events.
    """
    if data.events.height:
        return None
    victims = data.case_persons.filter(pl.col("role") == "victim")
    people, cases = victims["person_id"].n_unique(), data.cases.height
    if people:
        held = f"{people:,} victim(s) in {cases:,} case(s) but no justice events"
    elif cases:
        held = f"{cases:,} case(s) but no justice events"
    else:
        held = "no cases and no justice events"
    return (
        f"The justice indicators are empty: the store holds {held}. J1–J17 count "
        "identifications, reports, arrests, charges, verdicts and aftercare steps recorded "
        "as justice events; import them (uncounted import events.csv --type justice_events) "
        "to compute the indicators."
    )


def _assemble(parts: list[pl.DataFrame], keys: list[str]) -> pl.DataFrame:
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
    order = {f"J{i}": i for i in range(1, 18)}
    rank = pl.col("indicator").replace_strict(order, return_dtype=pl.Int32)
    return (
        out.with_columns(rank.alias("_order"))
        .sort([*keys, "_order"], nulls_last=True, maintain_order=True)
        .drop("_order")
        .with_columns(pl.col("value", "lower", "upper").replace([np.inf], [None]))
    )


__all__ = ["COLUMNS", "DELAYS", "ESTIMATED", "TRANSITIONS", "empty_reason", "indicators"]
