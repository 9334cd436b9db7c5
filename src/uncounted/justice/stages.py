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

import polars as pl

from uncounted.domain.stages import SUSPECT_STAGES, Stage
from uncounted.justice.data import JusticeData

#: Suspect stage names in order, as they appear in ``justice_events.stage``.
SUSPECT_STAGE_NAMES: tuple[str, ...] = tuple(str(s) for s in SUSPECT_STAGES)

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
        )
    )


def _key() -> pl.Expr:
    """One integer per (case, person): grouping on one column is much faster than on two."""
    return (pl.col("case_id") * (1 << 32) + pl.col("person_id")).alias("_key")


def _with_roles(data: JusticeData) -> pl.DataFrame:
    """Events with the person's role in the case: victim when ``case_persons`` lists them as
    a victim there (or, unlisted, for an identification event), suspect otherwise."""
    victims = data.case_persons.filter(pl.col("role") == "victim").select(_key())["_key"]
    is_victim = _key().is_in(victims.implode()) | (
        (pl.col("stage") == str(Stage.IDENTIFICATION)) & pl.col("person_id").is_not_null()
    )
    return data.events.with_columns(
        _key(), pl.when(is_victim).then(pl.lit("victim")).otherwise(pl.lit("suspect")).alias("role")
    )


def _first(stage: str, column: str) -> pl.Expr:
    return pl.col(column).filter(pl.col("stage") == stage).first()


def suspect_paths(data: JusticeData) -> pl.DataFrame:
    """One row per suspect per case: the date of each stage and what happened there.

    Columns: ``case_id, person_id, jurisdiction, exploitation_type, sex, minor, status,
    cross_border, <stage>_on`` for every suspect stage, ``charge_offence, verdict_outcome,
    verdict_offence, sentence_months, custodial, appeal_outcome, joint_operation``.
    ``minor`` is true when any victim in the case was a minor at exploitation.
    """
    events = _with_roles(data).filter(pl.col("role") == "suspect")
    events = events.filter(pl.col("stage").is_in(SUSPECT_STAGE_NAMES)).sort("occurred_on")
    paths = events.group_by("_key").agg(
        pl.col("case_id").first(),
        pl.col("person_id").first(),
        pl.col("jurisdiction_id").first(),
        *[
            pl.col("occurred_on").filter(pl.col("stage") == s).min().alias(f"{s}_on")
            for s in SUSPECT_STAGE_NAMES
        ],
        _first("charge", "offence").alias("charge_offence"),
        _first("verdict", "outcome").alias("verdict_outcome"),
        _first("verdict", "offence").alias("verdict_offence"),
        _first("sentence", "sentence_months").alias("sentence_months"),
        _first("sentence", "custodial").alias("custodial"),
        _first("appeal", "outcome").alias("appeal_outcome"),
        pl.col("joint_operation").filter(pl.col("stage") == "investigation").any(),
    )
    sexes = data.persons.select(pl.col("id").alias("person_id"), "sex")
    return (
        paths.join(_jurisdiction_labels(data), on="jurisdiction_id", how="left")
        .join(_case_attributes(data), on="case_id", how="left")
        .join(sexes, on="person_id", how="left")
        .with_columns(
            pl.min_horizontal([f"{s}_on" for s in SUSPECT_STAGE_NAMES]).alias("entry_on"),
            pl.col("sex").fill_null("Unknown"),
        )
        .drop("jurisdiction_id", "_key")
    )


def victim_paths(data: JusticeData) -> pl.DataFrame:
    """One row per victim per case: identification, testimony, aftercare and repatriation.

    Columns: ``case_id, person_id, jurisdiction, exploitation_type, sex, minor,
    cross_border_victim`` (citizenship differs from the jurisdiction's country),
    ``identification_on, testified_on, protective_measures, compensation, aftercare_on,
    repatriated_on, prosecuted`` (the case has a charge).
    """
    events = _with_roles(data)
    victim_events = events.filter(pl.col("role") == "victim").sort("occurred_on")
    paths = victim_events.group_by("_key").agg(
        pl.col("case_id").first(),
        pl.col("person_id").first(),
        pl.col("jurisdiction_id").first(),
        pl.col("occurred_on")
        .filter(pl.col("stage") == "identification")
        .min()
        .alias("identification_on"),
        pl.col("occurred_on").filter(pl.col("stage") == "trial").min().alias("testified_on"),
        pl.col("protective_measures").filter(pl.col("stage") == "trial").any(),
        pl.col("compensation").filter(pl.col("stage").is_in(["trial", "verdict"])).any(),
    )
    charged = events.filter(pl.col("stage") == "charge").select("case_id").unique()
    steps = data.aftercare_steps.group_by("case_id", "person_id").agg(
        pl.col("occurred_on")
        .filter(pl.col("step").is_in(AFTERCARE_STEPS))
        .min()
        .alias("aftercare_on"),
        pl.col("occurred_on").filter(pl.col("step") == "Repatriated").min().alias("repatriated_on"),
    )
    victims = data.case_persons.filter(pl.col("role") == "victim").select(
        "case_id",
        "person_id",
        pl.col("exploitation_type").alias("victim_exploitation_type")
        if "exploitation_type" in data.case_persons.columns
        else pl.lit(None, pl.String).alias("victim_exploitation_type"),
        pl.col("minor_at_exploitation").fill_null(False).alias("minor"),
    )
    people = data.persons.select(pl.col("id").alias("person_id"), "sex", "citizenship")
    labels = _jurisdiction_labels(data)
    countries = (
        data.jurisdictions.select(pl.col("id").alias("jurisdiction_id"), "country")
        if data.jurisdictions is not None and "country" in data.jurisdictions.columns
        else labels.rename({"jurisdiction": "country"})
    )
    cases = _case_attributes(data).select("case_id", "exploitation_type")
    return (
        paths.join(victims, on=["case_id", "person_id"], how="left")
        .join(labels, on="jurisdiction_id", how="left")
        .join(countries, on="jurisdiction_id", how="left")
        .join(cases, on="case_id", how="left")
        .join(people, on="person_id", how="left")
        .join(steps, on=["case_id", "person_id"], how="left")
        .with_columns(
            pl.coalesce("victim_exploitation_type", "exploitation_type").alias("exploitation_type"),
            pl.col("minor").fill_null(False),
            pl.col("sex").fill_null("Unknown"),
            (
                pl.col("citizenship").is_not_null() & (pl.col("citizenship") != pl.col("country"))
            ).alias("cross_border_victim"),
            pl.col("case_id").is_in(charged["case_id"].implode()).alias("prosecuted"),
            pl.col("identification_on").alias("entry_on"),
        )
        .drop("jurisdiction_id", "victim_exploitation_type", "country", "citizenship", "_key")
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
    "SUSPECT_STAGE_NAMES",
    "case_paths",
    "suspect_paths",
    "victim_paths",
]
