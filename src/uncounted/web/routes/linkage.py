"""Clerical review of linkage pairs in the browser: the queue of the latest saved linkage run
(``uncounted link run``), those whose decision moves the estimate most first, each pair with
both records side by side, and a form to record *match* or *non-match*.

The queue is :mod:`uncounted.linkage.queue`'s, as for ``uncounted link review``: built from
the run's pairs and the stored decisions (cached for a minute, rebuilt after a decision), the
records of the page shown read through ``store.linkage_records.review_details`` (role checked,
each record audited) and names masked for roles that may not see identities. Decisions are
stored by ``review_decision`` (audited) and apply from the next linkage run. Who may review is
``store/access.py``'s ``linkage`` resource: administrators and analysts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from uncounted.errors import InvalidInput
from uncounted.linkage.pipeline import latest_run
from uncounted.linkage.queue import NO_RUN, SavedReview, review_page, saved_review
from uncounted.store.access import Action, Resource, check, sees_identities
from uncounted.store.linkage_records import (
    decisions_frame,
    record_lists,
    review_decision,
    review_details,
)
from uncounted.web.context import (
    CurrentUser,
    DbSession,
    FormData,
    Me,
    ctx_of,
    flash,
    render,
    wants_json,
)
from uncounted.web.i18n import N_
from uncounted.web.routes import both
from uncounted.web.routes.dashboard import TTL

router = APIRouter(tags=["linkage"])

#: Pairs on one page of the queue.
PER_PAGE = 10
#: The longest note a decision keeps.
MAX_NOTE = 2000
#: Page numbers a query may give (as on the case list): the offset stays small.
MAX_PAGE = 1_000_000
_MAX_ID = 2**63 - 1
DECISIONS = ("match", "non-match")
#: What the queue says after a decision (:func:`~uncounted.web.context.flash`), by decision.
RECORDED = {
    "match": N_("Recorded: records %(l)s and %(r)s are the same person (match)."),
    "non-match": N_("Recorded: records %(l)s and %(r)s are two different people (non-match)."),
}
APPLIES = N_("It applies from the next linkage run.")


def _saved_review(request: Request) -> SavedReview | None:
    """The latest run's review queue (cached by run for a minute), or ``None`` without a run."""
    ctx = ctx_of(request)
    run = latest_run(ctx.linkage_runs) if ctx.linkage_runs is not None else None
    if run is None:
        return None
    review: SavedReview = ctx.cached(
        f"linkage-review:{run}",
        TTL,
        lambda: saved_review(run, record_lists(ctx.engine), decisions_frame(ctx.engine)),
    )
    return review


def _page(
    request: Request,
    me: Me,
    session: Session,
    page: int,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    review = _saved_review(request)
    data: dict[str, Any]
    if review is None:
        data = {"run": None, "total": 0, "pairs": [], "page": 1, "pages": 1, "no_run": NO_RUN}
    else:
        shown = review_page(
            review,
            lambda ids: review_details(session, me.who, ids),
            sees_identities(me.who),
            page=page,
            per_page=PER_PAGE,
        )
        data = shown.to_dict()
    data.update(
        error=error,
        form=form or {},
        decisions_apply_from="the next linkage run (uncounted link run)",
    )
    return render(request, "linkage_review.html", data, me, 422 if error else 200)


@both(router, "/linkage/review", summary="Linkage pairs awaiting review, by their impact")
def review_queue_page(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    page: int = Query(1, ge=1, le=MAX_PAGE),
) -> Response:
    check(me.who, Resource.LINKAGE, Action.READ)
    return _page(request, me, session, page)


def _record_id(raw: dict[str, str], name: str) -> int:
    value = raw.get(name, "").strip()
    if not value.isdigit() or not 1 <= int(value) <= _MAX_ID:
        raise InvalidInput(N_("Give the two record ids of the pair, as whole numbers."))
    return int(value)


def _page_of(raw: dict[str, str]) -> int:
    value = raw.get("page", "").strip()
    return min(int(value), MAX_PAGE) if value.isdigit() and int(value) >= 1 else 1


@both(
    router,
    "/linkage/review/decisions",
    methods=("POST",),
    summary="Record a review decision (match or non-match) on a pair; it applies from the "
    "next linkage run",
)
def record_review_decision(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession
) -> Response:
    check(me.who, Resource.LINKAGE, Action.CREATE)
    page = _page_of(raw)
    decision = raw.get("decision", "").strip()
    note = raw.get("note", "")
    try:
        left, right = _record_id(raw, "record_l"), _record_id(raw, "record_r")
        if decision not in DECISIONS:
            raise InvalidInput(N_("Choose match (the same person) or non-match (two people)."))
        if len(note) > MAX_NOTE:
            raise InvalidInput(N_("Keep the note under 2,000 characters."))
        review = _saved_review(request)
        probability = review.probability(left, right) if review else None
        review_decision(
            session, me.who, left, right, decision, note=note,
            match_probability=probability, queued=probability is not None,
        )  # fmt: skip
    except InvalidInput as exc:
        session.rollback()
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=422)
        return _page(request, me, session, page, error=str(exc), form=raw)
    session.commit()
    ctx_of(request).invalidate()
    back = f"/linkage/review?page={page}"
    if wants_json(request):
        return JSONResponse(
            {
                "recorded": {"record_l": left, "record_r": right, "decision": decision},
                "applies_from": "the next linkage run",
                "url": back,
            }
        )
    response = RedirectResponse(back, status_code=303)
    return flash(request, response, RECORDED[decision], APPLIES, l=left, r=right)
