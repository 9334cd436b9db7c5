"""Signing in, with growing delays after failures instead of an account lockout.

Failed attempts are counted under three keys (the SHA-256 of each, in ``sign_in_throttle``):

=====================  ======================  ===============================================
key                    free failures           then each further failure makes the next attempt
                                               wait (doubling from 1 s, up to)
=====================  ======================  ===============================================
account and address    :data:`PAIR` (5)        15 minutes
address                :data:`ADDRESS` (20)    15 minutes
account                :data:`ACCOUNT` (10)    5 minutes, and not for an address that has
                                               signed in to the account before
=====================  ======================  ===============================================

While a wait runs, attempts are refused without checking the password (so they teach a guesser
nothing) and without being counted. Only failures count; a success clears the account's and
the pair's counts and marks the pair as known. Failures older than :data:`FORGET` are forgotten.

So one address guessing one password slows down to one guess per 15 minutes after a few tries,
a guesser spread over many addresses slows down on the account, and nobody can lock the admin
out: from an address they have used before, only their own failures delay them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from uncounted.store import audit
from uncounted.store.tables import SignInThrottle, User
from uncounted.store.users import authenticate
from uncounted.store.web_sessions import SessionPolicy, open_session, purge_expired


@dataclass(frozen=True)
class Limit:
    """Failures allowed before delays start, and the longest delay."""

    free: int
    cap: dt.timedelta


PAIR = Limit(5, dt.timedelta(minutes=15))
ADDRESS = Limit(20, dt.timedelta(minutes=15))
ACCOUNT = Limit(10, dt.timedelta(minutes=5))
LIMITS = {"pair": PAIR, "address": ADDRESS, "account": ACCOUNT}
#: Failures older than this (since the last one) are forgotten.
FORGET = dt.timedelta(hours=24)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def delay(failures: int, limit: Limit) -> dt.timedelta:
    """How long the next attempt waits after ``failures`` failures in a row under ``limit``."""
    if failures < limit.free:
        return dt.timedelta(0)
    seconds = 2.0 ** min(failures - limit.free, 20)
    return min(limit.cap, dt.timedelta(seconds=seconds))


def _keys(username: str, address: str) -> dict[str, str]:
    name = username.strip().lower()
    raw = {"pair": f"pair:{name}:{address}", "address": f"address:{address}"}
    raw["account"] = f"user:{name}"
    return {role: hashlib.sha256(text.encode()).hexdigest() for role, text in raw.items()}


@dataclass(frozen=True)
class SignInResult:
    """The outcome of :func:`sign_in`: the user and their session token, or nothing and how
    many seconds to wait before trying again (0: the credentials were wrong)."""

    user: User | None
    token: str | None = None
    wait_seconds: int = 0


def sign_in(
    session: Session,
    username: str,
    password: str,
    address: str,
    policy: SessionPolicy,
    now: dt.datetime | None = None,
) -> SignInResult:
    """Check a sign-in from ``address`` and open a web session if it succeeds.

    Audited (in ``session``, which the caller commits whatever the outcome, so that failures
    are counted).
    """
    now = now or _now()
    keys = _keys(username, address)
    # locked until commit on PostgreSQL, so that concurrent failures are all counted
    rows = {
        role: session.get(SignInThrottle, key, with_for_update=True) for role, key in keys.items()
    }
    known = rows["pair"] is not None and rows["pair"].known
    waits = [
        (row.not_before - now).total_seconds()
        for role, row in rows.items()
        if row is not None and row.not_before is not None and not (role == "account" and known)
    ]
    wait = max([0.0, *waits])
    if wait > 0:
        audit.record(
            session, username[:80], audit.AuditAction.SIGN_IN_FAILED, "users",
            detail=f"refused unchecked: too many failed sign-ins, next attempt in {wait:.0f} s",
        )  # fmt: skip
        return SignInResult(None, None, math.ceil(wait))
    user = authenticate(session, username, password, now)
    if user is None:
        for role, key in keys.items():
            row = rows[role]
            if row is None:
                row = SignInThrottle(key=key, failures=0, known=False)
                session.add(row)
            if row.last_failure is not None and now - row.last_failure > FORGET:
                row.failures = 0
            row.failures += 1
            row.last_failure = now
            pause = delay(row.failures, LIMITS[role])
            row.not_before = now + pause if pause else None
        return SignInResult(None)
    pair = rows["pair"] or SignInThrottle(key=keys["pair"])
    pair.failures, pair.last_failure, pair.not_before, pair.known = 0, None, None, True
    session.add(pair)
    if rows["account"] is not None:
        session.delete(rows["account"])
    session.execute(  # forgotten failures need no row (known pairs are kept)
        delete(SignInThrottle).where(
            SignInThrottle.known.is_(False), SignInThrottle.last_failure < now - FORGET
        )
    )
    purge_expired(session, policy, now)
    return SignInResult(user, open_session(session, user.id, now))


def forget_failures(session: Session, username: str) -> None:
    """Clear the account-wide failure count of ``username`` (an administrator's unlock)."""
    key = _keys(username, "")["account"]
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


__all__ = [
    "ACCOUNT",
    "ADDRESS",
    "FORGET",
    "LIMITS",
    "PAIR",
    "Limit",
    "SignInResult",
    "delay",
    "forget_failures",
    "sign_in",
]
