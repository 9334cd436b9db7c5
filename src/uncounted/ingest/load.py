"""Import a file: validate every row, then load it in one transaction (or not at all).

The file is read twice, a chunk at a time: the first pass checks every row and collects every
problem (types, required fields, codes, dates, references, duplicates, stage order); the second
pass writes the valid rows inside a single transaction together with the ``import_batches``
record and the audit events of changed records. Killing the process half-way leaves nothing of
the file behind, because the transaction is never committed.

By default a file with any bad row is refused whole (:class:`~uncounted.errors.ImportRejected`
carries every bad row). With ``partial=True`` the valid rows are loaded and the bad ones are
copied, unchanged, to a rejects file beside a report. Re-importing the same file changes
nothing; a changed row updates its record (same source and external id) and the change is
audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, update

from uncounted.errors import ImportRejected, InvalidInput, RejectedRow
from uncounted.ingest import _store
from uncounted.ingest._writers import WRITERS, Counts, WriteContext
from uncounted.ingest.mapping import ColumnMapping, ColumnPlan, load_mapping, plan_columns
from uncounted.ingest.readers import ReadOptions, SourceRow, read_chunks, sheet_names
from uncounted.ingest.records import LOAD_ORDER, RECORD_TYPES, record_type, ref_source
from uncounted.ingest.report import write_rejects, write_report
from uncounted.ingest.validate import CheckedRow, FileChecks, check_row

#: progress(phase, rows done in this phase, total rows or None) — phases "checking", "writing".
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
)


@dataclass
class ImportResult:
    """What an import (or a dry run) did with a file."""

    file: str
    record_types: tuple[str, ...]
    status: str  # loaded | partial | rejected | dry-run
    rows_total: int = 0
    rows_created: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    batch_id: int | None = None
    rejects_file: Path | None = None
    report_file: Path | None = None
    seconds: float = 0.0

    @property
    def rows_rejected(self) -> int:
        """Number of distinct rejected rows (a row may have several problems)."""
        return len({(p.file, p.line) for p in self.rejected})

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (for JSON and the web app)."""
        return {
            "file": self.file,
            "record_types": list(self.record_types),
            "status": self.status,
            "rows_total": self.rows_total,
            "rows_created": self.rows_created,
            "rows_updated": self.rows_updated,
            "rows_unchanged": self.rows_unchanged,
            "rows_rejected": self.rows_rejected,
            "rejected": [vars(p) for p in self.rejected],
            "ignored_columns": list(self.ignored_columns),
            "batch_id": self.batch_id,
            "rejects_file": str(self.rejects_file) if self.rejects_file else None,
            "report_file": str(self.report_file) if self.report_file else None,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Part:
    """One record type of the file: the file itself, or one sheet of a workbook."""

    type_name: str
    options: ReadOptions
    plans: dict[tuple[str, ...], ColumnPlan] = field(default_factory=dict)
    bad_lines: set[int] = field(default_factory=set)
    rows: int = 0

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
    if record is None and mapping.record_types:
        return [_Part(t, opts) for t in mapping.record_types]
    record = record or mapping.record_type
    is_book = path.suffix.lower() in {".xlsx", ".xlsm"} or opts.format == "xlsx"
    if record is None and is_book and opts.sheet is None:
        sheets = set(sheet_names(path))
        found = [t for t in LOAD_ORDER if t in sheets]
        if found:
            return [_Part(t, _with(opts, sheet=t)) for t in found]
    if record is None and path.stem.lower() in RECORD_TYPES:
        record = path.stem.lower()
    if record is None:
        raise InvalidInput(
            f"Say which records {path.name} holds: --type {'|'.join(RECORD_TYPES)} "
            "(or name the workbook's sheets after the record types)."
        )
    record_type(record)
    return [_Part(record, opts)]


def _with(opts: ReadOptions, **changes: Any) -> ReadOptions:
    return ReadOptions(**{**vars(opts), **changes})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Importer:
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
    ) -> None:
        self.engine = engine
        self.path = path
        self.mapping = mapping
        self.source = source or mapping.source
        self.today = today
        self.progress = progress
        opts = _with(
            options,
            encoding=options.encoding or mapping.encoding,
            delimiter=options.delimiter or mapping.delimiter,
            sheet=options.sheet or mapping.sheet,
        )
        self.parts = _parts(path, record, mapping, opts)
        self.problems: list[RejectedRow] = []
        self.ignored: set[str] = set()
        self.pending: dict[str, set[tuple[Any, ...]]] = {
            "agencies": set(),
            "cases": set(),
            "persons": set(),
        }

    def _rows(self, part: _Part) -> Iterator[tuple[ColumnPlan, list[SourceRow]]]:
        for chunk in read_chunks(self.path, part.options):
            groups: dict[int, tuple[ColumnPlan, list[SourceRow]]] = {}
            for row in chunk:
                plan = part.plan(self.mapping, row)
                groups.setdefault(id(plan), (plan, []))[1].append(row)
            yield from groups.values()

    # --- pass 1 ---------------------------------------------------------------------------

    def name(self, part: _Part) -> str:
        if len(self.parts) > 1 and part.options.sheet:
            return f"{self.path.name}[{part.options.sheet}]"
        return self.path.name

    def check(self) -> None:
        done = 0
        with self.engine.connect() as conn:
            agencies = set(_store.agency_ids(conn))
            for part in self.parts:
                name = self.name(part)
                checks: FileChecks | None = None
                seen_cases: set[int] = set()
                for plan, rows in self._rows(part):
                    self.ignored.update(plan.ignored)
                    if plan.missing_required:
                        for f in plan.missing_required:
                            self.problems.append(
                                RejectedRow(
                                    name,
                                    1,
                                    f,
                                    "",
                                    f"the file has no column for the "
                                    f"required field {f}; add it or map it in the mapping",
                                )
                            )
                        raise self._refuse()
                    if checks is None:
                        checks = FileChecks(plan, name)
                    checked = [check_row(plan, r, name, self.today, self.source) for r in rows]
                    self._check_refs(conn, part, checked, agencies, checks, seen_cases)
                    for c in checked:
                        if not c.problems:
                            checks.add(c)
                        self._keep(part, c)
                    part.rows += len(rows)
                    done += len(rows)
                    if self.progress is not None:
                        self.progress("checking", done, None)
                if checks is not None:
                    for p in checks.stage_order_problems():
                        self.problems.append(p)
                        part.bad_lines.add(p.line)

    def _keep(self, part: _Part, c: CheckedRow) -> None:
        if c.problems:
            part.bad_lines.add(c.line)
            self.problems.extend(c.problems)
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
    ) -> None:
        type_name, file_name = part.type_name, self.name(part)
        known = agencies | {k[0] for k in self.pending["agencies"]}
        ids = _store.agency_ids(conn)
        wanted: dict[str, set[tuple[int | None, str]]] = {"cases": set(), "persons": set()}
        for c in rows:
            for f in _AGENCY_REFS:
                code = c.values.get(f)
                if code is not None and code not in known:
                    column = self._column(c, type_name, f)
                    c.problems.append(
                        RejectedRow(
                            file_name,
                            c.line,
                            column,
                            str(code),
                            f"no agency with code {code!r}; add it first "
                            "(uncounted import agencies.csv --type agencies)",
                        )
                    )
            if any(p.column == self._column(c, type_name, "source") for p in c.problems):
                continue
            for f, kind in (("case", "cases"), ("person", "persons")):
                ext = c.values.get(f)
                if ext is not None and type_name != kind:
                    src = ref_source(c.values, f)
                    wanted[kind].add((ids.get(str(src)) if src is not None else None, str(ext)))
                    wanted[kind].add((None, str(ext)))
        found = {k: _store.ids_by_external(conn, k, v) for k, v in wanted.items() if v}
        by_code = {v: k for k, v in ids.items()}
        for c in rows:
            if any(p.column == self._column(c, type_name, "source") for p in c.problems):
                continue
            for f, kind in (("case", "cases"), ("person", "persons")):
                ext = c.values.get(f)
                if ext is None or type_name == kind:
                    continue
                src = ref_source(c.values, f)
                sid = ids.get(str(src)) if src is not None else None
                have = found.get(kind, {})
                if (sid, str(ext)) in have or (None, str(ext)) in have:
                    continue
                if (src, ext) in self.pending[kind] or (None, ext) in self.pending[kind]:
                    continue
                where = f" from source {src}" if src is not None else ""
                c.problems.append(
                    RejectedRow(
                        file_name,
                        c.line,
                        self._column(c, type_name, f),
                        str(ext),
                        f"no {kind[:-1]} {ext!r}{where} in this file or the database; "
                        f"import the {kind} first",
                    )
                )
        if type_name == "justice_events" and "cases" in found:
            new = sorted(set(found["cases"].values()) - seen_cases)
            seen_cases.update(new)
            events = _store.stored_events(conn, new)
            cases = _store.external_ids(conn, "cases", sorted({e[1] for e in events}))
            people = _store.external_ids(conn, "persons", sorted({e[2] for e in events}))
            for source, case_id, person_id, stage, on, ext in events:
                code = by_code.get(source) if source is not None else None
                group = (code, cases.get(case_id), people.get(person_id))
                checks.add_stored_event(group, stage, on, ext)

    def _column(self, c: CheckedRow, type_name: str, f: str) -> str:
        plans = [
            p for part in self.parts if part.type_name == type_name for p in part.plans.values()
        ]
        return plans[0].sources.get(f, f) if plans else f

    def _refuse(self) -> ImportRejected:
        lines = len({(p.file, p.line) for p in self.problems})
        return ImportRejected(
            f"{self.path.name} was not imported: {lines:,} row(s) have problems "
            f"({len(self.problems):,} in all). Fix them and import again, or load the valid "
            "rows with --partial.",
            rows=sorted(self.problems, key=lambda p: (p.line, p.column)),
        )

    # --- pass 2 ---------------------------------------------------------------------------

    def write(self, actor: str, sha: str, partial: bool) -> tuple[int, Counts]:
        counts = Counts()
        done = 0
        total = sum(p.rows for p in self.parts)
        batches = _store.table("import_batches")
        with self.engine.begin() as conn:
            source_id = _store.agency_ids(conn).get(self.source) if self.source else None
            batch = conn.execute(
                insert(batches).values(
                    file_name=self.path.name,
                    sha256=sha,
                    record_type=",".join(p.type_name for p in self.parts),
                    source_agency_id=source_id,
                    actor=actor,
                    status="loading",
                )
            )
            batch_id = int(batch.inserted_primary_key[0])  # type: ignore[index]
            audit = {"actor": actor, "detail": f"import batch {batch_id} ({self.path.name})"}
            ctx = WriteContext(conn, audit)
            for part in self.parts:
                writer = WRITERS[part.type_name]
                for plan, rows in self._rows(part):
                    good = [
                        c
                        for r in rows
                        if r.line not in part.bad_lines
                        for c in [check_row(plan, r, self.path.name, self.today, self.source)]
                    ]
                    got = writer(ctx, good)
                    counts.created += got.created
                    counts.updated += got.updated
                    counts.unchanged += got.unchanged
                    done += len(rows)
                    if self.progress is not None:
                        self.progress("writing", done, total)
            rejected = len({(p.file, p.line) for p in self.problems})
            conn.execute(
                update(batches)
                .where(batches.c.id == batch_id)
                .values(
                    status="partial" if partial and rejected else "loaded",
                    finished_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    rows_total=total,
                    rows_created=counts.created,
                    rows_updated=counts.updated,
                    rows_unchanged=counts.unchanged,
                    rows_rejected=rejected,
                )
            )
            conn.execute(
                insert(_store.table("audit_events")).values(
                    actor=actor,
                    action="import",
                    resource="import_batches",
                    record_id=str(batch_id),
                    fields=[],
                    before={},
                    after={
                        "created": counts.created,
                        "updated": counts.updated,
                        "unchanged": counts.unchanged,
                        "rejected": rejected,
                    },
                    detail=audit["detail"],
                )
            )
        return batch_id, counts

    def record_rejection(self, actor: str, sha: str) -> int:
        batches = _store.table("import_batches")
        with self.engine.begin() as conn:
            source_id = _store.agency_ids(conn).get(self.source) if self.source else None
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            result = conn.execute(
                insert(batches).values(
                    file_name=self.path.name,
                    sha256=sha,
                    record_type=",".join(p.type_name for p in self.parts),
                    source_agency_id=source_id,
                    actor=actor,
                    status="rejected",
                    finished_at=now,
                    rows_total=sum(p.rows for p in self.parts),
                    rows_rejected=len({(p.file, p.line) for p in self.problems}),
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]


def _prepare(
    engine: Engine,
    path: str | Path,
    record: str | None,
    mapping: str | Path | ColumnMapping | None,
    source: str | None,
    today: dt.date | None,
    progress: Progress | None,
    options: ReadOptions | None,
) -> _Importer:
    file = Path(path)
    chosen = mapping if isinstance(mapping, ColumnMapping) else load_mapping(mapping)
    return _Importer(
        engine,
        file,
        record,
        chosen,
        source,
        today or dt.date.today(),
        progress,
        options or ReadOptions(),
    )


def validate_file(
    engine: Engine,
    path: str | Path,
    record_type: str | None = None,
    mapping: str | Path | ColumnMapping | None = None,
    source: str | None = None,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    options: ReadOptions | None = None,
) -> ImportResult:
    """Check a file against the database without writing anything (a dry run).

    Returns an :class:`ImportResult` with status ``"dry-run"`` listing every problem.
    """
    started = time.perf_counter()
    importer = _prepare(engine, path, record_type, mapping, source, today, progress, options)
    try:
        importer.check()
    except ImportRejected as exc:
        importer.problems = exc.rows
    return ImportResult(
        importer.path.name,
        tuple(p.type_name for p in importer.parts),
        "dry-run",
        rows_total=sum(p.rows for p in importer.parts),
        rejected=sorted(importer.problems, key=lambda p: (p.line, p.column)),
        ignored_columns=tuple(sorted(importer.ignored)),
        seconds=time.perf_counter() - started,
    )


def import_file(
    engine: Engine,
    path: str | Path,
    record_type: str | None = None,
    mapping: str | Path | ColumnMapping | None = None,
    source: str | None = None,
    partial: bool = False,
    dry_run: bool = False,
    actor: str = "cli",
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    options: ReadOptions | None = None,
    rejects_dir: str | Path | None = None,
) -> ImportResult:
    """Import ``path`` into the database behind ``engine``, all or nothing.

    ``record_type`` names what the rows are (see :data:`~uncounted.ingest.RECORD_TYPES`;
    detected from a workbook's sheet names or the file name when omitted); ``mapping`` is a
    YAML mapping path, a shipped mapping name (``"htcds"``, ``"ctdc"``) or a
    :class:`ColumnMapping`; ``source`` is the code of the agency the file comes from.

    Raises :class:`~uncounted.errors.ImportRejected` (with every bad row) when any row is bad
    and ``partial`` is false; nothing is written then except the ``import_batches`` record of
    the refusal. With ``partial`` the good rows are loaded and the bad rows are copied to
    ``<name>.rejects.<ext>`` with a report ``<name>.report.csv`` (in ``rejects_dir``, default
    the file's folder). ``dry_run`` only validates (see :func:`validate_file`).
    """
    if dry_run:
        return validate_file(
            engine,
            path,
            record_type,
            mapping,
            source,
            today=today,
            progress=progress,
            options=options,
        )
    started = time.perf_counter()
    importer = _prepare(engine, path, record_type, mapping, source, today, progress, options)
    sha = _sha256(importer.path)
    try:
        importer.check()
    except ImportRejected:
        importer.record_rejection(actor, sha)
        raise
    if importer.problems and not partial:
        importer.record_rejection(actor, sha)
        raise importer._refuse()
    batch_id, counts = importer.write(actor, sha, partial)
    result = ImportResult(
        importer.path.name,
        tuple(p.type_name for p in importer.parts),
        "partial" if importer.problems else "loaded",
        rows_total=sum(p.rows for p in importer.parts),
        rows_created=counts.created,
        rows_updated=counts.updated,
        rows_unchanged=counts.unchanged,
        rejected=sorted(importer.problems, key=lambda p: (p.line, p.column)),
        ignored_columns=tuple(sorted(importer.ignored)),
        batch_id=batch_id,
    )
    if importer.problems:
        folder = Path(rejects_dir) if rejects_dir is not None else importer.path.parent
        for part in importer.parts:
            if part.bad_lines and len(importer.parts) == 1:
                result.rejects_file = write_rejects(
                    importer.path, part.bad_lines, folder, part.options
                )
        result.report_file = write_report(result, folder / f"{importer.path.stem}.report.csv")
    result.seconds = time.perf_counter() - started
    return result


__all__ = ["ImportResult", "Progress", "import_file", "validate_file"]
