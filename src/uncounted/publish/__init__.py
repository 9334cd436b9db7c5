"""Publishing de-identified data: k-anonymous victim rows in the CTDC layout and aggregate
tables with audited small-cell suppression, written as a verified bundle."""

from uncounted.publish.bundle import (
    AGGREGATES,
    IDENTIFYING_COLUMNS,
    SOURCE_TABLES,
    Bundle,
    bundle_problems,
    bundle_tables,
    verify_bundle,
    write_bundle,
    zip_bundle,
)
from uncounted.publish.kanonymity import Anonymisation, k_anonymise, smallest_class
from uncounted.publish.suppression import SuppressedTable, feasible_ranges, suppress
from uncounted.publish.victims import QUASI_IDENTIFIERS, victim_rows

__all__ = [
    "AGGREGATES",
    "IDENTIFYING_COLUMNS",
    "QUASI_IDENTIFIERS",
    "SOURCE_TABLES",
    "Anonymisation",
    "Bundle",
    "SuppressedTable",
    "bundle_problems",
    "bundle_tables",
    "feasible_ranges",
    "k_anonymise",
    "smallest_class",
    "suppress",
    "verify_bundle",
    "victim_rows",
    "write_bundle",
    "zip_bundle",
]
