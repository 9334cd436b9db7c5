"""Readers: every agency file format as a stream of numbered rows, in bounded memory.

Each reader yields chunks of :class:`SourceRow` — the line (or spreadsheet row) where the
record starts and its cells by column name — so validation can say exactly where a problem is,
and a file of any size is read a chunk at a time. A file that cannot be read at all raises
:class:`~uncounted.errors.ImportRejected` with one row saying why; nothing else escapes.

CSV: the delimiter is sniffed (``,`` ``;`` tab ``|``) unless named; the encoding is UTF-8 (with
or without a byte-order mark) unless the start of the file is not UTF-8, in which case it is
read as Latin-1 (Windows-1252), or the encoding named. A UTF-8 file with a few lines in another
encoding ("mixed encodings") has those rows rejected, never silently garbled.

An XLSX workbook is a zip of XML files. Before it is opened, its zip directory is checked
(:func:`check_workbook`): a workbook whose parts would decompress to more than
:data:`MAX_XLSX_BYTES` in all, :data:`MAX_XLSX_PART` in one part or :data:`MAX_XLSX_STRINGS` of
shared strings (which are all held in memory at once), that compresses a large part more than
:data:`MAX_XLSX_RATIO` times (a "zip bomb") or holds more than :data:`MAX_XLSX_PARTS` parts, is
refused with the reason. Python's zip reader never inflates a part beyond its declared size,
so the declared sizes bound what reading uses. The XML itself is parsed through ``defusedxml``
(openpyxl uses it when installed): no entity expansion, no external entities.

CSV and XLSX text cells that an export neutralised against formula injection (a leading
apostrophe, see ``ingest/formulas.py``) are read back as the value that was exported.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from uncounted.errors import ImportRejected, RejectedRow
from uncounted.ingest.formulas import QUOTE, unquote_cell

#: Rows per chunk handed to validation and loading.
CHUNK_ROWS = 10_000
#: Largest CSV cell accepted (bytes); bigger cells are a broken file, not data.
MAX_CELL = 16 * 1024 * 1024
#: What an XLSX workbook may decompress to: in all, in one part, in shared strings (read into
#: memory whole); how many times a part over :data:`_RATIO_FROM` bytes may be compressed; and
#: how many parts the zip may hold. A 50 MB upload of real data stays well within these.
MAX_XLSX_BYTES = 1024 * 1024 * 1024
MAX_XLSX_PART = 512 * 1024 * 1024
MAX_XLSX_STRINGS = 64 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_XLSX_PARTS = 10_000
_RATIO_FROM = 1024 * 1024
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
FORMATS = ("csv", "xlsx", "jsonl", "parquet")

#: A cell value as read: text from CSV, typed values from XLSX, JSON and Parquet.
Cell = str | int | float | bool | dt.date | dt.datetime | None


@dataclass(frozen=True)
class SourceRow:
    """One record of a file: where it starts (1-based line or row) and its cells."""

    line: int
    cells: dict[str, Cell]
    problem: str | None = None  # set when the row itself cannot be read (e.g. bad encoding)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file; ``None`` means detect."""

    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    chunk_rows: int = CHUNK_ROWS


def _reject(path: Path, reason: str, line: int = 0) -> ImportRejected:
    row = RejectedRow(path.name, line, "", "", reason)
    return ImportRejected(f"{path.name} cannot be read: {reason}", rows=[row])


def detect_format(path: Path, named: str | None = None) -> str:
    """The file's format from ``named`` or its suffix (``.csv``, ``.tsv``, ``.txt``, …)."""
    if named is not None:
        if named not in FORMATS:
            raise _reject(path, f"unknown format {named!r}; use one of {', '.join(FORMATS)}")
        return named
    suffix = path.suffix.lower()
    by_suffix = {
        ".csv": "csv",
        ".tsv": "csv",
        ".txt": "csv",
        ".xlsx": "xlsx",
        ".xlsm": "xlsx",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
        ".parquet": "parquet",
        ".pq": "parquet",
    }
    if suffix not in by_suffix:
        raise _reject(
            path, f"unknown file type {suffix or '(none)'!r}; use .csv, .xlsx, .jsonl or .parquet"
        )
    return by_suffix[suffix]


