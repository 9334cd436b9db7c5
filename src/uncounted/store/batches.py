"""The record of imports (``import_batches``) as a user may see it.

Which batches a user sees is the access rule of ``store/access.py`` for imports: an
administrator every batch, a caseworker those of files loaded as their agency's records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.store.access import Action, Principal, Resource, check, scope_filter
from uncounted.store.tables import ImportBatch


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


__all__ = ["recent_batches"]
