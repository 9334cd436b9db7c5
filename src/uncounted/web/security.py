"""Sessions, CSRF tokens, sign-in rate limiting and security headers.

* **Session**: a cookie ``uncounted_session`` signed (HMAC-SHA256 via ``itsdangerous``) with the
  secret key, holding the user id, a CSRF token and the issue time; ``HttpOnly``,
  ``SameSite=Strict``, ``Secure`` when served over HTTPS, valid for :data:`SESSION_HOURS`. A new
  session (and CSRF token) is issued at sign-in, so a token seen before sign-in is useless after.
* **CSRF**: every unsafe request must carry the session's token in the form field
  ``csrf_token`` or the ``X-CSRF-Token`` header (HTMX sends it from ``hx-headers``).
* **Rate limit**: at most :data:`SIGNIN_ATTEMPTS` sign-in attempts per client address and per
  username in :data:`SIGNIN_WINDOW` seconds (in memory, per process), on top of the account
  lockout in ``store/users.py``.
* **Headers**: a Content-Security-Policy without inline script or style, frame denial,
  ``nosniff``, no referrer, and no caching of pages with personal data.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "uncounted_session"
SESSION_HOURS = 8
SIGNIN_ATTEMPTS = 10
SIGNIN_WINDOW = 300.0

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
)


@dataclass(frozen=True)
class SessionData:
    """What the session cookie carries."""

    user_id: int | None
    csrf: str
    issued: float


class SessionSigner:
    """Signs and checks session cookies with the secret key."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._serializer = URLSafeTimedSerializer(secret, salt="uncounted.session")

    def new(self, user_id: int | None) -> SessionData:
        """A fresh session with a new CSRF token."""
        return SessionData(user_id, secrets.token_urlsafe(32), time.time())

    def dump(self, session: SessionData) -> str:
        """The cookie value of ``session``."""
        return self._serializer.dumps([session.user_id, session.csrf, session.issued])

    def seal(self, payload: list[Any], salt: str) -> str:
        """A signed token carrying ``payload`` (e.g. a pending upload), bound to ``salt``."""
        return URLSafeTimedSerializer(self._secret, salt=salt).dumps(payload)

    def unseal(self, token: str, salt: str, max_age: int) -> list[Any] | None:
        """The payload of a token made by :meth:`seal`, or ``None`` if forged or expired."""
        try:
            payload = URLSafeTimedSerializer(self._secret, salt=salt).loads(token, max_age=max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        return payload if isinstance(payload, list) else None

    def load(self, cookie: str | None) -> SessionData | None:
        """The session in a cookie, or ``None`` if absent, forged or expired."""
        if not cookie:
            return None
        try:
            user_id, csrf, issued = self._serializer.loads(cookie, max_age=SESSION_HOURS * 3600)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(csrf, str) or (user_id is not None and not isinstance(user_id, int)):
            return None
        return SessionData(user_id, csrf, float(issued))


def csrf_ok(session: SessionData | None, token: str | None) -> bool:
    """Whether ``token`` is the session's CSRF token (constant-time comparison)."""
    if session is None or not token:
        return False
    return hmac.compare_digest(session.csrf.encode(), token.encode())


class RateLimiter:
    """Sliding-window counter of attempts per key (thread-safe, in memory)."""

    def __init__(self, attempts: int = SIGNIN_ATTEMPTS, window: float = SIGNIN_WINDOW) -> None:
        self.attempts = attempts
        self.window = window
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, *keys: str) -> bool:
        """Count an attempt under every key; ``False`` if any key is over the limit."""
        now = time.monotonic()
        allowed = True
        with self._lock:
            for key in keys:
                seen = self._seen[key]
                while seen and now - seen[0] > self.window:
                    seen.popleft()
                if len(seen) >= self.attempts:
                    allowed = False
                seen.append(now)
        return allowed


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = [
    "COOKIE",
    "CSP",
    "HEADERS",
    "SESSION_HOURS",
    "SIGNIN_ATTEMPTS",
    "SIGNIN_WINDOW",
    "RateLimiter",
    "SecurityHeaders",
    "SessionData",
    "SessionSigner",
    "csrf_ok",
]
