"""A request that loses SQLite's write-lock race is run again, body included."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from uncounted.web.retry import ATTEMPTS, RetryLockedReads


def _app(fail_times: int, seen: list[bytes]):
    calls = {"n": 0}

    async def app(scope, receive, send):
        message = await receive()
        seen.append(message.get("body", b""))
        calls["n"] += 1
        if calls["n"] <= fail_times:
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app, calls


def _run(app, method: str, body: bytes) -> list[dict]:
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    headers = [(b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "method": method, "headers": headers}
    asyncio.run(RetryLockedReads(app)(scope, receive, send))
    return sent


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_retried_until_it_succeeds_with_the_same_body(method):
    seen: list[bytes] = []
    app, calls = _app(2, seen)
    sent = _run(app, method, b"a=1")
    assert calls["n"] == 3 and sent[0]["status"] == 200
    if method == "POST":
        assert seen == [b"a=1"] * 3


def test_gives_up_after_the_last_attempt():
    app, calls = _app(99, [])
    with pytest.raises(OperationalError):
        _run(app, "GET", b"")
    assert calls["n"] == ATTEMPTS
