"""Typed audit events, written in the same transaction as the action they record.

Every create, update and delete of a record goes through :func:`create`, :func:`update` or
:func:`delete`, which change the record **and** add an :class:`AuditEvent` to the same session:
if the transaction rolls back, neither exists. Updates store only the fields that changed, with
their values before and after. Every read of personal data is recorded by :func:`record_read`
(who, when, which record, which fields). Sign-ins, failed sign-ins, imports and key rotations
are recorded with :func:`record`.

Identifying values (``person_identities``) are never copied into the audit log in clear text:
the field names are recorded, the values are replaced by :data:`REDACTED`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from uncounted.store.access import Principal
from uncounted.store.crypto import EncryptedText
from uncounted.store.tables import AuditEvent, Base

REDACTED = "[encrypted]"


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
        secret = isinstance(column.type, EncryptedText) and value is not None
        values[column.key] = REDACTED if secret else _json_value(value)
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
        before=before or {},
        after=after or {},
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
    secret = {c.key for c in obj.__table__.columns if isinstance(c.type, EncryptedText)}
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


def record_read(
    session: Session, who: Principal | str, resource: str, record_id: str, fields: list[str]
) -> AuditEvent:
    """Record that ``who`` read the personal-data ``fields`` of one record."""
    return record(session, who, AuditAction.READ, resource, record_id, fields=fields)


__all__ = [
    "REDACTED",
    "AuditAction",
    "create",
    "delete",
    "record",
    "record_read",
    "snapshot",
    "update",
]
