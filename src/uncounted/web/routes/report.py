"""The evidence report from the web: choose period, jurisdiction and methods as
``uncounted report`` offers them, read the report in the browser, download it as HTML or PDF.

The report is built by the CLI's library functions (:func:`uncounted.report.report_tables`,
:func:`uncounted.report.build_report`), in a worker thread, and kept for :data:`TTL` seconds
by its inputs, so that viewing it and downloading it build it once. It pools every agency's
records, so it is for the roles that read every agency's aggregates (``reports`` in
``store/access.py``: analysts, viewers, administrators), not caseworkers. The CLI's
``--link`` (which reads identities) is not offered here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from uncounted.errors import InvalidInput
from uncounted.justice.measures import Window
from uncounted.metrics import load_catalogue
from uncounted.store.access import Action, Resource, check
from uncounted.web.context import CurrentUser, ctx_of, render
from uncounted.web.routes import both
from uncounted.web.routes.dashboard import TTL

if TYPE_CHECKING:
    import polars as pl

    from uncounted.report import Report

router = APIRouter(tags=["report"])

#: The standalone report page's own policy: the report is one document with inline CSS and
#: inline SVG and no script, so it may use inline style and nothing else.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)

_JURISDICTION = re.compile(r"^[A-Z]{2}$")


def _tables(request: Request) -> dict[str, pl.DataFrame]:
    from uncounted.report import report_tables

    ctx = ctx_of(request)
    tables: dict[str, pl.DataFrame] = ctx.cached(
        "report-tables", TTL, lambda: report_tables(ctx.engine), background=True
    )
    return tables


def report_options(period: str | None, jurisdiction: str | None, lcmcr: bool) -> dict[str, Any]:
    """The report's inputs, checked as the CLI checks them (422 for a bad period or code)."""
    period = (period or "").strip() or None
    jurisdiction = (jurisdiction or "").strip().upper() or None
    Window.parse(period)  # InvalidInput naming the accepted forms
    if jurisdiction is not None and not _JURISDICTION.match(jurisdiction):
        raise InvalidInput(f"Jurisdiction must be a two-letter country code, not {jurisdiction!r}.")
    return {"period": period, "jurisdiction": jurisdiction, "lcmcr": lcmcr}


def evidence_report(request: Request, options: dict[str, Any]) -> Report:
    """The report for ``options`` (:func:`report_options`), built once per inputs and TTL."""
    from uncounted.report import build_report

    key = f"report:{options['period']}:{options['jurisdiction']}:{options['lcmcr']}"
    tables = _tables(request)
    report: Report = ctx_of(request).cached(key, TTL, lambda: build_report(tables, **options))
    return report


def _query(options: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    given = {k: v for k, v in options.items() if v}
    return urlencode({k: "1" if v is True else v for k, v in given.items()})


def _filename(report: Report, suffix: str) -> str:
    where = report.jurisdiction or "all"
    when = re.sub(r"[^0-9A-Za-z-]+", "-", report.period)
    return f"evidence-report-{where}-{when}.{suffix}"


@both(router, "/report", summary="The evidence report: its options and figures")
def report_page(
    request: Request,
    me: CurrentUser,
    period: str | None = None,
    jurisdiction: str | None = None,
    lcmcr: bool = False,
) -> Response:
    check(me.who, Resource.REPORTS, Action.READ)
    from uncounted.report.pdf import pdf_unavailable

    options = report_options(period, jurisdiction, lcmcr)
    tables = _tables(request)
    places = tables.get("jurisdictions")
    countries = (
        sorted(c for c in places["country"].unique().to_list() if c)
        if places is not None and "country" in places.columns
        else []
    )
    report = evidence_report(request, options)
    query = _query(options)
    data = {
        **options,
        "jurisdictions": countries,
        "report": report.to_dict(),
        "links": {
            "view": f"/report/view?{query}",
            "html": f"/report.html?{query}",
            "pdf": f"/report.pdf?{query}",
        },
        "pdf_unavailable": pdf_unavailable(),
        "metric_ids": [m.id for m in load_catalogue()],
    }
    return render(request, "report.html", data, me)


@router.get("/report/view", include_in_schema=False)
def report_view(
    request: Request,
    me: CurrentUser,
    period: str | None = None,
    jurisdiction: str | None = None,
    lcmcr: bool = False,
) -> Response:
    """The report itself, as the page it is (its own inline CSS; no script)."""
    check(me.who, Resource.REPORTS, Action.READ)
    report = evidence_report(request, report_options(period, jurisdiction, lcmcr))
    return HTMLResponse(report.to_html(), headers={"content-security-policy": REPORT_CSP})


@router.get("/report.html", tags=["report"], summary="The evidence report as one HTML file")
def report_html(
    request: Request,
    me: CurrentUser,
    period: str | None = None,
    jurisdiction: str | None = None,
    lcmcr: bool = False,
) -> Response:
    check(me.who, Resource.REPORTS, Action.READ)
    report = evidence_report(request, report_options(period, jurisdiction, lcmcr))
    name = _filename(report, "html")
    return HTMLResponse(
        report.to_html(),
        headers={
            "content-security-policy": REPORT_CSP,
            "content-disposition": f'attachment; filename="{name}"',
        },
    )


@router.get("/report.pdf", tags=["report"], summary="The evidence report as PDF")
def report_pdf(
    request: Request,
    me: CurrentUser,
    period: str | None = None,
    jurisdiction: str | None = None,
    lcmcr: bool = False,
) -> Response:
    """The PDF, or (WeasyPrint not installed) a page saying what to install (500)."""
    check(me.who, Resource.REPORTS, Action.READ)
    report = evidence_report(request, report_options(period, jurisdiction, lcmcr))
    key = f"report-pdf:{report.period}:{report.jurisdiction}:{lcmcr}:{id(report)}"
    body: bytes = ctx_of(request).cached(key, TTL, report.to_pdf_bytes)
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{_filename(report, "pdf")}"'},
    )


__all__ = ["REPORT_CSP", "evidence_report", "report_options", "router"]
