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

from collections.abc import Callable

import numpy as np
import polars as pl

from uncounted.domain.stages import SUSPECT_STAGES, Stage
from uncounted.justice._pivot import first_rows, gather, rows_or_max
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


def _memo(name: str, data: JusticeData, build: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    if name not in data.derived:
        data.derived[name] = build()
    return data.derived[name]


def _case_attributes(data: JusticeData) -> pl.DataFrame:
    """Per case: exploitation type, status, opened date, any minor victim, cross-border link."""
    return _memo("cases", data, lambda: _build_case_attributes(data))


def _build_case_attributes(data: JusticeData) -> pl.DataFrame:
    minors = (
        data.case_persons.filter(pl.col("role") == "victim")
        .group_by("case_id")
        .agg(pl.col("minor_at_exploitation").fill_null(False).any().alias("minor"))
    )
    links = pl.concat(
        [
            data.case_links.select(pl.col("case_id")),
            data.case_links.select(pl.col("linked_case_id").alias("case_id")),
        ]
    ).unique()
    charged = data.events.filter(pl.col("stage") == "charge")["case_id"].unique()
    return (
        data.cases.select(
            pl.col("id").alias("case_id"),
            "exploitation_type",
            "status",
            "opened_on",
        )
        .join(minors, on="case_id", how="left")
        .with_columns(
            pl.col("minor").fill_null(False),
            pl.col("case_id").is_in(links["case_id"].implode()).alias("cross_border"),
            pl.col("case_id").is_in(charged.implode()).alias("prosecuted"),
        )
    )


def _key() -> pl.Expr:
    """One integer per (case, person): grouping on one column is much faster than on two."""
    return (pl.col("case_id") * (1 << 32) + pl.col("person_id")).alias("_key")


def _with_roles(data: JusticeData) -> pl.DataFrame:
    """Events with the person's role in the case: victim when ``case_persons`` lists them as
    a victim there (or, unlisted, for an identification event), suspect otherwise."""
    return _memo("events", data, lambda: _build_roles(data))


def _build_roles(data: JusticeData) -> pl.DataFrame:
    victims = data.case_persons.filter(pl.col("role") == "victim").select(_key())["_key"]
    is_victim = _key().is_in(victims.implode()) | (
        (pl.col("stage") == str(Stage.IDENTIFICATION)) & pl.col("person_id").is_not_null()
    )
    return data.events.with_columns(
        _key(), pl.when(is_victim).then(pl.lit("victim")).otherwise(pl.lit("suspect")).alias("role")
    )


_CODE = {name: i for i, name in enumerate(SUSPECT_STAGE_NAMES)}


def suspect_paths(data: JusticeData) -> pl.DataFrame:
    """One row per suspect per case: the date of each stage and what happened there.

    Columns: ``case_id, person_id, jurisdiction, exploitation_type, sex, minor, status,
    cross_border, <stage>_on`` for every suspect stage, ``charge_offence, verdict_outcome,
    verdict_offence, sentence_months, custodial, appeal_outcome, joint_operation``.
    ``minor`` is true when any victim in the case was a minor at exploitation.
    """
    return _memo("suspects", data, lambda: _build_suspects(data))


def _build_suspects(data: JusticeData) -> pl.DataFrame:
    stage = pl.col("stage").replace_strict(_CODE, default=-1, return_dtype=pl.Int8)
    events = (
        _with_roles(data)
        .filter((pl.col("role") == "suspect") & pl.col("_key").is_not_null())
        .with_columns(stage.alias("_stage"))
        .filter(pl.col("_stage") >= 0)
    )
    keys, rows = first_rows(events, len(_CODE))
    first_any = rows_or_max(rows).min(axis=0, initial=np.iinfo(np.int64).max)
    code = _CODE.__getitem__
    paths = pl.DataFrame(
        [
            pl.Series("case_id", keys >> 32),
            pl.Series("person_id", keys & ((1 << 32) - 1)),
            gather(events["jurisdiction_id"], first_any, "jurisdiction_id"),
            *[gather(events["occurred_on"], rows[i], f"{name}_on") for name, i in _CODE.items()],
            gather(events["offence"], rows[code("charge")], "charge_offence"),
            gather(events["outcome"], rows[code("verdict")], "verdict_outcome"),
            gather(events["offence"], rows[code("verdict")], "verdict_offence"),
            gather(events["sentence_months"], rows[code("sentence")], "sentence_months"),
            gather(events["custodial"], rows[code("sentence")], "custodial"),
            gather(events["outcome"], rows[code("appeal")], "appeal_outcome"),
            gather(events["joint_operation"], rows[code("investigation")], "joint_operation"),
        ]
    ).lazy()
    sexes = data.persons.lazy().select(pl.col("id").alias("person_id"), "sex")
    return (
        paths.join(_jurisdiction_labels(data).lazy(), on="jurisdiction_id", how="left")
        .join(_case_attributes(data).lazy(), on="case_id", how="left")
        .join(sexes, on="person_id", how="left")
        .with_columns(
            pl.min_horizontal([f"{s}_on" for s in SUSPECT_STAGE_NAMES]).alias("entry_on"),
            pl.col("sex").fill_null("Unknown"),
            pl.col("joint_operation").fill_null(False),
        )
        .drop("jurisdiction_id")
        .collect()
    )


def victim_paths(data: JusticeData) -> pl.DataFrame:
    """One row per victim per case: identification, testimony, aftercare and repatriation.

    Columns: ``case_id, person_id, jurisdiction, exploitation_type, sex, minor,
    cross_border_victim`` (citizenship differs from the jurisdiction's country),
    ``identification_on, testified_on, protective_measures, compensation, aftercare_on,
    repatriated_on, reintegrated_on, prosecuted`` (the case has a charge).
    """
    return _memo("victims", data, lambda: _build_victims(data))


def _build_victims(data: JusticeData) -> pl.DataFrame:
    codes = {"identification": 0, "trial": 1, "verdict": 2}
    stage = pl.col("stage").replace_strict(codes, default=-1, return_dtype=pl.Int8)
    mine = (
        _with_roles(data)
        .filter((pl.col("role") == "victim") & pl.col("_key").is_not_null())
        .with_columns(stage.alias("_stage"))
        .filter(pl.col("_stage") >= 0)
    )
    keys, rows = first_rows(mine, len(codes))
    first_any = rows_or_max(rows).min(axis=0, initial=np.iinfo(np.int64).max)
    paths = (
        pl.DataFrame(
            [
                pl.Series("_key", keys),
                pl.Series("case_id", keys >> 32),
                pl.Series("person_id", keys & ((1 << 32) - 1)),
                gather(mine["jurisdiction_id"], first_any, "jurisdiction_id"),
                gather(mine["occurred_on"], rows[0], "identification_on"),
                gather(mine["occurred_on"], rows[1], "testified_on"),
                gather(mine["protective_measures"], rows[1], "protective_measures"),
                gather(mine["compensation"], rows[1], "_compensated_at_trial"),
                gather(mine["compensation"], rows[2], "_compensated_at_verdict"),
            ]
        )
        .lazy()
        .with_columns(
            pl.col("protective_measures").fill_null(False),
            (
                pl.col("_compensated_at_trial").fill_null(False)
                | pl.col("_compensated_at_verdict").fill_null(False)
            ).alias("compensation"),
        )
        .drop("_compensated_at_trial", "_compensated_at_verdict")
    )
    step = pl.col("step")
    steps = (
        data.aftercare_steps.lazy()
        .select(
            _key(),
            pl.when(step.is_in(AFTERCARE_STEPS)).then(pl.col("occurred_on")).alias("aftercare_on"),
            pl.when(step == "Repatriated").then(pl.col("occurred_on")).alias("repatriated_on"),
            pl.when(step.is_in(REINTEGRATION_STEPS))
            .then(pl.col("occurred_on"))
            .alias("reintegrated_on"),
        )
        .group_by("_key")
        .agg(pl.all().min())
    )
    victims = (
        data.case_persons.lazy()
        .filter(pl.col("role") == "victim")
        .select(
            _key(),
            pl.col("exploitation_type").alias("victim_exploitation_type")
            if "exploitation_type" in data.case_persons.columns
            else pl.lit(None, pl.String).alias("victim_exploitation_type"),
            pl.col("minor_at_exploitation").fill_null(False).alias("minor"),
        )
        .unique("_key")
    )
    people = data.persons.lazy().select(pl.col("id").alias("person_id"), "sex", "citizenship")
    labels = _jurisdiction_labels(data)
    countries = (
        data.jurisdictions.select(pl.col("id").alias("jurisdiction_id"), "country")
        if data.jurisdictions is not None and "country" in data.jurisdictions.columns
        else labels.rename({"jurisdiction": "country"})
    )
    cases = _case_attributes(data).select("case_id", "exploitation_type", "prosecuted")
    return (
        paths.join(victims, on="_key", how="left")
        .join(labels.lazy(), on="jurisdiction_id", how="left")
        .join(countries.lazy(), on="jurisdiction_id", how="left")
        .join(cases.lazy(), on="case_id", how="left")
        .join(people, on="person_id", how="left")
        .join(steps, on="_key", how="left")
        .with_columns(
            pl.coalesce("victim_exploitation_type", "exploitation_type").alias("exploitation_type"),
            pl.col("minor").fill_null(False),
            pl.col("sex").fill_null("Unknown"),
            (
                pl.col("citizenship").is_not_null() & (pl.col("citizenship") != pl.col("country"))
            ).alias("cross_border_victim"),
            pl.col("prosecuted").fill_null(False),
            pl.col("identification_on").alias("entry_on"),
        )
        .drop("jurisdiction_id", "victim_exploitation_type", "country", "citizenship", "_key")
        .collect()
    )


def case_paths(suspects: pl.DataFrame) -> pl.DataFrame:
    """One row per case: the first date each stage was reached by any of its suspects."""
    dates = [f"{s}_on" for s in SUSPECT_STAGE_NAMES]
    return suspects.group_by("case_id").agg(
        pl.col("jurisdiction").first(),
        pl.col("exploitation_type").first(),
        pl.col("minor").first(),
        pl.col("status").first(),
        pl.col("cross_border").first(),
        pl.col("joint_operation").any(),
        pl.lit("Unknown").alias("sex"),
        *[pl.col(d).min() for d in dates],
        pl.col("entry_on").min(),
    )


__all__ = [
    "AFTERCARE_STEPS",
    "REINTEGRATION_STEPS",
    "SUSPECT_STAGE_NAMES",
    "case_paths",
    "suspect_paths",
    "victim_paths",
]
