"""Prevalence: choose agencies' lists and a period, estimate the number of victims (seen and
unseen) by multiple systems estimation, with its interval and method (``uncounted.prevalence``).

The methods are the estimator registry's (:mod:`uncounted.prevalence.registry`), with the
same names and meanings as ``uncounted estimate --method``: ``loglinear`` is the independence
model, and ``criterion=aic`` makes it (or ``heterogeneity``) a search. The JSON of one estimate
is the CLI's (:func:`uncounted.prevalence.methods.estimate_json`).

With ``linked=true`` the page also estimates from the latest saved linkage run (agencies' own
records linked by ``uncounted link run``), with the interval that carries linkage error
(:mod:`uncounted.linkage.uncertainty`); its JSON is ``LinkedEstimate.to_dict()``.
"""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from uncounted.linkage.pipeline import estimate_saved_run, latest_run
from uncounted.linkage.uncertainty import DEFAULT_DRAWS
from uncounted.prevalence import CaptureHistories
from uncounted.prevalence.methods import estimate_json
from uncounted.prevalence.panel import estimate_panel
from uncounted.prevalence.registry import estimators, get_spec, make_estimator
from uncounted.store.access import Action, Resource, check
from uncounted.store.frames import list_memberships_frame
from uncounted.store.linkage_records import record_lists
from uncounted.web.context import CurrentUser, ctx_of, render
from uncounted.web.routes import both
from uncounted.web.routes.dashboard import TTL

router = APIRouter(tags=["prevalence"])

#: The first choice of the form; the others are the registered estimators.
PANEL_CHOICE = ("panel", "Several methods side by side (first look)")

#: Settings the form offers beside the method (each given to the methods that take it).
FORM_OPTIONS = ("criterion", "heterogeneity")


def method_choices() -> list[list[str]]:
    """The form's methods: the panel, then every registered estimator (name, label)."""
    return [list(PANEL_CHOICE), *([name, s.label] for name, s in estimators().items())]


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
    criterion: str | None = None,
    heterogeneity: str | None = None,
    linked: bool = False,
) -> Response:
    check(me.who, Resource.PREVALENCE, Action.READ)
    frame = _memberships(request)
    available = sorted(frame["list"].unique().to_list()) if frame.height else []
    periods = sorted(frame["period"].unique().to_list()) if frame.height else []
    chosen = [x for x in (lists or []) if x]
    data: dict[str, Any] = {
        "available_lists": available,
        "periods": periods,
        "methods": method_choices(),
        "lists": chosen,
        "period": period,
        "method": method,
        "criterion": criterion,
        "heterogeneity": heterogeneity,
        "result": None,
        "linked": linked,
        "linked_result": None,
        "linked_run": None,
    }
    if chosen:
        given = {"criterion": criterion or None, "heterogeneity": heterogeneity or None}
        if method != "panel":
            spec = get_spec(method)  # InvalidInput (422) for an unknown method
            spec.check_lists(len(chosen))
            # one form for every method: a field the method does not take is left out
            given = {k: v for k, v in given.items() if v and k in spec.options}
            make_estimator(method, given)  # reject bad settings (422) before estimating
        key = f"prevalence:{method}:{given}:{period}:{','.join(sorted(chosen))}"
        data["result"] = ctx_of(request).cached(
            key, TTL, lambda: _estimate(frame, chosen, period, method, given)
        )
    if linked:
        _linked(request, data, method, criterion, heterogeneity)
    return render(request, "prevalence.html", data, me)


def _linked(
    request: Request,
    data: dict[str, Any],
    method: str,
    criterion: str | None,
    heterogeneity: str | None,
) -> None:
    """The estimate from the latest saved linkage run (``uncounted link run``) with linkage
    error carried into its interval; the panel is not run on linked records (the log-linear
    model searched by BIC stands in for it)."""
    ctx = ctx_of(request)
    run = latest_run(ctx.linkage_runs) if ctx.linkage_runs is not None else None
    if run is None:
        return
    data["linked_run"] = run.name
    name = "loglinear" if method == "panel" else method
    given = {"criterion": criterion or ("bic" if method == "panel" else None)}
    given["heterogeneity"] = heterogeneity or None
    spec = get_spec(name)
    given = {k: v for k, v in given.items() if v and k in spec.options}
    make_estimator(name, given)  # reject bad settings (422) before estimating

    def compute() -> dict[str, Any]:
        records = record_lists(ctx.engine)
        linked = estimate_saved_run(
            records, run, lambda: make_estimator(name, given), draws=DEFAULT_DRAWS
        )
        return linked.to_dict()

    data["linked_result"] = ctx.cached(f"prevalence-linked:{run.name}:{name}:{given}", TTL, compute)


def _estimate(
    frame: pl.DataFrame, lists: list[str], period: str | None, method: str, given: dict[str, Any]
) -> Any:
    rows = frame.filter(pl.col("list").is_in(lists))
    if period:
        rows = rows.filter(pl.col("period") == period)
    histories = CaptureHistories.from_records(rows, "person_id", "list", source="list memberships")
    if method == "panel":
        return estimate_panel(histories, emit=False).to_dict()
    return estimate_json(make_estimator(method, given), histories)
