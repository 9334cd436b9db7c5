"""What every route needs: the database session, the signed-in user, CSRF, and rendering.

:func:`render` is where a page and its JSON twin part ways: the same ``data`` dict becomes a
template's context or the JSON body (for ``/api/...`` paths and ``Accept: application/json``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from uncounted.errors import AccessDenied
from uncounted.store.access import Principal
from uncounted.store.db import session_scope
from uncounted.store.users import principal
from uncounted.store.web_sessions import SessionPolicy, session_user
from uncounted.web.security import (
    COOKIE,
    Network,
    SessionData,
    SessionSigner,
    client_address,
    csrf_ok,
)
from uncounted.web.uploads import PendingUploads


class CsrfRejected(AccessDenied):
    """An unsafe request without the session's CSRF token."""


class NotSignedIn(Exception):
    """Raised by :func:`current_user` when the request has no valid session."""


@dataclass
class WebContext:
    """Process-wide state of one app: engine, signer, templates, session policy, pending
    uploads, proxies, small caches."""

    engine: Engine
    signer: SessionSigner
    templates: Jinja2Templates
    sessions: SessionPolicy
    uploads: PendingUploads
    bundles: PendingUploads  # verified open-data bundles waiting for their download
    trusted_proxies: Sequence[Network] = ()
    secure_cookies: bool = False
    risk_table: Path | None = None  # due diligence: settings.risk_table
    zones: tuple[Path, ...] = ()  # due diligence: settings.zone_files
    linkage_runs: Path | None = None  # saved linkage runs: <data dir>/linkage
    open_data_min_k: int = 5  # settings.open_data_min_k
    _cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)

    def cached(
        self, key: str, ttl: float, compute: Callable[[], Any], background: bool = False
    ) -> Any:
        """``compute()``'s value, kept for ``ttl`` seconds or until :meth:`invalidate`.

        One thread computes a key at a time; while it refreshes a stale value, the others get
        the previous value instead of piling up behind it. With ``background``, a stale value
        is refreshed in a background thread and returned at once (only a missing value is
        waited for): for aggregates that take long to compute on a large store.
        """
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        if hit is not None and not lock.acquire(blocking=False):
            return hit[1]
        if hit is None:
            lock.acquire()
        elif background:
            threading.Thread(target=self._refresh, args=(key, compute, lock), daemon=True).start()
            return hit[1]
        try:
            hit = self._cache.get(key)
            if hit is not None and time.monotonic() - hit[0] < ttl:
                return hit[1]
            value = compute()
            self._cache[key] = (time.monotonic(), value)
            return value
        finally:
            lock.release()

    def ready(self, key: str, ttl: float, background: bool = False) -> bool:
        """Whether :meth:`cached` would answer ``key`` at once, without computing: the value
        is fresh, or (with ``background``) present and refreshed in the background."""
        hit = self._cache.get(key)
        if hit is None:
            return False
        return background or time.monotonic() - hit[0] < ttl

    def _refresh(self, key: str, compute: Callable[[], Any], lock: threading.Lock) -> None:
        try:
            self._cache[key] = (time.monotonic(), compute())
        finally:
            lock.release()

    def invalidate(self) -> None:
        """Mark cached aggregates stale after a write: the next request recomputes them
        (requests arriving meanwhile get the previous values)."""
        with self._lock:
            for key, (_, value) in list(self._cache.items()):
                self._cache[key] = (float("-inf"), value)


def ctx_of(request: Request) -> WebContext:
    """The app's :class:`WebContext`."""
    ctx: WebContext = request.app.state.ctx
    return ctx


def wants_json(request: Request) -> bool:
    """Whether to answer with JSON: ``/api/...`` paths, or JSON preferred in ``Accept``."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def db(request: Request) -> AsyncIterator[Session]:
    """A session in one transaction for the request (committed when the route returns).

    Opening and committing run on the event loop, not in a worker thread: they take
    microseconds, less than a hop to the thread pool and back, which every request would pay
    twice. The route itself (the queries) still runs in the pool.
    """
    with session_scope(ctx_of(request).engine) as session:
        yield session


def session_of(request: Request) -> SessionData | None:
    """The request's session cookie, if valid (signed and not too old; whether its server-side
    session is still live is :func:`current_user`'s check)."""
    return ctx_of(request).signer.load(request.cookies.get(COOKIE))


def client_of(request: Request) -> str:
    """The client's address: ``X-Forwarded-For`` is believed only from trusted proxies."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return client_address(peer, forwarded, ctx_of(request).trusted_proxies)


@dataclass(frozen=True)
class Me:
    """The signed-in user and their session."""

    who: Principal
    session: SessionData


async def current_user(request: Request, session: Annotated[Session, Depends(db)]) -> Me:
    """The signed-in, active user of a live server-side session, or :class:`NotSignedIn`.

    Checked on every request, so that a session ended by sign-out, a password or role change,
    idleness or age, or a deactivated account, is out at once. The lookups by primary key run
    on the event loop (a fraction of a millisecond; cheaper than a hop to the thread pool).
    """
    me = _signed_in(request, session)
    if me is None:
        raise NotSignedIn
    return me


def _signed_in(request: Request, session: Session) -> Me | None:
    """The user of the request's live server-side session, or ``None``."""
    data = session_of(request)
    if data is None or data.user_id is None or data.token is None:
        return None
    user = session_user(session, data.token, ctx_of(request).sessions)
    if user is None or user.id != data.user_id:
        return None
    return Me(principal(user), data)


