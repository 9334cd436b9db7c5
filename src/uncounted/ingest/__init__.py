"""Import and export: every agency's files in, validated and atomic; HTCDS and CTDC in and out.

``import_file`` is the one entry point for loading a file (CLI and web upload alike);
``validate_file`` is its dry run; ``export_records`` writes the same records back out.
"""

from uncounted.ingest.export import EXPORT_FORMATS, export_records
from uncounted.ingest.load import ImportResult, import_file, validate_file
from uncounted.ingest.mapping import ColumnMapping, load_mapping
from uncounted.ingest.readers import ReadOptions
from uncounted.ingest.records import RECORD_TYPES, record_type
from uncounted.ingest.report import write_report

__all__ = [
    "EXPORT_FORMATS",
    "RECORD_TYPES",
    "ColumnMapping",
    "ImportResult",
    "ReadOptions",
    "export_records",
    "import_file",
    "load_mapping",
    "record_type",
    "validate_file",
    "write_report",
]
