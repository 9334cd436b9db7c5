"""Sustainability: a configurable checklist scored per institution and tracked over time.

The question is whether a police unit, prosecutor's office, court or social service will keep
doing the work when programme funding ends. A checklist (YAML, shipped default
``checklists/sustainability.yaml``) lists criteria with a dimension, a weight and levels
0 (not in place), 1 (partly), 2 (fully). An institution's score on a date is the weighted share
of the maximum,

    S = Σ_c w_c · level_c / Σ_c w_c · 2        (criteria not assessed are left out and listed)

and the same per dimension; a band (e.g. "likely sustained" ≥ 0.75) labels it. Bands and
weights are assumptions of the checklist, stated there, not a published standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import polars as pl
import yaml
from pydantic import BaseModel, Field, ValidationError

from uncounted.errors import ImportRejected, InvalidInput, RejectedRow

MAX_LEVEL = 2


class Criterion(BaseModel):
    """One criterion of the checklist."""

    id: str
    dimension: str
    weight: float = Field(gt=0)
    text: str


class Band(BaseModel):
    """A label for scores at or above ``min``."""

    min: float = Field(ge=0, le=1)
    label: str


class Checklist(BaseModel):
    """A sustainability checklist: criteria, levels and bands."""

    id: str
    title: str
    levels: dict[int, str]
    bands: list[Band] = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)

    def band(self, score: float) -> str:
        """The label of the highest band whose minimum ``score`` reaches."""
        for band in sorted(self.bands, key=lambda b: -b.min):
            if score >= band.min:
                return band.label
        return self.bands[-1].label


def load_checklist(text: str | None = None, source: str = "<checklist>") -> Checklist:
    """The checklist in ``text`` (YAML), or the shipped default when ``text`` is None."""
    if text is None:
        text = (
            resources.files("uncounted.evaluation")
            .joinpath("checklists/sustainability.yaml")
            .read_text("utf-8")
        )
        source = "default sustainability checklist"
    try:
        return Checklist.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidInput(f"{source} is not a valid checklist: {exc}") from None


@dataclass(frozen=True)
class SustainabilityScores:
    """Scores per institution and date, per dimension, and the change over time."""

    overall: pl.DataFrame
    by_dimension: pl.DataFrame
    change: pl.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """The scores as plain data."""
        return {
            "overall": self.overall.to_dicts(),
            "by_dimension": self.by_dimension.to_dicts(),
            "change": self.change.to_dicts(),
        }

    def to_frame(self) -> pl.DataFrame:
        """The overall score per institution and date (also ``by_dimension``, ``change``)."""
        return self.overall


def _validate(ratings: pl.DataFrame, checklist: Checklist, source: str) -> None:
    needed = ["institution", "assessed_on", "criterion", "level"]
    missing = [c for c in needed if c not in ratings.columns]
    if missing:
        raise InvalidInput(
            f"The ratings lack column(s) {', '.join(missing)}; expected institution, "
            "assessed_on, criterion, level and optionally evidence."
        )
    known = {c.id for c in checklist.criteria}
    rows: list[RejectedRow] = []
    for i, r in enumerate(ratings.select(needed).iter_rows(named=True), start=2):
        if r["criterion"] not in known:
            rows.append(
                RejectedRow(source, i, "criterion", str(r["criterion"]), "unknown criterion")
            )
        if r["level"] not in checklist.levels:
            reason = f"level must be one of {sorted(checklist.levels)}"
            rows.append(RejectedRow(source, i, "level", str(r["level"]), reason))
    if rows:
        raise ImportRejected(f"{len(rows)} rating(s) cannot be scored.", rows)


def score_sustainability(
    ratings: pl.DataFrame, checklist: Checklist | None = None, source: str = "<ratings>"
) -> SustainabilityScores:
    """Score every institution on every assessment date (formula in the module doc)."""
    cl = checklist or load_checklist()
    _validate(ratings, cl, source)
    crit = pl.DataFrame([c.model_dump() for c in cl.criteria]).rename({"id": "criterion"})
    scored = ratings.join(crit, on="criterion", how="inner").with_columns(
        (pl.col("weight") * pl.col("level")).alias("points"),
        (pl.col("weight") * MAX_LEVEL).alias("max_points"),
    )
    keys = ["institution", "assessed_on"]
    overall = (
        scored.group_by(keys)
        .agg(
            (pl.col("points").sum() / pl.col("max_points").sum()).alias("score"),
            pl.len().alias("criteria_assessed"),
            pl.col("criterion").alias("assessed"),
        )
        .with_columns(
            pl.col("score").map_elements(cl.band, return_dtype=pl.String).alias("band"),
            pl.col("assessed")
            .map_elements(
                lambda got: sorted({c.id for c in cl.criteria} - set(got)),
                return_dtype=pl.List(pl.String),
            )
            .alias("not_assessed"),
        )
        .drop("assessed")
        .sort(keys)
    )
    by_dim = (
        scored.group_by([*keys, "dimension"])
        .agg((pl.col("points").sum() / pl.col("max_points").sum()).alias("score"))
        .sort([*keys, "dimension"])
    )
    change = (
        overall.group_by("institution")
        .agg(
            pl.col("assessed_on").first().alias("first_on"),
            pl.col("score").first().alias("first_score"),
            pl.col("assessed_on").last().alias("latest_on"),
            pl.col("score").last().alias("latest_score"),
            pl.col("band").last().alias("latest_band"),
        )
        .with_columns((pl.col("latest_score") - pl.col("first_score")).alias("change"))
        .sort("institution")
    )
    return SustainabilityScores(overall, by_dim, change)


__all__ = [
    "Band",
    "Checklist",
    "Criterion",
    "SustainabilityScores",
    "load_checklist",
    "score_sustainability",
]
