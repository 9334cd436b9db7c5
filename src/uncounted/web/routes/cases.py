"""The case list (search, filters, pages) and the case page (people, timeline, referrals).

Both are ``async`` routes that query the database on the event loop: each is a handful of
indexed lookups (milliseconds), and a single-threaded process answering one request at a
time serves more of them, with steadier latency, than threads contending for the GIL.
Use ``uncounted serve --workers N`` for more than one core.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from uncounted.domain import Stage, code_list
from uncounted.store.case_notes import case_notes
from uncounted.store.casebook import CaseFilters, case_detail, list_cases
from uncounted.web.context import CurrentUser, DbSession, render
from uncounted.web.routes import RecordId, both

router = APIRouter(tags=["cases"])


def _filter_options() -> dict[str, list[tuple[str, str]]]:
    return {
        "status": list(code_list("cas_Status").labels.items()),
        "exploitation_type": list(code_list("vic_TypeOfExploitation").labels.items()),
        "stage": [(s.value, s.label) for s in Stage],
    }


@both(router, "/cases", summary="Cases in your scope, filtered and paginated")
async def cases(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    q: str | None = None,
    jurisdiction: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    exploitation_type: str | None = None,
    page: int = Query(1, ge=1, le=1_000_000),  # a bound: the offset must fit the database
    per_page: int = Query(25, ge=1, le=200),
) -> Response:
    filters = CaseFilters(
        q=q or None,
        jurisdiction=(jurisdiction or "").upper() or None,
        stage=stage or None,
        status=status or None,
        exploitation_type=exploitation_type or None,
        page=page,
        per_page=per_page,
    )
    result = list_cases(session, me.who, filters)
    data = {**result.to_dict(), "filters": {k: v for k, v in vars(filters).items()}}
    template = "_case_rows.html" if request.headers.get("hx-request") else "cases.html"
    return render(request, template, data, me, extra={"options": _filter_options()})


@both(router, "/cases/{case_id}", summary="One case: people, justice timeline, referrals")
async def case_page(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
) -> Response:
    detail = case_detail(session, me.who, case_id)
    notes = [vars(n) for n in case_notes(session, me.who, case_id)]
    return render(request, "case.html", {**detail.to_dict(), "notes": notes}, me)
