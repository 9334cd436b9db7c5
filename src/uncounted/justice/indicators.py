"""The impunity indicators of the metric catalogue (J1–J17), for a period or a cohort.

Which indicators there are, their order, variants, definitions, numerators, denominators and
sources are in the metric catalogue (``uncounted.metrics``, generated into
``docs/metrics.md``); this module holds one function per indicator, registered under its id
(:mod:`uncounted.justice.registry`) and stating its formula and source, and
:func:`indicators`, which runs them in catalogue order over
:class:`~uncounted.justice.data.JusticeData` frames.

Proportions carry Wilson intervals; time-to-event measures Greenwood log−log intervals.
Adding an indicator is one catalogue entry and one function here (or in any module imported
before :func:`indicators` runs) decorated with ``@indicator("J18")``.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    verdict_incidence,
)
from uncounted.justice.registry import (
    COLUMNS,
    ESTIMATED,
    Inputs,
    Parts,
    Variants,
    compute,
    id_range,
    indicator,
    tag,
)

#: The delays J10 reports.
DELAYS: tuple[tuple[str, str], ...] = (
    ("report", "arrest"),
    ("arrest", "charge"),
    ("charge", "verdict"),
    ("verdict", "appeal"),
)

#: J15: the victims' delays after identification.
AFTERCARE: tuple[tuple[str, str], ...] = (
    ("identification", "aftercare"),
    ("identification", "repatriated"),
)

#: J14: the victim flag each variant counts.
PROTECTION: dict[str, str] = {
    "protective measures": "protective_measures",
    "compensation": "compensation",
}

#: Method of the delay quantiles (J10, J15).
TRUNCATION_CORRECTED = "truncation-corrected product-limit"


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
    when it is computed from them). Indicators come in the catalogue's order.
    """
    if basis not in ("cohort", "period"):
        raise InvalidInput(f"basis must be 'cohort' or 'period', not {basis!r}.")
    if sentence_benchmark_months < 0 or time_standard_days <= 0:
        raise InvalidInput("The sentence benchmark and the time standard must be positive.")
    return compute(
        data,
        keys=check_by(by),
        window=Window.parse(period),
        basis=basis,
        sentence_benchmark_months=sentence_benchmark_months,
        time_standard_days=time_standard_days,
        level=level,
    )


def _identified(inputs: Inputs) -> pl.DataFrame:
    """People identified in the window, each counted once (J1, and J6's denominator)."""
    return inputs.shared(
        "victims identified",
        lambda: count(
            inputs.victims, inputs.keys, inputs.window, "identification_on", distinct="person_id"
        ),
    )


@indicator("J1")
def _victims_identified(inputs: Inputs, variants: Variants) -> Parts:
    """J1: people with an identification in the period (count), and per 100 000 population
    (Garwood interval) with a population table. TIP Report; UNODC GLOTIP; SDG 16.2.2."""
    parts = [tag(_identified(inputs), "victims", "count", variants[0])]
    if inputs.data.population is not None:
        per = per_population(
            inputs.victims, inputs.data.population, inputs.keys, inputs.window, inputs.level
        )
        if per is not None:
            parts.append(tag(per, "per 100 000", "garwood", variants[1]))
    return parts


@indicator("J2")
def _investigation_rate(inputs: Inputs, variants: Variants) -> Parts:
    """J2: cases investigated / cases reported (Wilson). TIP Report; UNODC GLOTIP."""
    frame = inputs.share(inputs.cases, "report_on", "investigation_on", inputs.basis)
    return [tag(frame, "proportion", "wilson", variants[0])]


@indicator("J3")
def _arrest_rate(inputs: Inputs, variants: Variants) -> Parts:
    """J3: suspects arrested / suspects reported (Wilson). UNODC GLOTIP."""
    frame = inputs.share(inputs.suspects, "report_on", "arrest_on", inputs.basis)
    return [tag(frame, "proportion", "wilson", variants[0])]


def _offence(variant: str) -> str | None:
    """The offence a J4/J5 variant counts (``"all"``: any)."""
    return None if variant == "all" else variant


@indicator("J4")
def _charging_rate(inputs: Inputs, variants: Variants) -> Parts:
    """J4: suspects charged / arrested, all and by the offence charged (Wilson). TIP Report;
    UNODC GLOTIP."""
    parts = []
    for variant in variants:
        offence = _offence(variant)
        charged = None if offence is None else pl.col("charge_offence") == offence
        frame = inputs.share(
            inputs.suspects, "arrest_on", "charge_on", inputs.basis, num_mask=charged
        )
        parts.append(tag(frame, "proportion", "wilson", variant))
    return parts


