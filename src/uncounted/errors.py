"""The exception tree of Uncounted.

Every error the library raises on purpose is an :class:`UncountedError`, so the CLI and the
web app can map it to an exit code or an HTTP status without catching anything else::

    UncountedError
    ├── ConfigurationError      settings that cannot work (bad database URL, unwritable dir)
    │   └── MissingExtra        an optional dependency is not installed (names the extra)
    ├── StoreError              the case database could not be read or written
    │   ├── MigrationError      the schema is not at the version the code expects
    │   ├── StoreBusy           another program is writing to the (SQLite) store
    │   ├── StoreFull           the disk holding the store is full
    │   ├── StoreDamaged        the database file is damaged (restore a backup)
    │   └── StoreUnavailable    the database server cannot be reached (HTTP 503)
    ├── InvalidInput            input data that cannot be used as given
    │   ├── ImportRejected      an import file with bad rows (carries every rejected row)
    │   └── InvalidCaptureHistories   capture-history tables that cannot be estimated from
    ├── NotIdentifiable         a model whose estimate does not exist or is not unique
    ├── NotFitted               an estimator read before ``fit``
    ├── NotFound                a record that does not exist (or is outside the caller's scope)
    └── AccessDenied            the caller's role or agency scope does not allow the action
        └── AdministratorOnly   allowed to an administrator only, for a reason the caller
                                may be told (a merge that reaches outside their scope)

Statistical caveats are not errors: they are warnings of category
:class:`UncountedWarning` (and its subclasses), which callers may escalate or collect.

Messages say what went wrong and what to do next, in one or two sentences.
"""

from __future__ import annotations

from dataclasses import dataclass


class UncountedError(Exception):
    """Base of every error Uncounted raises on purpose."""

    exit_code: int = 1
    http_status: int = 400


class ConfigurationError(UncountedError):
    """Settings that cannot work, e.g. an unreachable database or an unwritable data dir."""

    exit_code = 9  # not 2: that is Click's usage error
    http_status = 500


class MissingExtra(ConfigurationError):
    """An optional dependency is not installed; the message names the extra to install."""


class StoreError(UncountedError):
    """The case database could not be read or written."""

    exit_code = 3
    http_status = 500


class MigrationError(StoreError):
    """The database schema is not at the revision this version of Uncounted expects."""


class StoreBusy(StoreError):
    """Another program held the store's write lock for longer than the busy timeout."""

    http_status = 503


class StoreFull(StoreError):
    """The disk (or the database's size limit) left no room to write; nothing was written."""

    http_status = 507


class StoreDamaged(StoreError):
    """The database file is not a database, or its pages are damaged: restore a backup."""


class StoreUnavailable(StoreError):
    """The database server cannot be reached (stopped, restarting, or the connection lost)."""

    http_status = 503


class InvalidInput(UncountedError):
    """Input data that cannot be used as given."""

    exit_code = 4
    http_status = 422


class RecordTypeUnknown(InvalidInput):
    """A file whose name, sheets and columns do not say which record type it holds: the
    caller must name it (``--type``; the web app keeps the upload and asks)."""


@dataclass(frozen=True)
class RejectedRow:
    """One rejected input row: where it is and why it was refused."""

    file: str
    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: column {self.column!r} = {self.value!r}: {self.reason}"


class ImportRejected(InvalidInput):
    """An import file with rows that failed validation; nothing of it was written.

    ``rows`` carries every rejected row, not just the first.
    """

    def __init__(self, message: str, rows: list[RejectedRow] | None = None) -> None:
        super().__init__(message)
        self.rows: list[RejectedRow] = list(rows or [])


class InvalidCaptureHistories(InvalidInput):
    """A capture-history table that cannot be used for multiple systems estimation."""


class NotIdentifiable(UncountedError):
    """The model's maximum-likelihood estimate does not exist or is not unique.

    Raised, for example, when lists' overlaps are empty in a way that leaves the number of
    unseen people undetermined. The message names the lists and overlaps at fault.
    """

    exit_code = 5
    http_status = 422


class NotFitted(UncountedError):
    """An estimator's results were read before ``fit`` was called."""

    exit_code = 6
    http_status = 500


class NotFound(UncountedError):
    """A record that does not exist, or that the caller may not know exists."""

    exit_code = 7
    http_status = 404


class AccessDenied(UncountedError):
    """The caller's role or agency scope does not allow this action on this resource."""

    exit_code = 8
    http_status = 403


class AdministratorOnly(AccessDenied):
    """Only an administrator may do this, for a reason the message gives (about records the
    caller may already change): unlike other refusals, the web app shows the message."""


class UncountedWarning(UserWarning):
    """A statistical or data caveat: the result stands, but read it with care."""


class SparseDataWarning(UncountedWarning):
    """An estimate leans on very few observations (a sparse cell or stratum)."""


class DataQualityWarning(UncountedWarning):
    """Input was repaired or is suspicious (merged duplicates, an empty list, …)."""


class ConvergenceWarning(UncountedWarning):
    """An iterative fit or sampler may not have converged."""


class HeterogeneityWarning(UncountedWarning):
    """The lists show signs that catchability varies between people (estimates too low)."""


__all__ = [
    "AccessDenied",
    "AdministratorOnly",
    "ConfigurationError",
    "ConvergenceWarning",
    "DataQualityWarning",
    "HeterogeneityWarning",
    "ImportRejected",
    "InvalidCaptureHistories",
    "InvalidInput",
    "MigrationError",
    "MissingExtra",
    "NotFitted",
    "NotFound",
    "NotIdentifiable",
    "RecordTypeUnknown",
    "RejectedRow",
    "SparseDataWarning",
    "StoreBusy",
    "StoreDamaged",
    "StoreError",
    "StoreFull",
    "StoreUnavailable",
    "UncountedError",
    "UncountedWarning",
]
