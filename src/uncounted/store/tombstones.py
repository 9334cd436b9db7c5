"""What every read leaves out: records deleted or merged away (``record_removals``).

A removed person, case or justice event is hidden, and so is every row that points at one
(a deleted case's events, people's roles, referrals and links; a removed person's identity,
roles, events, referrals, assessments, aftercare and list memberships; an assessment's item
scores through its assessment). :func:`live` builds that condition for any table from its
foreign keys, so the central readers (``store/access.py`` scope filters, ``store/frames.py``
for indicators and estimates, ``store/exports.py``, ``store/casebook.py``) apply one rule,
and a table added later with a foreign key to a removable table is covered without a change.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, or_, select, true

from uncounted.store.tables import Base, RecordRemoval

#: The record kinds that can be removed (table names).
REMOVABLE: tuple[str, ...] = ("persons", "cases", "justice_events")


def removed_ids(resource: str) -> Select[Any]:
    """Ids of the removed records of ``resource`` (a table name in :data:`REMOVABLE`)."""
    return select(RecordRemoval.record_id).where(RecordRemoval.resource == resource)


@lru_cache(maxsize=64)
def _hidden_ids(name: str) -> Select[Any] | None:
    """A SELECT of the ids of the hidden rows of table ``name`` (``None``: none can be)."""
    table = Base.metadata.tables[name]
    condition = _gone(name)
    if condition is None:
        return None
    key = next(iter(table.primary_key.columns))
    return select(key).where(condition).correlate(None)


@lru_cache(maxsize=64)
def _gone(name: str) -> ColumnElement[bool] | None:
    table = Base.metadata.tables[name]
    terms: list[ColumnElement[bool]] = []
    if name in REMOVABLE:
        terms.append(table.c.id.in_(removed_ids(name)))
    for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
        parent = fk.column.table.name
        if parent == name or name == RecordRemoval.__tablename__:
            continue
        hidden = removed_ids(parent) if parent in REMOVABLE else _hidden_ids(parent)
        if hidden is None:
            continue
        column = fk.parent
        term = column.in_(hidden)
        terms.append(and_(column.is_not(None), term) if column.nullable else term)
    return or_(*terms) if terms else None


def live(table: Table | Any) -> ColumnElement[bool]:
    """``WHERE`` clause on ``table`` (a Table or mapped class) keeping only rows that are not
    removed and point at no removed record (``true()`` for a table no removal can touch)."""
    name = table.__tablename__ if hasattr(table, "__tablename__") else table.name
    gone = _gone(name)
    return true() if gone is None else ~gone


__all__ = ["REMOVABLE", "live", "removed_ids"]
