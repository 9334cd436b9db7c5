"""Typed audit events, written in the same transaction as the action they record.

Every create, update and delete of a record goes through :func:`create`, :func:`update` or
:func:`delete`, which change the record **and** add an :class:`AuditEvent` to the same session:
if the transaction rolls back, neither exists. Updates store only the fields that changed, with
their values before and after. Every read of personal data is recorded by :func:`record_read`
(who, when, which record, which fields). Sign-ins, failed sign-ins, imports and key rotations
are recorded with :func:`record`; writers of many rows at once (imports) use
:func:`record_many`, which writes the same events on a connection.

Two kinds of value are never copied into the audit log: identifying values (the encrypted
columns of ``person_identities``) and secrets (columns marked ``info={"secret": True}``, such as
``users.password_hash`` and session tokens; and any field named like a password, token or key).
Their field names are recorded, their values are replaced by the one marker :data:`REDACTED`.
Every event goes through :func:`record`, which applies the rule to whatever it is given, so no
caller can write a secret by passing it in ``before`` or ``after``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, inspect, select
from sqlalchemy.orm import Session

from uncounted.store.access import Action, Principal, Resource, check
from uncounted.store.crypto import EncryptedText
from uncounted.store.tables import AuditEvent, Base

#: What the audit log holds instead of an identifying value or a secret.
REDACTED = "[redacted]"
#: Field names redacted wherever they appear, beyond the columns marked secret or encrypted.
SECRET_NAMES = frozenset({"password", "password_hash", "token", "secret", "key", "csrf_token"})


def hidden(column: ColumnElement[Any]) -> bool:
    """Whether a column's values must never reach the audit log (identifying or secret)."""
    info = getattr(column, "info", {})
    return isinstance(column.type, EncryptedText) or bool(info.get("secret"))


#: Names of every column whose values are kept out of the audit log, in any table.
HIDDEN_NAMES = SECRET_NAMES | {
    c.key for t in Base.metadata.tables.values() for c in t.columns if hidden(c)
}


def redact(values: dict[str, Any] | None) -> dict[str, Any]:
    """``values`` with every identifying or secret value replaced by :data:`REDACTED`."""
    return {
        k: REDACTED if k in HIDDEN_NAMES and v is not None else v for k, v in (values or {}).items()
    }


class AuditAction(StrEnum):
    """What an audit event records."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    READ = "read"
    SIGN_IN = "sign-in"
    SIGN_IN_FAILED = "sign-in-failed"
    SIGN_OUT = "sign-out"
    IMPORT = "import"
    EXPORT = "export"
    KEY_ROTATION = "key-rotation"
    BACKUP = "backup"
    RESTORE = "restore"
    MERGE = "merge"


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def snapshot(obj: Base) -> dict[str, Any]:
    """The column values of a mapped object, JSON-ready, identifying values redacted."""
    table = obj.__table__
    values: dict[str, Any] = {}
    for column in table.columns:
        value = getattr(obj, column.key, None)
        values[column.key] = (
            REDACTED if hidden(column) and value is not None else _json_value(value)
        )
    return values


def _record_id(obj: Base) -> str:
    identity = inspect(obj).identity
    return "/".join(str(v) for v in identity) if identity else ""


def record(
    session: Session,
    who: Principal | str,
    action: AuditAction,
    resource: str,
    record_id: str | None = None,
    *,
    fields: list[str] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add one audit event to ``session`` (committed or rolled back with the action)."""
    event = AuditEvent(
        at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        user_id=who.user_id if isinstance(who, Principal) else None,
        actor=who.username if isinstance(who, Principal) else who,
        action=str(action),
        resource=resource,
        record_id=record_id,
        fields=list(fields or []),
        before=redact(before),
        after=redact(after),
        detail=detail,
    )
    session.add(event)
    return event