def read_chunks(path: Path, options: ReadOptions | None = None) -> Iterator[list[SourceRow]]:
    """Yield the file's records in chunks; raise :class:`ImportRejected` if it is unreadable."""
    opts = options or ReadOptions()
    if not path.is_file():
        raise _reject(path, "the file does not exist")
    fmt = detect_format(path, opts.format)
    readers = {"csv": _csv_rows, "xlsx": _xlsx_rows, "jsonl": _jsonl_rows, "parquet": _parquet_rows}
    chunk: list[SourceRow] = []
    try:
        for row in readers[fmt](path, opts):
            chunk.append(row)
            if len(chunk) >= opts.chunk_rows:
                yield chunk
                chunk = []
    except ImportRejected:
        raise
    except PermissionError:
        raise _reject(
            path, "the file cannot be opened (no permission); check who may read it"
        ) from None
    except Exception as exc:
        raise _reject(path, _unreadable(path, fmt)) from exc
    if chunk:
        yield chunk


def release_workbooks() -> None:
    """Close the workbooks kept open between the passes of an import, e.g. before their file
    is deleted (a decrypted upload: an open file keeps its clear text alive after deletion).

    Readers still iterating a workbook keep their own reference and finish normally.
    """
    import gc

    _open_book.cache_clear()
    gc.collect()  # a workbook refers to itself: only the cycle collector closes its zip file


def sheet_names(path: Path) -> list[str]:
    """The sheets of an XLSX workbook, in order."""
    try:
        stat = path.stat()
        return list(_open_book(path.resolve(), stat.st_mtime_ns, stat.st_size).sheetnames)
    except ImportRejected:
        raise
    except Exception as exc:
        raise _reject(path, _unreadable(path, "xlsx")) from exc


#: The first bytes of file types people rename by mistake, and what they are.
_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or a zip archive", ".xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word document", ".xls"),
    (b"%PDF", "a PDF document", ".pdf"),
    (b"PAR1", "a Parquet file", ".parquet"),
    (b"\x89PNG", "a PNG image", ".png"),
    (b"\xff\xd8\xff", "a JPEG image", ".jpg"),
)
_NAMES = {
    "csv": "CSV",
    "xlsx": "Excel workbook (.xlsx)",
    "jsonl": "JSON Lines",
    "parquet": "Parquet",
}
_ARTICLE = {"xlsx": "an"}


def _what_is(head: bytes) -> tuple[str, str] | None:
    """What a file's first bytes say it is (description, usual suffix), if recognised."""
    for magic, what, suffix in _SIGNATURES:
        if head.startswith(magic):
            return what, suffix
    return None


def _is_text(head: bytes) -> bool:
    """Whether a file's first bytes are text (UTF-8, or a single-byte encoding)."""
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            controls = sum(b < 9 or 13 < b < 32 for b in head)
            return controls == 0
    return True


