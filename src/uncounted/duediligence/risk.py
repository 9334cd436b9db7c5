"""Supply-chain risk of each sourced good, from a user-supplied risk table and certified zones.

The **risk table** (schema in ``docs/duediligence.md``) has one row per published fact:
``source, year, country`` (ISO 3166-1 alpha-2), ``good`` (blank: a country-wide figure), and at
least one of ``forced_labour`` / ``child_labour`` (the good is listed as produced with it, e.g.
on the US Department of Labor's *List of Goods Produced by Child Labor or Forced Labor*),
``score`` (0–1, the user's own scale) or ``prevalence_per_1000`` (e.g. the Global Estimates of
Modern Slavery), with ``note`` and ``url``.

Rules, for a good ``g`` sourced from country ``c`` (case-insensitive on goods)::

    high      a row (c, g) flags forced or child labour, or has score ≥ high_score (0.67)
    elevated  a row (c, g) has score ≥ elevated_score (0.33); or a country-wide row for c has
              score ≥ elevated_score or prevalence_per_1000 > prevalence_threshold
    low       rows exist for c, none of the above
    unknown   no row for c, or the origin is not known (no evidence is not evidence of no risk)

The default ``prevalence_threshold`` is 1000/150 ≈ 6.67 per 1,000: "nearly one in every 150
people" in modern slavery worldwide (Walk Free, *Global Slavery Index 2023*, regional overview,
from the 2022 Global Estimates of Modern Slavery by ILO, Walk Free and IOM), so "elevated" means
above the world's rate. The score cut-offs split the user's 0–1 scale in thirds; they are a
programme's choice, not a published standard, and are keyword arguments.

**The project's own evidence.** A sourcing location inside a zone whose ``zone assess`` result
is *certified*, and whose jurisdictions include ``c``, lowers the level one step (high →
elevated, elevated or unknown → low): the agreed metrics of that zone were met on the
programme's data. A *provisional* certificate changes nothing; a zone *not certified* is a red
flag. The certificate's date, period and metrics are carried into the result.

A partner's supply-chain risk is its worst good (unknown ranks with elevated).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from uncounted.errors import InvalidInput
from uncounted.evaluation import ZoneAssessment

Level = Literal["low", "elevated", "high", "unknown"]
#: Order of levels for "worst of": unknown ranks with elevated.
RANK: dict[str, int] = {"low": 1, "unknown": 2, "elevated": 2, "high": 3}
RISK_COLUMNS: tuple[str, ...] = ("source", "year", "country", "good")
SOURCING_COLUMNS: tuple[str, ...] = ("partner", "good", "country", "zone")
#: Modern slavery worldwide, per 1,000 people: "nearly one in every 150" (GSI 2023 / GEMS 2022).
GLOBAL_PREVALENCE_PER_1000 = 1000 / 150
_LOWER: dict[str, Level] = {"high": "elevated", "elevated": "low", "unknown": "low", "low": "low"}


@dataclass(frozen=True)
class ZoneCertificate:
    """The outcome of ``zone assess`` for one zone, dated, as used for sourcing risk."""

    zone: str
    jurisdictions: tuple[str, ...]
    period: str
    status: str  # certified | provisional | not certified
    assessed_on: dt.date
    metrics: tuple[dict[str, Any], ...] = field(default=())

    @classmethod
    def from_assessment(cls, result: ZoneAssessment, assessed_on: dt.date) -> ZoneCertificate:
        """The certificate of a zone assessment made on ``assessed_on``."""
        return cls(
            zone=result.spec.name,
            jurisdictions=tuple(result.spec.jurisdictions),
            period=result.spec.period,
            status=result.status,
            assessed_on=assessed_on,
            metrics=tuple(result.metrics.to_dicts()),
        )

    def summary(self) -> str:
        """One line: status, period, date and each metric's status."""
        metrics = ", ".join(
            f"{m['id']}{'/' + str(m['variant']) if m.get('variant') else ''} {m['status']}"
            for m in self.metrics
        )
        return f"{self.zone}: {self.status} for {self.period} (assessed {self.assessed_on})" + (
            f"; {metrics}" if metrics else ""
        )


def _need(frame: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"The {what} lacks the columns {missing}; see docs/duediligence.md for the schema."
        )


def _col(row: dict[str, Any], name: str) -> Any:
    return row.get(name)


def _cite(row: dict[str, Any]) -> str:
    facts = []
    if _col(row, "forced_labour"):
        facts.append("forced labour")
    if _col(row, "child_labour"):
        facts.append("child labour")
    if _col(row, "score") is not None:
        facts.append(f"score {row['score']:.2f}")
    if _col(row, "prevalence_per_1000") is not None:
        facts.append(f"{row['prevalence_per_1000']:g} per 1,000")
    return f"{row['source']} {row['year']}: {', '.join(facts) or 'listed'}"


