"""The record of imports (``import_batches``): written by the importer, read as a user may see it.

The importer opens a batch in the transaction that writes the rows (:func:`open_batch`), closes
it with its counts (:func:`close_batch`), or records a refused file (:func:`record_rejection`);
each with its audit event through the one writer, ``store.audit``.

Which batches a user sees is the access rule of ``store/access.py`` for imports: an
administrator every batch, a caseworker those of files loaded as their agency's records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from uncounted.errors import InvalidInput
from uncounted.store import audit as audit_log
from uncounted.store.access import (
    Action,
    Principal,
    Resource,
    check,
    scope_filter,
    unrestricted,
)
from uncounted.store.tables import Agency, Base, ImportBatch

_BATCHES = Base.metadata.tables["import_batches"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def open_batch(
    conn: Connection,
    *,
    file_name: str,
    sha256: str,
    record_type: str,
    source_agency_id: int | None,
    actor: str,
) -> int:
    """Insert an ``import_batches`` record with status ``loading`` (in ``conn``'s transaction,
    with the rows it loads); return its id."""
    result = conn.execute(
        insert(_BATCHES).values(
            file_name=file_name,
            sha256=sha256,
            record_type=record_type,
            source_agency_id=source_agency_id,
            actor=actor,
            status="loading",
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def close_batch(
    conn: Connection,
    who: Principal | str,
    batch_id: int,
    *,
    status: str,
    rows_total: int,
    created: int,
    updated: int,
    unchanged: int,
    rejected: int,
    detail: str | None,
) -> None:
    """Record how import ``batch_id`` ended, and one ``import`` audit event for it."""
    conn.execute(
        update(_BATCHES)
        .where(_BATCHES.c.id == batch_id)
        .values(
            status=status,
            finished_at=_now(),
            rows_total=rows_total,
            rows_created=created,
            rows_updated=updated,
            rows_unchanged=unchanged,
            rows_rejected=rejected,
        )
    )
    after = {"created": created, "updated": updated, "unchanged": unchanged, "rejected": rejected}
    audit_log.record_many(
        conn,
        who,
        audit_log.AuditAction.IMPORT,
        "import_batches",
        [(str(batch_id), {}, after)],
        detail=detail,
    )


def record_rejection(
    conn: Connection,
    who: Principal | str,
    *,
    file_name: str,
    sha256: str,
    record_type: str,
    source_agency_id: int | None,
    actor: str,
    rows_total: int,
    rows_rejected: int,
    problems: int,
) -> int:
    """Record a refused import (status ``rejected``) and its audit event; return the batch id."""
    result = conn.execute(
        insert(_BATCHES).values(
            file_name=file_name,
            sha256=sha256,
            record_type=record_type,
            source_agency_id=source_agency_id,
            actor=actor,
            status="rejected",
            finished_at=_now(),
            rows_total=rows_total,
            rows_rejected=rows_rejected,
        )
    )
    batch_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    audit_log.record_many(
        conn,
        who,
        audit_log.AuditAction.IMPORT,
        "import_batches",
        [(str(batch_id), {}, {"status": "rejected", "rejected": problems})],
        detail=f"import batch {batch_id} ({file_name}) refused",
    )
    return batch_id


def source_choices(session: Session, who: Principal) -> list[str]:
    """The agency codes ``who`` may name as the source of an uploaded file: every agency's for a
    role not limited to one agency, none for a caseworker (see :func:`import_source`)."""
    if not unrestricted(who):
        return []
    return [c for (c,) in session.execute(select(Agency.code).order_by(Agency.code))]


def import_source(session: Session, who: Principal, requested: str | None) -> str | None:
    """The agency code a file ``who`` uploads is loaded as: a caseworker's files are always
    their own agency's records (whatever was ``requested``); others name it, or leave it to
    each row."""
    if unrestricted(who):
        return requested or None
    code = session.scalar(select(Agency.code).where(Agency.id == who.agency_id))
    if code is None:
        raise InvalidInput("Your account has no agency; ask an administrator to set one.")
    return str(code)


def recent_batches(session: Session, who: Principal, limit: int = 50) -> list[dict[str, Any]]:
    """The ``limit`` newest import batches ``who`` may see, as plain data."""
    check(who, Resource.IMPORTS, Action.READ)
    stmt = (
        select(ImportBatch)
        .where(scope_filter(who, Resource.IMPORTS))
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": b.id,
            "file_name": b.file_name,
            "record_type": b.record_type,
            "actor": b.actor,
            "status": b.status,
            "rows_total": b.rows_total,
            "rows_created": b.rows_created,
            "rows_updated": b.rows_updated,
            "rows_rejected": b.rows_rejected,
            "started_at": b.started_at.isoformat(timespec="seconds") if b.started_at else None,
        }
        for b in session.scalars(stmt)
    ]


__all__ = [
    "close_batch",
    "import_source",
    "open_batch",
    "recent_batches",
    "record_rejection",
    "source_choices",
]
