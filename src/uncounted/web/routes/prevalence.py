"""Prevalence: choose agencies' lists and a period, estimate the number of victims (seen and
unseen) by multiple systems estimation, with its interval and method (``uncounted.prevalence``).
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from uncounted.errors import InvalidInput, UncountedWarning
from uncounted.prevalence import (
    CaptureHistories,
    Chapman,
    HeterogeneityEstimator,
    LincolnPetersen,
    LogLinearEstimator,
    PopulationEstimator,
)
from uncounted.prevalence.diagnostics import check_heterogeneity
from uncounted.prevalence.panel import estimate_panel
from uncounted.store.access import Action, Resource, check
from uncounted.store.frames import list_memberships_frame
from uncounted.web.context import CurrentUser, ctx_of, render
from uncounted.web.routes import both
from uncounted.web.routes.dashboard import TTL

router = APIRouter(tags=["prevalence"])

#: Methods offered in the browser: name → (label, estimator factory, lists needed).
METHODS: dict[str, tuple[str, type[PopulationEstimator] | None, dict[str, Any]]] = {
    "panel": ("Several methods side by side (first look)", None, {}),
    "loglinear": ("Log-linear models, chosen by AIC (Rcapture)", LogLinearEstimator,
                  {"criterion": "aic"}),
    "chapman": ("Chapman (two lists)", Chapman, {}),
    "lincoln_petersen": ("Lincoln–Petersen (two lists)", LincolnPetersen, {}),
    "heterogeneity": ("Mth Darroch + pairs by AIC: heterogeneity (Rcapture)",
                      HeterogeneityEstimator, {"heterogeneity": "darroch", "criterion": "aic"}),
}  # fmt: skip


def _memberships(request: Request) -> pl.DataFrame:
    ctx = ctx_of(request)
    frame: pl.DataFrame = ctx.cached(
        "list-memberships", TTL, lambda: list_memberships_frame(ctx.engine), background=True
    )
    return frame


@both(router, "/prevalence", summary="Estimate how many victims there are, seen and unseen")
def prevalence_page(
    request: Request,
    me: CurrentUser,
    lists: Annotated[list[str] | None, Query()] = None,
    period: str | None = None,
    method: str = "panel",
) -> Response:
    check(me.who, Resource.PREVALENCE, Action.READ)
    frame = _memberships(request)
    available = sorted(frame["list"].unique().to_list()) if frame.height else []
    periods = sorted(frame["period"].unique().to_list()) if frame.height else []
    chosen = [x for x in (lists or []) if x]
    data: dict[str, Any] = {
        "available_lists": available,
        "periods": periods,
        "methods": [[k, v[0]] for k, v in METHODS.items()],
        "lists": chosen,
        "period": period,
        "method": method,
        "result": None,
    }
    if chosen:
        if method not in METHODS:
            raise InvalidInput(f"Unknown method {method!r}; use one of {', '.join(METHODS)}.")
        if method in ("chapman", "lincoln_petersen") and len(chosen) != 2:
            raise InvalidInput("Chapman and Lincoln–Petersen take exactly two lists.")
        key = f"prevalence:{method}:{period}:{','.join(sorted(chosen))}"
        data["result"] = ctx_of(request).cached(
            key, TTL, lambda: _estimate(frame, chosen, period, method)
        )
    return render(request, "prevalence.html", data, me)


def _estimate(frame: pl.DataFrame, lists: list[str], period: str | None, method: str) -> Any:
    rows = frame.filter(pl.col("list").is_in(lists))
    if period:
        rows = rows.filter(pl.col("period") == period)
    histories = CaptureHistories.from_records(rows, "person_id", "list", source="list memberships")
    _label, factory, settings = METHODS[method]
    if factory is None:
        return estimate_panel(histories, emit=False).to_dict()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UncountedWarning)
        result = factory(**settings).fit(histories).to_dict()
    shown = [str(w.message) for w in caught if issubclass(w.category, UncountedWarning)]
    result["warnings"] = list(dict.fromkeys([*result.get("warnings", []), *shown]))
    result["diagnostics"] = check_heterogeneity(
        histories, result.get("estimate"), result.get("aic"), emit=False
    ).to_dict()
    return result
