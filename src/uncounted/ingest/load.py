"""Import a file: check every row and load it in one transaction (or not at all).

The file is read a chunk at a time (memory stays bounded whatever its size). Each chunk is
checked — types, required fields, codes, dates, references, duplicates — and its good rows are
written inside one transaction together with the ``import_batches`` record and the audit
events of changed records; the order of justice stages is checked at the end of the file.
Killing the process half-way leaves nothing of the file behind: the transaction is never
committed.

By default a file with any bad row is refused whole (:class:`~uncounted.errors.ImportRejected`
carries every bad row, all problems found in one pass). With ``partial=True`` the valid rows
are loaded and the bad ones are copied, unchanged, to a rejects file beside a report.
Re-importing the same file changes nothing; a changed row updates its record (same source and
external id) and the change is audited.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from uncounted.errors import ImportRejected, RejectedRow
from uncounted.ingest._importer import Importer, Progress, file_sha256
from uncounted.ingest.detect import guess_mapping
from uncounted.ingest.mapping import ColumnMapping, load_mapping
from uncounted.ingest.readers import ReadOptions
from uncounted.ingest.report import write_rejects, write_report
from uncounted.store.access import Principal
from uncounted.store.db import explain_database_error


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
    layout: str | None = None  # the published layout recognised (e.g. a CTDC dataset)

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
            "layout": self.layout,
        }


def _prepare(
    engine: Engine,
    path: str | Path,
    record: str | None,
    mapping: str | Path | ColumnMapping | None,
    source: str | None,
    today: dt.date | None,
    progress: Progress | None,
    options: ReadOptions | None,
    who: Principal | None = None,
) -> Importer:
    file = Path(path)
    chosen = mapping if isinstance(mapping, ColumnMapping) else load_mapping(mapping)
    if mapping is None:  # a file written with HTCDS names needs no --mapping
        guessed = guess_mapping(file, record, options or ReadOptions())
        if guessed is not None:
            chosen, record = guessed
    return Importer(
        engine,
        file,
        record,
        chosen,
        source,
        today or dt.date.today(),
        progress,
        options or ReadOptions(),
        who,
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
    who: Principal | None = None,
) -> ImportResult:
    """Check a file against the database without writing anything (a dry run).

    Returns an :class:`ImportResult` with status ``"dry-run"`` listing every problem, those of
    access included when ``who`` is given (see :func:`import_file`).
    """
    started = time.perf_counter()
    importer = _prepare(engine, path, record_type, mapping, source, today, progress, options, who)
    try:
        with engine.connect() as conn:
            importer.run(conn, None, partial=True)
    except ImportRejected as exc:
        importer.problems = exc.rows
    return ImportResult(
        importer.path.name,
        tuple(p.type_name for p in importer.parts),
        "dry-run",
        rows_total=importer.rows_total,
        rejected=sorted(importer.problems, key=lambda p: (p.line, p.column)),
        ignored_columns=tuple(sorted(importer.ignored)),
        seconds=time.perf_counter() - started,
        layout=importer.layout,
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
    who: Principal | None = None,
) -> ImportResult:
    """Import ``path`` into the database behind ``engine``, all or nothing.

    ``record_type`` names what the rows are (see :data:`~uncounted.ingest.RECORD_TYPES`;
    detected from a workbook's sheet names or the file name when omitted); ``mapping`` is a
    YAML mapping path, a shipped mapping name (``"htcds"``, ``"ctdc"``) or a
    :class:`ColumnMapping` (a file with HTCDS field names is read with ``"htcds"`` without
    one); ``source`` is the code of the agency the file comes from.

    Raises :class:`~uncounted.errors.ImportRejected` (with every bad row) when any row is bad
    and ``partial`` is false; nothing is written then except the ``import_batches`` record of
    the refusal. With ``partial`` the good rows are loaded and the bad rows are copied to
    ``<name>.rejects.<ext>`` with a report ``<name>.report.csv`` (in ``rejects_dir``, default
    the file's folder). ``dry_run`` only validates (see :func:`validate_file`).

    ``who`` is the user the file is imported for (the web upload, ``uncounted import
    --user``): the import is then held to what that user may do, like a form
    (``store.access``): a row touching a record outside their scope, or in the name of
    another agency, is rejected with its line, column and reason; a caseworker's rows are
    their own agency's records; the audit events name the user. Without ``who`` the import
    is the operator's (``uncounted import`` on the server, audited as ``actor``), not narrowed
    to any agency.
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
            who=who,
        )
    started = time.perf_counter()
    importer = _prepare(engine, path, record_type, mapping, source, today, progress, options, who)
    if who is not None:
        actor = who.username
    sha = file_sha256(importer.path)
    with _explained(engine), engine.connect() as conn:
        transaction = conn.begin()
        try:
            ctx = importer.open_batch(conn, actor, sha)
            counts = importer.run(conn, ctx, partial)
            if importer.problems and not partial:
                raise importer.refuse()
            if partial and importer.shared_bad_lines():  # never half of a row's records
                importer.late = True
            if importer.late:  # bad rows found at the end were written: write again without
                transaction.rollback()
                found = importer.problems
                importer.problems = []
                transaction = conn.begin()
                ctx = importer.open_batch(conn, actor, sha)
                counts = importer.run(conn, ctx, partial, skip=True)
                importer.problems = sorted(set(found) | set(importer.problems), key=_order)
            importer.close_batch(ctx, counts, partial)
            transaction.commit()
        except ImportRejected:
            transaction.rollback()
            importer.record_rejection(actor, sha)
            raise
        except BaseException:
            transaction.rollback()
            raise
    result = ImportResult(
        importer.path.name,
        tuple(p.type_name for p in importer.parts),
        "partial" if importer.problems else "loaded",
        rows_total=importer.rows_total,
        rows_created=counts.created,
        rows_updated=counts.updated,
        rows_unchanged=counts.unchanged,
        rejected=sorted(importer.problems, key=_order),
        ignored_columns=tuple(sorted(importer.ignored)),
        batch_id=ctx.batch_id,
        layout=importer.layout,
    )
    if importer.problems:
        folder = Path(rejects_dir) if rejects_dir is not None else importer.path.parent
        sheets = {part.options.sheet for part in importer.parts}
        if len(sheets) == 1:  # one file read as one or several record types: one rejects file
            bad = set().union(*(part.bad_lines for part in importer.parts))
            if bad:
                result.rejects_file = write_rejects(
                    importer.path, bad, folder, importer.parts[0].options
                )
        result.report_file = write_report(result, folder / f"{importer.path.stem}.report.csv")
    result.seconds = time.perf_counter() - started
    return result


@contextmanager
def _explained(engine: Engine) -> Iterator[None]:
    """A database failure with a known cause (busy store, full disk, damaged file, lost
    server) as the :class:`~uncounted.errors.StoreError` that says so; the transaction was
    rolled back, so nothing of the file was written."""
    try:
        yield
    except SQLAlchemyError as exc:
        known = explain_database_error(exc, engine)
        if known is None:
            raise
        raise known from exc


def _order(problem: RejectedRow) -> tuple[str, int, str]:
    return (problem.file, problem.line, problem.column)


__all__ = ["ImportResult", "Progress", "import_file", "validate_file"]
