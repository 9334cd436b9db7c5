"""Exploitation-free zones: certify a set of jurisdictions on agreed metrics.

A zone (e.g. a source country, a destination country and the recruitment corridor between
them) is described in YAML: its jurisdictions, the period, and the metrics agreed with their
thresholds::

    name: Mekong fishing corridor
    jurisdictions: [KH, TH]
    period: "2024"
    metrics:
      - id: J5                 # metric id from the catalogue (uncounted metrics)
        variant: trafficking   # which row of the indicator (see `uncounted indicators`)
        operator: ">="
        threshold: 0.5
        judge_on: lower        # value | lower | upper: the point estimate or an interval end
        scope: each            # each jurisdiction must meet it, or `zone` (pooled)
        required: true         # a failed required metric means "not certified"
        min_denominator: 10    # fewer cases than this: "insufficient data"

Each metric is judged per jurisdiction (or pooled) as **met**, **not met** or **insufficient
data**. The zone is **certified** when every metric is met everywhere it applies;
**not certified** when any required metric is not met; otherwise **provisional** (only
optional metrics failed, or data were insufficient). Judging on the lower end of an interval
(``judge_on: lower`` with ``>=``) certifies only what the data show beyond sampling noise.

The assessment keeps an evidence trail: every number used, with its numerator, denominator,
interval, the rule applied and the metric's catalogue definition.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl
import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from uncounted.errors import InvalidInput

Status = Literal["met", "not met", "insufficient data"]
ZoneStatus = Literal["certified", "provisional", "not certified"]
POOLED = "*"

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": op.ge,
    ">": op.gt,
    "<=": op.le,
    "<": op.lt,
}


class ZoneMetric(BaseModel):
    """One agreed metric of a zone, with its threshold and how it is judged."""

    id: str
    variant: str | None = None
    operator: Literal[">=", ">", "<=", "<"] = ">="
    threshold: float
    judge_on: Literal["value", "lower", "upper"] = "value"
    scope: Literal["each", "zone"] = "each"
    required: bool = True
    min_denominator: int = Field(default=10, ge=0)


class ZoneSpec(BaseModel):
    """A zone: a name, its jurisdictions (ISO 3166 codes), the period and its metrics."""

    name: str
    jurisdictions: list[str] = Field(min_length=1)
    period: str
    metrics: list[ZoneMetric] = Field(min_length=1)

    @field_validator("jurisdictions")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [v.strip().upper() for v in value]


def parse_zone(text: str, source: str = "<zone>") -> ZoneSpec:
    """Parse a zone from YAML text; raise :class:`InvalidInput` naming every problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{source} must be a mapping with name, jurisdictions, period, metrics.")
    if "period" in raw:
        raw["period"] = str(raw["period"])
    try:
        return ZoneSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"{source} is not a valid zone: {problems}.") from None


@dataclass(frozen=True)
class ZoneAssessment:
    """The outcome of assessing a zone, with its evidence trail."""

    spec: ZoneSpec
    status: ZoneStatus
    metrics: pl.DataFrame  # one row per metric: id, variant, required, status
    evidence: pl.DataFrame  # one row per number judged

    def to_dict(self) -> dict[str, Any]:
        """The assessment as plain data."""
        return {
            "zone": self.spec.name,
            "jurisdictions": self.spec.jurisdictions,
            "period": self.spec.period,
            "status": self.status,
            "metrics": self.metrics.to_dicts(),
            "evidence": self.evidence.to_dicts(),
        }

    def to_frame(self) -> pl.DataFrame:
        """One row per metric with its status (the numbers judged are ``evidence``)."""
        return self.metrics


def _definition(metric_id: str) -> str:
    from uncounted.metrics import metric

    try:
        return metric(metric_id).definition
    except Exception:  # a metric outside the catalogue keeps an empty definition
        return ""


