"""Database access of the importer: lookups by the agencies' ids, and upserts with audit.

``ingest/`` reads, checks and maps files; every row it writes, and every stored value it looks up,
goes through this module (and ``store.batches`` for the ``import_batches`` record), so ``store/``
stays the only package that speaks SQL to the case database.

Everything here runs on a connection inside the caller's transaction. Lookups query one chunk
of keys at a time (``IN`` lists of at most ``_IN`` values), so memory follows the chunk size.
Changed records are updated in place; every created and every changed record is audited through
the one audit writer (``store.audit.record_many``) in the same transaction, with the fields
before and after (identifying fields of ``person_identities`` are named, not copied).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pycountry
from sqlalchemy import Connection, Table, and_, bindparam, insert, select, update

from uncounted.store import audit as audit_log
from uncounted.store import person_index
from uncounted.store.access import Principal
from uncounted.store.tables import Base, RecordRemoval
from uncounted.store.tombstones import REMOVABLE, removed_ids

_IN = 5_000
_NARROW = 50
TABLES = Base.metadata.tables


@dataclass(frozen=True)
class AuditAs:
    """Who an import writes as (a user, or the operator's label such as ``"cli:import"``) and
    the detail of its audit events (which batch)."""

    who: Principal | str
    detail: str | None = None


def table(name: str) -> Table:
    """The table called ``name``."""
    return TABLES[name]


def _pieces(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _IN):
        yield values[start : start + _IN]


def agency_ids(conn: Connection) -> dict[str, int]:
    """Agency code → id."""
    agencies = table("agencies")
    return {code: id_ for id_, code in conn.execute(select(agencies.c.id, agencies.c.code))}


def ids_by_external(
    conn: Connection, name: str, keys: Iterable[tuple[int | None, str]]
) -> dict[tuple[int | None, str], int]:
    """(source agency id, external id) → record id, for the keys that exist."""
    t = table(name)
    found: dict[tuple[int | None, str], int] = {}
    by_source: dict[int | None, set[str]] = {}
    for source, ext in keys:
        by_source.setdefault(source, set()).add(ext)
    # Plain SQL: these lookups are the hot path of large imports, and ids and external ids
    # need no type conversion (SQLAlchemy's compilation of 5 000-value IN lists dominated).
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for source, externals in by_source.items():
        where = "source_agency_id IS NULL" if source is None else f"source_agency_id = {mark}"
        for piece in _pieces(sorted(externals)):
            sql = (
                f"SELECT id, external_id FROM {t.name} WHERE {where} "
                f"AND external_id IN ({', '.join([mark] * len(piece))})"
            )
            params = tuple(piece) if source is None else (source, *piece)
            for id_, ext in conn.exec_driver_sql(sql, params):
                found[(source, ext)] = id_
    return found


def _select_keys(
    conn: Connection,
    t: Table,
    key: Sequence[str],
    keys: Iterable[tuple[Any, ...]],
    names: Sequence[str],
) -> Iterator[tuple[Any, ...]]:
    """Columns ``names`` of the rows of ``t`` whose key is among ``keys``.

    ``IN`` on ``key[0]``, by source if keyed so, narrowed by the other key columns when they
    take few values. Plain SQL with each column's bind and result processors, as SQLAlchemy
    would apply them: compiling 5 000-value ``IN`` lists cost more than running them.
    """
    grouped: dict[Any, set[Any]] = {}
    by = key.index("source_agency_id") if "source_agency_id" in key else None
    others: dict[int, set[Any]] = {i: set() for i in range(1, len(key)) if i != by}
    for k in keys:
        grouped.setdefault(k[by] if by is not None else None, set()).add(k[0])
        for i, values in others.items():
            values.add(k[i])
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"

    def bound(column: str, values: Iterable[Any]) -> list[Any]:
        proc = t.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        return list(values) if proc is None else [proc(v) for v in values]

    def among(column: str, count: int) -> str:
        return f"{quote(column)} IN ({', '.join([mark] * count)})"

    # narrow by the other key columns when they take few values (e.g. a list and a period)
    narrow_sql: list[str] = []
    narrow_params: list[Any] = []
    for i, values in others.items():
        if len(values) <= _NARROW and None not in values:
            narrow_sql.append(among(key[i], len(values)))
            narrow_params.extend(bound(key[i], sorted(values, key=str)))
    head = f"SELECT {', '.join(quote(n) for n in names)} FROM {quote(t.name)} WHERE "
    for group, firsts in grouped.items():
        for piece in _pieces(sorted(firsts, key=str)):
            where = [among(key[0], len(piece)), *narrow_sql]
            params = [*bound(key[0], piece), *narrow_params]
            if by is not None:
                if group is None:
                    where.append(f"{quote('source_agency_id')} IS NULL")
                else:
                    where.append(f"{quote('source_agency_id')} = {mark}")
                    params.append(group)
            result = conn.exec_driver_sql(head + " AND ".join(where), tuple(params))
            procs = [
                t.c[n].type.dialect_impl(dialect).result_processor(dialect, d[1])
                for n, d in zip(names, result.cursor.description, strict=True)
            ]
            if not any(procs):
                yield from (tuple(row) for row in result)
                continue
            for row in result:
                yield tuple(v if p is None else p(v) for p, v in zip(procs, row, strict=True))


def stored_events(
    conn: Connection, case_ids: Sequence[int]
) -> list[tuple[int | None, int, int, str, dt.date, str | None]]:
    """(source, case id, person id, stage, date, external id) of events of these cases."""
    t = table("justice_events")
    rows: list[tuple[int | None, int, int, str, dt.date, str | None]] = []
    for piece in _pieces(list(case_ids)):
        query = select(
            t.c.source_agency_id,
            t.c.case_id,
            t.c.person_id,
            t.c.stage,
            t.c.occurred_on,
            t.c.external_id,
        ).where(t.c.case_id.in_(piece), t.c.person_id.is_not(None))
        rows.extend(tuple(r) for r in conn.execute(query))
    return rows


def assessment_ids(
    conn: Connection, person_ids: Iterable[int]
) -> dict[tuple[int | None, Any, Any], int]:
    """(person id, instrument id, assessed on) → id of the stored assessments of these people."""
    t = table("assessments")
    wanted = sorted(set(person_ids))
    stored: dict[tuple[int | None, Any, Any], int] = {}
    for piece in _pieces(wanted):
        query = select(t.c.id, t.c.person_id, t.c.instrument_id, t.c.assessed_on).where(
            t.c.person_id.in_(piece)
        )
        stored.update({(p, i, on): a for a, p, i, on in conn.execute(query)})
    return stored


def owners(conn: Connection, name: str, column: str, ids: Iterable[int]) -> dict[int, int | None]:
    """Record id → the value of ``column`` (the agency that owns it) for records ``ids``."""
    t = table(name)
    out: dict[int, int | None] = {}
    for piece in _pieces(sorted(ids)):
        query = select(t.c.id, t.c[column]).where(t.c.id.in_(piece))
        out.update({int(i): o for i, o in conn.execute(query)})
    return out


#: A stored referral's decision: status, consent recorded, and how, the day and who recorded it.
ReferralDecision = tuple[str, bool, str | None, dt.date | None, str | None]


def referral_decisions(
    conn: Connection, keys: Iterable[tuple[int, int, int, dt.date]]
) -> dict[tuple[int, int, int, dt.date], ReferralDecision]:
    """(person id, from agency id, to agency id, referred on) → (status, consent recorded,
    consent method, consent given on, consent recorded by) of the stored referrals with these
    keys (an import row with the key would update them)."""
    t = table("referrals")
    wanted = set(keys)
    out: dict[tuple[int, int, int, dt.date], ReferralDecision] = {}
    for person, source, to, on, status, consent, method, given, by in _select_keys(
        conn,
        t,
        ("person_id", "from_agency_id", "to_agency_id", "referred_on"),
        wanted,
        (
            "person_id",
            "from_agency_id",
            "to_agency_id",
            "referred_on",
            "status",
            "consent_recorded",
            "consent_method",
            "consent_given_on",
            "consent_recorded_by",
        ),
    ):
        if (person, source, to, on) in wanted:
            out[(person, source, to, on)] = (status, bool(consent), method, given, by)
    return out


def removed_among(
    conn: Connection, table_name: str, ids: Iterable[int], source_agency_id: int | None
) -> set[int]:
    """Those of ``ids`` that are deleted or merged records of ``table_name`` (soft removals,
    ``store/removals.py``) delivered by agency ``source_agency_id``; empty for a table whose
    records cannot be removed. (Only an agency's own records: whether another agency's record
    was deleted is not for it to learn.)"""
    wanted = set(ids)
    if table_name not in REMOVABLE or not wanted or source_agency_id is None:
        return set()
    t = table(table_name)
    query = removed_ids(table_name).where(
        RecordRemoval.record_id.in_(sorted(wanted)),
        RecordRemoval.record_id.in_(select(t.c.id).where(t.c.source_agency_id == source_agency_id)),
    )
    return {int(i) for i in conn.execute(query).scalars()}


def membership_flags(
    conn: Connection, keys: Iterable[tuple[int, int, str]]
) -> dict[tuple[int, int, str], bool]:
    """(person id, list agency id, period) → ``linkage_only`` of the stored list memberships
    with these keys (an import row with the key would update them)."""
    t = table("list_memberships")
    wanted = set(keys)
    out: dict[tuple[int, int, str], bool] = {}
    for person, agency, period, flag in _select_keys(
        conn,
        t,
        ("person_id", "agency_id", "period"),
        wanted,
        ("person_id", "agency_id", "period", "linkage_only"),
    ):
        if (person, agency, period) in wanted:
            out[(person, agency, period)] = bool(flag)
    return out


def stored_columns(
    conn: Connection,
    name: str,
    key: Sequence[str],
    keys: Iterable[tuple[Any, ...]],
    columns: Sequence[str],
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Key → the values of ``columns`` of each stored row of ``name`` with one of ``keys`` (the
    row an import row with that key would update)."""
    wanted = set(keys)
    out: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    if not wanted:
        return out
    n = len(key)
    for got in _select_keys(conn, table(name), key, wanted, (*key, *columns)):
        k = tuple(got[:n])
        if k in wanted:
            out[k] = tuple(got[n:])
    return out


def sources_and_ids(
    conn: Connection, name: str, ids: Iterable[int]
) -> dict[int, tuple[int | None, str | None]]:
    """Record id → (source agency id, external id): how a file names the record."""
    t = table(name)
    out: dict[int, tuple[int | None, str | None]] = {}
    for piece in _pieces(sorted(set(ids))):
        query = select(t.c.id, t.c.source_agency_id, t.c.external_id).where(t.c.id.in_(piece))
        out.update({int(i): (s, e) for i, s, e in conn.execute(query)})
    return out


def jurisdiction_codes(conn: Connection) -> dict[int, str]:
    """Jurisdiction id → its code (``PH`` or ``PH-CEB``)."""
    t = table("jurisdictions")
    query = select(t.c.id, t.c.country, t.c.subdivision)
    return {int(i): sub or country for i, country, sub in conn.execute(query)}


def external_ids(conn: Connection, name: str, ids: Sequence[int]) -> dict[int, str | None]:
    """Record id → external id."""
    t = table(name)
    out: dict[int, str | None] = {}
    for piece in _pieces(list(ids)):
        query = select(t.c.id, t.c.external_id).where(t.c.id.in_(piece))
        out.update({int(i): e for i, e in conn.execute(query)})
    return out


class Jurisdictions:
    """Jurisdiction code (``PH`` or ``PH-CEB``) → id, creating missing ones from ISO 3166."""

    def __init__(self, conn: Connection) -> None:
        t = table("jurisdictions")
        self.conn = conn
        self.ids: dict[str, int] = {}
        for id_, country, sub in conn.execute(select(t.c.id, t.c.country, t.c.subdivision)):
            self.ids[sub or country] = id_

    def id(self, code: str) -> int:
        """The id of jurisdiction ``code``, inserting it if it is new."""
        found = self.ids.get(code)
        if found is not None:
            return found
        if "-" in code:
            sub = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
            country, name = code.split("-")[0], str(getattr(sub, "name", code))
            subdivision: str | None = code
        elif code == "ZZ":  # fields.UNKNOWN_JURISDICTION: the place was not recorded
            country, name, subdivision = code, "Unknown (not recorded)", None
        elif code == "XK":  # user-assigned, not in ISO 3166-1 (nor in pycountry)
            country, name, subdivision = code, "Kosovo", None
        else:
            entry = pycountry.countries.get(alpha_2=code)
            country, name, subdivision = code, str(getattr(entry, "name", code)), None
        t = table("jurisdictions")
        result = self.conn.execute(
            insert(t).values(country=country, subdivision=subdivision, name=name)
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self.ids[code] = new_id
        return new_id


def insert_many(conn: Connection, t: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``t``, in order, with one ``executemany``.

    The driver is called directly with each column's bind processor applied once per value:
    SQLAlchemy's per-row parameter handling cost more than the insert itself on large imports.
    Tables whose omitted columns have Python-side defaults go through SQLAlchemy, which fills
    them in. Rows may carry different columns (see :func:`_uniform`).
    """
    rows = _uniform(t, list(rows))
    names = tuple(rows[0])
    defaulted = any(c.default is not None for c in t.c if c.name not in names)
    if defaulted or not set(names) <= set(t.c.keys()):
        conn.execute(insert(t), rows)
        return
    dialect = conn.dialect
    processors = [t.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    columns = [[r[n] for r in rows] for n in names]
    for i, proc in enumerate(processors):
        if proc is not None:
            columns[i] = _processed(proc, columns[i])
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(t.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join([mark] * len(names))})"
    )
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _processed(proc: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``[proc(v) for v in values]``, with dates processed once each and ``None`` kept as is
    when the processor keeps it (most columns of an import repeat a few dates or are empty)."""
    keeps_none = proc(None) is None
    if not keeps_none and not any(type(v) is dt.date for v in values):
        return [proc(v) for v in values]
    done: dict[dt.date, Any] = {}
    out: list[Any] = []
    for v in values:
        if v is None and keeps_none:
            out.append(None)
        elif type(v) is dt.date:
            got = done.get(v)
            if got is None:
                got = done[v] = proc(v)
            out.append(got)
        else:
            out.append(proc(v))
    return out


def _uniform(t: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with the same columns each, in order: a column some rows leave out gets, in
    those rows, what inserting them without it would store (its default, else null)."""
    first = rows[0].keys()
    if all(row.keys() == first for row in rows):
        return rows
    names = list(dict.fromkeys(c for row in rows for c in row))
    fill: dict[str, Any] = {}
    for name in names:
        column = t.c[name]
        default = column.default
        if default is not None and getattr(default, "is_scalar", False):
            fill[name] = getattr(default, "arg", None)
        elif default is None and column.server_default is None:
            fill[name] = None
        else:  # a computed default: rows that leave it out cannot share one statement
            raise ValueError(f"{t.name}.{name} has a computed default; give it in every row")
    return [{n: row[n] if n in row else fill[n] for n in names} for row in rows]


@dataclass
class Changes:
    """What an upsert did, by key."""

    created: set[tuple[Any, ...]] = field(default_factory=set)
    updated: set[tuple[Any, ...]] = field(default_factory=set)
    ids: dict[tuple[Any, ...], int] = field(default_factory=dict)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _record_id(key: Sequence[str], row: dict[str, Any]) -> str:
    return str(row["id"]) if "id" in row else "/".join(str(row[c]) for c in key)


def upsert(
    conn: Connection,
    name: str,
    key: Sequence[str],
    rows: Sequence[dict[str, Any]],
    audit: AuditAs,
    keep: Collection[str] = (),
    create: bool = True,
) -> Changes:
    """Insert new rows and update changed ones (by ``key``), auditing each create and update.

    ``key[0]`` should be the most selective key column (it is the one queried with ``IN``).
    The ids of created and existing rows are returned in ``ids`` (tables with an ``id``).
    Columns in ``keep`` are written to created rows only: a stored row keeps its values of
    them (an import file without those columns changes only the columns it has). Rows may
    carry different columns: a column a row leaves out is neither compared nor updated, and a
    created row gets its default. Without ``create``, rows with no stored row are left out
    (nothing is inserted). Rows are created in their order.
    """
    t = table(name)
    changes = Changes()
    by_key: dict[tuple[Any, ...], dict[str, Any]] = dict(
        zip(zip(*([row[k] for row in rows] for k in key), strict=True), rows, strict=True)
    )
    if not by_key:
        return changes
    has_id = "id" in t.c
    existing: dict[tuple[Any, ...], dict[str, Any]] = {}
    names = list(t.c.keys())
    where = [names.index(c) for c in key]
    for found in _select_keys(conn, t, key, by_key, names):
        k = tuple([found[i] for i in where])
        if k in by_key:
            existing[k] = dict(zip(names, found, strict=True))
    fixed = {*key, *keep}  # columns an update leaves as stored
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    audits: list[tuple[str | None, dict[str, Any], dict[str, Any]]] = []
    for k, row in by_key.items():
        old = existing.get(k)
        if old is None:
            if create:
                inserts.append(row)
                changes.created.add(k)
            continue
        if has_id:
            changes.ids[k] = old["id"]
        changed = [c for c in row if c not in fixed and old.get(c) != row[c]]
        if not changed:
            continue
        changes.updated.add(k)
        params = {f"_v_{c}": row[c] for c in row if c not in fixed}
        params.update({f"_k_{c}": old[c] for c in key})
        updates.append(params)
        before = {c: old[c] for c in changed}
        audits.append((_record_id(key, old), before, {c: row[c] for c in changed}))
    if inserts:
        insert_many(conn, t, inserts)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for params in updates:  # one statement per set of columns written
        columns = tuple(c[3:] for c in params if c.startswith("_v_"))
        by_columns.setdefault(columns, []).append(params)
    for columns, group in by_columns.items():
        statement = (
            update(t)
            .where(and_(*(t.c[c] == bindparam(f"_k_{c}") for c in key)))
            .values({c: bindparam(f"_v_{c}") for c in columns})
        )
        conn.execute(statement, group)
    if has_id and changes.created:
        wanted = ("id", *key)
        for got in _select_keys(conn, t, key, changes.created, wanted):
            k = tuple(got[1:])
            if k in changes.created:
                changes.ids[k] = got[0]
    created: list[tuple[str | None, dict[str, Any], dict[str, Any]]] = []
    for k in changes.created:
        row = by_key[k]
        made = {c: v for c, v in row.items() if v is not None and v != []}
        record = str(changes.ids[k]) if has_id else "/".join(str(row[c]) for c in key)
        created.append((record, {}, made))
    if name == "person_identities" and (changes.created or changes.updated):
        # the person search's blind index follows the names, in this transaction
        person_index.refresh(conn, [k[0] for k in changes.created | changes.updated])
    # the one audit writer, in this transaction: creates and updates, like a form's
    log = audit_log.AuditAction
    audit_log.record_many(conn, audit.who, log.UPDATE, name, audits, detail=audit.detail)
    audit_log.record_many(conn, audit.who, log.CREATE, name, created, detail=audit.detail)
    return changes


__all__ = [
    "AuditAs",
    "Changes",
    "Jurisdictions",
    "agency_ids",
    "assessment_ids",
    "external_ids",
    "ids_by_external",
    "insert_many",
    "jurisdiction_codes",
    "membership_flags",
    "owners",
    "referral_decisions",
    "removed_among",
    "sources_and_ids",
    "stored_columns",
    "stored_events",
    "table",
    "upsert",
]
