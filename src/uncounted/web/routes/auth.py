"""Sign in and out.

Signing in opens a server-side session (``store/web_sessions.py``) whose token rides in the
signed cookie; signing out deletes it, so a copied cookie is worthless afterwards. Failed
attempts delay further ones (``store/signin.py``), counted per account, per client address
(``X-Forwarded-For`` only from trusted proxies) and per pair; a delayed attempt gets 429 with
``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from uncounted.errors import InvalidInput
from uncounted.store import audit
from uncounted.store.signin import sign_in
from uncounted.store.users import (
    MIN_PASSWORD_LENGTH,
    SIGN_IN_DENIED,
    change_own_password,
    principal,
    reset_link_username,
    set_own_language,
    use_reset_link,
)
from uncounted.store.web_sessions import end_session, open_session
from uncounted.web.context import (
    CurrentUser,
    DbSession,
    FormData,
    Me,
    client_of,
    ctx_of,
    flash,
    page_response,
    render,
    session_of,
    wants_json,
)
from uncounted.web.i18n import N_, catalogues, languages
from uncounted.web.routes import both
from uncounted.web.security import COOKIE, SessionData

router = APIRouter(tags=["session"])

#: What the account page says after the password is changed (:func:`flash`).
PASSWORD_CHANGED = N_("Your password is changed. Every other session of your account has ended.")
#: What the sign-in page says after a reset link set a new password.
PASSWORD_SET = N_("Your new password is set; sign in with it.")


def _set_cookie(request: Request, response: Response, data: SessionData) -> None:
    ctx = ctx_of(request)
    response.set_cookie(
        COOKIE,
        ctx.signer.dump(data),
        max_age=int(ctx.sessions.lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=ctx.secure_cookies,
        path="/",
    )


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _anonymous_page(
    request: Request,
    template: str,
    data: dict[str, Any],
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A page for someone not signed in (sign-in, a reset link): it starts an anonymous
    session when there is none, for the CSRF token its form posts back (``data["csrf_token"]``)."""
    session = session_of(request)
    fresh = session is None
    if session is None:
        session = ctx_of(request).signer.new(None)
    data = {**data, "csrf_token": session.csrf}
    response = (
        JSONResponse(data, status_code=status)
        if wants_json(request)
        else page_response(
            request,
            template,
            {"data": data, "me": None, "csrf": session.csrf, **(extra or {})},
            status,
        )
    )
    if fresh:
        _set_cookie(request, response, session)
    return response


@both(router, "/signin", summary="The sign-in form (and a CSRF token for it)")
def signin_form(request: Request, next: str | None = None) -> Response:
    return _anonymous_page(request, "signin.html", {"next": _safe_next(next)})


@both(router, "/signin", methods=("POST",), summary="Sign in with username and password")
def signin(
    request: Request,
    session: DbSession,
    form: FormData,
) -> Response:
    ctx = ctx_of(request)
    username = form.get("username", "").strip()
    outcome = sign_in(session, username, form.get("password", ""), client_of(request), ctx.sessions)
    previous = session_of(request)
    if outcome.token is not None and previous is not None and previous.token is not None:
        end_session(session, previous.token)  # signing in again replaces the old session
    session.commit()  # failures are counted and audited even though sign-in is refused
    user = outcome.user
    if user is None or outcome.token is None:
        status, message = 401, SIGN_IN_DENIED
        if outcome.wait_seconds:
            status = 429
            message = (
                "Too many failed sign-ins; wait "
                f"{outcome.wait_seconds} seconds before trying again."
            )
        headers = {"Retry-After": str(outcome.wait_seconds)} if status == 429 else None
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=status, headers=headers)
        current = session_of(request)
        data = {"csrf_token": current.csrf if current else "", "error": message}
        page = render(request, "signin.html", data, status_code=status)
        page.headers.update(headers or {})
        return page
    new = ctx.signer.new(user.id, outcome.token)
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
    if me.session.token is not None:
        end_session(session, me.session.token)
    audit.record(session, me.who, audit.AuditAction.SIGN_OUT, "users", str(me.who.user_id))
    session.commit()
    response: Response = (
        JSONResponse({"signed_out": True})
        if wants_json(request)
        else RedirectResponse("/signin", status_code=303)
    )
    response.delete_cookie(
        COOKIE, path="/", secure=ctx_of(request).secure_cookies, httponly=True, samesite="strict"
    )
    return response


