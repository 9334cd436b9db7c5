"""Sign in and out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from uncounted.store import audit
from uncounted.store.users import SIGN_IN_DENIED, authenticate, principal
from uncounted.web.context import (
    CurrentUser,
    DbSession,
    FormData,
    ctx_of,
    render,
    session_of,
    wants_json,
)
from uncounted.web.routes import both
from uncounted.web.security import COOKIE, SESSION_HOURS, SessionData

router = APIRouter(tags=["session"])


def _set_cookie(request: Request, response: Response, data: SessionData) -> None:
    ctx = ctx_of(request)
    response.set_cookie(
        COOKIE,
        ctx.signer.dump(data),
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=ctx.secure_cookies,
        path="/",
    )


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@both(router, "/signin", summary="The sign-in form (and a CSRF token for it)")
def signin_form(request: Request, next: str | None = None) -> Response:
    session = session_of(request)
    fresh = session is None
    if session is None:
        session = ctx_of(request).signer.new(None)
    data: dict[str, Any] = {"csrf_token": session.csrf, "next": _safe_next(next)}
    response = (
        JSONResponse(data)
        if wants_json(request)
        else ctx_of(request).templates.TemplateResponse(
            request, "signin.html", {"data": data, "me": None, "csrf": session.csrf}
        )
    )
    if fresh:
        _set_cookie(request, response, session)
    return response


@both(router, "/signin", methods=("POST",), summary="Sign in with username and password")
def signin(
    request: Request,
    session: DbSession,
    form: FormData,
) -> Response:
    ctx = ctx_of(request)
    username = form.get("username", "").strip()
    client = request.client.host if request.client else "unknown"
    if not ctx.limiter.hit(f"ip:{client}", f"user:{username.lower()}"):
        message = "Too many sign-in attempts; wait a few minutes and try again."
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=429)
        current = session_of(request)
        data = {"csrf_token": current.csrf if current else "", "error": message}
        return render(request, "signin.html", data, status_code=429)
    user = authenticate(session, username, form.get("password", ""))
    session.commit()  # failures are counted and audited even though sign-in is refused
    if user is None:
        if wants_json(request):
            return JSONResponse({"error": SIGN_IN_DENIED}, status_code=401)
        current = session_of(request)
        data = {"csrf_token": current.csrf if current else "", "error": SIGN_IN_DENIED}
        return render(request, "signin.html", data, status_code=401)
    new = ctx.signer.new(user.id)
    who = principal(user)
    body = {"username": who.username, "role": who.role.value, "agency_id": who.agency_id}
    response: Response
    if wants_json(request):
        response = JSONResponse({**body, "csrf_token": new.csrf})
    else:
        response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    _set_cookie(request, response, new)
    return response


@both(router, "/signout", methods=("POST",), summary="Sign out")
def signout(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    form: FormData,
) -> Response:
    audit.record(session, me.who, audit.AuditAction.SIGN_OUT, "users", str(me.who.user_id))
    session.commit()
    response: Response = (
        JSONResponse({"signed_out": True})
        if wants_json(request)
        else RedirectResponse("/signin", status_code=303)
    )
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/api/me", tags=["session"], summary="Who is signed in")
def me_json(me: CurrentUser) -> dict[str, Any]:
    return {
        "username": me.who.username,
        "role": me.who.role.value,
        "agency_id": me.who.agency_id,
        "csrf_token": me.session.csrf,
    }
