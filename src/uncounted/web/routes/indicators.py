"""Justice indicators with disaggregation and intervals, recorded counts, and CSV downloads."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import Response

from uncounted.justice import empty_reason, indicators, no_interval_reason
from uncounted.justice.measures import DISAGGREGATIONS
from uncounted.metrics import load_catalogue
from uncounted.store.access import Action, Resource, check
from uncounted.store.tallies import BY, MEASURES, stage_tallies
from uncounted.web.context import CurrentUser, DbSession, ctx_of, render
from uncounted.web.routes import both
from uncounted.web.routes.dashboard import TTL, justice_data

router = APIRouter(tags=["indicators"])


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _empty_reason(request: Request) -> str | None:
    """Why the indicators are empty (victims but no justice events), or ``None``."""
    ctx = ctx_of(request)
    data = ctx.cached("justice-data", TTL, lambda: justice_data(ctx.engine), background=True)
    return empty_reason(data)


def _justice_table(request: Request, by: str, period: str | None) -> pl.DataFrame:
    ctx = ctx_of(request)
    keys = [by] if by else []
    data = ctx.cached("justice-data", TTL, lambda: justice_data(ctx.engine), background=True)
    table: pl.DataFrame = ctx.cached(
        f"indicators:{by}:{period}",
        TTL,
        lambda: indicators(data, period=period, by=keys),
        background=True,
    )
    return table


@both(router, "/indicators", summary="Justice indicators (with intervals) and recorded counts")
def indicators_page(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    by: str = "",
    period: str | None = None,
    counts_by: str = "year",
) -> Response:
    check(me.who, Resource.INDICATORS, Action.READ)
    table = _justice_table(request, by, period or None)
    titles = {m.id: m.title for m in load_catalogue()}
    rows = [{k: _clean(v) for k, v in r.items()} for r in table.to_dicts()]
    for row in rows:
        row["title"] = titles.get(row["indicator"], row["indicator"])
        if row.get("lower") is None and row.get("value") is not None:
            row["no_interval"] = no_interval_reason(row.get("method"))
    data = {
        "by": by,
        "period": period,
        "choices": ["", *DISAGGREGATIONS],
        "indicators": rows,
        "empty": _empty_reason(request),
        "counts_by": counts_by,
        "counts_choices": list(BY),
        "measures": list(MEASURES),
        "counts": stage_tallies(session, counts_by),
    }
    return render(request, "indicators.html", data, me)


def _csv(rows: list[dict[str, Any]], columns: list[str], name: str) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/indicators.csv", tags=["indicators"], summary="The justice indicators as CSV")
def indicators_csv(
    request: Request, me: CurrentUser, by: str = "", period: str | None = None
) -> Response:
    check(me.who, Resource.INDICATORS, Action.READ)
    table = _justice_table(request, by, period or None)
    return _csv(table.to_dicts(), table.columns, f"justice-indicators-{by or 'all'}")


@router.get("/counts.csv", tags=["indicators"], summary="Recorded justice events as CSV")
def counts_csv(me: CurrentUser, session: DbSession, by: str = "year") -> Response:
    check(me.who, Resource.INDICATORS, Action.READ)
    return _csv(stage_tallies(session, by), [by, *MEASURES], f"justice-events-by-{by}")
