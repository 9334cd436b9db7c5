"""Validation of rows: each row on its own, then the checks that need the whole file.

:func:`check_row` turns one row into typed standard values, or into problems (file, line, the
file's column, the cell as written, and the reason); :class:`RowChecker` does the same for a
chunk of rows column by column, much faster, and hands any row with a problem to
:func:`check_row`, so the problems are exactly the same. :class:`FileChecks` keeps what is needed
to find duplicates within the file and justice stages in an impossible order for one person
(e.g. a charge dated before the arrest of the same suspect), in memory proportional to the
number of records, not to the size of their cells.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from uncounted.domain import SUSPECT_STAGES, VICTIM_STAGES, AppealOutcome, Stage, VerdictOutcome
from uncounted.domain.identity import IDENTITY_FIELDS
from uncounted.errors import RejectedRow
from uncounted.ingest.fields import Field, FieldProblem, convert, parse_int, text_of
from uncounted.ingest.mapping import ColumnPlan, standard_cell
from uncounted.ingest.readers import Cell, SourceRow

#: Longest cell text quoted back in a report (the rejects file keeps the whole row).
QUOTE = 200

#: Stage pairs with no fixed order: a sentence and an appeal both follow the verdict.
_UNORDERED = {(Stage.SENTENCE.value, Stage.APPEAL.value)}
_VERDICTS = tuple(o.value for o in VerdictOutcome)
_APPEALS = tuple(o.value for o in AppealOutcome)
_PERSON_FIELDS = (
    "sex",
    "birth_year",
    "age_at_identification",
    "citizenship",
    "age_band",
    "minor_at_identification",
    *IDENTITY_FIELDS,
)


def _quote(cell: Cell) -> str:
    text = "" if cell is None else text_of(cell)
    return text if len(text) <= QUOTE else text[:QUOTE] + "…"


@dataclass
class CheckedRow:
    """A row after the row checks: typed values by standard field, and its problems."""

    line: int
    values: dict[str, object]
    problems: list[RejectedRow] = field(default_factory=list)


def check_row(
    plan: ColumnPlan,
    row: SourceRow,
    file_name: str,
    today: dt.date,
    default_source: str | None,
    stored: dict[str, object] | None = None,
) -> CheckedRow:
    """Check one row against its record type; collect every problem, not just the first.

    ``stored`` holds the stored values of fields the file has no column for, when the row
    updates a stored record: the row is checked as the record will be after the update.
    """
    result = CheckedRow(row.line, {})

    def problem(name: str, cell: Cell, reason: str) -> None:
        column = plan.sources.get(name, name)
        shown = row.cells.get(column, cell) if column in row.cells else cell
        result.problems.append(RejectedRow(file_name, row.line, column, _quote(shown), reason))

    if row.problem is not None:
        result.problems.append(RejectedRow(file_name, row.line, "", "", row.problem))
        return result
    cells = plan.standard_cells(row.cells)
    if plan.uses_line:
        plan.with_line(cells, row.line)
    values = result.values
    rtype = plan.record_type
    failed: set[str] = set()
    for f, formats in plan.conversions:
        name = f.name
        cell = cells.get(name)
        if cell is None:
            values[name] = None
            continue
        try:
            value = convert(f, cell, formats)
        except FieldProblem as exc:
            problem(name, cell, exc.reason)
            values[name] = None
            failed.add(name)
            continue
        if f.kind == "date" and value > today:  # type: ignore[operator]
            problem(name, cell, f"is in the future ({value}); check the date")
        values[name] = value
    if plan.has_source and values.get("source") is None:
        values["source"] = default_source
    if stored:
        values.update(stored)
    _defaults(rtype.name, values)
    for name in plan.required:
        if values.get(name) is None and name not in failed:
            problem(name, None, _required(name, plan))
    _cross_checks(rtype.name, values, problem)
    if plan.item_columns:
        items: dict[str, int | None] = {}
        for item, column in plan.item_columns.items():
            cell = row.cells.get(column)
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                items[item] = None
                continue
            try:
                items[item] = parse_int(cell)
            except FieldProblem as exc:
                result.problems.append(
                    RejectedRow(file_name, row.line, column, _quote(cell), exc.reason)
                )
        values["items"] = items
    return result


def _required(name: str, plan: ColumnPlan) -> str:
    """Why a row without a value of the required field ``name`` is refused."""
    if name in plan.absent:  # a stored record would keep its value: this row creates one
        return (
            f"this row adds a new record, which needs {name}, and the file has no column for "
            "it; add the column (or map it in the mapping)"
        )
    return f"{name} is required but the cell is empty"


#: Marks a cell that does not pass its field's checks (the row is then checked on its own).
_BAD = object()
#: Distinct cells remembered per field before the memory is cleared (bounds memory).
_MEMO = 50_000
#: Record types whose rows get defaults and cross-field checks (see _defaults, _cross_checks).
_HAS_DEFAULTS = ("agencies", "cases", "list_memberships", "persons")
#: Fields that _defaults may fill.
_DEFAULTED = ("reference", "owning_agency", "list", "role")
#: Field kinds checked inline and not remembered (mostly distinct values, cheap checks).
_TEXT_KINDS = ("text", "ref")


class RowChecker:
    """:func:`check_row` for a chunk of rows, column by column.

    Same values and problems as :func:`check_row` on each row, in a fraction of the time: each
    column of the chunk is converted at once, and conversions of codes, dates and numbers are
    remembered by cell (a file repeats the same few codes and dates). Only clean rows are
    built here; a row with any problem (or a plan with flag, item or line-id columns) is
    checked again by :func:`check_row`, which says exactly what is wrong.
    """

    def __init__(
        self, plan: ColumnPlan, file_name: str, today: dt.date, default_source: str | None
    ) -> None:
        self.plan = plan
        self.file_name = file_name
        self.today = today
        self.default_source = default_source
        self.names = tuple(f.name for f, _ in plan.conversions)
        self.by_row = bool(plan.flag_columns or plan.item_columns or plan.uses_line)
        self.memos: dict[str, dict[str, object]] = {}

    def check(self, rows: list[SourceRow]) -> list[CheckedRow]:
        """Each row checked, in order."""
        plan = self.plan
        if self.by_row:
            return [self._one(r) for r in rows]
        cells = [r.cells for r in rows]
        columns: list[list[object] | None] = []
        bad: set[int] = {i for i, r in enumerate(rows) if r.problem is not None}
        for f, formats in plan.conversions:
            column = plan.sources.get(f.name)
            if column is None and f.name not in plan.mapping.constants:
                columns.append(None)
                continue
            column_cells = [c.get(column) for c in cells] if column is not None else None
            got = self._column(f, formats, column_cells, len(rows))
            if _BAD in got:
                bad.update(i for i, v in enumerate(got) if v is _BAD)
            columns.append(got)
        names = self.names
        type_name = plan.record_type.name
        if plan.has_source:  # the default source for rows without one
            at = names.index("source")
            given = columns[at]
            source = self.default_source
            columns[at] = (
                [source] * len(rows)
                if given is None
                else [source if v is None else v for v in given]
            )
        # required fields left empty (the fields _defaults fills are checked after it)
        later = [n for n in plan.required if n in _DEFAULTED]
        for n in plan.required:
            filled = columns[names.index(n)]
            if n in _DEFAULTED:
                continue
            if filled is None:
                bad.update(range(len(rows)))
            elif None in filled:
                bad.update(i for i, v in enumerate(filled) if v is None)
        empty = [None] * len(rows)
        full = [c if c is not None else empty for c in columns]
        defaults = type_name in _HAS_DEFAULTS
        outcomes = columns[names.index("outcome")] if type_name == "justice_events" else None
        cross = type_name in _HAS_DEFAULTS or (
            outcomes is not None and any(v is not None for v in outcomes)
        )
        flagged: list[bool] = []

        def flag(_name: str, _cell: Cell, _reason: str) -> None:
            flagged.append(True)

        out: list[CheckedRow] = []
        for i, vals in enumerate(zip(*full, strict=True)):
            if i in bad:
                out.append(self._one(rows[i]))
                continue
            values: dict[str, object] = dict(zip(names, vals, strict=True))
            if defaults:
                _defaults(type_name, values)
            if cross:
                _cross_checks(type_name, values, flag)
            if flagged or (later and None in [values[n] for n in later]):
                flagged.clear()
                out.append(self._one(rows[i]))
                continue
            out.append(CheckedRow(rows[i].line, values))
        return out

    def recheck(
        self,
        rows: list[SourceRow],
        checked: list[CheckedRow],
        stored: list[dict[str, object] | None],
    ) -> list[CheckedRow]:
        """``checked`` (the rows checked) with each row that updates a stored record checked
        again with its record's stored values of the fields the file lacks (``stored``, ``None``
        for a row that adds a record): see :func:`check_row`.

        A row that passed is given the stored values and its checks across fields run again;
        any other row (or one that now fails) is checked again on its own.
        """
        type_name = self.plan.record_type.name
        required = self.plan.required
        flagged: list[bool] = []

        def flag(_name: str, _cell: Cell, _reason: str) -> None:
            flagged.append(True)

        out: list[CheckedRow] = []
        for r, c, s in zip(rows, checked, stored, strict=True):
            if s is None:
                out.append(c)
                continue
            if not c.problems:
                c.values.update(s)
                _cross_checks(type_name, c.values, flag)
                if not flagged and all(c.values.get(n) is not None for n in required):
                    out.append(c)
                    continue
                flagged.clear()
            out.append(self._one(r, s))
        return out

    def _one(self, row: SourceRow, stored: dict[str, object] | None = None) -> CheckedRow:
        return check_row(self.plan, row, self.file_name, self.today, self.default_source, stored)

    def _column(
        self, f: Field, formats: tuple[str, ...], cells: list[Cell] | None, n: int
    ) -> list[object]:
        """The values of one field for a chunk (``None`` for no value, ``_BAD`` for a problem)."""
        constant = self.plan.mapping.constants.get(f.name)
        if cells is None:
            return [self._value(f, formats, None, constant)] * n
        out: list[object] = []
        if f.kind in _TEXT_KINDS:  # mostly distinct values, checked inline
            missing = self.plan.mapping.missing_for(f.name)
            plain = f.name not in self.plan.mapping.values
            longest = f.max_length
            for c in cells:
                if type(c) is str:
                    text = c.strip()
                    fits = longest is None or len(text) <= longest
                    if text and plain and fits and text.casefold() not in missing:
                        out.append(text)
                        continue
                out.append(self._value(f, formats, c, constant))
            return out
        if f.kind == "codes":  # a list per row, never shared between rows
            return [self._value(f, formats, c, constant) for c in cells]
        memo = self.memos.setdefault(f.name, {})
        if len(memo) > _MEMO:
            memo.clear()
        for c in cells:
            if type(c) is not str:  # typed cells (1 == True == 1.0) are not remembered
                out.append(self._value(f, formats, c, constant))
                continue
            value = memo.get(c, memo)
            if value is memo:
                value = memo[c] = self._value(f, formats, c, constant)
            out.append(value)
        return out

    def _value(
        self, f: Field, formats: tuple[str, ...], cell: Cell, constant: str | None
    ) -> object:
        """One cell as :meth:`ColumnPlan.standard_cells` and :func:`check_row` take it."""
        cell = standard_cell(self.plan.mapping, f.name, cell)
        if cell is None:
            cell = constant
        if cell is None:
            return None
        try:
            value = convert(f, cell, formats)
        except FieldProblem:
            return _BAD
        if f.kind == "date" and value > self.today:  # type: ignore[operator]
            return _BAD
        return value


def _defaults(type_name: str, values: dict[str, object]) -> None:
    if type_name == "cases":
        if values.get("reference") is None:
            values["reference"] = values.get("external_id")
        if values.get("owning_agency") is None:
            values["owning_agency"] = values.get("source")
    elif type_name == "list_memberships" and values.get("list") is None:
        values["list"] = values.get("source")
    elif type_name == "persons" and values.get("case") is not None and values.get("role") is None:
        values["role"] = "victim"


def _cross_checks(
    type_name: str, values: dict[str, object], report: Callable[[str, Cell, str], None]
) -> None:
    if type_name == "cases":
        opened, closed = values.get("opened_on"), values.get("closed_on")
        if isinstance(opened, dt.date) and isinstance(closed, dt.date) and closed < opened:
            report("closed_on", closed.isoformat(), f"is before the case opened ({opened})")
        if values.get("owning_agency") is None:
            report("owning_agency", None, "owning_agency is required (or give --source)")
    elif type_name == "agencies":
        if values.get("country") is None and values.get("org_type") != "InternationalOrganisation":
            report(
                "country",
                None,
                "country is required (only an international organisation has none)",
            )
    elif type_name == "list_memberships" and values.get("list") is None:
        report("list", None, "list (the agency code of the list) is required, or give --source")
    elif type_name == "persons" and values.get("role") is not None and values.get("case") is None:
        report("role", str(values["role"]), "a role needs the case it is played in (column case)")
    elif type_name == "justice_events":
        stage, outcome = values.get("stage"), values.get("outcome")
        if outcome is not None and stage is not None:  # no stage: that is the problem
            allowed = _VERDICTS if stage == Stage.VERDICT else _APPEALS
            if stage not in (Stage.VERDICT, Stage.APPEAL):
                report("outcome", str(outcome), f"a {stage} event has no outcome")
            elif outcome not in allowed:
                report(
                    "outcome", str(outcome), f"not an outcome of a {stage}: {', '.join(allowed)}"
                )


@dataclass(slots=True)
class _Event:
    stage: str
    on: dt.date
    line: int  # 0 for an event already in the database
    column: str
    ext: object = None


class FileChecks:
    """Checks across rows: duplicates in the file, and the order of justice stages."""

    def __init__(self, plan: ColumnPlan, file_name: str) -> None:
        self.plan = plan
        self.file_name = file_name
        self.first_line: dict[tuple[object, ...], int] = {}
        self.person_fields: dict[tuple[object, ...], tuple[int, int]] = {}
        self.events: dict[tuple[object, ...], list[_Event]] = defaultdict(list)
        self.event_ids: set[tuple[object, object]] = set()
        self.key_fields = plan.record_type.key
        self.kind = plan.record_type.name
        if self.kind == "persons":
            self.key_fields = (*self.key_fields, "case", "role")
        self.stage_column = plan.sources.get("occurred_on", "occurred_on")

    def key(self, values: dict[str, object]) -> tuple[object, ...]:
        """The identifying key of a row within its source."""
        return tuple(map(values.get, self.key_fields))

    def add(self, row: CheckedRow) -> None:
        """Record a row that passed the row checks; add a problem if it repeats another."""
        values = row.values
        key = tuple(map(values.get, self.key_fields))
        first = self.first_line.setdefault(key, row.line)
        if first != row.line:
            self._duplicate(row, key, first)
            return
        if self.kind == "persons":
            person = (values.get("source"), values.get("external_id"))
            digest = hash(tuple(values.get(f) for f in _PERSON_FIELDS))
            seen = self.person_fields.setdefault(person, (row.line, digest))
            if seen[1] != digest:
                column = self.plan.sources.get("external_id", "external_id")
                row.problems.append(
                    RejectedRow(
                        self.file_name,
                        row.line,
                        column,
                        _quote(str(values.get("external_id"))),
                        f"the same person is described differently on line {seen[0]}; "
                        "make the person's fields agree",
                    )
                )
        if self.kind == "justice_events" and values.get("person") is not None:
            source = values.get("source")
            group = (source, values.get("case"), values.get("person"))
            on = values["occurred_on"]
            assert isinstance(on, dt.date)
            ext = values.get("external_id")
            stage = str(values["stage"])
            self.events[group].append(_Event(stage, on, row.line, self.stage_column, ext))
            self.event_ids.add((source, ext))

    def add_many(self, rows: list[CheckedRow]) -> None:
        """:meth:`add` each row, in order (column by column where that is faster)."""
        if self.kind == "persons":
            for row in rows:
                self.add(row)
            return
        first_line = self.first_line
        lines = [r.line for r in rows]
        keys = zip(*([r.values.get(k) for r in rows] for k in self.key_fields), strict=True)
        fresh = [
            first_line.setdefault(k, line) == line for k, line in zip(keys, lines, strict=True)
        ]
        if self.kind == "justice_events":
            events = self.events
            column = self.stage_column
            event_ids = self.event_ids
            for row, new in zip(rows, fresh, strict=True):
                v = row.values
                person = v.get("person")
                if not new or person is None:
                    continue
                source = v.get("source")
                on = v["occurred_on"]
                assert isinstance(on, dt.date)
                ext = v.get("external_id")
                events[(source, v.get("case"), person)].append(
                    _Event(str(v["stage"]), on, row.line, column, ext)
                )
                event_ids.add((source, ext))
        if not all(fresh):  # the row-by-row message for each duplicate
            for row, new in zip(rows, fresh, strict=True):
                if not new:
                    self._duplicate(row, self.key(row.values), first_line[self.key(row.values)])

    def _duplicate(self, row: CheckedRow, key: tuple[object, ...], first: int) -> None:
        name = self.plan.record_type.key[-1]
        column = self.plan.sources.get(name, name)
        shown = "/".join("" if k is None else str(k) for k in key if k is not None)
        row.problems.append(
            RejectedRow(
                self.file_name,
                row.line,
                column,
                _quote(shown),
                f"duplicate of line {first} (same source and id); keep one of the two rows",
            )
        )

    def add_stored_event(
        self, group: tuple[object, ...], stage: str, on: dt.date, ext: object
    ) -> None:
        """An event of the same person already in the database (for the order check)."""
        self.events[group].append(_Event(stage, on, 0, "", ext))

    def stage_order_problems(self) -> list[RejectedRow]:
        """Events dated before an earlier stage of the same person in the same case."""
        problems: list[RejectedRow] = []
        orders = [{s.value: i for i, s in enumerate(p)} for p in (SUSPECT_STAGES, VICTIM_STAGES)]
        for group, events in self.events.items():
            source = group[0]
            current = [e for e in events if e.line or (source, e.ext) not in self.event_ids]
            for order in orders:
                on_path = [e for e in current if e.stage in order]
                if len(on_path) < 2:
                    continue
                # dates that never go back along the path: nothing is out of order
                dates = [x.on for x in sorted(on_path, key=lambda x: order[x.stage])]
                if dates == sorted(dates):
                    continue
                for e in on_path:
                    if not e.line:
                        continue
                    before = [
                        f
                        for f in on_path
                        if order[f.stage] < order[e.stage]
                        and f.on > e.on
                        and (f.stage, e.stage) not in _UNORDERED
                    ]
                    if before:
                        f = max(before, key=lambda x: x.on)
                        where = f"line {f.line}" if f.line else "the database"
                        problems.append(
                            RejectedRow(
                                self.file_name,
                                e.line,
                                e.column,
                                e.on.isoformat(),
                                f"{e.stage} dated before the {f.stage} of the same person "
                                f"({f.on.isoformat()}, {where}); check both dates",
                            )
                        )
        return sorted(set(problems), key=lambda p: p.line)


__all__ = ["QUOTE", "CheckedRow", "FileChecks", "RowChecker", "check_row"]
