"""The report of rejected rows (CSV or JSON) and the rejects file of a partial import.

The report lists file, line, column, value and reason for every problem. The rejects file
holds the rejected rows exactly as they were: for CSV and JSON Lines the original lines, bytes
unchanged, under the original header, so the agency can fix them and import that file; for
XLSX and Parquet the rejected rows' cells as CSV.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uncounted.errors import InvalidInput, RejectedRow
from uncounted.ingest.fields import text_of
from uncounted.ingest.readers import ReadOptions, detect_format, read_chunks

if TYPE_CHECKING:
    from uncounted.ingest.load import ImportResult

REPORT_COLUMNS = ("file", "line", "column", "value", "reason")


def write_report(
    result: ImportResult | Iterable[RejectedRow], path: str | Path, summary: bool = True
) -> Path:
    """Write the rejected rows to ``path`` as CSV, or JSON when it ends in ``.json``."""
    out = Path(path)
    rows: list[RejectedRow] = (
        list(result) if not hasattr(result, "rejected") else list(result.rejected)
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".json":
            payload: Any
            if summary and hasattr(result, "to_dict"):
                payload = result.to_dict()
            else:
                payload = {"rejected": [vars(r) for r in rows]}
            out.write_text(json.dumps(payload, indent=2, ensure_ascii=False), "utf-8")
        else:
            with out.open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(REPORT_COLUMNS)
                for r in rows:
                    writer.writerow([r.file, r.line, r.column, r.value, r.reason])
    except OSError as exc:
        raise InvalidInput(f"Cannot write the report {out}: {exc.strerror}.") from None
    return out


def write_rejects(path: Path, bad_lines: set[int], folder: Path, options: ReadOptions) -> Path:
    """Copy the rows starting at ``bad_lines`` of ``path`` into a rejects file in ``folder``."""
    fmt = detect_format(path, options.format)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if fmt in {"csv", "jsonl"}:
            out = folder / f"{path.stem}.rejects{path.suffix}"
            _copy_lines(path, bad_lines, out, options, header=fmt == "csv")
        else:
            out = folder / f"{path.stem}.rejects.csv"
            _write_cells(path, bad_lines, out, options)
    except OSError as exc:
        raise InvalidInput(f"Cannot write the rejects file in {folder}: {exc.strerror}.") from None
    return out


def _copy_lines(path: Path, bad: set[int], out: Path, options: ReadOptions, header: bool) -> None:
    ranges: list[tuple[int, int]] = []
    previous: int | None = None
    for chunk in read_chunks(path, options):
        for row in chunk:
            if previous is not None:
                ranges.append((previous, row.line - 1))
                previous = None
            if row.line in bad:
                previous = row.line
    if previous is not None:
        ranges.append((previous, 1 << 62))
    wanted = iter(ranges)
    current = next(wanted, None)
    with path.open("rb") as src, out.open("wb") as dst:
        for number, data in enumerate(src, start=1):
            if header and number == 1:
                dst.write(data if data.endswith(b"\n") else data + b"\n")
                continue
            while current is not None and number > current[1]:
                current = next(wanted, None)
            if current is None:
                break
            if current[0] <= number <= current[1] and data.strip():
                dst.write(data if data.endswith(b"\n") else data + b"\n")


def _write_cells(path: Path, bad: set[int], out: Path, options: ReadOptions) -> None:
    with out.open("w", newline="", encoding="utf-8") as f:
        writer: Any = None
        for chunk in read_chunks(path, options):
            for row in chunk:
                if row.line not in bad:
                    continue
                if writer is None:
                    writer = csv.DictWriter(f, fieldnames=list(row.cells))
                    writer.writeheader()
                writer.writerow({k: "" if v is None else text_of(v) for k, v in row.cells.items()})


__all__ = ["REPORT_COLUMNS", "write_rejects", "write_report"]
