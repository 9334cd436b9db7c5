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

Concurrent attempts are serialised per key: each attempt first upserts its three rows (created
empty, or left as they are) and so holds them locked until its transaction ends, so a
burst of guesses sent at once is counted guess by guess and refused once a delay starts (on
SQLite the insert takes the database's write lock; on PostgreSQL the rows are locked in key
order, so two attempts never wait for each other in a circle).

So one address guessing one password slows down to one guess per 15 minutes after a few tries,
a guesser spread over many addresses slows down on the account, and nobody can lock the admin
out: from an address they have used before, only their own failures delay them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from sqlalchemy import delete, or_
from sqlalchemy.dialects import postgresql, sqlite
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


def _claim(session: Session, keys: dict[str, str]) -> dict[str, SignInThrottle]:
    """The throttle rows of ``keys`` (role -> key), created empty if missing, locked until the
    transaction ends and read afresh (what a concurrent attempt committed meanwhile)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    ordered = sorted(keys.values())
    table = SignInThrottle.__table__
    session.execute(  # a row that exists is "updated" to itself: locked, not changed
        insert(SignInThrottle)
        .values([{"key": key, "failures": 0, "known": False} for key in ordered])
        .on_conflict_do_update(index_elements=["key"], set_={"failures": table.c.failures})
    )
    by_key = {
        key: session.get(SignInThrottle, key, with_for_update=True, populate_existing=True)
        for key in ordered
    }
    rows = {role: by_key[key] for role, key in keys.items()}
    missing = [role for role, row in rows.items() if row is None]
    if missing:  # cannot happen: the upsert holds them (a row deleted by hand, outside the lock)
        raise RuntimeError(f"sign-in throttle rows vanished: {missing}")
    return {role: row for role, row in rows.items() if row is not None}


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
    rows = _claim(session, keys)
    known = rows["pair"].known
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
        for role in keys:
            row = rows[role]
            if row.last_failure is not None and now - row.last_failure > FORGET:
                row.failures = 0
            row.failures += 1
            row.last_failure = now
            pause = delay(row.failures, LIMITS[role])
            row.not_before = now + pause if pause else None
        return SignInResult(None)
    pair = rows["pair"]
    pair.failures, pair.last_failure, pair.not_before, pair.known = 0, None, None, True
    session.delete(rows["account"])
    session.flush()
    session.execute(  # forgotten or no failures need no row (known pairs are kept)
        delete(SignInThrottle).where(
            SignInThrottle.known.is_(False),
            or_(SignInThrottle.last_failure.is_(None), SignInThrottle.last_failure < now - FORGET),
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
