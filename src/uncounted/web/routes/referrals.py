"""Referral work: the receiving agency's inbox (accept with consent, decline with a reason,
complete), the sending agency's list of sent referrals (re-send a declined one), and notes
on a case. Each route checks role and agency in ``store/referral_work.py`` /
``store/case_notes.py``, which also audit; a refused form comes back with its problems (422).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from uncounted.domain import code_list
from uncounted.store.case_notes import add_note
from uncounted.store.recording import InvalidRecord
from uncounted.store.referral_work import (
    accept_referral,
    complete_referral,
    decline_referral,
    referral_inbox,
    resend_referral,
    sent_referrals,
)
from uncounted.web.context import CurrentUser, DbSession, FormData, Me, ctx_of, render, wants_json
from uncounted.web.routes import RecordId, both

router = APIRouter(tags=["referrals"])


def _page(
    request: Request,
    me: Me,
    session: Session,
    side: str,
    problems: dict[str, str] | None = None,
    failed: int | None = None,
) -> Response:
    board = (
        referral_inbox(session, me.who) if side == "received" else sent_referrals(session, me.who)
    )
    data = {**board.to_dict(), "problems": problems or {}, "failed": failed}
    extra = {
        "consent_methods": list(code_list("referral_consent_method").labels.items()),
        "today": dt.date.today().isoformat(),
    }
    return render(request, "referrals.html", data, me, 422 if problems else 200, extra)


@both(router, "/referrals", summary="Referrals to your agency, by status (the inbox)")
def inbox(request: Request, me: CurrentUser, session: DbSession) -> Response:
    return _page(request, me, session, "received")


@both(router, "/referrals/sent", summary="Referrals your agency sent, by status")
def sent(request: Request, me: CurrentUser, session: DbSession) -> Response:
    return _page(request, me, session, "sent")


def _decide(
    request: Request,
    me: Me,
    session: Session,
    referral_id: int,
    side: str,
    write: Callable[[], Any],
) -> Response:
    try:
        write()
    except InvalidRecord as exc:
        session.rollback()
        if wants_json(request):
            return JSONResponse({"problems": exc.problems}, status_code=422)
        return _page(request, me, session, side, exc.problems, referral_id)
    session.commit()
    ctx_of(request).invalidate()
    back = "/referrals" if side == "received" else "/referrals/sent"
    if wants_json(request):
        return JSONResponse({"id": referral_id, "url": back})
    return RedirectResponse(back, status_code=303)


def _day(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


@both(
    router,
    "/referrals/{referral_id}/accept",
    methods=("POST",),
    summary="Accept a referral to your agency, recording the person's consent",
)
def accept(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, referral_id: RecordId
) -> Response:
    return _decide(
        request, me, session, referral_id, "received",
        lambda: accept_referral(
            session, me.who, referral_id,
            consent_method=raw.get("consent_method", ""),
            consent_given_on=_day(raw.get("consent_given_on", "")),
            confirmed=raw.get("consent") == "yes",
        ),
    )  # fmt: skip


@both(
    router,
    "/referrals/{referral_id}/decline",
    methods=("POST",),
    summary="Decline a referral to your agency, with the reason",
)
def decline(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, referral_id: RecordId
) -> Response:
    return _decide(
        request, me, session, referral_id, "received",
        lambda: decline_referral(session, me.who, referral_id, raw.get("reason", "")),
    )  # fmt: skip


@both(
    router,
    "/referrals/{referral_id}/complete",
    methods=("POST",),
    summary="Mark an accepted referral to your agency completed (its access ends)",
)
def complete(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, referral_id: RecordId
) -> Response:
    return _decide(
        request, me, session, referral_id, "received",
        lambda: complete_referral(
            session, me.who, referral_id, confirmed=raw.get("confirm") == "yes"
        ),
    )  # fmt: skip


@both(
    router,
    "/referrals/{referral_id}/resend",
    methods=("POST",),
    summary="Send a declined referral of your agency again",
)
def resend(
    request: Request, me: CurrentUser, session: DbSession, referral_id: RecordId
) -> Response:
    return _decide(
        request, me, session, referral_id, "sent",
        lambda: resend_referral(session, me.who, referral_id),
    )  # fmt: skip


@both(router, "/cases/{case_id}/notes", methods=("POST",), summary="Add a note to a case")
def new_note(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, case_id: RecordId
) -> Response:
    try:
        note = add_note(session, me.who, case_id, raw.get("text", ""))
    except InvalidRecord as exc:
        session.rollback()
        if wants_json(request):
            return JSONResponse({"problems": exc.problems}, status_code=422)
        raise
    session.commit()
    ctx_of(request).invalidate()
    if wants_json(request):
        return JSONResponse({"id": note.id, "url": f"/cases/{case_id}"}, status_code=201)
    return RedirectResponse(f"/cases/{case_id}#notes", status_code=303)
