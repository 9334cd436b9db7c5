"""The dashboard: headline numbers of the justice response, with a chart."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from uncounted.justice import JusticeData
from uncounted.justice.headlines import headline_figures, headline_text
from uncounted.report.charts import bar_chart
from uncounted.report.intervals import explain_interval
from uncounted.store.access import Action, Resource, check
from uncounted.store.db import session_scope
from uncounted.store.frames import justice_tables
from uncounted.store.tallies import MEASURES, stage_tallies, stage_totals
from uncounted.web.context import (
    CurrentUser,
    DbSession,
    WebContext,
    ctx_of,
    render,
)
from uncounted.web.routes import both

router = APIRouter(tags=["dashboard"])

#: Seconds the dashboard's aggregates are reused (any write through the app clears them).
TTL = 60.0


def justice_data(engine: Engine) -> JusticeData:
    """The justice indicators' input, read from the case database (no identifying fields)."""
    return JusticeData.from_tables(justice_tables(engine))


def dashboard_counts(session: Session) -> dict[str, Any]:
    """Headline totals and the yearly tallies behind the chart (plain counts: fast)."""
    return {"totals": stage_totals(session), "by_year": stage_tallies(session, "year")}


def explained_headlines(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each headline figure with the sentence saying what its interval is (or that it has
    none), and its text as the demo prints it; the page links each to ``/metrics/{metric}``."""
    return [
        {**f, "interval_note": explain_interval(f["method"]), "text": headline_text(f)}
        for f in figures
    ]


def _chart(data: dict[str, Any]) -> str:
    years = [str(r["year"]) for r in data["by_year"]]
    return bar_chart(
        "Recorded justice events by year",
        years,
        {label: [r[label] for r in data["by_year"]] for label in MEASURES},
    )


def _dashboard(ctx: WebContext, session: Session) -> tuple[dict[str, Any], str]:
    counts = ctx.cached("dashboard", TTL, lambda: dashboard_counts(session))
    chart = ctx.cached("dashboard-chart", TTL, lambda: _chart(counts))
    # the justice indicators read every event: refreshed in the background once computed
    figures = ctx.cached(
        "justice-headlines",
        TTL,
        lambda: explained_headlines(headline_figures(justice_data(ctx.engine))),
        background=True,
    )
    lines = {f["label"]: f["text"] for f in figures}
    return {**counts, "headlines": lines, "headline_figures": figures}, chart


def warm_dashboard(ctx: WebContext) -> None:
    """Compute the dashboard's aggregates into ``ctx``'s cache (run as the server starts).

    A failure is logged, not raised: the dashboard then computes (and reports) it itself.
    """
    try:
        with session_scope(ctx.engine) as session:
            _dashboard(ctx, session)
    except Exception:  # a background warm-up must not take the server down
        logging.getLogger(__name__).warning("Warming the dashboard failed", exc_info=True)


@both(router, "/", summary="Headline numbers of the justice response")
async def dashboard(
    request: Request,
    me: CurrentUser,
    session: DbSession,
) -> Response:
    check(me.who, Resource.INDICATORS, Action.READ)
    ctx = ctx_of(request)
    if (
        ctx.ready("dashboard", TTL)
        and ctx.ready("dashboard-chart", TTL)
        and ctx.ready("justice-headlines", TTL, background=True)
    ):  # cached: answered on the event loop
        data, chart = _dashboard(ctx, session)
    else:  # computed in a worker thread, not blocking other requests
        data, chart = await run_in_threadpool(_dashboard, ctx, session)
    return render(request, "dashboard.html", data, me, extra={"chart": chart})
