"""Indicators with disaggregation, and their CSV download."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import Response

from uncounted.store.access import Action, Resource, check
from uncounted.store.tallies import BY, MEASURES, stage_tallies
from uncounted.web.context import CurrentUser, DbSession, render
from uncounted.web.routes import both

router = APIRouter(tags=["indicators"])


@both(router, "/indicators", summary="Counts of justice events by stage, disaggregated")
def indicators_page(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    by: str = "year",
) -> Response:
    check(me.who, Resource.INDICATORS, Action.READ)
    rows = stage_tallies(session, by)
    data = {"by": by, "choices": list(BY), "measures": list(MEASURES), "rows": rows}
    return render(request, "indicators.html", data, me)


@router.get("/indicators.csv", tags=["indicators"], summary="The indicators table as CSV")
def indicators_csv(
    me: CurrentUser,
    session: DbSession,
    by: str = "year",
) -> Response:
    check(me.who, Resource.INDICATORS, Action.READ)
    rows = stage_tallies(session, by)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[by, *MEASURES])
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="indicators-by-{by}.csv"'},
    )
