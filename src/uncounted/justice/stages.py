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
        data.case_persons.lazy()
        .filter(pl.col("role") == "victim")
        .group_by("case_id")
        .agg(pl.col("minor_at_exploitation").fill_null(False).any().alias("minor"))
    )
    links = pl.concat(
        [
            data.case_links.select(pl.col("case_id")),
            data.case_links.select(pl.col("linked_case_id").alias("case_id")),
        ]
    ).unique()
    charged = data.events["case_id"].filter(_events(data)["_stage"] == _CODE["charge"]).unique()
    return (
        data.cases.lazy()
        .select(
            pl.col("id").alias("case_id"),
            "exploitation_type",
            "status",
            "opened_on",
        )
        .join(minors, on="case_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("minor").fill_null(False),
            pl.col("case_id").is_in(links["case_id"].implode()).alias("cross_border"),
            pl.col("case_id").is_in(charged.implode()).alias("prosecuted"),
        )
        .collect()
    )


def _key() -> pl.Expr:
    """One integer per (case, person): grouping on one column is much faster than on two."""
    return (pl.col("case_id") * (1 << 32) + pl.col("person_id")).alias("_key")


#: Integer code of each stage the paths read (the suspect stages in order, then
#: identification); other stages get −1.
_CODE = {name: i for i, name in enumerate(SUSPECT_STAGE_NAMES)}
_IDENTIFICATION = len(_CODE)
_ROW_BITS = 34  # event rows are packed below the day: up to 17 billion events
_ROW_MASK = (1 << _ROW_BITS) - 1


def _events(data: JusticeData) -> pl.DataFrame:
    """Per event, in the events' order: ``_key`` (case, person), ``_stage`` (integer code),
    ``_victim`` and ``_order`` = (day − first day) · 2³⁴ + row, whose minimum over a set of
    events is the earliest one (ties: the first row) and whose low bits give its row."""
    return _memo("events", data, lambda: _build_events(data))


def _build_events(data: JusticeData) -> pl.DataFrame:
    # The person's role in the case: victim when case_persons lists them as a victim there
    # (or, unlisted, for an identification event), suspect otherwise.
    victims = data.case_persons.filter(pl.col("role") == "victim").select(_key())["_key"]
    codes = {**_CODE, str(Stage.IDENTIFICATION): _IDENTIFICATION}
    stage = pl.col("stage").replace_strict(codes, default=-1, return_dtype=pl.Int8)
    day = pl.col("occurred_on").cast(pl.Int32).cast(pl.Int64)
    return (
        data.events.lazy()
        .select(
            _key(),
            stage.alias("_stage"),
            ((day - day.min()) * (1 << _ROW_BITS) + pl.int_range(pl.len(), dtype=pl.Int64)).alias(
                "_order"
            ),
            pl.col("person_id").is_not_null().alias("_person"),
        )
        .with_columns(
            (
                pl.col("_key").is_in(victims.implode()).fill_null(False)
                | ((pl.col("_stage") == _IDENTIFICATION) & pl.col("_person"))
            ).alias("_victim")
        )
        .drop("_person")
        .collect()
    )


def _first_rows(data: JusticeData, victim: bool, codes: dict[str, int]) -> pl.DataFrame:
    """Per (case, person) of the role, sorted by key: for each stage in ``codes`` the
    ``_order`` of its earliest event (null if never reached), and ``_first`` over them all."""
    role = pl.col("_victim") if victim else ~pl.col("_victim")
    return (
        _events(data)
        .lazy()
        .filter(role & pl.col("_key").is_not_null() & pl.col("_stage").is_in(list(codes.values())))
        .group_by("_key")
        .agg(
            pl.when(pl.col("_stage") == code).then(pl.col("_order")).min().alias(name)
            for name, code in codes.items()
        )
        .with_columns(pl.min_horizontal(list(codes)).alias("_first"))
        .sort("_key")
        .collect()
    )


def _row(stage: str) -> pl.Expr:
    """The event row of a stage's ``_order`` value (null stays null)."""
    return pl.col(stage) & _ROW_MASK


def _date(stage: str, first_day: int, name: str) -> pl.Expr:
    """The event date of a stage's ``_order`` value (null stays null)."""
    day = pl.col(stage) // (1 << _ROW_BITS) + first_day
    return day.cast(pl.Int32).cast(pl.Date).alias(name)