def assess_zone(spec: ZoneSpec, values: pl.DataFrame) -> ZoneAssessment:
    """Judge every metric of ``spec`` on ``values`` and decide the zone's status.

    ``values`` is a long frame of indicator values with columns ``jurisdiction`` (ISO code, or
    ``"*"`` for the zone pooled), ``indicator``, ``variant``, ``value``, ``lower``, ``upper``,
    ``numerator``, ``denominator`` — the shape of ``uncounted.justice.indicators`` by
    jurisdiction (see :func:`zone_values`).
    """
    needed = {"jurisdiction", "indicator", "value", "lower", "upper", "denominator"}
    missing = sorted(needed - set(values.columns))
    if missing:
        raise InvalidInput(f"The indicator values lack column(s) {', '.join(missing)}.")
    evidence: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    for m in spec.metrics:
        places = [POOLED] if m.scope == "zone" else spec.jurisdictions
        rows = values.filter(pl.col("indicator") == m.id)
        if m.variant is not None and "variant" in rows.columns:
            rows = rows.filter(pl.col("variant") == m.variant)
        outcomes: list[Status] = []
        for place in places:
            row = rows.filter(pl.col("jurisdiction") == place)
            record = _judge(m, place, row, spec.period)
            evidence.append(record)
            outcomes.append(record["status"])
        status: Status = (
            "not met"
            if "not met" in outcomes
            else "insufficient data"
            if "insufficient data" in outcomes
            else "met"
        )
        summary.append(
            {
                "id": m.id,
                "variant": m.variant,
                "rule": f"{m.judge_on} {m.operator} {m.threshold}",
                "scope": m.scope,
                "required": m.required,
                "status": status,
            }
        )
    statuses = [(s["required"], s["status"]) for s in summary]
    if any(req and st == "not met" for req, st in statuses):
        zone: ZoneStatus = "not certified"
    elif all(st == "met" for _, st in statuses):
        zone = "certified"
    else:
        zone = "provisional"
    return ZoneAssessment(spec, zone, pl.DataFrame(summary), pl.DataFrame(evidence))


def zone_values(spec: ZoneSpec, tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The justice indicators of the zone's period, per jurisdiction and pooled (``"*"``).

    ``tables`` are frames named after the store's tables (as for
    :meth:`uncounted.justice.JusticeData.from_tables`); only cases owned by a jurisdiction of
    the zone are counted.
    """
    from uncounted.justice import JusticeData, indicators

    places = tables.get("jurisdictions")
    if places is None:
        raise InvalidInput("Assessing a zone needs the 'jurisdictions' table.")
    unknown = sorted(set(spec.jurisdictions) - set(places["country"].to_list()))
    if unknown:
        raise InvalidInput(
            f"The zone names jurisdiction(s) {', '.join(unknown)} that the data do not have."
        )
    ids = places.filter(pl.col("country").is_in(spec.jurisdictions))["id"]
    cases = tables["cases"].filter(pl.col("jurisdiction_id").is_in(ids.implode()))
    keep = cases["id"].implode()
    scoped = {
        **tables,
        "cases": cases,
        "justice_events": tables["justice_events"].filter(pl.col("case_id").is_in(keep)),
        "case_persons": tables["case_persons"].filter(pl.col("case_id").is_in(keep)),
        "case_links": tables["case_links"].filter(pl.col("case_id").is_in(keep)),
        "aftercare_steps": tables["aftercare_steps"].filter(pl.col("case_id").is_in(keep)),
    }
    data = JusticeData.from_tables(scoped)
    each = indicators(data, period=spec.period, by=["jurisdiction"])
    pooled = indicators(data, period=spec.period).with_columns(pl.lit(POOLED).alias("jurisdiction"))
    return pl.concat([each, pooled.select(each.columns)], how="vertical_relaxed")


def _judge(m: ZoneMetric, place: str, row: pl.DataFrame, period: str) -> dict[str, Any]:
    base: dict[str, Any] = {
        "metric": m.id,
        "variant": m.variant,
        "jurisdiction": place,
        "period": period,
        "value": None,
        "lower": None,
        "upper": None,
        "numerator": None,
        "denominator": None,
        "judged": None,
        "rule": f"{m.judge_on} {m.operator} {m.threshold}",
        "status": "insufficient data",
        "definition": _definition(m.id),
    }
    if row.height == 0:
        return {**base, "note": "no value for this jurisdiction and period"}
    if row.height > 1:
        raise InvalidInput(
            f"Metric {m.id} has {row.height} rows for {place}; name its variant "
            f"({', '.join(str(v) for v in row['variant'].to_list())})."
            if "variant" in row.columns
            else f"Metric {m.id} has several rows for {place}."
        )
    r = row.row(0, named=True)
    base.update({k: r.get(k) for k in ("value", "lower", "upper", "numerator", "denominator")})
    judged = r.get(m.judge_on)
    denominator = r.get("denominator")
    if judged is None or (denominator is not None and denominator < m.min_denominator):
        return {**base, "note": f"fewer than {m.min_denominator} in the denominator"}
    met = _OPERATORS[m.operator](float(judged), m.threshold)
    return {**base, "judged": judged, "status": "met" if met else "not met", "note": ""}


__all__ = [
    "POOLED",
    "ZoneAssessment",
    "ZoneMetric",
    "ZoneSpec",
    "assess_zone",
    "parse_zone",
    "zone_values",
]
