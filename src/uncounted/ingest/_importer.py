"""The import pipeline: each part of a file checked chunk by chunk, and written as it goes.

One pass reads the file a chunk at a time: rows are checked (``validate.RowChecker``), their
references resolved against the file and the database, and the good ones written through the
writers of ``_writers`` inside the caller's transaction. Checks that need the whole file (the
order of justice stages) run at the end of each part.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from uncounted.errors import (
    AccessDenied,
    ImportRejected,
    InvalidInput,
    RecordTypeUnknown,
    RejectedRow,
)
from uncounted.ingest._authorise import authorise_rows
from uncounted.ingest._case_roles import CaseRoles
from uncounted.ingest._stored import needed, stored_values
from uncounted.ingest._writers import WRITERS, Counts, WriteContext
from uncounted.ingest.mapping import ColumnMapping, ColumnPlan, plan_columns
from uncounted.ingest.readers import ReadOptions, SourceRow, read_chunks, sheet_names
from uncounted.ingest.records import LOAD_ORDER, RECORD_TYPES, record_type, source_field
from uncounted.ingest.validate import CheckedRow, FileChecks, RowChecker
from uncounted.store import batches, importing
from uncounted.store.access import Action, Principal, Resource, check, unrestricted

#: progress(phase, rows done, total rows or None) — phases "checking" and "importing".
Progress = Callable[[str, int, int | None], None]
_AGENCY_REFS = (
    "source",
    "owning_agency",
    "agency",
    "from_agency",
    "to_agency",
    "list",
    "case_source",
    "person_source",
    "linked_case_source",
)

#: Fields that refer to another record by the agency's id, and the table of that record.
_REFS = (("case", "cases"), ("person", "persons"), ("linked_case", "cases"))


@dataclass
class _Part:
    """One record type of the file: the file itself, or one sheet of a workbook."""

    type_name: str
    options: ReadOptions
    plans: dict[tuple[str, ...], ColumnPlan] = field(default_factory=dict)
    bad_lines: set[int] = field(default_factory=set)
    rows: int = 0
    checkers: dict[int, RowChecker] = field(default_factory=dict)  # by id of the plan
    ignored: set[str] | None = None  # columns no plan of this part reads

    def column_of(self, name: str) -> str:
        """The file's column holding the standard field ``name`` (for the report)."""
        sources = next(iter(self.plans.values())).sources if self.plans else {}
        return sources.get(name, name)

    def plan(self, mapping: ColumnMapping, row: SourceRow) -> ColumnPlan:
        header = tuple(row.cells)
        if row.problem is not None and not header:  # an unreadable row: any plan will do
            if self.plans:
                return next(iter(self.plans.values()))
            header = record_type(self.type_name).field_names
        found = self.plans.get(header)
        if found is None:
            rtype = record_type(self.type_name)
            found = plan_columns(rtype, mapping.for_type(self.type_name), list(header))
            self.plans[header] = found
        return found


def _parts(
    path: Path, record: str | None, mapping: ColumnMapping, opts: ReadOptions
) -> list[_Part]:
    if record is None and mapping.record_types:  # in load order: a row's case before its people
        return [_Part(t, opts) for t in sorted(mapping.record_types, key=LOAD_ORDER.index)]
    record = record or mapping.record_type
    is_book = path.suffix.lower() in {".xlsx", ".xlsm"} or opts.format == "xlsx"
    if record is None and is_book and opts.sheet is None:
        sheets = set(sheet_names(path))
        found = [t for t in LOAD_ORDER if t in sheets]
        if found:
            return [_Part(t, with_options(opts, sheet=t)) for t in found]
    if record is None and path.stem.lower() in RECORD_TYPES:
        record = path.stem.lower()
    if record is None:
        from uncounted.ingest.detect import guess_record_type, header_of

        record = guess_record_type(header_of(path, opts), mapping)
    if record is None:
        raise RecordTypeUnknown(
            f"Could not tell which records {path.name} holds from its name or its columns. "
            f"Choose the record type ({', '.join(RECORD_TYPES)}): in the web app with "
            "'Record type', on the command line with --type; or name the file or the "
            "workbook's sheets after the record type."
        )
    record_type(record)
    return [_Part(record, opts)]


def with_options(opts: ReadOptions, **changes: Any) -> ReadOptions:
    return ReadOptions(**{**vars(opts), **changes})


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: New objects between two collections of the youngest generation during an import.
_YOUNG = 20_000


