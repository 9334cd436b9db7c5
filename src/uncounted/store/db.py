"""Engines, sessions and schema migrations for the case database.

SQLite (a file in the data directory) is the embedded default; PostgreSQL is the same code with
another URL. The schema is only ever created by Alembic migrations (``upgrade``), never by
``create_all``, so every database in the field has a known revision.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from uncounted.errors import (
    ConfigurationError,
    MigrationError,
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreUnavailable,
)
from uncounted.settings import Settings
from uncounted.store.crypto import KeyRing, attach_keyring, keyring_from_settings

#: How long a SQLite connection waits for another writer's lock before the store is "busy".
SQLITE_BUSY_SECONDS = 30.0
#: How much of a SQLite database file each connection maps into memory (address space, not
#: resident memory: the operating system's page cache backs it).
SQLITE_MMAP_BYTES = 1 << 30


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Read pages straight from a memory map instead of copying each into the connection's
    # small page cache: index scans of the case list and whole-table reads run 2-3x faster.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def make_engine(
    url: str,
    keyring: KeyRing | None = None,
    pool_size: int | None = None,
    busy_timeout: float | None = None,
) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on and WAL journaling.

    ``keyring`` encrypts identifying fields (``store/crypto.py``); without one, the key of the
    process settings is used. ``pool_size`` sizes the connection pool (the web app's threads).
    A SQLite connection waits up to ``busy_timeout`` seconds (default
    :data:`SQLITE_BUSY_SECONDS`) for another program's write lock before giving up with
    "busy"; PostgreSQL connections are checked before use, so a server restart costs the
    requests in flight at that moment and no more.

    Raises :class:`ConfigurationError` for a URL that cannot name a database.
    """
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            folder = Path(parsed.database).parent
            if not folder.exists():
                raise ConfigurationError(
                    f"The folder of the SQLite database {str(folder)!r} does not exist; "
                    "create it or set UNCOUNTED_DATA_DIR / UNCOUNTED_DATABASE_URL."
                )
        options: dict[str, Any] = {}
        if pool_size is not None:
            options.update(pool_size=pool_size, max_overflow=pool_size)
        if parsed.get_backend_name() == "sqlite":
            wait = SQLITE_BUSY_SECONDS if busy_timeout is None else busy_timeout
            options["connect_args"] = {"timeout": wait}
        else:
            options["pool_pre_ping"] = True
        engine = create_engine(url, future=True, **options)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigurationError(
            f"The database URL {url!r} cannot be used ({exc}); "
            "set UNCOUNTED_DATABASE_URL to e.g. sqlite:///path/to/file.sqlite."
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if keyring is not None:
        attach_keyring(engine, keyring)
    return engine


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    reason = str(orig) if orig is not None else str(exc)
    return reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__


#: Words of SQLite's and PostgreSQL's messages, by what they mean for the person at the keyboard.
_BUSY = ("database is locked", "database table is locked", "database is busy")
_FULL = ("database or disk is full", "no space left on device", "could not extend file")
_DAMAGED = ("file is not a database", "database disk image is malformed", "malformed database")
_LOST = (
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "connection to server",
    "consuming input failed",
    "not currently accepting connections",
    "the database system is shutting down",
    "the database system is starting up",
    "could not receive data",
    "ssl syscall error",
)


def explain_database_error(exc: BaseException, engine: Engine | None = None) -> StoreError | None:
    """The :class:`StoreError` in one sentence for a database failure (``None`` if unknown).

    A busy SQLite store, a full disk, a damaged database file and a lost PostgreSQL
    connection each get their own error class and a message that says what to do next; in
    each case the transaction was rolled back and nothing of it was written.
    """
    if not isinstance(exc, SQLAlchemyError | sqlite3.Error):
        return None
    reason = _reason(exc)
    folded = reason.lower()
    where = engine.url.render_as_string(hide_password=True) if engine is not None else "the store"
    if engine is not None and engine.dialect.name == "sqlite" and engine.url.database:
        where = engine.url.database
    if any(w in folded for w in _BUSY):
        return StoreBusy(
            f"The store is busy: another import or program is writing to it ({reason}). "
            "Nothing was written; try again when it has finished."
        )
    if any(w in folded for w in _FULL) or getattr(getattr(exc, "orig", None), "sqlstate", "") in (
        "53100",
    ):
        return StoreFull(
            f"The disk holding {where} is full ({reason}). Nothing was written and nothing was "
            "lost; free some space and try again."
        )
    if any(w in folded for w in _DAMAGED):
        return StoreDamaged(
            f"The database file {where} is damaged ({reason}). Nothing was changed; keep the "
            "damaged file aside and restore the last backup (uncounted restore)."
        )
    lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
    if lost or any(w in folded for w in _LOST):
        return StoreUnavailable(
            f"The database server at {where} cannot be reached ({reason}). Nothing was lost: "
            "what was not saved was rolled back. Try again in a moment; if it persists, check "
            "that PostgreSQL is running."
        )
    return None


def check_connection(engine: Engine) -> None:
    """Connect once; raise :class:`ConfigurationError` in one sentence if that fails.

    A damaged SQLite file raises :class:`StoreDamaged` instead: it is reachable, but broken.
    """
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        known = explain_database_error(exc, engine)
        if isinstance(known, StoreDamaged | StoreBusy):
            raise known from None
        reason = _reason(exc)
        raise ConfigurationError(
            f"Cannot reach the database at {engine.url.render_as_string(hide_password=True)} "
            f"({reason}); check UNCOUNTED_DATABASE_URL and that the server is running."
        ) from None


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the migrations shipped in this package."""
    cfg = Config()
    location = resources.files("uncounted.store").joinpath("migrations")
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(engine: Engine) -> str | None:
    """The newest migration shipped with this version of Uncounted."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (idempotent at head)."""
    check_connection(engine)
    try:
        command.upgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise MigrationError(f"Upgrading the database failed: {exc}") from exc


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision``."""
    try:
        command.downgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise MigrationError(f"Downgrading the database failed: {exc}") from exc


def require_current(engine: Engine) -> None:
    """Raise :class:`MigrationError` unless the database is at the head revision."""
    check_connection(engine)
    have, want = current_revision(engine), head_revision(engine)
    if have != want:
        raise MigrationError(
            f"The database is at revision {have or 'none'} but this version needs {want}; "
            "run `uncounted init` to upgrade it."
        )


def engine_from_settings(settings: Settings) -> Engine:
    """The engine for the configured database, creating the data directory if needed."""
    if not settings.database_url:
        settings.ensure_data_dir()
    return make_engine(settings.resolved_database_url, keyring_from_settings(settings))


def init_database(settings: Settings) -> Engine:
    """Create or upgrade the configured database to the head revision; return its engine."""
    engine = engine_from_settings(settings)
    upgrade(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


__all__ = [
    "SQLITE_BUSY_SECONDS",
    "alembic_config",
    "check_connection",
    "current_revision",
    "downgrade",
    "engine_from_settings",
    "explain_database_error",
    "head_revision",
    "init_database",
    "make_engine",
    "require_current",
    "session_scope",
    "upgrade",
]
