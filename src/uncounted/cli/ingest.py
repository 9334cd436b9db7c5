"""``uncounted import`` and ``uncounted export``: agencies' files in and out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from uncounted.cli._common import (
    DATABASE_HELP,
    DEMO_HELP,
    console,
    err_console,
    open_engine,
    progress_bar,
)
from uncounted.errors import ImportRejected, RejectedRow, UncountedError
from uncounted.settings import get_settings

# The importer and the store are imported inside the commands: ``uncounted import --help``
# must not pay for SQLAlchemy, Alembic and Polars.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from uncounted.ingest import ImportResult
    from uncounted.store.access import Principal

#: Files bigger than this get a progress bar.
_BIG = 2 * 1024 * 1024
_SHOWN = 50


def _as_user(engine: Engine, username: str | None) -> Principal | None:
    """The user a command runs as (``None``: the operator, who runs it on the server)."""
    from uncounted.store.db import session_scope
    from uncounted.store.users import principal_named

    if username is None:
        return None
    with session_scope(engine) as session:
        return principal_named(session, username)


def _problems_table(rows: list[RejectedRow]) -> Table:
    table = Table(title=f"Rejected rows ({len(rows):,} problems)", show_lines=False)
    for name in ("file", "line", "column", "value", "reason"):
        table.add_column(name, overflow="fold", justify="right" if name == "line" else "left")
    for r in rows[:_SHOWN]:
        table.add_row(r.file, str(r.line), r.column, r.value[:60], r.reason)
    if len(rows) > _SHOWN:
        table.add_row("…", "", "", "", f"and {len(rows) - _SHOWN:,} more (see --report)")
    return table


def _summary(result: ImportResult) -> Table:
    table = Table(title=f"{result.file}: {result.status} ({', '.join(result.record_types)})")
    table.add_column("rows")
    table.add_column("count", justify="right")
    for label, value in (
        ("read", result.rows_total),
        ("created", result.rows_created),
        ("updated", result.rows_updated),
        ("unchanged", result.rows_unchanged),
        ("rejected", result.rows_rejected),
    ):
        table.add_row(label, f"{value:,}")
    return table


def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX, JSON Lines or Parquet file.")],
    record_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="persons, cases, justice_events, referrals, assessments, list_memberships, "
            "agencies, jurisdictions, case_jurisdictions, case_links, case_shares or "
            "aftercare_steps (default: from the sheet or file name).",
        ),
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option(
            help="Mapping YAML file, or a shipped one: htcds, ctdc (HTCDS names are recognised)."
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Code of the source agency.")] = None,
    partial: Annotated[bool, typer.Option(help="Load the valid rows; set bad ones aside.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Check only; write nothing.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write problems to .csv or .json.")] = None,
    encoding: Annotated[str | None, typer.Option(help="CSV encoding (default: detect).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: detect).")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    user: Annotated[
        str | None,
        typer.Option(
            help="Import as this user, held to their role and agency's scope like a web upload "
            "(default: as the operator, every agency)."
        ),
    ] = None,
) -> None:
    """Import an agency's file: every row valid, or nothing written (unless --partial)."""
    from uncounted.ingest import ReadOptions, import_file, write_report
    from uncounted.store.db import engine_from_settings, require_current

    engine = engine_from_settings(get_settings())
    require_current(engine)
    who = _as_user(engine, user)
    options = ReadOptions(encoding=encoding, delimiter=delimiter, sheet=sheet)
    big = file.is_file() and file.stat().st_size > _BIG
    with progress_bar(disable=not big) as bar:
        task = bar.add_task("Checking", total=None)

        def advance(phase: str, done: int, total: int | None) -> None:
            bar.update(task, description=phase.capitalize(), completed=done, total=total)

        try:
            result = import_file(
                engine,
                file,
                record_type,
                mapping,
                source,
                partial,
                dry_run,
                actor="cli:import",
                progress=advance,
                options=options,
                who=who,
            )
        except ImportRejected as exc:
            bar.stop()
            err_console.print(_problems_table(exc.rows))
            if report is not None:
                err_console.print(f"Report written to {write_report(exc.rows, report)}")
            raise
        except UncountedError as exc:  # refused before any row was read: report why too
            if report is not None:
                write_report([RejectedRow(file.name, 0, "", "", str(exc))], report)
            raise
        finally:
            engine.dispose()
    console.print(_summary(result))
    if result.layout is not None:
        console.print(f"Layout: {result.layout}")
    if result.ignored_columns:
        console.print(f"Ignored columns: {', '.join(result.ignored_columns)}")
    if result.rejected:
        console.print(_problems_table(result.rejected))
    if result.rejects_file is not None:
        console.print(f"Rejected rows set aside in {result.rejects_file} ({result.report_file}).")
    if report is not None:
        console.print(f"Report written to {write_report(result, report)}")
    if dry_run and result.rejected:
        raise ImportRejected(
            f"{result.file} has {result.rows_rejected:,} row(s) with problems; "
            "nothing was written.",
            rows=result.rejected,
        )


def export_cmd(
    out: Annotated[Path, typer.Option(help="Folder, .csv file or .xlsx workbook to write.")],
    format: Annotated[str, typer.Option(help="csv, xlsx, htcds or ctdc.")] = "csv",
    record_type: Annotated[
        list[str] | None, typer.Option("--type", help="Record type(s) to export (default: all).")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(help="Export what this user may read (default: as the operator, all)."),
    ] = None,
    database_url: Annotated[str | None, typer.Option(help=DATABASE_HELP)] = None,
    demo: Annotated[bool, typer.Option("--demo", help=DEMO_HELP)] = False,
) -> None:
    """Export stored records as CSV, XLSX, HTCDS or CTDC files (they import back unchanged).

    The files are complete or absent: they are written beside --out and moved into place
    at the end, so a failed export leaves no half-written folder.
    """
    from uncounted.ingest.export import export_records

    with open_engine(database_url, demo) as engine:
        who = _as_user(engine, user)
        written = export_records(engine, out, format, record_type or None, who=who)
    for path in written:
        console.print(f"Wrote {path}")


def register(app: typer.Typer) -> None:
    """Add the import and export commands to the CLI."""
    app.command("import")(import_cmd)
    app.command("export")(export_cmd)
