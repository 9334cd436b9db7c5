"""Users who sign in: argon2id password hashes, roles and agency scope.

Passwords are hashed with argon2id (``argon2-cffi`` defaults: RFC 9106 low-memory profile) and
never stored in clear or copied into the audit log. Accounts are never locked by failures
(anyone could lock out the administrator that way): repeated failures delay further attempts
instead (``store/signin.py``). ``failed_logins`` counts failures in a row, for administrators to
see. Every sign-in and every failure is audited in the same transaction. A password change, a
role change or a deactivation ends the user's web sessions (``store/web_sessions.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Collection
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from uncounted.errors import InvalidInput
from uncounted.settings import Settings
from uncounted.store import audit
from uncounted.store.access import Action, Principal, Resource, Role, check
from uncounted.store.tables import Agency, PasswordReset, User
from uncounted.store.web_sessions import end_sessions_of, token_hash

MIN_PASSWORD_LENGTH = 12

#: The one message for every failed sign-in.
SIGN_IN_DENIED = "Wrong username or password, or the account is not active; try again."

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def principal(user: User) -> Principal:
    """The access-control view of a user."""
    return Principal(user.id, user.username, Role(user.role), user.agency_id, user.language)


def principal_named(session: Session, username: str) -> Principal:
    """The access-control view of the active user ``username``, for work done on their behalf
    outside the web app (``uncounted import --user``, ``uncounted export --user``)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise InvalidInput(
            f"No active user {username!r}; check the name (an administrator can list users)."
        )
    return principal(user)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    agency_id: int | None = None,
    *,
    by: Principal | str = "system",
) -> User:
    """Create a user with an argon2id hash of ``password``; audited as a create."""
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"Unknown role {role!r}; use one of {', '.join(r for r in Role)}.")
    if role == Role.CASEWORKER and agency_id is None:
        raise InvalidInput("A caseworker needs an agency: their scope is that agency's cases.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if not username.strip() or len(username) > 80:
        raise InvalidInput("A username needs 1 to 80 characters.")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInput(f"The username {username!r} is taken; choose another.")
    user = User(
        username=username,
        password_hash=_hasher.hash(password),
        role=role,
        agency_id=agency_id,
        active=True,
        failed_logins=0,
    )
    audit.create(session, by, user)
    return user


def create_user_in(
    settings: Settings, username: str, password: str, role: str, agency_code: str | None = None
) -> str:
    """Create a user in the configured database (agency given by code); return the username."""
    from uncounted.store.db import engine_from_settings, require_current, session_scope
    from uncounted.store.tables import Agency

    engine = engine_from_settings(settings)
    try:
        require_current(engine)
        with session_scope(engine) as session:
            agency_id = None
            if agency_code:
                agency_id = session.scalar(select(Agency.id).where(Agency.code == agency_code))
                if agency_id is None:
                    raise InvalidInput(f"There is no agency with code {agency_code!r}.")
            create_user(session, username, password, role, agency_id, by="cli:add-user")
    finally:
        engine.dispose()
    return username


def _end_access(session: Session, user_id: int) -> None:
    """End every web session of a user and void their password reset link, if any."""
    end_sessions_of(session, user_id)
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user_id))