def create(session: Session, who: Principal | str, obj: Base) -> Base:
    """Add ``obj`` and an audit event with every field it was created with."""
    session.add(obj)
    session.flush()
    after = snapshot(obj)
    fields = [k for k, v in after.items() if v is not None]
    record(
        session,
        who,
        AuditAction.CREATE,
        obj.__tablename__,
        _record_id(obj),
        fields=fields,
        after={k: after[k] for k in fields},
    )
    return obj


def update(session: Session, who: Principal | str, obj: Base, changes: dict[str, Any]) -> list[str]:
    """Apply ``changes`` to ``obj``; audit the changed fields before/after; return their names."""
    before = snapshot(obj)
    for key, value in changes.items():
        setattr(obj, key, value)
    session.flush()
    after = snapshot(obj)
    changed = [k for k in changes if k in after and before.get(k) != after.get(k)]
    secret = {c.key for c in obj.__table__.columns if hidden(c)}
    changed += [k for k in changes if k in secret and k not in changed]  # redacted both sides
    if changed:
        record(
            session,
            who,
            AuditAction.UPDATE,
            obj.__tablename__,
            _record_id(obj),
            fields=changed,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return changed


def delete(session: Session, who: Principal | str, obj: Base) -> None:
    """Delete ``obj`` and audit every field it had."""
    before = snapshot(obj)
    record_id = _record_id(obj)
    session.delete(obj)
    session.flush()
    record(
        session,
        who,
        AuditAction.DELETE,
        obj.__tablename__,
        record_id,
        fields=list(before),
        before=before,
    )


def record_many(
    conn: Connection,
    who: Principal | str,
    action: AuditAction,
    resource: str,
    changes: Iterable[tuple[str | None, dict[str, Any], dict[str, Any]]],
    *,
    detail: str | None = None,
) -> int:
    """Add one audit event per ``(record id, before, after)`` on ``conn``, in its transaction.

    For writers that change many rows at once without ORM objects (imports): the same events
    as :func:`create` and :func:`update`, under the same :func:`redact` rule (identifying and
    secret values replaced by :data:`REDACTED`). Returns how many events were written.
    """
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    user_id = who.user_id if isinstance(who, Principal) else None
    actor = who.username if isinstance(who, Principal) else who

    def shown(values: dict[str, Any]) -> dict[str, Any]:
        return {k: _json_value(v) for k, v in redact(values).items()}

    events = [
        {
            "at": at,
            "user_id": user_id,
            "actor": actor,
            "action": str(action),
            "resource": resource,
            "record_id": record_id,
            "fields": list(dict.fromkeys([*before, *after])),
            "before": shown(before),
            "after": shown(after),
            "detail": detail,
        }
        for record_id, before, after in changes
    ]
    if events:
        conn.execute(insert(AuditEvent), events)
    return len(events)


def read_events(
    session: Session,
    who: Principal,
    *,
    actor: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the audit log, newest first, filtered by actor, action and resource, and how
    many events match in all (for those who may read the audit log: administrators)."""
    check(who, Resource.AUDIT, Action.READ)
    conds = []
    if actor:
        conds.append(AuditEvent.actor == actor)
    if action:
        conds.append(AuditEvent.action == action)
    if resource:
        conds.append(AuditEvent.resource == resource)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conds)) or 0
    events = session.scalars(
        select(AuditEvent)
        .where(*conds)
        .order_by(AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [
        {
            "id": e.id,
            "at": e.at.isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "resource": e.resource,
            "record_id": e.record_id,
            "fields": e.fields,
            "before": e.before,
            "after": e.after,
            "detail": e.detail,
        }
        for e in events
    ]
    return rows, total


def record_read(
    session: Session, who: Principal | str, resource: str, record_id: str, fields: list[str]
) -> AuditEvent:
    """Record that ``who`` read the personal-data ``fields`` of one record."""
    return record(session, who, AuditAction.READ, resource, record_id, fields=fields)


__all__ = [
    "HIDDEN_NAMES",
    "REDACTED",
    "SECRET_NAMES",
    "AuditAction",
    "create",
    "delete",
    "hidden",
    "read_events",
    "record",
    "record_many",
    "record_read",
    "redact",
    "snapshot",
    "update",
]
