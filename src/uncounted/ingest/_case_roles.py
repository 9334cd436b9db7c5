"""The import holds the forms' rule: an event's or a referral's person has a role in its case.

``store/case_roles.py`` states the rule; here it is applied to the rows of a file. A justice
event row that names a person is refused unless that person has a role in the event's case, and
so is a referral row that names a case: a role already stored, or one that a person row of the
same import adds (a workbook's ``persons`` sheet, or a mapping that reads persons from the same
rows; the importer loads them before events and referrals, whatever the order of the sheets or
of the mapping's record types). Every importer is held to it, the operator and an administrator
too: it keeps the data whole, it is not a matter of scope. A row is refused or kept as it is
read, before anything after it is written. A record is named the way the writers resolve it:
by its source's own id (stored, or added by the file), else by an id with no source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from uncounted.errors import RejectedRow
from uncounted.ingest.records import source_field
from uncounted.ingest.validate import CheckedRow
from uncounted.store.case_roles import no_role_reason, roles_held

#: A record as a file names it: (source agency code or ``None``, external id).
Key = tuple[Any, str]
#: Ids the references of a chunk resolved to: table -> (source agency id, external id) -> id.
Found = dict[str, dict[tuple[int | None, str], int]]
#: The record types whose rows name a case and a person of it.
CHECKED = ("justice_events", "referrals")
#: The fields that name the case and the person (a problem on one: the rule is not asked).
_REF_FIELDS = ("source", "case", "case_source", "person", "person_source")


class CaseRoles:
    """The roles in cases one import adds, and the check of the rows that need one."""

    def __init__(self, pending: dict[str, set[tuple[Any, ...]]]) -> None:
        #: records the file adds (the importer's, kept up to date): table -> {(source, id)}
        self.pending = pending
        #: (case, person) of each role the file's good person rows add
        self.added: set[tuple[Key, Key]] = set()

    def reset(self) -> None:
        """Forget the roles of a previous pass over the file."""
        self.added.clear()

    def add(self, rows: list[CheckedRow], agency_ids: dict[str, int], found: Found) -> None:
        """Remember the role in a case of each good person row of ``rows``."""
        for c in rows:
            v = c.values
            if c.problems or v.get("case") is None:
                continue
            src = v.get(source_field("case"))
            case = self._resolve(
                "cases", v.get("source") if src is None else src, str(v["case"]), agency_ids, found
            )
            if case is not None:
                self.added.add((case[0], (v.get("source"), str(v["external_id"]))))

    def check(
        self,
        conn: Connection,
        type_name: str,
        file_name: str,
        rows: list[CheckedRow],
        agency_ids: dict[str, int],
        found: Found,
        column_of: Callable[[str], str],
    ) -> None:
        """Add a problem to each row of ``rows`` whose person has no role in its case.

        Rows with a problem on a field naming the case or the person are left alone: their
        reference is already refused (not found, or outside the uploader's scope, which this
        check must not probe).
        """
        if type_name not in CHECKED:
            return
        named = {column_of(f) for f in _REF_FIELDS}
        case_source, person_source = source_field("case"), source_field("person")
        # each distinct reference resolved once: (table, source, id) -> (key, stored id) | None
        memo: dict[tuple[str, object, object], tuple[Key, int | None] | None] = {}

        def resolve(table: str, source: object, ext: object) -> tuple[Key, int | None] | None:
            at = (table, source, ext)
            if at not in memo:
                memo[at] = self._resolve(table, source, str(ext), agency_ids, found)
            return memo[at]

        asked: list[tuple[CheckedRow, tuple[Key, Key], tuple[int, int] | None]] = []
        for c in rows:
            v = c.values
            case_ext, person_ext = v.get("case"), v.get("person")
            if case_ext is None or person_ext is None:
                continue  # an event against persons unknown; a referral of no case
            if c.problems and any(p.column in named for p in c.problems):
                continue
            source = v.get("source")
            src = v.get(case_source)
            case = resolve("cases", source if src is None else src, case_ext)
            src = v.get(person_source)
            person = resolve("persons", source if src is None else src, person_ext)
            if case is None or person is None:
                continue
            pair = (case[0], person[0])
            if pair in self.added:
                continue
            ids = None if case[1] is None or person[1] is None else (case[1], person[1])
            asked.append((c, pair, ids))
        if not asked:
            return
        held = roles_held(conn, {ids for _, _, ids in asked if ids is not None})
        for c, _pair, ids in asked:
            if ids in held:
                continue
            ext = str(c.values["person"])
            reason = no_role_reason(ext, str(c.values["case"]))
            c.problems.append(RejectedRow(file_name, c.line, column_of("person"), ext, reason))

    def _resolve(
        self, table: str, src: object, ref: str, agency_ids: dict[str, int], found: Found
    ) -> tuple[Key, int | None] | None:
        """The record ``ref`` of source ``src`` names, as the writers resolve it — its source's
        own record (stored, or added by the file) first, else one with no source — and its
        stored id (``None``: only the file adds it); ``None``: no such record."""
        have = found.get(table, {})
        adding = self.pending[table]
        if src is not None:
            sid = agency_ids.get(str(src))
            stored = have.get((sid, ref)) if sid is not None else None
            if stored is not None or (src, ref) in adding:
                return (src, ref), stored
        stored = have.get((None, ref))
        if stored is not None or (None, ref) in adding:
            return (None, ref), stored
        return None


__all__ = ["CHECKED", "CaseRoles"]
