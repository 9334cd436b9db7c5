"""Web sessions held on the server, so that they can be ended.

A signed-in browser holds a random token (in a signed cookie); the database holds only the
token's SHA-256, the user and two times. A session is valid while its row exists, the user is
active, it has been used within the idle time and it is younger than its lifetime. Rows are
deleted at sign-out (:func:`end_session`), for every session of a user whose password, role or
active flag changes (:func:`end_sessions_of`, called by ``store/users.py``), and when expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from uncounted.settings import Settings
from uncounted.store.tables import User, WebSession

#: A session's last use is written at most this often (not on every request).
SEEN_EVERY = dt.timedelta(seconds=60)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    """What the database stores of a session token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: ``idle`` without a request, ``lifetime`` in all."""

    idle: dt.timedelta = dt.timedelta(minutes=30)
    lifetime: dt.timedelta = dt.timedelta(hours=8)

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        """The policy of ``UNCOUNTED_SESSION_IDLE_MINUTES`` and ``UNCOUNTED_SESSION_HOURS``."""
        return cls(
            dt.timedelta(minutes=settings.session_idle_minutes),
            dt.timedelta(hours=settings.session_hours),
        )


def open_session(session: Session, user_id: int, now: dt.datetime | None = None) -> str:
    """Start a session for ``user_id``; return its token (for the cookie, never stored)."""
    now = now or _now()
    token = secrets.token_urlsafe(32)
    session.add(WebSession(id=token_hash(token), user_id=user_id, created_at=now, seen_at=now))
    return token


def session_user(
    session: Session, token: str, policy: SessionPolicy, now: dt.datetime | None = None
) -> User | None:
    """The active user of a live session, or ``None`` (unknown, ended, idle, too old, or the
    user deactivated). Notes the use (at most every :data:`SEEN_EVERY`)."""
    now = now or _now()
    row = session.get(WebSession, token_hash(token))
    if row is None or now - row.seen_at > policy.idle or now - row.created_at > policy.lifetime:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.seen_at >= SEEN_EVERY:
        row.seen_at = now
    return user


def end_session(session: Session, token: str) -> None:
    """End the session of ``token`` (sign-out)."""
    session.execute(delete(WebSession).where(WebSession.id == token_hash(token)))


def end_sessions_of(session: Session, user_id: int) -> None:
    """End every session of a user (password, role or active flag changed)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def purge_expired(session: Session, policy: SessionPolicy, now: dt.datetime | None = None) -> None:
    """Delete the rows of sessions past their idle time or lifetime."""
    now = now or _now()
    session.execute(
        delete(WebSession).where(
            or_(
                WebSession.seen_at < now - policy.idle,
                WebSession.created_at < now - policy.lifetime,
            )
        )
    )


__all__ = [
    "SEEN_EVERY",
    "SessionPolicy",
    "end_session",
    "end_sessions_of",
    "open_session",
    "purge_expired",
    "session_user",
    "token_hash",
]