def _case_person(key: str = "_key") -> list[pl.Expr]:
    """``case_id`` and ``person_id`` back from the packed key."""
    return [
        (pl.col(key) // (1 << 32)).alias("case_id"),
        (pl.col(key) & ((1 << 32) - 1)).alias("person_id"),
    ]


def _first_day(data: JusticeData) -> int:
    day = data.events["occurred_on"].cast(pl.Int32).min()
    return int(day) if isinstance(day, int) else 0


def _attach(paths: pl.DataFrame, table: pl.DataFrame, on: str) -> pl.DataFrame:
    """``paths`` left-joined to ``table`` on ``on`` (unique in ``table``), rows kept in order.

    A binary search in ``table`` sorted by ``on`` stands in for the hash join, which takes
    about twice as long when it has to keep the left order (and unordered paths would make
    :func:`case_paths`' first-suspect attributes arbitrary).
    """
    table = table.filter(pl.col(on).is_not_null())  # null keys never match in a join
    if table.is_empty() or table.schema[on] != paths.schema[on]:
        return paths.join(table, on=on, how="left", maintain_order="left")
    if not table[on].is_sorted():
        table = table.sort(on)
    ids, query = table[on], paths[on]
    pos = ids.search_sorted(query, side="left").clip(upper_bound=table.height - 1)
    index = pl.select(pl.when(ids.gather(pos) == query).then(pos)).to_series()
    return paths.hstack(table.drop(on).select(pl.all().gather(index)))


def suspect_paths(data: JusticeData) -> pl.DataFrame:
    """One row per suspect per case: the date of each stage and what happened there.

    Columns: ``case_id, person_id, jurisdiction, exploitation_type, sex, minor, status,
    cross_border, <stage>_on`` for every suspect stage, ``charge_offence, verdict_outcome,
    verdict_offence, sentence_months, custodial, appeal_outcome, joint_operation``.
    ``minor`` is true when any victim in the case was a minor at exploitation.
    """
    return _memo("suspects", data, lambda: _build_suspects(data))


def _build_suspects(data: JusticeData) -> pl.DataFrame:
    best = _first_rows(data, victim=False, codes=_CODE)
    ev, day0 = data.events, _first_day(data)
    rows = best.select(_row(c) for c in ("_first", *_CODE))

    def at(column: str, stage: str, name: str) -> pl.Series:
        return ev[column].gather(rows[stage]).alias(name)

    paths = best.select(
        *_case_person(),
        ev["jurisdiction_id"].gather(rows["_first"]).alias("jurisdiction_id"),
        *[_date(name, day0, f"{name}_on") for name in _CODE],
        at("offence", "charge", "charge_offence"),
        at("outcome", "verdict", "verdict_outcome"),
        at("offence", "verdict", "verdict_offence"),
        at("sentence_months", "sentence", "sentence_months"),
        at("custodial", "sentence", "custodial"),
        at("outcome", "appeal", "appeal_outcome"),
        at("joint_operation", "investigation", "joint_operation"),
    ).join(_jurisdiction_labels(data), on="jurisdiction_id", how="left", maintain_order="left")
    paths = _attach(paths, _case_attributes(data), "case_id")
    sexes = data.persons.select(pl.col("id").alias("person_id"), "sex")
    return (
        _attach(paths, sexes, "person_id")
        .lazy()
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
    codes = {
        "identification": _IDENTIFICATION,
        "trial": _CODE["trial"],
        "verdict": _CODE["verdict"],
    }
    best = _first_rows(data, victim=True, codes=codes)
    ev, day0 = data.events, _first_day(data)
    rows = best.select(_row(c) for c in ("_first", *codes))
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
        .collect()
    )
    paths = (
        best.select(
            "_key",
            *_case_person(),
            ev["jurisdiction_id"].gather(rows["_first"]).alias("jurisdiction_id"),
            _date("identification", day0, "identification_on"),
            _date("trial", day0, "testified_on"),
            ev["protective_measures"].gather(rows["trial"]),
            ev["compensation"].gather(rows["trial"]).alias("_compensated_at_trial"),
            ev["compensation"].gather(rows["verdict"]).alias("_compensated_at_verdict"),
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
        .collect()
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
        .collect()
    )
    people = data.persons.select(pl.col("id").alias("person_id"), "sex", "citizenship")
    labels = _jurisdiction_labels(data)
    countries = (
        data.jurisdictions.select(pl.col("id").alias("jurisdiction_id"), "country")
        if data.jurisdictions is not None and "country" in data.jurisdictions.columns
        else labels.rename({"jurisdiction": "country"})
    )
    cases = _case_attributes(data).select("case_id", "exploitation_type", "prosecuted")
    paths = _attach(paths, victims, "_key")
    paths = paths.join(labels, on="jurisdiction_id", how="left", maintain_order="left").join(
        countries, on="jurisdiction_id", how="left", maintain_order="left"
    )
    paths = _attach(_attach(_attach(paths, cases, "case_id"), people, "person_id"), steps, "_key")
    return (
        paths.lazy()
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
    """One row per case: the first date each stage was reached by any of its suspects.

    Case attributes are those of the case's first suspect row; ``joint_operation`` is true
    when any suspect's investigation was a joint operation.
    """
    dates = [*(f"{s}_on" for s in SUSPECT_STAGE_NAMES), "entry_on"]
    firsts = ["jurisdiction", "exploitation_type", "minor", "status", "cross_border"]
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


__all__ = [
    "AFTERCARE_STEPS",
    "REINTEGRATION_STEPS",
    "SUSPECT_STAGE_NAMES",
    "case_paths",
    "suspect_paths",
    "victim_paths",
]