def base_level(
    rows_good: list[dict[str, Any]],
    rows_country: list[dict[str, Any]],
    *,
    any_for_country: bool,
    high_score: float = 0.67,
    elevated_score: float = 0.33,
    prevalence_threshold: float = GLOBAL_PREVALENCE_PER_1000,
) -> Level:
    """The level before zone evidence, from the good's rows and the country-wide rows."""

    def score(r: dict[str, Any]) -> float:
        return float(r["score"]) if _col(r, "score") is not None else -1.0

    def prevalence(r: dict[str, Any]) -> float:
        v = _col(r, "prevalence_per_1000")
        return float(v) if v is not None else -1.0

    if any(_col(r, "forced_labour") or _col(r, "child_labour") for r in rows_good) or any(
        score(r) >= high_score for r in rows_good
    ):
        return "high"
    if (
        any(score(r) >= elevated_score for r in rows_good)
        or any(score(r) >= elevated_score for r in rows_country)
        or any(prevalence(r) > prevalence_threshold for r in rows_country)
    ):
        return "elevated"
    return "low" if any_for_country else "unknown"


def assess_sourcing(
    sourcing: pl.DataFrame,
    risk_table: pl.DataFrame,
    certificates: list[ZoneCertificate] | None = None,
    *,
    high_score: float = 0.67,
    elevated_score: float = 0.33,
    prevalence_threshold: float = GLOBAL_PREVALENCE_PER_1000,
) -> pl.DataFrame:
    """The risk of each sourced good (rules in the module doc).

    ``sourcing`` has one row per partner × good × origin (``partner, good, country, zone``);
    returns it with ``base_level, level, evidence, zone_status, zone_certificate, flags``.
    """
    _need(sourcing, SOURCING_COLUMNS, "sourcing list")
    _need(risk_table, RISK_COLUMNS, "risk table")
    table = risk_table.to_dicts()
    certs = {c.zone.casefold(): c for c in certificates or []}
    out = []
    for s in sourcing.to_dicts():
        country = (s["country"] or "").upper()
        good = (s["good"] or "").strip().casefold()
        for_country = (
            [r for r in table if (r["country"] or "").upper() == country] if country else []
        )
        rows_good = [r for r in for_country if (r["good"] or "").strip().casefold() == good]
        rows_country = [r for r in for_country if not (r["good"] or "").strip()]
        level = base_level(
            rows_good,
            rows_country,
            any_for_country=bool(for_country),
            high_score=high_score,
            elevated_score=elevated_score,
            prevalence_threshold=prevalence_threshold,
        )
        flags: list[str] = []
        if not country:
            flags.append(f"origin of {s['good']} not disclosed")
        final: Level = level
        zone_status = cert_text = None
        if s.get("zone"):
            cert = certs.get(str(s["zone"]).casefold())
            if cert is None:
                zone_status = "no certificate"
            elif country not in cert.jurisdictions:
                zone_status = "outside zone"
                flags.append(f"{country} is not a jurisdiction of zone {cert.zone}")
            else:
                zone_status, cert_text = cert.status, cert.summary()
                if cert.status == "certified":
                    final = _LOWER[level]
                elif cert.status == "not certified":
                    flags.append(f"sourced from zone {cert.zone}, which is not certified")
        if final == "high":
            flags.append(f"{s['good']} from {country}: high risk")
        out.append(
            {
                **s,
                "base_level": level,
                "level": final,
                "evidence": "; ".join(_cite(r) for r in rows_good + rows_country) or None,
                "zone_status": zone_status,
                "zone_certificate": cert_text,
                "flags": flags,
            }
        )
    text = pl.String()
    schema: dict[str, pl.DataType] = {
        "base_level": text,
        "level": text,
        "evidence": text,
        "zone_status": text,
        "zone_certificate": text,
        "flags": pl.List(pl.String),
    }
    return pl.DataFrame(out, schema_overrides={**dict(sourcing.schema), **schema})


def worst_level(levels: list[str]) -> Level | None:
    """The worst of ``levels`` (high > elevated = unknown > low); ``None`` for none."""
    if not levels:
        return None
    top = max(RANK[v] for v in levels)
    if top == 3:
        return "high"
    if top == 2:
        return "elevated" if "elevated" in levels else "unknown"
    return "low"


__all__ = [
    "GLOBAL_PREVALENCE_PER_1000",
    "RANK",
    "RISK_COLUMNS",
    "SOURCING_COLUMNS",
    "Level",
    "ZoneCertificate",
    "assess_sourcing",
    "base_level",
    "worst_level",
]
