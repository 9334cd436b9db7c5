"""Session cookies, CSRF tokens, the client's address and security headers.

* **Session**: a cookie ``uncounted_session`` signed (HMAC-SHA256 via ``itsdangerous``) with the
  secret key, holding the user id, a CSRF token, the issue time and, once signed in, the token
  of a server-side session (``store/web_sessions.py``: ended at sign-out, on a password or role
  change, when idle or too old). ``HttpOnly``, ``SameSite=Strict``, and ``Secure`` when the app
  runs behind TLS. A new session (and CSRF token) is issued at sign-in, so a token seen before
  sign-in is useless after.
* **CSRF**: every unsafe request must carry the session's token in the form field
  ``csrf_token`` or the ``X-CSRF-Token`` header (HTMX sends it from ``hx-headers``).
* **Client address** (for sign-in delays, ``store/signin.py``): the TCP peer, unless the peer is
  one of the configured trusted proxies; then the nearest untrusted address in
  ``X-Forwarded-For``. The header is ignored from anyone else, so it cannot be forged.
* **Headers**: a Content-Security-Policy without inline script or style, frame denial,
  ``nosniff``, no referrer, no caching of pages with personal data, and HSTS behind TLS.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "uncounted_session"
#: Lifetime of a cookie without a server-side session (the sign-in form's CSRF token).
ANONYMOUS_HOURS = 8
#: ``Strict-Transport-Security`` behind TLS: two years, subdomains included (OWASP HSTS sheet).
HSTS = b"max-age=63072000; includeSubDomains"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

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
    """What the session cookie carries (``token``: the server-side session, once signed in)."""

    user_id: int | None
    csrf: str
    issued: float
    token: str | None = None


class SessionSigner:
    """Signs and checks session cookies with the secret key."""

    def __init__(self, secret: bytes, max_age_hours: int = ANONYMOUS_HOURS) -> None:
        self._secret = secret
        self._max_age = max_age_hours * 3600
        self._serializer = URLSafeTimedSerializer(secret, salt="uncounted.session")

    def new(self, user_id: int | None, token: str | None = None) -> SessionData:
        """A fresh session with a new CSRF token (``token``: its server-side session)."""
        return SessionData(user_id, secrets.token_urlsafe(32), time.time(), token)

    def dump(self, session: SessionData) -> str:
        """The cookie value of ``session``."""
        return self._serializer.dumps(
            [session.user_id, session.csrf, session.issued, session.token]
        )

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
            user_id, csrf, issued, token = self._serializer.loads(cookie, max_age=self._max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(csrf, str) or (user_id is not None and not isinstance(user_id, int)):
            return None
        if (user_id is None) != (token is None) or not isinstance(token, str | None):
            return None
        return SessionData(user_id, csrf, float(issued), token)


def csrf_ok(session: SessionData | None, token: str | None) -> bool:
    """Whether ``token`` is the session's CSRF token (constant-time comparison)."""
    if session is None or not token:
        return False
    return hmac.compare_digest(session.csrf.encode(), token.encode())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(text: str, trusted: Sequence[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: the TCP ``peer``, or, when the peer is a ``trusted`` proxy, the
    nearest address in ``X-Forwarded-For`` (read from the right) that is not a trusted proxy.

    Proxies append the address they received from, so only the right-hand entries added by our
    own proxies can be believed; whatever the client wrote on the left is skipped.
    """
    address = peer or "unknown"
    if not trusted or not forwarded_for or not _trusted(address, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if _address(hop) is None:
            return address  # a malformed chain: fall back to the proxy itself
        address = hop
        if not _trusted(hop, trusted):
            break
    return address


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` (and HSTS when ``hsts``) to every response."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = (*HEADERS, (b"strict-transport-security", HSTS)) if hsts else HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = [
    "ANONYMOUS_HOURS",
    "COOKIE",
    "CSP",
    "HEADERS",
    "HSTS",
    "SecurityHeaders",
    "SessionData",
    "SessionSigner",
    "client_address",
    "csrf_ok",
]
