"""Each person's path through the stages: one row per person per proceeding, one date per stage.

A *proceeding* is a (case, person) pair: a suspect prosecuted in Thailand and again in
Cambodia appears twice, once per case (the cases are tied by ``case_links``). A stage's date
is the first event of that stage; a stage not reached by the observation date is null (the
path is open there, i.e. censored, unless the case is closed). The stage order is
:data:`uncounted.domain.stages.SUSPECT_STAGES` (report → investigation → arrest → charge →
trial → verdict → sentence → appeal) and, for victims, identification → (testimony at trial)
→ aftercare placement → repatriation.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import polars as pl

from uncounted.domain.stages import SUSPECT_STAGES, Stage
from uncounted.justice import _paths as _p
from uncounted.justice.data import JusticeData

#: Suspect stage names in order, as they appear in ``justice_events.stage``.
SUSPECT_STAGE_NAMES: tuple[str, ...] = tuple(str(s) for s in SUSPECT_STAGES)

#: Aftercare steps that count as reintegration.
REINTEGRATION_STEPS: tuple[str, ...] = ("Reintegrated", "Reintegration")

#: Aftercare steps (``aftercare_steps.step``) that count as placement in aftercare.
AFTERCARE_STEPS: tuple[str, ...] = ("ShelterPlacement", "AftercarePlacement", "Referral")


def _jurisdiction_labels(data: JusticeData) -> pl.DataFrame:
    if data.jurisdictions is not None and "country" in data.jurisdictions.columns:
        subdivision = (
            pl.col("subdivision")
            if "subdivision" in data.jurisdictions.columns
            else pl.lit(None, pl.String)
        )
        return data.jurisdictions.select(
            pl.col("id").alias("jurisdiction_id"),
            pl.when(subdivision.is_not_null())
            .then(subdivision)
            .otherwise(pl.col("country"))
            .alias("jurisdiction"),
        )
    ids = data.events["jurisdiction_id"].unique()
    return pl.DataFrame({"jurisdiction_id": ids, "jurisdiction": ids.cast(pl.String)})


def _case_attributes(data: JusticeData) -> pl.DataFrame:
    """Per case: exploitation type, status, opened date, any minor victim, cross-border link."""
    return _p.memo("cases", data, lambda: _build_case_attributes(data))


def _build_case_attributes(data: JusticeData) -> pl.DataFrame:
    # A case with a minor victim: membership, not a join (the flag is false otherwise).
    minors = data.case_persons.filter(
        (pl.col("role") == "victim") & pl.col("minor_at_exploitation").fill_null(False)
    )["case_id"]
    links = pl.concat(
        [
            data.case_links.select(pl.col("case_id")),
            data.case_links.select(pl.col("linked_case_id").alias("case_id")),
        ]
    ).unique()
    charged = data.events.filter(pl.col("stage") == "charge")["case_id"].unique()
    return (
        data.cases.lazy()
        .select(pl.col("id").alias("case_id"), "exploitation_type", "status", "opened_on")
        .with_columns(
            pl.col("case_id").is_in(minors.implode()).fill_null(False).alias("minor"),
            pl.col("case_id").is_in(links["case_id"].implode()).alias("cross_border"),
            pl.col("case_id").is_in(charged.implode()).alias("prosecuted"),
        )
        .collect()
    )


#: Integer code of each stage the paths read: the suspect stages in order, then
#: identification.
_CODE = {name: i for i, name in enumerate(SUSPECT_STAGE_NAMES)}
_IDENTIFICATION = len(_CODE)
_VICTIM_CODES = {
    "identification": _IDENTIFICATION,
    "trial": _CODE["trial"],
    "verdict": _CODE["verdict"],
}
#: Case attributes a suspect path carries, in column order.
_CASE_COLUMNS = ("exploitation_type", "status", "opened_on", "minor", "cross_border", "prosecuted")


def _earliest(data: JusticeData) -> pl.DataFrame:
    """Per (case, person): the earliest event of each stage, and whether a listed victim."""
    codes = {**_CODE, str(Stage.IDENTIFICATION): _IDENTIFICATION}
    return _p.memo("earliest", data, lambda: _p.earliest(data, codes))


def _wants(columns: Collection[str] | None, *names: str) -> bool:
    return columns is None or any(n in columns for n in names)


def suspect_paths(data: JusticeData) -> pl.DataFrame:
    """One row per suspect per case: the date of each stage and what happened there.

    Columns: ``case_id, person_id, jurisdiction, exploitation_type, sex, minor, status,
    cross_border, <stage>_on`` for every suspect stage, ``charge_offence, verdict_outcome,
    verdict_offence, sentence_months, custodial, appeal_outcome, joint_operation``.
    ``minor`` is true when any victim in the case was a minor at exploitation.
    """
    return _p.memo("suspects", data, lambda: _build_suspects(data, None))


def suspect_paths_with(data: JusticeData, columns: Collection[str]) -> pl.DataFrame:
    """:func:`suspect_paths` with, of the case and person attributes (``jurisdiction``,
    ``sex`` and the case's), only ``columns``: the lookups cost more than the rest."""
    if "suspects" in data.derived:
        return data.derived["suspects"]
    return _build_suspects(data, columns)


def _suspect_core(data: JusticeData) -> pl.DataFrame:
    # Suspects: every (case, person) not listed as a victim there, with a suspect stage.
    reached = pl.any_horizontal(pl.col(list(_CODE)).is_not_null())
    best = _p.first_orders(
        _earliest(data), ~pl.col("_listed") & reached, [pl.col(c) for c in _CODE]
    )
    ev, day0 = data.events, _p.first_day(data)
    # What happened at each stage's first event: one gather per stage, of all its columns.
    read = {
        "_first": {"jurisdiction_id": "jurisdiction_id"},
        "charge": {"charge_offence": "offence"},
        "verdict": {"verdict_outcome": "outcome", "verdict_offence": "offence"},
        "sentence": {"sentence_months": "sentence_months", "custodial": "custodial"},
        "appeal": {"appeal_outcome": "outcome"},
        "investigation": {"joint_operation": "joint_operation"},
    }
    rows = best.select(pl.col("_first"), *[_p.row(stage) for stage in read if stage != "_first"])
    seen = {
        column: values
        for stage, columns in read.items()
        for column, values in ev.select(pl.col(c).alias(n) for n, c in columns.items())
        .gather(rows[stage])
        .to_dict()
        .items()
    }
    jurisdiction = seen.pop("jurisdiction_id")
    return best.select(
        *_p.case_person(),
        jurisdiction,
        *[_p.date(name, day0, f"{name}_on") for name in _CODE],
        *seen.values(),  # charge_offence … joint_operation, in the order of ``read``
    )


def _build_suspects(data: JusticeData, columns: Collection[str] | None) -> pl.DataFrame:
    paths = _p.memo("suspect_core", data, lambda: _suspect_core(data))
    if _wants(columns, "jurisdiction"):
        labels = _jurisdiction_labels(data)
        paths = paths.join(labels, on="jurisdiction_id", how="left", maintain_order="left")
    wanted = [c for c in _CASE_COLUMNS if _wants(columns, c)]
    if wanted:
        paths = _p.attach(paths, _case_attributes(data).select("case_id", *wanted), "case_id")
    fill = [pl.col("joint_operation").fill_null(False)]
    if _wants(columns, "sex"):
        sexes = data.persons.select(pl.col("id").alias("person_id"), "sex")
        paths = _p.attach(paths, sexes, "person_id")
        fill.append(pl.col("sex").fill_null("Unknown"))
    return paths.with_columns(
        _p.first_date([f"{s}_on" for s in SUSPECT_STAGE_NAMES]).alias("entry_on"), *fill
    ).drop("jurisdiction_id")


def victim_paths(data: JusticeData) -> pl.DataFrame:
    """One row per victim per case: identification, testimony, aftercare and repatriation.

    Columns: ``case_id, person_id, jurisdiction, exploitation_type, sex, minor,
    cross_border_victim`` (citizenship differs from the jurisdiction's country),
    ``identification_on, testified_on, protective_measures, compensation, aftercare_on,
    repatriated_on, reintegrated_on, prosecuted`` (the case has a charge).
    """
    return _p.memo("victims", data, lambda: _build_victims(data, None))


def victim_paths_with(data: JusticeData, columns: Collection[str]) -> pl.DataFrame:
    """:func:`victim_paths` with, of ``jurisdiction, exploitation_type, sex, minor,
    cross_border_victim, prosecuted``, only ``columns``."""
    if "victims" in data.derived:
        return data.derived["victims"]
    return _build_victims(data, columns)


def _victim_core(data: JusticeData) -> pl.DataFrame:
    # Victims: listed victims (identification, trial, verdict), and unlisted people with an
    # identification event (only that event is a victim's; their others are a suspect's).
    listed, identified = pl.col("_listed"), pl.col("identification").is_not_null()
    reached = pl.any_horizontal(pl.col(list(_VICTIM_CODES)).is_not_null())
    best = _p.first_orders(
        _earliest(data),
        (listed & reached) | (~listed & identified),
        [
            pl.col("identification"),
            pl.when(listed).then(pl.col("trial")).alias("trial"),
            pl.when(listed).then(pl.col("verdict")).alias("verdict"),
        ],
    )
    ev, day0 = data.events, _p.first_day(data)
    rows = best.select(pl.col("_first"), _p.row("trial"), _p.row("verdict"))
    at_trial = ev.select("protective_measures", "compensation").gather(rows["trial"])
    compensated = at_trial["compensation"].fill_null(False) | ev["compensation"].gather(
        rows["verdict"]
    ).fill_null(False)
    step = pl.col("step")
    steps = (
        data.aftercare_steps.lazy()
        .select(
            _p.key(),
            pl.when(step.is_in(AFTERCARE_STEPS)).then(pl.col("occurred_on")).alias("aftercare_on"),
            pl.when(step == "Repatriated").then(pl.col("occurred_on")).alias("repatriated_on"),
            pl.when(step.is_in(REINTEGRATION_STEPS))
            .then(pl.col("occurred_on"))
            .alias("reintegrated_on"),
        )
        .group_by("_key")
        .agg(pl.all().min())
        .collect()
    )
    paths = best.select(
        "_key",
        *_p.case_person(),
        ev["jurisdiction_id"].gather(rows["_first"]).alias("jurisdiction_id"),
        _p.date("identification", day0, "identification_on"),
        _p.date("trial", day0, "testified_on"),
        at_trial["protective_measures"].fill_null(False),
        compensated.alias("compensation"),
    )
    return _p.attach(paths, steps, "_key")


def _build_victims(data: JusticeData, columns: Collection[str] | None) -> pl.DataFrame:
    paths = _p.memo("victim_core", data, lambda: _victim_core(data))
    steps = paths.select("_key", "aftercare_on", "repatriated_on", "reintegrated_on")
    paths = paths.drop("aftercare_on", "repatriated_on", "reintegrated_on")
    done: list[pl.Expr] = []
    if _wants(columns, "exploitation_type", "minor"):
        victims = (
            data.case_persons.lazy()
            .filter(pl.col("role") == "victim")
            .select(
                _p.key(),
                pl.col("exploitation_type").alias("victim_exploitation_type")
                if "exploitation_type" in data.case_persons.columns
                else pl.lit(None, pl.String).alias("victim_exploitation_type"),
                pl.col("minor_at_exploitation").fill_null(False).alias("minor"),
            )
            .unique("_key")
            .collect()
        )
        paths = _p.attach(paths, victims, "_key")
        done.append(pl.col("minor").fill_null(False))
    labels = _jurisdiction_labels(data)
    if _wants(columns, "jurisdiction"):
        paths = paths.join(labels, on="jurisdiction_id", how="left", maintain_order="left")
    if cross := _wants(columns, "cross_border_victim"):
        countries = (
            data.jurisdictions.select(pl.col("id").alias("jurisdiction_id"), "country")
            if data.jurisdictions is not None and "country" in data.jurisdictions.columns
            else labels.rename({"jurisdiction": "country"})
        )
        paths = paths.join(countries, on="jurisdiction_id", how="left", maintain_order="left")
    wanted = [c for c in ("exploitation_type", "prosecuted") if _wants(columns, c)]
    if wanted:
        paths = _p.attach(paths, _case_attributes(data).select("case_id", *wanted), "case_id")
    if "exploitation_type" in wanted:
        done.append(
            pl.coalesce("victim_exploitation_type", "exploitation_type").alias("exploitation_type")
        )
    if "prosecuted" in wanted:
        done.append(pl.col("prosecuted").fill_null(False))
    people = [c for c, need in (("sex", _wants(columns, "sex")), ("citizenship", cross)) if need]
    if people:
        persons = data.persons.select(pl.col("id").alias("person_id"), *people)
        paths = _p.attach(paths, persons, "person_id")
    if "sex" in people:
        done.append(pl.col("sex").fill_null("Unknown"))
    if cross:
        cross_border = pl.col("citizenship").is_not_null() & (
            pl.col("citizenship") != pl.col("country")
        )
        done.append(cross_border.alias("cross_border_victim"))
    paths = paths.hstack(steps.drop("_key"))
    drop = ["jurisdiction_id", "victim_exploitation_type", "country", "citizenship", "_key"]
    return paths.with_columns(*done, pl.col("identification_on").alias("entry_on")).drop(
        drop, strict=False
    )


def case_paths(suspects: pl.DataFrame, stages: Collection[str] | None = None) -> pl.DataFrame:
    """One row per case: the first date each stage was reached by any of its suspects.

    Case attributes are those of the case's first suspect row; ``joint_operation`` is true
    when any suspect's investigation was a joint operation. ``stages`` limits the stage
    dates to those stages (``entry_on`` is always there); all when None.
    """
    names = [s for s in SUSPECT_STAGE_NAMES if stages is None or s in stages]
    dates = [*(f"{s}_on" for s in names), "entry_on"]
    firsts = [
        c
        for c in ("jurisdiction", "exploitation_type", "minor", "status", "cross_border")
        if c in suspects.columns
    ]
    case = suspects["case_id"]
    if suspects.is_empty() or case.null_count() or not case.is_sorted():
        return suspects.group_by("case_id").agg(
            *[pl.col(c).first() for c in firsts],
            pl.col("joint_operation").any(),
            pl.lit("Unknown").alias("sex"),
            *[pl.col(d).min() for d in dates],
        )
    # Sorted by case (as suspect_paths returns them): reduce each run of rows in one
    # vectorised pass instead of hashing a million small groups.
    ids = case.to_numpy()
    starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
    never = np.iinfo(np.int32).max
    day_min = {
        d: np.minimum.reduceat(suspects[d].cast(pl.Int32).fill_null(never).to_numpy(), starts)
        for d in dates
    }
    joint = suspects["joint_operation"].fill_null(False).to_numpy()
    return suspects.select("case_id", *firsts)[starts].with_columns(
        pl.Series("joint_operation", np.logical_or.reduceat(joint, starts)),
        pl.lit("Unknown").alias("sex"),
        *[
            pl.when(pl.lit(pl.Series(v != never))).then(pl.lit(pl.Series(v))).cast(pl.Date).alias(d)
            for d, v in day_min.items()
        ],
    )


def with_unnamed_events(
    cases: pl.DataFrame, data: JusticeData, stages: Collection[str]
) -> pl.DataFrame:
    """:func:`case_paths` with the events that name no person (a report, an investigation).

    A case is reported and investigated whether or not a suspect is named; events without a
    person belong to no suspect path, so case counts (J2, J16, J17) add them here: each
    case's first date of each of ``stages`` over both, and a joint operation if either was.
    """
    events = data.events.filter(pl.col("person_id").is_null() & pl.col("stage").is_in(stages))
    if events.is_empty():
        return cases
    names = [s for s in SUSPECT_STAGE_NAMES if s in stages]
    unnamed = (
        events.sort("occurred_on")
        .group_by("case_id", maintain_order=True)
        .agg(
            *[
                pl.col("occurred_on").filter(pl.col("stage") == s).min().alias(f"{s}_on")
                for s in names
            ],
            pl.col("joint_operation").fill_null(False).any().alias("joint_operation"),
            pl.col("jurisdiction_id").first(),
        )
    )
    known = unnamed.filter(pl.col("case_id").is_in(cases["case_id"].implode()))
    merged = cases
    if known.height:
        suffix = {c: f"{c}_u" for c in known.columns if c != "case_id"}
        merged = (
            cases.join(known.rename(suffix), on="case_id", how="left")
            .with_columns(
                *[pl.min_horizontal(f"{s}_on", f"{s}_on_u").alias(f"{s}_on") for s in names],
                (pl.col("joint_operation") | pl.col("joint_operation_u").fill_null(False)).alias(
                    "joint_operation"
                ),
            )
            .drop(list(suffix.values()))
        )
    new = unnamed.filter(~pl.col("case_id").is_in(cases["case_id"].implode()))
    if new.is_empty():
        return merged
    wanted = [
        c for c in cases.columns if c in ("exploitation_type", "minor", "status", "cross_border")
    ]
    if wanted:
        new = new.join(_case_attributes(data).select("case_id", *wanted), on="case_id", how="left")
    if "jurisdiction" in cases.columns:
        new = new.join(_jurisdiction_labels(data), on="jurisdiction_id", how="left")
    dates = [f"{s}_on" for s in names]
    new = new.drop("jurisdiction_id").with_columns(
        pl.min_horizontal(*dates).alias("entry_on"), pl.lit("Unknown").alias("sex")
    )
    return pl.concat([merged, new], how="diagonal_relaxed")


__all__ = [
    "AFTERCARE_STEPS",
    "REINTEGRATION_STEPS",
    "SUSPECT_STAGE_NAMES",
    "case_paths",
    "suspect_paths",
    "suspect_paths_with",
    "victim_paths",
    "victim_paths_with",
    "with_unnamed_events",
]