def set_password(session: Session, user: User, password: str, *, by: Principal | str) -> None:
    """Replace a user's password (audited without the hash), end their web sessions and void
    any reset link made before (whoever intercepted it cannot use it afterwards)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    audit.update(
        session,
        by,
        user,
        {"password_hash": _hasher.hash(password), "failed_logins": 0, "locked_until": None},
    )
    _end_access(session, user.id)


#: Wrong current passwords in a row on the password form after which every session of the
#: account ends (whoever holds a stolen session must then pass the sign-in throttle).
PASSWORD_CHANGE_ATTEMPTS = 5


def change_own_password(
    session: Session, who: Principal, current: str, new: str, repeat: str
) -> None:
    """Change the signed-in user's own password, given the current one (audited, never the
    hash). Every web session of the account ends; the caller opens a new one for the
    browser that made the change. A wrong current password is audited and counted as a
    failed sign-in; :data:`PASSWORD_CHANGE_ATTEMPTS` of them in a row end every session."""
    user = session.get(User, who.user_id) if who.user_id is not None else None
    if user is None or not user.active:
        raise InvalidInput("Sign in again to change your password.")
    if not current:
        raise InvalidInput("Give your current password.")
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        audit.record(
            session, who, audit.AuditAction.SIGN_IN_FAILED, "users", str(user.id),
            detail="wrong current password on the password form",
        )  # fmt: skip
        if user.failed_logins >= PASSWORD_CHANGE_ATTEMPTS:
            end_sessions_of(session, user.id)
        raise InvalidInput("The current password is not right.") from None
    if new != repeat:
        raise InvalidInput("The new password and its repetition differ.")
    if new == current:
        raise InvalidInput("The new password must differ from the current one.")
    set_password(session, user, new, by=who)


#: How long a password reset link stays valid.
RESET_LINK_LIFETIME = dt.timedelta(hours=24)


def make_reset_link(session: Session, who: Principal, user_id: int) -> tuple[str, dt.datetime]:
    """Make a one-time password reset link for ``user_id`` (administrators): return its
    token, to be shown once, and when it expires. Only the token's SHA-256 is stored; an
    earlier link of the same user stops working. Audited."""
    from uncounted.errors import NotFound

    check(who, Resource.USERS, Action.UPDATE)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    token = secrets.token_urlsafe(32)
    now = _now()
    expires = now + RESET_LINK_LIFETIME
    session.add(
        PasswordReset(id=token_hash(token), user_id=user.id, created_at=now, expires_at=expires)
    )
    audit.record(
        session, who, audit.AuditAction.UPDATE, "users", str(user.id),
        detail="password reset link made (valid 24 hours, once)",
    )  # fmt: skip
    return token, expires


def _reset_link(session: Session, token: str) -> tuple[PasswordReset, User] | None:
    """The unexpired link of ``token`` and its active user, or ``None``."""
    row = session.get(PasswordReset, token_hash(token)) if token else None
    if row is None or row.expires_at <= _now():
        return None
    user = session.get(User, row.user_id)
    return (row, user) if user is not None and user.active else None


def reset_link_username(session: Session, token: str) -> str | None:
    """The username a valid reset link is for (to greet them), or ``None``."""
    found = _reset_link(session, token)
    return None if found is None else found[1].username


def use_reset_link(session: Session, token: str, new: str, repeat: str) -> str:
    """Set a new password through a reset link, once: the link is deleted, every session of
    the account ends and its sign-in delays are cleared (audited as the user). Return the
    username. :class:`~uncounted.errors.InvalidInput` for an unknown, used or expired link."""
    found = _reset_link(session, token)
    if found is None:
        raise InvalidInput(
            "This link has expired or has been used; ask an administrator for a new one."
        )
    if new != repeat:
        raise InvalidInput("The new password and its repetition differ.")
    _row, user = found
    set_password(session, user, new, by=principal(user))  # the link is deleted with the others
    return user.username


def update_user(
    session: Session,
    user_id: int,
    *,
    by: Principal | str,
    active: bool | None = None,
    unlock: bool = False,
    role: str | None = None,
    language: str | None = None,
    known_languages: Collection[str] = (),
) -> User:
    """Deactivate or reactivate a user, clear their sign-in delays, change the role or the
    language of the web app (one of ``known_languages``; ``""``: the browser's) (audited).

    A deactivation or a role change ends the user's web sessions (they sign in again, with the
    new role) and voids their password reset link.
    """
    from uncounted.errors import NotFound

    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    changes: dict[str, object] = {}
    if active is not None:
        changes["active"] = active
    if unlock:
        from uncounted.store.signin import forget_failures

        changes.update(failed_logins=0, locked_until=None)
        forget_failures(session, user.username)
    if role is not None:
        if role not in {r.value for r in Role}:
            raise InvalidInput(f"Unknown role {role!r}; use one of {', '.join(r for r in Role)}.")
        if role == Role.CASEWORKER and user.agency_id is None:
            raise InvalidInput("A caseworker needs an agency: their scope is that agency's cases.")
        changes["role"] = role
    if language is not None:
        changes["language"] = _language(language, known_languages)
    changed = audit.update(session, by, user, changes)
    if "role" in changed or "active" in changed:
        _end_access(session, user.id)
    return user


def _language(code: str, known: Collection[str]) -> str | None:
    """A language code as stored: ``""`` is ``None`` (the browser's); otherwise one of
    ``known`` (the languages with a web catalogue), or :class:`InvalidInput` naming them."""
    code = code.strip()
    if not code:
        return None
    if code not in known:
        raise InvalidInput(f"Unknown language {code!r}; use one of {', '.join(sorted(known))}.")
    return code


def set_own_language(
    session: Session, who: Principal, language: str, known: Collection[str]
) -> None:
    """Set the signed-in user's own web language, one of ``known`` (``""``: the browser's);
    audited."""
    from uncounted.errors import NotFound

    user = session.get(User, who.user_id) if who.user_id is not None else None
    if user is None:
        raise NotFound("There is no such user.")
    audit.update(session, who, user, {"language": _language(language, known)})


def list_users(session: Session, who: Principal) -> list[dict[str, Any]]:
    """Every user, by username, with their role, agency code, state and failures in a row (for
    those who may read users: administrators)."""
    check(who, Resource.USERS, Action.READ)
    agencies = {i: c for i, c in session.execute(select(Agency.id, Agency.code))}
    return [
        {
            "id": u.id,
            "username": u.username,
            "role": u.role,
            "agency": agencies.get(u.agency_id) if u.agency_id else None,
            "active": u.active,
            "failed_logins": u.failed_logins,
            "language": u.language,
        }
        for u in session.scalars(select(User).order_by(User.username))
    ]


def agency_codes(session: Session, who: Principal) -> list[tuple[int, str]]:
    """Every agency as ``(id, code)``, by code (e.g. to give a user an agency)."""
    check(who, Resource.AGENCIES, Action.READ)
    return [
        (i, c) for i, c in session.execute(select(Agency.id, Agency.code).order_by(Agency.code))
    ]


def authenticate(
    session: Session, username: str, password: str, now: dt.datetime | None = None
) -> User | None:
    """The user with these credentials, or ``None`` (whatever the cause: no hint for guessers).

    Counts failures in a row (``failed_logins``) and audits the attempt; the caller commits the
    session either way and then reports :data:`SIGN_IN_DENIED`. Delays after repeated failures
    are :func:`uncounted.store.signin.sign_in`'s business.
    """
    now = now or _now()
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        audit.record(session, username[:80], audit.AuditAction.SIGN_IN_FAILED, "users")
        return None
    if not user.active:
        with contextlib.suppress(VerificationError):  # same time as a wrong password
            _hasher.verify(_DUMMY_HASH, password)
        audit.record(
            session, username[:80], audit.AuditAction.SIGN_IN_FAILED, "users", str(user.id),
            detail="inactive",
        )  # fmt: skip
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        audit.record(
            session, username[:80], audit.AuditAction.SIGN_IN_FAILED, "users", str(user.id)
        )
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, principal(user), audit.AuditAction.SIGN_IN, "users", str(user.id))
    return user


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "PASSWORD_CHANGE_ATTEMPTS",
    "RESET_LINK_LIFETIME",
    "SIGN_IN_DENIED",
    "agency_codes",
    "authenticate",
    "change_own_password",
    "create_user",
    "create_user_in",
    "list_users",
    "make_reset_link",
    "principal",
    "principal_named",
    "reset_link_username",
    "set_own_language",
    "set_password",
    "update_user",
    "use_reset_link",
]
