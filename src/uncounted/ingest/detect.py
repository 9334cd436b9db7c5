"""Recognising a file's layout from its header: HTCDS field names need no ``--mapping``.

A file whose columns mostly carry the HTCDS field-name prefixes (``prs_``, ``vic_``, ``per_``,
``cas_``, ``org_``, and ``aft_`` for aftercare steps) is read with the shipped ``htcds``
mapping. When neither ``--type``, a sheet name nor the file name says which records it holds,
the record type whose HTCDS names cover most of the header is taken.
"""

from __future__ import annotations

from pathlib import Path

from uncounted.errors import ImportRejected
from uncounted.ingest.mapping import ColumnMapping, load_mapping
from uncounted.ingest.readers import ReadOptions, read_chunks, sheet_names
from uncounted.ingest.records import RECORD_TYPES, record_type

HTCDS_PREFIXES = ("prs_", "vic_", "per_", "cas_", "org_", "aft_")


def header_of(path: Path, options: ReadOptions) -> list[str]:
    """The column names of the first record of ``path`` (empty if it has none or is unreadable:
    the import proper then says what is wrong)."""
    try:
        for chunk in read_chunks(path, ReadOptions(**{**vars(options), "chunk_rows": 1})):
            return [str(c) for c in chunk[0].cells] if chunk else []
    except ImportRejected:
        return []
    return []


def is_htcds(header: list[str]) -> bool:
    """Whether most columns of ``header`` are HTCDS field names (by their prefix)."""
    named = [c for c in header if c.startswith(HTCDS_PREFIXES)]
    return bool(header) and 2 * len(named) >= len(header)


def _typed_book(path: Path, options: ReadOptions) -> bool:
    """Whether ``path`` is a workbook whose sheets are named after record types."""
    if options.sheet is not None or path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return False
    try:
        return any(name in RECORD_TYPES for name in sheet_names(path))
    except ImportRejected:
        return False


def guess_mapping(
    path: Path, record: str | None, options: ReadOptions
) -> tuple[ColumnMapping, str | None] | None:
    """The ``htcds`` mapping and the record type, for a file written with HTCDS names.

    ``None`` when the header is not HTCDS. The record type is ``record`` when given, the file
    name when it names a type, otherwise the type whose HTCDS names cover most columns.
    """
    header = header_of(path, options)
    if not is_htcds(header):
        return None
    mapping = load_mapping("htcds")
    if record is not None or path.stem.lower() in RECORD_TYPES or _typed_book(path, options):
        return mapping, record
    columns = set(header)

    def covered(type_name: str) -> int:
        names = mapping.for_type(type_name).columns.values()
        return sum(1 for aliases in names if columns & set(aliases))

    typed = [t for t in RECORD_TYPES if t in mapping.types]
    best = max(typed, key=covered)
    return mapping, best


def guess_record_type(header: list[str], mapping: ColumnMapping) -> str | None:
    """The record type a header's columns clearly describe, or ``None``.

    A column counts for a type when it is one of the type's standard field names or a column
    the mapping reads for it. The type is taken only when its columns are at least two and
    at least half of the header, and no other type covers as many: a file named
    ``export (3).csv`` with the columns of ``persons`` is read as persons, an ambiguous one
    is refused with what to do."""
    columns = {c.strip().lower() for c in header if c and c.strip()}
    if not columns:
        return None

    def covered(type_name: str) -> int:
        names = {n.lower() for n in record_type(type_name).field_names}
        for aliases in mapping.for_type(type_name).columns.values():
            names.update(a.lower() for a in aliases)
        return len(columns & names)

    scores = sorted(((covered(t), t) for t in RECORD_TYPES), reverse=True)
    (best, name), runner_up = scores[0], scores[1][0] if len(scores) > 1 else 0
    if best >= 2 and 2 * best >= len(columns) and best > runner_up:
        return name
    return None


__all__ = ["HTCDS_PREFIXES", "guess_mapping", "guess_record_type", "header_of", "is_htcds"]
