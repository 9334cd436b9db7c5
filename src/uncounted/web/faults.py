"""Database failures answered in one sentence: 503 while the server is away, and recovery after.

A lost PostgreSQL connection, a server restarting, a busy SQLite store, a full disk or a
damaged database file would otherwise reach the browser as "Internal Server Error". This ASGI
middleware turns each into the status and the sentence of
:func:`~uncounted.store.db.explain_database_error` — JSON (``{"error": ...}``) for JSON clients,
the error page for browsers — as long as no byte of the response was sent. The request's
transaction was rolled back, so nothing is half-written; the engine checks pooled connections
before use, so the first request after the server is back succeeds.
"""

from __future__ import annotations

import json

from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from uncounted.store.db import explain_database_error

#: Seconds a client is asked to wait before retrying a 503.
RETRY_AFTER = 5


def _wants_json(scope: Scope) -> bool:
    if str(scope.get("path", "")).startswith("/api/"):
        return True
    accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
    return "application/json" in accept and "text/html" not in accept


class DatabaseFaults:
    """ASGI middleware: a known database failure becomes a clear answer (see module docs)."""

    def __init__(self, app: ASGIApp, engine: Engine, templates: Jinja2Templates) -> None:
        self.app = app
        self.engine = engine
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            known = explain_database_error(exc, self.engine)
            if started or known is None:
                raise
            status = known.http_status
            headers = [(b"retry-after", str(RETRY_AFTER).encode())] if status == 503 else []
            if _wants_json(scope):
                body = json.dumps({"error": str(known)}).encode("utf-8")
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [(b"content-type", b"application/json"), *headers],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            page = self.templates.TemplateResponse(
                Request(scope),
                "error.html",
                {"message": str(known), "status": status, "me": None, "csrf": ""},
                status_code=status,
            )
            page.headers.update({k.decode(): v.decode() for k, v in headers})
            await page(scope, receive, send)


__all__ = ["RETRY_AFTER", "DatabaseFaults"]