@indicator("J5")
def _conviction_rate(inputs: Inputs, variants: Variants) -> Parts:
    """J5: defendants convicted / with a first-instance verdict, all and by offence (Wilson);
    and the Aalen–Johansen cumulative incidence of each outcome after the trial started
    (variants ``"<outcome> after trial"``). TIP Report; UNODC GLOTIP; Aalen & Johansen 1978."""
    parts = []
    convicted = pl.col("verdict_outcome") == "convicted"
    for variant in (v for v in variants if not v.endswith(" after trial")):
        offence = _offence(variant)
        tried = None if offence is None else pl.col("verdict_offence") == offence
        frame = inputs.share(
            inputs.suspects, "verdict_on", "verdict_on", den_mask=tried, num_mask=convicted
        )
        parts.append(tag(frame, "proportion", "wilson", variant))
    incidence = verdict_incidence(
        inputs.suspects, inputs.keys, inputs.window, inputs.as_of, inputs.level
    )
    parts.append(tag(incidence, "proportion", "aalen-johansen"))
    return parts


@indicator("J6")
def _convictions_per_victim(inputs: Inputs, variants: Variants) -> Parts:
    """J6: convictions / victims identified (people, as J1), no interval. TIP Report."""
    keys = inputs.keys
    convicted = inputs.suspects.filter(pl.col("verdict_outcome") == "convicted")
    convictions = count(convicted, keys, inputs.window, "verdict_on")
    victims = _identified(inputs)
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
    return [tag(j6, "ratio", "ratio", variants[0])]


@indicator("J7")
def _attrition(inputs: Inputs, variants: Variants) -> Parts:
    """J7: 1 − Kaplan–Meier conversion at each transition (open paths censored), and
    cumulative attrition 1 − Π conversions (delta-method interval). Kaplan & Meier 1958."""
    steps = conversion(
        inputs.suspects, inputs.keys, inputs.window, inputs.as_of, TRANSITIONS, inputs.level
    )
    # At the boundary (every path still at risk converted: attrition 0) Greenwood's log−log
    # band is not defined; it is left empty rather than shown as "0–0", which would claim
    # certainty that 3 paths of 4 do not give.
    boundary = (pl.col("value") >= 1.0) & (pl.col("lower") >= pl.col("upper"))
    lost = steps.with_columns(
        (1 - pl.col("value")).alias("value"),
        pl.when(boundary).then(None).otherwise(1 - pl.col("upper")).alias("lower"),
        pl.when(boundary).then(None).otherwise(1 - pl.col("lower")).alias("upper"),
    )
    cumulative = cumulative_attrition(steps, inputs.keys, inputs.level)
    return [
        tag(lost, "proportion", "kaplan-meier"),
        tag(cumulative, "proportion", "kaplan-meier product"),
    ]


@indicator("J8")
def _upheld_on_appeal(inputs: Inputs, variants: Variants) -> Parts:
    """J8: convictions upheld / appeals against convictions decided (Wilson). TIP Report."""
    upheld = pl.col("appeal_outcome") == "upheld"
    of_conviction = pl.col("verdict_outcome") == "convicted"
    frame = inputs.share(
        inputs.suspects, "appeal_on", "appeal_on", den_mask=of_conviction, num_mask=upheld
    )
    return [tag(frame, "proportion", "wilson", variants[0])]


@indicator("J9")
def _significant_sentences(inputs: Inputs, variants: Variants) -> Parts:
    """J9: custodial sentences ≥ the benchmark months / sentences (Wilson). TIP Report;
    UNTOC art. 2(b)."""
    long = pl.col("custodial").fill_null(False) & (
        pl.col("sentence_months").fill_null(0) >= inputs.sentence_benchmark_months
    )
    frame = inputs.share(inputs.suspects, "sentence_on", "sentence_on", num_mask=long)
    return [tag(frame, "proportion", "wilson", variants[0])]


@indicator("J10")
def _time_to_disposition(inputs: Inputs, variants: Variants) -> Parts:
    """J10: median, P75, P90 days between stages (:data:`DELAYS`), corrected for right
    truncation. CourTools 3; Lagakos, Barraj & De Gruttola 1988."""
    frame = delays(
        inputs.suspects, inputs.keys, inputs.window, inputs.as_of, DELAYS, level=inputs.level
    )
    return [tag(frame, "days", TRUNCATION_CORRECTED)]


