"""Whether the uploader may load each row: the rules of ``store.access`` applied to a chunk.

An import under a user (the web upload, ``uncounted import --user``) goes through the same
authorisation as a form: the role must be allowed to create and change the record type, and
every record a row touches — the stored record it would update, the case or person it names,
the agencies it acts for — must be in the uploader's scope for that action
(:data:`uncounted.store.access.IMPORT_ROW_RULES`). A row that breaks a rule gets a problem with
its line, column and reason, like any other bad value, so the import is refused as a whole
(or, with ``partial``, the row is set aside). An import without a user is the operator's
(``uncounted import`` on the server): it is not narrowed to any agency.

A referral row may not decide for the receiving agency (:func:`_check_referral_decisions`): a
caseworker's row creates a referral only as requested, without consent, and leaves a stored
one's status and consent as they are (a row repeating them, as the export writes it, passes);
an administrator's decided row (accepted or completed) must carry the person's consent
complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from uncounted.errors import RejectedRow
from uncounted.ingest.records import record_type, source_field
from uncounted.ingest.validate import CheckedRow
from uncounted.store import importing
from uncounted.store.access import (
    CONSENTED_REFERRAL_STATUSES,
    IMPORT_ROW_RULES,
    LINKAGE_ONLY_REASON,
    REFERRAL_CONSENT_FIELDS,
    REFERRAL_IMPORT_REASONS,
    REFERRAL_MIGRATION_REASONS,
    Principal,
    RowRule,
    acts_for,
    may_import,
    permitted_ids,
    unrestricted,
)

#: Stored records a row of these types would update, found by (source, external id).
_BY_EXTERNAL = {"cases", "persons", "justice_events"}
_REF_KIND = {"case": "cases", "person": "persons"}


def _ref_id(
    values: dict[str, object],
    name: str,
    agency_ids: dict[str, int],
    found: dict[str, dict[tuple[int | None, str], int]],
) -> int | None:
    """The stored id of the record field ``name`` refers to, resolved as the writers do."""
    ext = values.get(name)
    if ext is None:
        return None
    src = values.get(source_field(name))
    if src is None:
        src = values.get("source")
    sid = agency_ids.get(str(src)) if src is not None else None
    have = found.get(_REF_KIND[name], {})
    got = have.get((sid, str(ext)))
    return got if got is not None else have.get((None, str(ext)))


def _stored_ids(
    conn: Connection, type_name: str, rows: list[CheckedRow], agency_ids: dict[str, int], found: Any
) -> list[int | None]:
    """The id of the stored record each row would update (``None``: the row creates one)."""
    if type_name in _BY_EXTERNAL:
        keys = [
            (agency_ids.get(str(r.values.get("source"))), str(r.values["external_id"]))
            if r.values.get("external_id") is not None
            else None
            for r in rows
        ]
        ids = importing.ids_by_external(conn, type_name, {k for k in keys if k is not None})
        return [None if k is None else ids.get(k) for k in keys]
    if type_name == "assessments":
        persons = [_ref_id(r.values, "person", agency_ids, found) for r in rows]
        stored = importing.assessment_ids(conn, {p for p in persons if p is not None})
        return [
            stored.get((p, r.values.get("instrument_id"), r.values.get("assessed_on")))
            for p, r in zip(persons, rows, strict=True)
        ]
    return [None] * len(rows)


def authorise_rows(
    conn: Connection,
    who: Principal | None,
    type_name: str,
    file_name: str,
    rows: list[CheckedRow],
    found: dict[str, dict[tuple[int | None, str], int]],
    column_of: Callable[[str], str],
) -> None:
    """Add a problem to each row ``who`` may not load (nothing for the operator, ``None``).

    ``found`` holds the ids the rows' references resolved to (``Importer._check_refs``);
    ``column_of`` names a standard field's column in the file, for the report.
    """
    if who is None:
        return

    def deny(c: CheckedRow, name: str, reason: str) -> None:
        value = c.values.get(name) if name != "self" else c.values.get("external_id")
        column = "external_id" if name == "self" else name
        c.problems.append(RejectedRow(file_name, c.line, column_of(column), _text(value), reason))

    if not may_import(who, type_name):
        first = record_type(type_name).field_names[0]
        for c in rows:
            deny(c, first, f"the {who.role} role may not import {type_name}; ask an administrator")
        return
    if type_name == "referrals":
        _check_referral_decisions(conn, who, rows, found, deny)
    if unrestricted(who):
        return
    if type_name == "list_memberships":
        _check_linkage_only(conn, rows, found, deny)
    agency_ids = importing.agency_ids(conn)
    if type_name == "assessments":  # recorded by the uploader's agency, like the form's
        own = next((code for code, i in agency_ids.items() if i == who.agency_id), None)
        for c in rows:
            if c.values.get("agency") is None:
                c.values["agency"] = own
    fields = set(record_type(type_name).field_names)
    for rule in IMPORT_ROW_RULES[type_name]:
        if rule.field != "self" and rule.field not in fields:
            continue
        if rule.agency:
            _check_agencies(who, rule, rows, agency_ids, deny)
        elif rule.field == "self":
            stored = _stored_ids(conn, type_name, rows, agency_ids, found)
            _check_ids(conn, who, rule, type_name, rows, stored, deny)
        else:
            refs = [_ref_id(r.values, rule.field, agency_ids, found) for r in rows]
            _check_ids(conn, who, rule, type_name, rows, refs, deny)


def _check_referral_decisions(
    conn: Connection,
    who: Principal,
    rows: list[CheckedRow],
    found: dict[str, dict[tuple[int | None, str], int]],
    deny: Callable[[CheckedRow, str, str], None],
) -> None:
    """Refuse referral rows that decide for the receiving agency.

    A row that repeats a stored referral's decision (status, consent recorded, and the consent
    columns empty or as stored: what the export writes) decides nothing and passes for every
    role. Otherwise a caseworker's row must leave the decision as it is: ``Requested`` without
    consent for a referral it creates, the stored status and consent for one it updates (found
    by person, sending and receiving agency and date, as the writer does), and no consent
    columns. An administrator's row may carry a decision (migrating from another system), but
    an accepted or completed one must have consent recorded with how, the day and who; a
    requested or declined one none.
    """
    agency_ids = importing.agency_ids(conn)
    keys: list[tuple[int, int, int, Any] | None] = []
    for c in rows:
        person = _ref_id(c.values, "person", agency_ids, found)
        sender = agency_ids.get(str(c.values.get("from_agency")))
        receiver = agency_ids.get(str(c.values.get("to_agency")))
        on = c.values.get("referred_on")
        ok = None not in (person, sender, receiver, on)
        keys.append((person, sender, receiver, on) if ok else None)  # type: ignore[arg-type]
    stored = importing.referral_decisions(conn, {k for k in keys if k is not None})
    for c, key in zip(rows, keys, strict=True):
        v = c.values
        was = stored.get(key) if key else None
        status, consent = (was[0], was[1]) if was else ("Requested", False)
        consent_as_stored = all(
            v.get(name) is None or (was is not None and v.get(name) == was[2 + i])
            for i, name in enumerate(REFERRAL_CONSENT_FIELDS)
        )
        if (v.get("status"), bool(v.get("consent_recorded"))) == (status, consent) and (
            consent_as_stored
        ):
            continue  # the stored decision, repeated: nothing is decided
        if unrestricted(who):
            if v.get("status") in CONSENTED_REFERRAL_STATUSES:
                if v.get("consent_recorded") is not True:
                    deny(c, "consent_recorded", REFERRAL_MIGRATION_REASONS["consent_recorded"])
                for name in REFERRAL_CONSENT_FIELDS:
                    if v.get(name) is None:
                        deny(c, name, REFERRAL_MIGRATION_REASONS[name])
            else:
                for name in ("consent_recorded", *REFERRAL_CONSENT_FIELDS):
                    if v.get(name) not in (None, False):
                        deny(c, name, REFERRAL_MIGRATION_REASONS["undecided"])
            continue
        if v.get("status") != status:
            deny(c, "status", REFERRAL_IMPORT_REASONS["status"])
        if bool(v.get("consent_recorded")) != consent:
            deny(c, "consent_recorded", REFERRAL_IMPORT_REASONS["consent_recorded"])
        for i, name in enumerate(REFERRAL_CONSENT_FIELDS):
            if v.get(name) is not None and (was is None or v.get(name) != was[2 + i]):
                deny(c, name, REFERRAL_IMPORT_REASONS["consent"])


def _check_linkage_only(
    conn: Connection,
    rows: list[CheckedRow],
    found: dict[str, dict[tuple[int | None, str], int]],
    deny: Callable[[CheckedRow, str, str], None],
) -> None:
    """Refuse a caseworker's list-membership row that changes ``linkage_only``.

    The flag takes a membership out of the stored lists, hence out of the prevalence estimate
    of every agency: an administrator sets it. A caseworker's row may leave it out or repeat
    the stored value (false for a new membership), as their own export writes it.
    """
    agency_ids = importing.agency_ids(conn)
    keys: list[tuple[int, int, str] | None] = []
    for c in rows:
        person = _ref_id(c.values, "person", agency_ids, found)
        code = c.values.get("list") or c.values.get("source")
        agency = agency_ids.get(str(code)) if code is not None else None
        period = c.values.get("period")
        ok = person is not None and agency is not None and period is not None
        keys.append((person, agency, str(period)) if ok else None)  # type: ignore[arg-type]
    stored = importing.membership_flags(conn, {k for k in keys if k is not None})
    for c, key in zip(rows, keys, strict=True):
        value = c.values.get("linkage_only")
        was = stored.get(key, False) if key is not None else False
        if value is not None and bool(value) != was:
            deny(c, "linkage_only", LINKAGE_ONLY_REASON)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _check_agencies(
    who: Principal,
    rule: RowRule,
    rows: list[CheckedRow],
    agency_ids: dict[str, int],
    deny: Callable[[CheckedRow, str, str], None],
) -> None:
    for c in rows:
        code = c.values.get(rule.field)
        if code is None:
            continue  # no agency named: the field defaults to the row's source, checked too
        if not acts_for(who, agency_ids.get(str(code))):
            deny(c, rule.field, rule.reason)


def _check_ids(
    conn: Connection,
    who: Principal,
    rule: RowRule,
    type_name: str,
    rows: list[CheckedRow],
    ids: list[int | None],
    deny: Callable[[CheckedRow, str, str], None],
) -> None:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return  # records this file creates (checked by the other rules) or none at all
    resource = rule.persons_for or rule.resource
    if resource is None:
        return
    ok = permitted_ids(conn, who, resource, rule.action, wanted, of_persons=rule.persons_for)
    if rule.owner is not None:
        owners = importing.owners(conn, type_name, rule.owner, wanted & ok)
        ok = {i for i in ok if acts_for(who, owners.get(i))}
    table = type_name if rule.field == "self" else _REF_KIND.get(rule.field, "")
    deleted = importing.removed_among(conn, table, wanted - ok, who.agency_id) if table else set()
    for c, i in zip(rows, ids, strict=True):
        if i is not None and i not in ok:
            deny(c, rule.field, _DELETED_REASON if i in deleted else rule.reason)


#: Why a row that refers to a deleted (or merged) record is refused, instead of a scope reason.
_DELETED_REASON = (
    "the record was deleted (or merged into another); an administrator can restore it on the "
    "Deleted records page"
)


__all__ = ["authorise_rows"]
