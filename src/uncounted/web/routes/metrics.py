"""The metric catalogue: every published measure, its definition, numerator, denominator and
sources (read from ``uncounted.metrics``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from uncounted.metrics import load_catalogue, metric
from uncounted.store.access import Action, Resource, check
from uncounted.web.context import CurrentUser, render
from uncounted.web.routes import both

router = APIRouter(tags=["metrics"])


@both(router, "/metrics", summary="The metric catalogue")
def catalogue(request: Request, me: CurrentUser) -> Response:
    check(me.who, Resource.METRICS, Action.READ)
    data = {"metrics": [m.to_dict() for m in load_catalogue()]}
    return render(request, "metrics.html", data, me)


@both(router, "/metrics/{metric_id}", summary="One measure of the catalogue")
def one_metric(request: Request, me: CurrentUser, metric_id: str) -> Response:
    check(me.who, Resource.METRICS, Action.READ)
    return render(request, "metric.html", metric(metric_id).to_dict(), me)