@contextmanager
def _settled() -> Iterator[Callable[[], None]]:
    """A ``settle()`` to call after each chunk: what lives on is left out of garbage collection.

    Each chunk's rows live long enough to reach the oldest generation of the garbage collector,
    and every few chunks that triggered a full collection of the whole process — a third of an
    import's time. Freezing (:func:`gc.freeze`) what exists after each chunk keeps full
    collections small; everything is unfrozen at the end. Objects freed by reference counting
    (almost all of an import's) are freed as usual. The youngest generation is also collected
    less often (every ``_YOUNG`` new objects instead of 700): the rows of a chunk are garbage
    of no cycle. Left alone when the process already froze objects of its own.
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield lambda: None
        return
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], _YOUNG), *thresholds[1:])
    try:
        yield gc.freeze
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class Importer:
    def __init__(
        self,
        engine: Engine,
        path: Path,
        record: str | None,
        mapping: ColumnMapping,
        source: str | None,
        today: dt.date,
        progress: Progress | None,
        options: ReadOptions,
        who: Principal | None = None,
    ) -> None:
        self.engine = engine
        #: the uploader (``None``: the operator, whose imports are not narrowed to an agency)
        self.who = who
        self.path = path
        self.mapping = mapping
        self.source = source or mapping.source
        #: the organisation the layout's files come from, created if missing (e.g. CTDC)
        self.hub = mapping.agency if self.source is None and mapping.agency else None
        if self.hub is not None:
            self.source = self.hub["code"]
        self.today = today
        self.progress = progress
        opts = with_options(
            options,
            encoding=options.encoding or mapping.encoding,
            delimiter=options.delimiter or mapping.delimiter,
            sheet=options.sheet or mapping.sheet,
        )
        self.parts = _parts(path, record, mapping, opts)
        self.problems: list[RejectedRow] = []
        self.ignored: set[str] = set()
        #: the published layout the file is in, when the mapping names its layouts
        self.layout: str | None = None
        self.late = False
        #: records refused in this import: kind -> (source, external id) -> line
        self.refused: dict[str, dict[tuple[Any, Any], int]] = {"cases": {}, "persons": {}}
        self.pending: dict[str, set[tuple[Any, ...]]] = {
            "agencies": set(),
            "cases": set(),
            "persons": set(),
        }
        #: the roles in cases the file adds, and the check of events and referrals against them
        self.roles = CaseRoles(self.pending)

    def _rows(self, part: _Part) -> Iterator[tuple[ColumnPlan, list[SourceRow]]]:
        for chunk in read_chunks(self.path, part.options):
            header = list(chunk[0].cells)
            if self.mapping.layouts and self.layout is None:
                self.layout = self.mapping.layout(header)
            why = self.mapping.refusal(header) if self.mapping.refuse else None
            if why is not None:
                refused = RejectedRow(self.name(part), 1, "", "", why)
                raise ImportRejected(f"{self.path.name} was not imported: {why}", rows=[refused])
            groups: dict[int, tuple[ColumnPlan, list[SourceRow]]] = {}
            for row in chunk:
                plan = part.plan(self.mapping, row)
                groups.setdefault(id(plan), (plan, []))[1].append(row)
            yield from groups.values()

    def name(self, part: _Part) -> str:
        if len(self.parts) > 1 and part.options.sheet:
            return f"{self.path.name}[{part.options.sheet}]"
        return self.path.name

    def run(
        self, conn: Connection, ctx: WriteContext | None, partial: bool, skip: bool = False
    ) -> Counts:
        """Check every row and, with a write context, write the good ones as it goes.

        Writing stops at the first problem unless ``partial`` (the transaction is then rolled
        back by the caller). With ``skip``, rows already known to be bad are left out.
        """
        with _settled() as settle:
            return self._run(conn, ctx, partial, skip, settle)

    def _run(
        self,
        conn: Connection,
        ctx: WriteContext | None,
        partial: bool,
        skip: bool,
        settle: Callable[[], None],
    ) -> Counts:
        counts = Counts()
        done = 0
        agencies = set(importing.agency_ids(conn))
        self.roles.reset()
        self._own_source(conn)
        if self.hub is not None and self.hub["code"] not in agencies:
            self._add_hub(ctx)
            agencies.add(self.hub["code"])
        makes_agencies = any(p.type_name == "agencies" for p in self.parts)
        if self.source is not None and self.source not in agencies and not makes_agencies:
            raise InvalidInput(
                f"No agency with code {self.source!r} (--source); add it first "
                "(uncounted import agencies.csv --type agencies) or check the code."
            )
        for part in self.parts:
            name = self.name(part)
            checks: FileChecks | None = None
            seen_cases: set[int] = set()
            known_bad = set(part.bad_lines) if skip else set()
            writer = WRITERS[part.type_name]
            part.rows = 0
            part.ignored = None
            for plan, rows in self._rows(part):
                own = set(plan.ignored)
                part.ignored = own if part.ignored is None else part.ignored | own
                if plan.missing_required:
                    for f in plan.missing_required:
                        self.problems.append(
                            RejectedRow(
                                name,
                                1,
                                f,
                                "",
                                f"the file has no column for the required field {f}, "
                                "which says which record each row is; add it or map it in "
                                "the mapping",
                            )
                        )
                    raise self.refuse()
                if checks is None:
                    checks = FileChecks(plan, name)
                checker = part.checkers.get(id(plan))
                if checker is None:
                    checker = RowChecker(plan, name, self.today, self.source)
                    part.checkers[id(plan)] = checker
                own_rows = [r for r in rows if r.line not in known_bad]
                checked = checker.check(own_rows)
                need = needed(plan)
                if need:  # rows that update: checked with the stored values the file lacks
                    stored = stored_values(conn, plan, checked, need)
                    if any(s is not None for s in stored):
                        checked = checker.recheck(own_rows, checked, stored)
                found = self._check_refs(conn, part, checked, agencies, checks, seen_cases)
                authorise_rows(conn, self.who, part.type_name, name, checked, found, part.column_of)
                codes = importing.agency_ids(conn)
                self.roles.check(conn, part.type_name, name, checked, codes, found, part.column_of)
                checks.add_many([c for c in checked if not c.problems])
                good = []
                for c in checked:
                    self._keep(part, c)
                    if not c.problems:
                        good.append(c)
                if part.type_name == "persons":
                    self.roles.add(good, codes, found)
                if ctx is not None and good and (partial or not self.problems):
                    ctx.known = found
                    ctx.absent = plan.absent
                    got = writer(ctx, good)
                    counts.created += got.created
                    counts.updated += got.updated
                    counts.unchanged += got.unchanged
                part.rows += len(rows)
                done += len(rows)
                settle()
                if self.progress is not None:
                    self.progress("importing" if ctx is not None else "checking", done, None)
            if checks is not None:
                for p in checks.stage_order_problems():
                    self.problems.append(p)
                    part.bad_lines.add(p.line)
                    self.late = True
            if part.type_name == "agencies" and ctx is not None:
                agencies = set(ctx.agencies)
        self.ignored = self._ignored()
        return counts

    def _own_source(self, conn: Connection) -> None:
        """An uploader's file is checked as their role allows; a caseworker's rows default to
        their own agency's records (``source``)."""
        if self.who is None:
            return
        check(self.who, Resource.IMPORTS, Action.CREATE)
        limited = not unrestricted(self.who)  # a caseworker: their agency's records only
        if limited and self.who.agency_id is None:
            raise AccessDenied("Your account has no agency; ask an administrator to set one.")
        if limited and self.source is None:
            codes = {i: c for c, i in importing.agency_ids(conn).items()}
            self.source = codes.get(self.who.agency_id or -1)

    def _ignored(self) -> set[str]:
        """Columns no record type read from the same rows uses (not one type's leftovers)."""
        by_rows: dict[str | None, set[str]] = {}
        for p in self.parts:
            if p.ignored is None:
                continue
            key = p.options.sheet
            by_rows[key] = p.ignored if key not in by_rows else by_rows[key] & p.ignored
        return set().union(*by_rows.values()) if by_rows else set()

    def _add_hub(self, ctx: WriteContext | None) -> None:
        """Create the organisation the mapping's layout comes from (a dry run only notes it)."""
        if ctx is None or self.hub is None:
            return
        hub = self.hub
        row = {
            "code": hub["code"],
            "name": hub["name"],
            "org_type": hub["org_type"],
            "country": hub.get("country"),
        }
        importing.upsert(ctx.conn, "agencies", ("code",), [row], ctx.audit)
        ctx.agencies = importing.agency_ids(ctx.conn)

    def shared_bad_lines(self) -> bool:
        """Give every part read from the same rows the bad lines of all of them.

        A row read as several records (a CTDC row is a case and its victim) is refused whole:
        never a case without its victim. Returns whether any part gained lines (the import
        must then be written again without them).
        """
        changed = False
        by_rows: dict[str | None, set[int]] = {}
        for p in self.parts:
            by_rows.setdefault(p.options.sheet, set()).update(p.bad_lines)
        for p in self.parts:
            union = by_rows[p.options.sheet]
            if union - p.bad_lines:
                p.bad_lines |= union
                changed = True
        return changed

    def _keep(self, part: _Part, c: CheckedRow) -> None:
        if c.problems:
            part.bad_lines.add(c.line)
            self.problems.extend(c.problems)
            ext = c.values.get("external_id")
            if part.type_name in self.refused and ext is not None:
                self.refused[part.type_name][(c.values.get("source"), ext)] = c.line
            return
        v = c.values
        if part.type_name == "agencies":
            self.pending["agencies"].add((v["code"],))
        elif part.type_name in {"cases", "persons"}:
            self.pending[part.type_name].add((v.get("source"), v["external_id"]))

    def _check_refs(
        self,
        conn: Connection,
        part: _Part,
        rows: list[CheckedRow],
        agencies: set[str],
        checks: FileChecks,
        seen_cases: set[int],
    ) -> dict[str, dict[tuple[int | None, str], int]]:
        type_name, file_name = part.type_name, self.name(part)
        sources = next(iter(part.plans.values())).sources if part.plans else {}

        def _col(name: str) -> str:
            return sources.get(name, name)

        source_column = _col("source")
        known = agencies | {k[0] for k in self.pending["agencies"]}
        ids = importing.agency_ids(conn)
        wanted: dict[str, set[tuple[int | None, str]]] = {"cases": set(), "persons": set()}
        fields = set(record_type(type_name).field_names)
        agency_refs = [f for f in _AGENCY_REFS if f in fields]
        refs = [(f, k) for f, k in _REFS if f in fields]
        refs = [(f, k) for f, k in refs if k != type_name]
        pending_sources: dict[str, set[tuple[Any, ...]]] = self.pending

        def _unknown_agency(c: CheckedRow, f: str, code: object) -> None:
            c.problems.append(
                RejectedRow(
                    file_name,
                    c.line,
                    _col(f),
                    str(code),
                    f"no agency with code {code!r}; add it first "
                    "(uncounted import agencies.csv --type agencies)",
                )
            )

        # Codes are checked once per distinct value; rows are visited only if one is unknown.
        for f in agency_refs:
            codes = {c.values.get(f) for c in rows}
            codes.discard(None)
            if not codes <= known:
                for c in rows:
                    for g in agency_refs:
                        code = c.values.get(g)
                        if code is not None and code not in known:
                            _unknown_agency(c, g, code)
                break
        # (row, field, kind, source, external id) of each reference, in row order
        specs = [(f, source_field(f), kind) for f, kind in refs]
        # rows whose own source is bad: their references cannot be looked up
        usable = [
            c
            for c in rows
            if not (c.problems and any(p.column == source_column for p in c.problems))
        ]

        def asked() -> Iterator[tuple[CheckedRow, str, str, Any, str]]:
            """(row, field, kind, source, external id) of each reference, in row order."""
            for c in usable:
                values = c.values
                for f, own, kind in specs:
                    ext = values.get(f)
                    if ext is not None:
                        src = values.get(own)
                        if src is None:
                            src = values.get("source")
                        yield c, f, kind, src, str(ext)

        # each distinct (kind, source, external id), gathered column by column
        distinct: set[tuple[str, Any, str]] = set()
        row_sources = [c.values.get("source") for c in usable]
        for f, own, kind in specs:
            owns = [c.values.get(own) for c in usable]
            exts = [c.values.get(f) for c in usable]
            distinct.update(
                (kind, source if src is None else src, str(ext))
                for src, source, ext in zip(owns, row_sources, exts, strict=True)
                if ext is not None
            )
        for kind, src, ref in distinct:
            wanted[kind].add((ids.get(str(src)) if src is not None else None, ref))
            wanted[kind].add((None, ref))
        found = {k: importing.ids_by_external(conn, k, v) for k, v in wanted.items() if v}
        by_code = {v: k for k, v in ids.items()}
        missing: set[tuple[str, Any, str]] = set()
        for kind, src, ref in distinct:
            sid = ids.get(str(src)) if src is not None else None
            have = found.get(kind, {})
            if (sid, ref) in have or (None, ref) in have:
                continue
            if (src, ref) in pending_sources[kind] or (None, ref) in pending_sources[kind]:
                continue
            missing.add((kind, src, ref))
        refused = self.refused
        for c, f, kind, src, ref in asked() if missing else ():
            if (kind, src, ref) not in missing:
                continue
            where = f" from source {src}" if src is not None else ""
            line = refused[kind].get((src, ref))
            if line is None:
                line = refused[kind].get((None, ref))
            if line is not None:  # in the file, but refused: say so, and why to look
                reason = (
                    f"the {kind[:-1]} {ref!r} on line {line} was refused (see the problems "
                    f"of line {line}), so this row is refused with it"
                )
            else:
                reason = (
                    f"no {kind[:-1]} {ref!r}{where} in this file or the database; "
                    f"import the {kind} first"
                )
            c.problems.append(RejectedRow(file_name, c.line, _col(f), ref, reason))
        if type_name == "justice_events" and "cases" in found:
            new = sorted(set(found["cases"].values()) - seen_cases)
            seen_cases.update(new)
            events = importing.stored_events(conn, new)
            cases = importing.external_ids(conn, "cases", sorted({e[1] for e in events}))
            people = importing.external_ids(conn, "persons", sorted({e[2] for e in events}))
            for source, case_id, person_id, stage, on, ext in events:
                code = by_code.get(source) if source is not None else None
                group = (code, cases.get(case_id), people.get(person_id))
                checks.add_stored_event(group, stage, on, ext)
        return found

    def refuse(self) -> ImportRejected:
        lines = len({(p.file, p.line) for p in self.problems})
        return ImportRejected(
            f"{self.path.name} was not imported: {lines:,} row(s) have problems "
            f"({len(self.problems):,} in all). Fix them and import again, or load the valid "
            "rows with --partial.",
            rows=sorted(self.problems, key=lambda p: (p.line, p.column)),
        )

    def open_batch(self, conn: Connection, actor: str, sha: str) -> WriteContext:
        """Insert the import_batches record (same transaction) and a write context."""
        source_id = importing.agency_ids(conn).get(self.source) if self.source else None
        batch_id = batches.open_batch(
            conn,
            file_name=self.path.name,
            sha256=sha,
            record_type=",".join(p.type_name for p in self.parts),
            source_agency_id=source_id,
            actor=actor,
        )
        detail = f"import batch {batch_id} ({self.path.name})"
        return WriteContext(conn, importing.AuditAs(self.who or actor, detail), batch_id=batch_id)

    def close_batch(self, ctx: WriteContext, counts: Counts, partial: bool) -> None:
        """Record how the import ended, and one audit event for it."""
        rejected = len({(p.file, p.line) for p in self.problems})
        batches.close_batch(
            ctx.conn,
            ctx.audit.who,
            ctx.batch_id,
            status="partial" if partial and rejected else "loaded",
            rows_total=self.rows_total,
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            rejected=rejected,
            detail=ctx.audit.detail,
        )

    @property
    def rows_total(self) -> int:
        """Rows read (a file read as several record types counts its rows once)."""
        by_source: dict[str | None, int] = {}
        for p in self.parts:
            by_source[p.options.sheet] = max(by_source.get(p.options.sheet, 0), p.rows)
        return sum(by_source.values())

    def record_rejection(self, actor: str, sha: str) -> int:
        with self.engine.begin() as conn:
            source_id = importing.agency_ids(conn).get(self.source) if self.source else None
            return batches.record_rejection(
                conn,
                self.who or actor,
                file_name=self.path.name,
                sha256=sha,
                record_type=",".join(p.type_name for p in self.parts),
                source_agency_id=source_id,
                actor=actor,
                rows_total=self.rows_total,
                rows_rejected=len({(p.file, p.line) for p in self.problems}),
                problems=len(self.problems),
            )


__all__ = ["Importer", "Progress", "file_sha256", "with_options"]
