"""Scoring assessments: items → domain means → profile, status and case-plan flags.

For an assessment and a domain ``d`` with items ``I_d``, of which ``A ⊆ I_d`` are answered,

    score_d = (1/|A|) Σ_{i∈A} x_i      if |A| ≥ min_answered_share · |I_d|, else missing,

(the mean of the answered items; the default share is one half). A domain is *stable* when
``score_d ≥ θ`` (θ the instrument's threshold, 3.0 by default, an assumption), *below
threshold* otherwise, *missing* when too few items were answered. An assessment is
*restored* when every domain is stable (rule ``all_domains``), unknown when a domain is
missing. Each domain below θ suggests its HTCDS support-plan types for the case plan.

Input frames follow the store: ``assessments`` (``id``, ``person_id``, ``instrument_id``,
``assessed_on``, …) and ``items`` (``assessment_id``, ``item``, ``score``; a null score is an
unanswered item, as is an item with no row). Source of the scoring rule: the reference
practice of survivor-outcome assessments (domain = mean of sub-domains, rated 1–4).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from uncounted.errors import (
    DataQualityWarning,
    ImportRejected,
    InvalidInput,
    NotFound,
    RejectedRow,
)
from uncounted.survivors.instrument import Instrument

STABLE, BELOW, MISSING = "stable", "below_threshold", "missing"
_MAX_LISTED = 5


def _require(frame: pl.DataFrame, columns: tuple[str, ...], name: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise InvalidInput(f"The {name} frame lacks column(s) {', '.join(absent)}.")


def _own_assessments(assessments: pl.DataFrame, instrument: Instrument) -> pl.DataFrame:
    _require(assessments, ("id", "person_id", "assessed_on"), "assessments")
    if "instrument_id" not in assessments.columns:
        return assessments
    own = assessments.filter(pl.col("instrument_id") == instrument.id)
    if own.height < assessments.height:
        others = sorted(set(assessments["instrument_id"].drop_nulls()) - {instrument.id})
        warnings.warn(
            f"{assessments.height - own.height} assessment(s) use another instrument "
            f"({', '.join(others) or 'none recorded'}) and were left out of the "
            f"{instrument.id!r} scores.",
            DataQualityWarning,
            stacklevel=3,
        )
    return own


def validate_scores(assessments: pl.DataFrame, items: pl.DataFrame, instrument: Instrument) -> None:
    """Reject unknown items and scores off the scale, naming survivor, item and value.

    Raises :class:`ImportRejected` carrying one :class:`RejectedRow` per bad item row
    (``line`` is the 1-based row of ``items``).
    """
    _require(items, ("assessment_id", "item", "score"), "items")
    own = _own_assessments(assessments, instrument)
    known = instrument.domain_of_item
    lo, hi = instrument.scale.min, instrument.scale.max
    person = dict(zip(own["id"].to_list(), own["person_id"].to_list(), strict=True))
    bad: list[RejectedRow] = []
    rows = items.select("assessment_id", "item", "score").iter_rows()
    for line, (aid, item, score) in enumerate(rows, start=1):
        if aid not in person:
            continue  # an item of another instrument's assessment
        who = f"survivor {person[aid]}, assessment {aid}"
        if item not in known:
            reason = f"{who}: unknown item {item!r} for instrument {instrument.id!r}"
            bad.append(RejectedRow("assessment_items", line, "item", str(item), reason))
        elif score is not None and (score != int(score) or not lo <= score <= hi):
            shown = str(int(score)) if score == int(score) else str(score)
            reason = f"{who}, item {item!r}: score {shown} is not on the {lo}–{hi} scale"
            bad.append(RejectedRow("assessment_items", line, "score", shown, reason))
    if bad:
        listed = "; ".join(r.reason for r in bad[:_MAX_LISTED])
        more = f" (and {len(bad) - _MAX_LISTED} more)" if len(bad) > _MAX_LISTED else ""
        raise ImportRejected(
            f"{len(bad)} item score(s) rejected: {listed}{more}. Correct them and retry.", bad
        )


def score_domains(
    assessments: pl.DataFrame, items: pl.DataFrame, instrument: Instrument
) -> pl.DataFrame:
    """One row per assessment × domain: items, answered, score, status and a note.

    Columns: ``assessment_id, person_id, assessed_on, domain, n_items, answered, score``
    (null when missing), ``status`` (stable / below_threshold / missing) and ``note`` (why a
    domain is missing). Validates first (see :func:`validate_scores`).
    """
    validate_scores(assessments, items, instrument)
    own = _own_assessments(assessments, instrument).select(
        pl.col("id").alias("assessment_id"), "person_id", "assessed_on"
    )
    layout = pl.DataFrame(
        {
            "domain": [d.id for d in instrument.domains for _ in d.items],
            "item": [i.id for d in instrument.domains for i in d.items],
        }
    )
    sizes = layout.group_by("domain").agg(pl.len().cast(pl.Int64).alias("n_items"))
    answered = (
        items.select("assessment_id", "item", pl.col("score").cast(pl.Float64))
        .drop_nulls("score")
        .join(layout, on="item", how="inner")
        .group_by("assessment_id", "domain")
        .agg(pl.len().cast(pl.Int64).alias("answered"), pl.col("score").mean().alias("mean"))
    )
    share, theta = instrument.restoration.min_answered_share, instrument.threshold
    order = {d: k for k, d in enumerate(instrument.domain_ids)}
    out = (
        own.join(sizes, how="cross")
        .join(answered, on=["assessment_id", "domain"], how="left")
        .with_columns(pl.col("answered").fill_null(0))
        .with_columns(enough=pl.col("answered") >= share * pl.col("n_items"))
        .with_columns(score=pl.when(pl.col("enough")).then(pl.col("mean")))
        .with_columns(
            status=pl.when(pl.col("score").is_null())
            .then(pl.lit(MISSING))
            .when(pl.col("score") >= theta)
            .then(pl.lit(STABLE))
            .otherwise(pl.lit(BELOW)),
            note=pl.when(pl.col("enough"))
            .then(pl.lit(None, dtype=pl.String))
            .otherwise(
                pl.format(
                    "{} of {} items answered; at least half are needed",
                    pl.col("answered"),
                    pl.col("n_items"),
                )
            ),
            _order=pl.col("domain").replace_strict(order, return_dtype=pl.Int64),
        )
    )
    return out.sort("assessment_id", "_order").select(
        "assessment_id",
        "person_id",
        "assessed_on",
        "domain",
        "n_items",
        "answered",
        "score",
        "status",
        "note",
    )


def score_profiles(domain_scores: pl.DataFrame, instrument: Instrument) -> pl.DataFrame:
    """One row per assessment: a column per domain score, ``missing_domains`` and ``restored``.

    ``restored`` is true when every domain is stable, false when one is below threshold and
    none is missing, and null (unknown) when a domain is missing and the rest are stable.
    """
    wide = domain_scores.pivot(
        on="domain",
        index=["assessment_id", "person_id", "assessed_on"],
        values="score",
        aggregate_function="first",
    )
    for d in instrument.domain_ids:
        if d not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(d))
    status = domain_scores.group_by("assessment_id").agg(
        pl.col("domain").filter(pl.col("status") == MISSING).alias("missing_domains"),
        (pl.col("status") == BELOW).any().alias("_below"),
        (pl.col("status") == MISSING).any().alias("_missing"),
    )
    return (
        wide.join(status, on="assessment_id", how="left")
        .with_columns(
            restored=pl.when(pl.col("_below"))
            .then(pl.lit(False))
            .when(pl.col("_missing"))
            .then(pl.lit(None, dtype=pl.Boolean))
            .otherwise(pl.lit(True))
        )
        .select(
            "assessment_id",
            "person_id",
            "assessed_on",
            *instrument.domain_ids,
            "missing_domains",
            "restored",
        )
        .sort("person_id", "assessed_on", "assessment_id")
    )


def case_plan_flags(domain_scores: pl.DataFrame, instrument: Instrument) -> pl.DataFrame:
    """Each domain below threshold, with the support-plan types it suggests.

    Columns: ``assessment_id, person_id, assessed_on, domain, score, support_plan_types``.
    """
    plans = {d.id: list(d.support_plan_types) for d in instrument.domains}
    below = domain_scores.filter(pl.col("status") == BELOW)
    return below.select(
        "assessment_id",
        "person_id",
        "assessed_on",
        "domain",
        "score",
        pl.col("domain")
        .replace_strict(plans, return_dtype=pl.List(pl.String))
        .alias("support_plan_types"),
    )


@dataclass(frozen=True)
class Profile:
    """One assessment scored: domain scores, statuses, notes, restored, case-plan flags."""

    scores: dict[str, float | None]
    status: dict[str, str]
    notes: dict[str, str] = field(default_factory=dict)
    restored: bool | None = None
    support_plan_types: dict[str, list[str]] = field(default_factory=dict)

    @property
    def suggested_services(self) -> list[str]:
        """Every suggested support-plan type, once, in domain order."""
        out: list[str] = []
        for codes in self.support_plan_types.values():
            out.extend(c for c in codes if c not in out)
        return out


def score_assessment(
    scores: Mapping[str, int | None],
    instrument: Instrument,
    survivor: int = 0,
    assessed_on: dt.date | None = None,
) -> Profile:
    """Score one assessment given as ``{item: score}`` (None or absent = unanswered)."""
    assessments = pl.DataFrame(
        {
            "id": [1],
            "person_id": [survivor],
            "instrument_id": [instrument.id],
            "assessed_on": [assessed_on or dt.date.today()],
        }
    )
    items = pl.DataFrame(
        {"assessment_id": [1] * len(scores), "item": list(scores), "score": list(scores.values())},
        schema={"assessment_id": pl.Int64, "item": pl.String, "score": pl.Float64},
    )
    domains = score_domains(assessments, items, instrument)
    profile = score_profiles(domains, instrument).row(0, named=True)
    flags = case_plan_flags(domains, instrument)
    return Profile(
        scores={d: profile[d] for d in instrument.domain_ids},
        status=dict(zip(domains["domain"], domains["status"], strict=True)),
        notes={
            d: n for d, n in zip(domains["domain"], domains["note"], strict=True) if n is not None
        },
        restored=profile["restored"],
        support_plan_types=dict(
            zip(flags["domain"], flags["support_plan_types"].to_list(), strict=True)
        ),
    )


@dataclass(frozen=True)
class CasePlan:
    """A survivor's latest assessment scored, with the services its low domains suggest."""

    person_id: int
    assessment_id: int
    assessed_on: dt.date
    assessments: int
    profile: Profile


def latest_case_plan(
    assessments: pl.DataFrame, items: pl.DataFrame, instrument: Instrument, person_id: int
) -> CasePlan:
    """The case plan from ``person_id``'s latest assessment with ``instrument``."""
    own = assessments.filter(pl.col("person_id") == person_id)
    if "instrument_id" in own.columns:
        own = own.filter(pl.col("instrument_id") == instrument.id)
    if own.is_empty():
        raise NotFound(
            f"Survivor {person_id} has no assessment with {instrument.id!r}; "
            "check the id or record an intake assessment."
        )
    latest = own.sort("assessed_on", "id").row(-1, named=True)
    scores = items.filter(pl.col("assessment_id") == latest["id"])
    profile = score_assessment(
        dict(zip(scores["item"].to_list(), scores["score"].to_list(), strict=True)),
        instrument,
        survivor=person_id,
        assessed_on=latest["assessed_on"],
    )
    return CasePlan(person_id, latest["id"], latest["assessed_on"], own.height, profile)


__all__ = [
    "BELOW",
    "MISSING",
    "STABLE",
    "CasePlan",
    "Profile",
    "case_plan_flags",
    "latest_case_plan",
    "score_assessment",
    "score_domains",
    "score_profiles",
    "validate_scores",
]
