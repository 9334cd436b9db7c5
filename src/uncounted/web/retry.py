"""Retry a read request that lost a race for SQLite's write lock.

Pages that show identifying fields write an audit record of that read in the same
transaction. On SQLite, a transaction that started by reading cannot take the write lock once
another writer has committed after its snapshot ("database is locked"); the right answer is to
run the request again. This ASGI middleware does that when no byte of the response was sent
yet, a few times with a random backoff: for every ``GET``, and for writes whose body is small
enough to keep in memory and replay (forms; not file uploads).
"""

from __future__ import annotations

import asyncio
import random

from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ATTEMPTS = 6
#: Largest request body kept for a replay.
MAX_REPLAY = 1024 * 1024


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig)


class RetryLockedReads:
    """ASGI middleware: re-run a ``GET`` that failed on a SQLite lock (see module docs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = int(headers.get(b"content-length", b"0") or 0)
        if scope["method"] not in ("GET", "HEAD") and (
            length > MAX_REPLAY or b"content-length" not in headers
        ):
            await self.app(scope, receive, send)
            return
        body: list[Message] = []
        if scope["method"] not in ("GET", "HEAD"):
            while True:
                message = await receive()
                body.append(message)
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        for attempt in range(ATTEMPTS):

            async def replay(pending: list[Message] = list(body)) -> Message:  # noqa: B006
                if pending:
                    return pending.pop(0)
                return await receive()

            try:
                await self.app(scope, replay if body else receive, tracking_send)
                return
            except Exception as exc:
                if started or not _locked(exc) or attempt == ATTEMPTS - 1:
                    raise
            await asyncio.sleep(random.uniform(0.005, 0.02) * 2**attempt)


__all__ = ["ATTEMPTS", "MAX_REPLAY", "RetryLockedReads"]