def me_or_none(request: Request) -> Me | None:
    """The signed-in user, or ``None`` (signed out, or the store cannot say): for pages that
    are shown to everyone but keep the navigation for those signed in, such as error pages."""
    if session_of(request) is None:
        return None  # signed out: no need to open the store
    try:
        with session_scope(ctx_of(request).engine) as session:
            return _signed_in(request, session)
    except Exception:  # an error page must not fail because the store does
        return None


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request without the session's CSRF token (403)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    token = request.headers.get("x-csrf-token")
    if token is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not csrf_ok(session_of(request), token):
        raise CsrfRejected("The form expired or did not come from this site; reload the page.")


async def form_data(request: Request) -> AsyncIterator[dict[str, str]]:
    """The submitted fields (form-encoded, multipart or a JSON object), after the CSRF check.

    Uploaded files stay in ``await request.form()`` for the route; they are closed after it.
    """
    if "application/json" in request.headers.get("content-type", ""):
        await check_csrf(request)
        body = await request.json()
        if not isinstance(body, dict):
            raise AccessDenied("Send a JSON object of field names to values.")
        yield {str(k): "" if v is None else str(v) for k, v in body.items()}
        return
    form = await request.form()
    try:
        await check_csrf(request)
        yield {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    finally:
        await form.close()


#: Route parameter types: the signed-in user, the request's database session, form fields.
CurrentUser = Annotated[Me, Depends(current_user)]
DbSession = Annotated[Session, Depends(db)]
FormData = Annotated[dict[str, str], Depends(form_data)]


#: The cookie that carries a one-time message to the next page (:func:`flash`).
FLASH_COOKIE = "uncounted_flash"
_FLASH_SALT = "uncounted.flash"
_FLASH_SECONDS = 120


def flash(request: Request, response: Response, *messages: str, **params: int | str) -> Response:
    """Show ``messages`` once, on the next page this browser is shown (after a redirect): "the
    records were merged". The one way a page says what a form did: nothing goes in the URL,
    so the message is not bookmarked, shared or shown again on reload. Each message is English
    marked with ``N_`` (translated when shown), with ``%(name)s`` placeholders filled from
    ``params``; keep names and other identifying text out of them (the cookie is signed, not
    encrypted)."""
    ctx = ctx_of(request)
    response.set_cookie(
        FLASH_COOKIE,
        ctx.signer.seal([list(messages), params], _FLASH_SALT),
        max_age=_FLASH_SECONDS,
        httponly=True,
        samesite="strict",
        secure=ctx.secure_cookies,
    )
    return response


def _take_flash(request: Request) -> dict[str, Any] | None:
    token = request.cookies.get(FLASH_COOKIE)
    if not token:
        return None
    payload = ctx_of(request).signer.unseal(token, _FLASH_SALT, _FLASH_SECONDS)
    if payload is None or len(payload) != 2:
        return None
    messages, params = payload
    if not isinstance(messages, list) or not isinstance(params, dict):
        return None
    if not messages or not all(isinstance(m, str) for m in messages):
        return None
    return {"messages": messages, "params": params}


def page_response(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """``template`` with ``context`` and the one-time message of :func:`flash` (``flash``),
    whose cookie this drops: it is shown once (or dropped if forged or expired)."""
    response = ctx_of(request).templates.TemplateResponse(
        request, template, {**context, "flash": _take_flash(request)}, status_code=status_code
    )
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, httponly=True, samesite="strict")
    return response


def render(
    request: Request,
    template: str,
    data: dict[str, Any],
    me: Me | None = None,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    """The page ``template`` with ``data``, or ``data`` as JSON for the JSON twin.

    ``extra`` holds presentation-only context (charts as SVG, form specs) left out of JSON.
    """
    if wants_json(request):
        return JSONResponse(data, status_code=status_code)
    session = me.session if me else session_of(request)
    context = {
        "data": data,
        "me": me.who if me else None,
        "csrf": session.csrf if session else "",
        **(extra or {}),
    }
    return page_response(request, template, context, status_code)


__all__ = [
    "FLASH_COOKIE",
    "CsrfRejected",
    "CurrentUser",
    "DbSession",
    "FormData",
    "Me",
    "NotSignedIn",
    "WebContext",
    "check_csrf",
    "client_of",
    "ctx_of",
    "current_user",
    "db",
    "flash",
    "form_data",
    "me_or_none",
    "page_response",
    "render",
    "session_of",
    "wants_json",
]