def _unreadable(path: Path, fmt: str) -> str:
    """Why ``path`` cannot be read as ``fmt``, in words a caseworker can act on."""
    try:
        with path.open("rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError:
        return "the file cannot be opened; check that it exists and may be read"
    found = _what_is(head)
    wanted = _NAMES.get(fmt, fmt)
    a = _ARTICLE.get(fmt, "a")
    if found is not None and not (fmt == "xlsx" and found[1] == ".xlsx"):
        what, suffix = found
        return (
            f"the file is {what}, not {a} {wanted} file; give it its real ending ({suffix}) "
            f"or open it and save it as {wanted}"
        )
    if fmt in {"xlsx", "parquet"} and _is_text(head):
        return (
            f"the file is text (perhaps CSV), not {a} {wanted} file; give it its real ending "
            "(.csv) or save it as the format its ending says"
        )
    if fmt == "xlsx":
        return (
            "the workbook cannot be opened (it is damaged, protected by a password, or not "
            "an .xlsx file); open it in a spreadsheet program and save it again as .xlsx"
        )
    if b"\x00" in head:
        return (
            f"the file is not {a} {wanted} text file (it holds binary data); export it from "
            f"the program that made it as {wanted}"
        )
    return (
        f"the file is not a valid {wanted} file; open it in a spreadsheet or text editor, "
        f"check it, and save it again as {wanted}"
    )


# --- CSV -------------------------------------------------------------------------------------


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            return "cp1252"
    return "utf-8"


def _sniff_delimiter(sample: str) -> str:
    first = sample.splitlines()[0] if sample.splitlines() else ""
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] > 0:
        return best
    try:
        return csv.Sniffer().sniff(sample[:4096], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


class _LineDecoder:
    """Decode a binary stream line by line, marking the lines that are not valid text."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        self.raw = raw
        self.encoding = encoding
        self.bad_lines: set[int] = set()
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        strict = self.encoding.replace("-sig", "")
        first = True
        for data in self.raw:
            self.number += 1
            if first and self.encoding == "utf-8-sig" and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]
            first = False
            try:
                yield data.decode(strict)
            except UnicodeDecodeError:
                self.bad_lines.add(self.number)
                yield data.decode(strict, errors="replace")


def _csv_rows(path: Path, opts: ReadOptions) -> Iterator[SourceRow]:
    csv.field_size_limit(MAX_CELL)
    with path.open("rb") as raw:
        head = raw.read(_SNIFF_BYTES)
        if not head.strip(b" \t\r\n\xef\xbb\xbf"):
            raise _reject(path, "the file is empty", 1)
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if _what_is(head) is not None or (b"\x00" in head and not utf16):
            raise _reject(path, _unreadable(path, "csv"))
        raw.seek(0)
        encoding = opts.encoding or _sniff_encoding(head)
        if encoding.lower().replace("_", "-") in {"utf-16", "utf-16le", "utf-16be"}:
            yield from _csv_text_rows(path, io.TextIOWrapper(raw, encoding=encoding), opts, None)
            return
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise _reject(path, f"unknown encoding {encoding!r}") from None
        decoder = _LineDecoder(raw, encoding)
        yield from _csv_text_rows(path, decoder, opts, decoder, head.decode(encoding, "replace"))


def _csv_text_rows(
    path: Path,
    lines: Any,
    opts: ReadOptions,
    decoder: _LineDecoder | None,
    sample: str | None = None,
) -> Iterator[SourceRow]:
    delimiter = opts.delimiter
    if delimiter is None:
        delimiter = _sniff_delimiter(sample or "")
    if delimiter in {"\\t", "tab"}:
        delimiter = "\t"
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise _reject(path, "the file is empty (no header line)", 1)
    names = _header(path, [h.strip().lstrip("\ufeff") for h in header])
    width = len(names)
    columns = len(header)  # with unnamed ones, such as the index column pandas writes
    # every header cell named: a row of full width is its cells zipped with the names
    plain = [n for _, n in names] if [i for i, _ in names] == list(range(width)) else None
    seen_bad = 0
    start = reader.line_num + 1
    for record in reader:
        line = start
        start = reader.line_num + 1
        joined = "".join(record)
        if not joined.strip():  # no cell has anything but spaces
            continue
        if QUOTE in joined:  # rare: only then look for quoted cells
            record = [unquote_cell(c) for c in record]
        problem = None
        if decoder is not None and len(decoder.bad_lines) > seen_bad:
            seen_bad = len(decoder.bad_lines)
            if any(line <= b <= reader.line_num for b in decoder.bad_lines):
                problem = (
                    f"the line is not valid {decoder.encoding} text (the file mixes encodings); "
                    "save the file as UTF-8, or name its encoding with --encoding"
                )
        if len(record) > columns and any(c.strip() for c in record[columns:]):
            problem = problem or (
                f"the row has {len(record)} cells but the header has {columns} columns"
            )
        if plain is not None and len(record) >= width:
            cells: dict[str, Cell] = dict(zip(plain, record, strict=False))
        else:
            cells = {n: (record[i] if i < len(record) else None) for i, n in names}
        yield SourceRow(line, cells, problem)


def _header(path: Path, header: list[Any]) -> list[tuple[int, str]]:
    names: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, h in enumerate(header):
        name = "" if h is None else str(h).strip()
        if not name:
            continue
        if name in seen:
            raise _reject(path, f"the column {name!r} appears twice in the header", 1)
        seen.add(name)
        names.append((i, name))
    if not names:
        raise _reject(path, "the header line has no column names", 1)
    return names


# --- XLSX ------------------------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB"


def check_workbook(path: Path) -> None:
    """Raise :class:`ImportRejected` if the XLSX workbook ``path`` would decompress to more
    than the limits allow (module docstring), reading only its zip directory."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            parts = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: openpyxl's own error says the workbook cannot be opened
    reason = _oversized(parts)
    if reason is not None:
        raise _reject(path, reason)


def _oversized(parts: list[Any]) -> str | None:
    """Why a workbook of these zip parts is refused, or ``None``."""
    split = "split it into smaller workbooks or save it as CSV"
    if len(parts) > MAX_XLSX_PARTS:
        return (
            f"the workbook holds {len(parts):,} parts (at most {MAX_XLSX_PARTS:,}); it is not "
            "a spreadsheet saved by a spreadsheet program"
        )
    total = sum(p.file_size for p in parts)
    if total > MAX_XLSX_BYTES:
        return f"the workbook would unpack to {_mb(total)} (at most {_mb(MAX_XLSX_BYTES)}); {split}"
    for part in parts:
        name, size = part.filename, part.file_size
        ratio = size / max(part.compress_size, 1)
        if size > _RATIO_FROM and ratio > MAX_XLSX_RATIO:
            return (
                f"the part {name} is compressed {ratio:,.0f} times (at most {MAX_XLSX_RATIO}): "
                "the file is built to exhaust memory, not a spreadsheet"
            )
        if size > MAX_XLSX_PART:
            limit = _mb(MAX_XLSX_PART)
            return f"the part {name} would unpack to {_mb(size)} (at most {limit}); {split}"
        if name.lower().endswith("sharedstrings.xml") and size > MAX_XLSX_STRINGS:
            return (
                f"the workbook's shared strings would unpack to {_mb(size)} (at most "
                f"{_mb(MAX_XLSX_STRINGS)}); {split}"
            )
    return None


@lru_cache(maxsize=2)
def _open_book(path: Path, _mtime_ns: int, _size: int) -> Any:
    """A read-only workbook, kept open across the passes of one import (opening is slow),
    once its sizes passed :func:`check_workbook`."""
    import openpyxl

    check_workbook(path)
    return openpyxl.load_workbook(path, read_only=True, data_only=True)


def _xlsx_rows(path: Path, opts: ReadOptions) -> Iterator[SourceRow]:
    stat = path.stat()
    book = _open_book(path.resolve(), stat.st_mtime_ns, stat.st_size)
    if opts.sheet is not None:
        if opts.sheet not in book.sheetnames:
            raise _reject(
                path, f"no sheet {opts.sheet!r}; the sheets are {', '.join(book.sheetnames)}"
            )
        sheet = book[opts.sheet]
    else:
        sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or all(h is None or str(h).strip() == "" for h in header):
        raise _reject(path, "the sheet is empty (no header row)", 1)
    names = _header(path, list(header))
    for number, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if any(isinstance(v, str) and v[:1] == QUOTE for v in values):
            values = tuple(unquote_cell(v) if isinstance(v, str) else v for v in values)
        cells: dict[str, Cell] = {n: (values[i] if i < len(values) else None) for i, n in names}
        yield SourceRow(number, cells)


# --- JSON Lines and Parquet -----------------------------------------------------------------


def _jsonl_rows(path: Path, opts: ReadOptions) -> Iterator[SourceRow]:
    empty = True
    with path.open("rb") as raw:
        head = raw.read(_SNIFF_BYTES)
        if _what_is(head) is not None or not _is_text(head):
            raise _reject(path, _unreadable(path, "jsonl"))
        raw.seek(0)
        for number, data in enumerate(raw, start=1):
            if not data.strip():
                continue
            empty = False
            try:
                value = json.loads(data.decode(opts.encoding or "utf-8"))
            except UnicodeDecodeError:
                yield SourceRow(
                    number, {}, "the line is not UTF-8 text; save the file as UTF-8 (--encoding)"
                )
                continue
            except (json.JSONDecodeError, RecursionError) as exc:
                yield SourceRow(
                    number, {}, f"not a JSON object ({exc}); each line must be one {{...}}"
                )
                continue
            if not isinstance(value, dict):
                yield SourceRow(number, {}, "each line must be one JSON object {...}")
                continue
            cells = {str(k): _json_cell(v) for k, v in value.items()}
            yield SourceRow(number, cells)
    if empty:
        raise _reject(path, "the file is empty", 1)


def _json_cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | bool | dt.date):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    return json.dumps(value)


def _parquet_rows(path: Path, opts: ReadOptions) -> Iterator[SourceRow]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    number = 0
    for batch in parquet.iter_batches(batch_size=opts.chunk_rows):
        for record in batch.to_pylist():
            number += 1
            yield SourceRow(number, {str(k): _json_cell(v) for k, v in record.items()})


__all__ = [
    "CHUNK_ROWS",
    "FORMATS",
    "MAX_CELL",
    "MAX_XLSX_BYTES",
    "MAX_XLSX_PART",
    "MAX_XLSX_PARTS",
    "MAX_XLSX_RATIO",
    "MAX_XLSX_STRINGS",
    "Cell",
    "ReadOptions",
    "SourceRow",
    "check_workbook",
    "detect_format",
    "read_chunks",
    "release_workbooks",
    "sheet_names",
]
