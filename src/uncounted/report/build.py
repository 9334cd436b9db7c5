"""The evidence report: one object holding every figure, rendered as HTML, PDF or JSON.

:func:`build_report` takes frames named after the store's tables (a synthetic world's
``frames``, or :func:`report_tables` read from a database), calls the library for each
section and keeps the results. :meth:`Report.to_html` renders one self-contained page,
:meth:`Report.to_pdf` the same page as PDF, and :meth:`Report.to_dict` is its JSON twin.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine

from uncounted import __version__
from uncounted.justice import JusticeData
from uncounted.justice.measures import Window
from uncounted.linkage import LinkedEstimate
from uncounted.report.formatting import fmt_interval, fmt_number
from uncounted.report.justice_section import JusticeSection, justice_section
from uncounted.report.methods import MethodNote, catalogue_entries, estimator_notes
from uncounted.report.prevalence_section import (
    PrevalenceSection,
    memberships_for,
    prevalence_section,
)
from uncounted.report.survivors_section import SurvivorsSection, cohort_ids, survivors_section
from uncounted.store.frames import (
    assessment_frames,
    justice_tables,
    list_memberships_frame,
    read_table,
    survivors_frame,
)
from uncounted.survivors import Instrument, default_instrument

#: The steps :func:`build_report` reports to its ``progress`` callback, in order.
STEPS: tuple[str, ...] = ("justice", "prevalence", "survivors", "methods")


@dataclass(frozen=True)
class KeyFigure:
    """A headline number with its interval, its kind (for formatting) and where it is from."""

    label: str
    value: float | None
    lower: float | None = None
    upper: float | None = None
    kind: str = "count"  # count, percent, days, score
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "label": self.label,
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
            "kind": self.kind,
            "source": self.source,
        }


@dataclass(frozen=True)
class Report:
    """Every figure of the evidence report, with the charts drawn from them."""

    title: str
    period: str
    jurisdiction: str | None
    as_of: dt.date
    key_figures: tuple[KeyFigure, ...]
    justice: JusticeSection
    prevalence: PrevalenceSection
    survivors: SurvivorsSection
    metrics: tuple[dict[str, Any], ...]
    estimators: tuple[MethodNote, ...]
    highlights: tuple[str, ...] = ()
    generated_on: dt.date = field(default_factory=dt.date.today)
    version: str = __version__

    def to_dict(self) -> dict[str, Any]:
        """The JSON twin of the report: the same figures, without the charts."""
        out: dict[str, Any] = _clean(
            {
                "title": self.title,
                "period": self.period,
                "jurisdiction": self.jurisdiction,
                "as_of": self.as_of.isoformat(),
                "generated_on": self.generated_on.isoformat(),
                "version": self.version,
                "key_figures": [k.to_dict() for k in self.key_figures],
                "highlights": list(self.highlights),
                "justice": self.justice.to_dict(),
                "prevalence": self.prevalence.to_dict(),
                "survivors": self.survivors.to_dict(),
                "methods": {
                    "metrics": list(self.metrics),
                    "estimators": [n.to_dict() for n in self.estimators],
                },
            }
        )
        return out

    def to_html(self) -> str:
        """One self-contained HTML page (inline CSS and SVG, no script, no external asset)."""
        from uncounted.report.html import render_html

        return render_html(self)

    def to_pdf(self, path: str | Path) -> Path:
        """Write the report as PDF (WeasyPrint) to ``path``; returns the path."""
        from uncounted.report.pdf import write_pdf

        return write_pdf(self, Path(path))

    def to_pdf_bytes(self) -> bytes:
        """The report as the bytes of a PDF file (WeasyPrint), e.g. for a web download."""
        from uncounted.report.pdf import html_to_pdf_bytes

        return html_to_pdf_bytes(self.to_html())


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def report_tables(engine: Engine) -> dict[str, pl.DataFrame]:
    """Every frame the report reads, from a case database (no identifying fields)."""
    tables = justice_tables(engine)
    tables["agencies"] = read_table(engine, "agencies")
    tables["list_memberships"] = list_memberships_frame(engine)
    tables["assessments"], tables["assessment_items"] = assessment_frames(engine)
    tables["survivors"] = survivors_frame(engine)
    return tables


def _key_figures(
    justice: JusticeSection, prevalence: PrevalenceSection, survivors: SurvivorsSection
) -> tuple[KeyFigure, ...]:
    out: list[KeyFigure] = []

    def from_row(label: str, row: Mapping[str, Any] | None, kind: str, source: str) -> None:
        if row is not None:
            out.append(KeyFigure(label, row["value"], row["lower"], row["upper"], kind, source))

    from_row("Victims identified", justice.row("J1", "count"), "count", "J1")
    from_row("Suspects arrested, of those reported", justice.row("J3", "all"), "percent", "J3")
    from_row("Defendants convicted, of verdicts", justice.row("J5", "all"), "percent", "J5")
    verdict = justice.funnel.filter(pl.col("stage") == "verdict")
    if verdict.height:
        r = verdict.row(0, named=True)
        out.append(
            KeyFigure(
                "Suspects reported who reach a verdict",
                r["reaching"],
                r["lower"],
                r["upper"],
                "percent",
                "J7",
            )
        )
    from_row("Median days, charge to verdict", justice.row("J10", "charge→verdict median"),
             "days", "J10")  # fmt: skip
    overall = prevalence.overall()
    if overall is not None and overall["estimate"] is not None:
        out.append(
            KeyFigure(
                "Estimated victims, seen or not (all lists)",
                overall["estimate"],
                overall["ci_low"],
                overall["ci_high"],
                "count",
                "stepwise log-linear MSE",
            )
        )
        out.append(
            KeyFigure("People on at least one list", float(overall["observed"]), kind="count",
                      source="list memberships")
        )  # fmt: skip
    for month in (12, 24):
        row = survivors.share(month)
        if row is not None:
            out.append(
                KeyFigure(
                    f"Survivors restored by {month} months in care",
                    row["share_restored"],
                    row["lower"],
                    row["upper"],
                    "percent",
                    "Turnbull NPMLE",
                )
            )
    return tuple(out)


def _highlights(
    justice: JusticeSection, prevalence: PrevalenceSection, survivors: SurvivorsSection
) -> tuple[str, ...]:
    """The key figures in words (numbers formatted as in the tables)."""
    out: list[str] = []
    verdict = justice.funnel.filter(pl.col("stage") == "verdict")
    r = verdict.row(0, named=True) if verdict.height else {}
    if all(isinstance(r.get(k), float) for k in ("reaching", "lower", "upper")):
        out.append(
            f"Of every 100 suspects reported, {100 * r['reaching']:.0f} reached a verdict "
            f"(95% interval {fmt_interval(100 * r['lower'], 100 * r['upper'])})."
        )
    before_verdict = justice.transitions.filter(
        (pl.col("transition") != "verdict→appeal") & pl.col("attrition").is_not_nan()
    ).sort("attrition", descending=True, nulls_last=True)
    if before_verdict.height and before_verdict["attrition"][0] is not None:
        worst = before_verdict.row(0, named=True)
        out.append(
            f"Before a verdict, most cases are lost at {worst['transition']}: "
            f"{fmt_number(worst['attrition'], 'percent')} never moved on "
            f"({fmt_interval(worst['attrition_lower'], worst['attrition_upper'], 'percent')})."
        )
    overall = prevalence.overall()
    if overall is not None and overall["estimate"] is not None:
        out.append(
            f"An estimated {fmt_number(overall['estimate'])} victims "
            f"({fmt_interval(overall['ci_low'], overall['ci_high'])}), of whom "
            f"{fmt_number(overall['observed'])} were on at least one agency's list."
        )
    row = survivors.share(24)
    if row is not None:
        out.append(
            f"{fmt_number(row['share_restored'], 'percent')} of survivors were restored within "
            f"24 months of intake ({fmt_interval(row['lower'], row['upper'], 'percent')})."
        )
    return tuple(out)


def build_report(
    tables: Mapping[str, pl.DataFrame],
    period: str | None = None,
    jurisdiction: str | None = None,
    *,
    as_of: dt.date | None = None,
    lcmcr: bool = False,
    linkage: LinkedEstimate | None = None,
    instrument: Instrument | None = None,
    n_bootstrap: int = 200,
    progress: Callable[[str], None] | None = None,
    title: str = "Evidence report",
) -> Report:
    """Compute every section of the report from ``tables`` for ``period`` and ``jurisdiction``.

    ``period`` is ``"2024"``, ``"2024Q3"`` or ``"2022:2024"`` (default: all); ``jurisdiction``
    a country code (the justice figures' jurisdiction, the lists of agencies based there, and
    survivors whose first case is there). ``lcmcr`` adds the latent-class estimator to the
    comparison of methods (slow: a full MCMC run). ``linkage`` (a
    :class:`~uncounted.linkage.LinkedEstimate`) adds the sensitivity of the prevalence
    estimate to the linkage match threshold. ``progress`` is called with each step's
    name (:data:`STEPS`) before it runs.
    """

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    window = Window.parse(period)
    frames = dict(tables)
    step("justice")
    data = JusticeData.from_tables(frames, as_of=as_of)
    justice = justice_section(data, period=period, jurisdiction=jurisdiction)
    step("prevalence")
    members = memberships_for(frames, period, jurisdiction)
    prevalence = prevalence_section(members, lcmcr=lcmcr, linkage=linkage)
    step("survivors")
    instrument = instrument or default_instrument()
    assessments = frames.get("assessments")
    items = frames.get("assessment_items")
    if assessments is None or items is None or assessments.is_empty():
        survivors = survivors_section(
            pl.DataFrame(schema={"id": pl.Int64, "person_id": pl.Int64, "assessed_on": pl.Date}),
            pl.DataFrame(schema={"assessment_id": pl.Int64}),
            instrument,
        )
    else:
        people = cohort_ids(assessments, frames.get("survivors"), period, jurisdiction)
        survivors = survivors_section(
            assessments, items, instrument, people=people, n_bootstrap=n_bootstrap
        )
    step("methods")
    shown = set(justice.indicators["indicator"].unique().to_list())
    return Report(
        title=title,
        period=window.label,
        jurisdiction=jurisdiction,
        as_of=data.observed_to,
        key_figures=_key_figures(justice, prevalence, survivors),
        highlights=_highlights(justice, prevalence, survivors),
        justice=justice,
        prevalence=prevalence,
        survivors=survivors,
        metrics=tuple(catalogue_entries(shown)),
        estimators=tuple(estimator_notes(lcmcr)),
    )


__all__ = ["STEPS", "KeyFigure", "Report", "build_report", "report_tables"]