@indicator("J11")
def _within_time_standard(inputs: Inputs, variants: Variants) -> Parts:
    """J11: Kaplan–Meier probability of a verdict within the time standard after the charge.
    CourTools 3; Model Time Standards for State Trial Courts."""
    within = conversion(
        inputs.suspects, inputs.keys, inputs.window, inputs.as_of, [("charge", "verdict")],
        inputs.level, at_days=inputs.time_standard_days,
    ).with_columns(pl.lit(variants[0]).alias("variant"))  # fmt: skip
    return [tag(within, "proportion", "kaplan-meier")]


@indicator("J12")
def _clearance_rate(inputs: Inputs, variants: Variants) -> Parts:
    """J12: verdicts / charges filed in the period, no interval. CourTools 2."""
    frame = inputs.share(inputs.suspects, "charge_on", "verdict_on", "period", ci=False)
    return [tag(frame, "ratio", "ratio", variants[0])]


@indicator("J13")
def _pending_caseload_age(inputs: Inputs, variants: Variants) -> Parts:
    """J13: defendants charged and awaiting a verdict, and their age in days (nearest-rank
    median and P90). CourTools 4."""
    frame = pending_caseload(inputs.suspects, inputs.keys, inputs.window, inputs.as_of)
    return [frame.with_columns(pl.lit("empirical").alias("method"))]


@indicator("J14", victim_columns=("prosecuted",))
def _victims_protected(inputs: Inputs, variants: Variants) -> Parts:
    """J14: victims who testified in prosecuted cases with protective measures / who were
    compensated (Wilson). UN Trafficking Protocol arts. 6–7; TIP Report."""
    parts = []
    for variant in variants:
        flag = pl.col(PROTECTION[variant]).fill_null(False)
        frame = inputs.share(
            inputs.victims, "testified_on", "testified_on",
            den_mask=pl.col("prosecuted"), num_mask=flag,
        )  # fmt: skip
        parts.append(tag(frame, "proportion", "wilson", variant))
    return parts


@indicator("J15")
def _days_to_aftercare(inputs: Inputs, variants: Variants) -> Parts:
    """J15: median, P75, P90 days from identification to aftercare and to repatriation,
    corrected for right truncation. UN Trafficking Protocol arts. 6 and 8."""
    frame = delays(
        inputs.victims, inputs.keys, inputs.window, inputs.as_of, AFTERCARE, level=inputs.level
    )
    return [tag(frame, "days", TRUNCATION_CORRECTED)]


@indicator("J16", suspect_columns=("cross_border",))
def _cross_border_cooperation(inputs: Inputs, variants: Variants) -> Parts:
    """J16: cases linked to a proceeding abroad / cases (Wilson). TIP Report."""
    frame = inputs.share(inputs.cases, "entry_on", "entry_on", num_mask=pl.col("cross_border"))
    return [tag(frame, "proportion", "wilson", variants[0])]


@indicator("J17")
def _joint_operations(inputs: Inputs, variants: Variants) -> Parts:
    """J17: investigated cases with a joint police–labour inspection operation / investigated
    cases (Wilson). ILO Forced Labour Protocol art. 4."""
    joint = pl.col("joint_operation").fill_null(False)
    frame = inputs.share(inputs.cases, "investigation_on", "investigation_on", num_mask=joint)
    return [tag(frame, "proportion", "wilson", variants[0])]


#: Why a figure has no interval, by the ``method`` that computed it.
NO_INTERVAL: dict[str, str] = {
    "count": "a count of the records themselves, not an estimate from a sample: no interval",
    "ratio": "a ratio of two counts of events (a person can be counted more than once): no "
    "standard interval applies",
    "empirical": "read directly from the open cases (a count or a percentile of their ages): "
    "no interval",
    "kaplan-meier": "every path still at risk went on to the next stage, so the estimate sits "
    "at the boundary, where Greenwood's interval is not defined; read it with the counts",
}


def no_interval_reason(method: str | None) -> str:
    """Why a row of :func:`indicators` computed by ``method`` has no interval (for people
    reading a table in which most rows have one)."""
    return NO_INTERVAL.get(method or "", "no interval is defined for this figure")


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
        f"The justice indicators are empty: the store holds {held}. {id_range()} count "
        "identifications, reports, arrests, charges, verdicts and aftercare steps recorded "
        "as justice events; import them (uncounted import events.csv --type justice_events) "
        "to compute the indicators."
    )


__all__ = [
    "AFTERCARE",
    "COLUMNS",
    "DELAYS",
    "ESTIMATED",
    "NO_INTERVAL",
    "PROTECTION",
    "TRANSITIONS",
    "empty_reason",
    "indicators",
    "no_interval_reason",
]