def _account(me: Me, error: str | None = None) -> dict[str, Any]:
    return {
        "username": me.who.username,
        "role": me.who.role.value,
        "min_password_length": MIN_PASSWORD_LENGTH,
        "error": error,
        "language": me.who.language or "",
        "languages": [list(pair) for pair in languages()],
    }


@both(router, "/account", summary="Your account, and the form to change your password")
def account_page(request: Request, me: CurrentUser) -> Response:
    return render(request, "account.html", _account(me), me)


@both(router, "/account/password", methods=("POST",), summary="Change your own password")
def change_password(
    request: Request, me: CurrentUser, session: DbSession, form: FormData
) -> Response:
    """Every session of the account ends (a stolen cookie with it); this browser gets a new
    one and stays signed in."""
    try:
        change_own_password(
            session,
            me.who,
            form.get("current_password", ""),
            form.get("new_password", ""),
            form.get("repeat_password", ""),
        )
    except InvalidInput as exc:
        session.commit()  # a wrong current password is counted and audited
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=422)
        return render(request, "account.html", _account(me, str(exc)), me, status_code=422)
    assert me.who.user_id is not None
    token = open_session(session, me.who.user_id)
    session.commit()
    new = ctx_of(request).signer.new(me.who.user_id, token)
    response: Response
    if wants_json(request):
        response = JSONResponse({"changed": True, "csrf_token": new.csrf})
    else:
        response = flash(request, RedirectResponse("/account", status_code=303), PASSWORD_CHANGED)
    _set_cookie(request, response, new)
    return response


@both(router, "/account/language", methods=("POST",), summary="Choose your own web language")
def change_language(
    request: Request, me: CurrentUser, session: DbSession, form: FormData
) -> Response:
    """Every page is then shown in this language (``""``: the browser's); audited."""
    language = form.get("language", "")
    try:
        set_own_language(session, me.who, language, catalogues())
    except InvalidInput as exc:
        session.rollback()
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=422)
        return render(request, "account.html", _account(me, str(exc)), me, status_code=422)
    session.commit()
    if wants_json(request):
        return JSONResponse({"language": language.strip() or None})
    return RedirectResponse("/account", status_code=303)


def _reset_page(
    request: Request, token: str, username: str | None, error: str | None, status: int
) -> Response:
    data: dict[str, Any] = {
        "valid": username is not None,
        "username": username,
        "min_password_length": MIN_PASSWORD_LENGTH,
        "error": error,
    }
    return _anonymous_page(request, "reset.html", data, status, {"token": token})


@both(router, "/reset/{token}", summary="The form of a one-time password reset link")
def reset_form(request: Request, session: DbSession, token: str) -> Response:
    username = reset_link_username(session, token)
    expired = "This link has expired or has been used; ask an administrator for a new one."
    return _reset_page(
        request, token, username, None if username else expired, 200 if username else 404
    )


@both(
    router,
    "/reset/{token}",
    methods=("POST",),
    summary="Set a new password through a one-time reset link",
)
def reset_password(request: Request, session: DbSession, form: FormData, token: str) -> Response:
    try:
        username = use_reset_link(
            session, token, form.get("new_password", ""), form.get("repeat_password", "")
        )
    except InvalidInput as exc:
        session.rollback()
        return _reset_page(request, token, reset_link_username(session, token), str(exc), 422)
    session.commit()
    if wants_json(request):
        return JSONResponse({"changed": True, "username": username})
    return flash(request, RedirectResponse("/signin", status_code=303), PASSWORD_SET)


@router.get("/api/me", tags=["session"], summary="Who is signed in")
def me_json(me: CurrentUser) -> dict[str, Any]:
    return {
        "username": me.who.username,
        "role": me.who.role.value,
        "agency_id": me.who.agency_id,
        "csrf_token": me.session.csrf,
    }
