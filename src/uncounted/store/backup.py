"""Backups a programme can rely on: the whole store in one file, restored whole or not at all.

A backup holds every table — records, users, the audit trail, import batches — exactly as
stored: identifying fields stay encrypted, so **a backup is useless without the data key that
encrypted them, and the key is never written into it**. Keep the key (``data.key`` or
``UNCOUNTED_DATA_KEY``) in a separate safe place; a restore checks, before it changes anything,
that the configured keys can read the backup's names.

* **SQLite**: SQLite's online backup API copies a consistent snapshot while the store stays in
  use; the copy is checked (``PRAGMA integrity_check``) before it is moved into place. A
  restore copies the backup into the store through the same API, in one step: readers see the
  old store or the new one, never a mix.
* **PostgreSQL**: ``pg_dump --format=custom`` (a consistent snapshot) and ``pg_restore
  --single-transaction``: a restore that fails half-way is rolled back whole.

Beside each backup, ``<backup>.manifest.json`` records the schema revision, the rows of every
table, the ids of the keys its names are encrypted with, the ids of the index keys of its
person search index, and the SHA-256 of the backup file; a restore refuses a backup whose
checksum does not match and compares the restored rows with it. The index key is not in the
backup either: when the configured index key is not the one the backup's index was made
with, the restore rebuilds the index under the configured key (from the decrypted names).
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, func, select
from sqlalchemy.engine import URL

from uncounted.errors import ConfigurationError, InvalidInput, StoreError
from uncounted.store import audit, person_index
from uncounted.store.crypto import PREFIX, KeyRing, engine_index_key, key_id
from uncounted.store.db import current_revision, require_current, session_scope, upgrade
from uncounted.store.tables import TABLE_ORDER, Base

#: The table whose encrypted values name the keys a backup needs.
_SECRETS = "person_identities"


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds: written beside it, checked by a restore."""

    dialect: str
    revision: str | None
    taken_at: str
    rows: dict[str, int]
    key_ids: tuple[str, ...]
    sha256: str
    #: ids of the index keys of the person search's blind index (``store/person_index.py``)
    index_key_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The manifest as plain data (JSON)."""
        return {
            **vars(self),
            "key_ids": list(self.key_ids),
            "index_key_ids": list(self.index_key_ids),
        }


@dataclass(frozen=True)
class BackupResult:
    """A backup written: the file, its manifest and what it holds."""

    path: Path
    manifest_path: Path
    manifest: BackupManifest


@dataclass(frozen=True)
class RestoreResult:
    """A restore done: the rows of every table after it, and the schema revision."""

    rows: dict[str, int]
    revision: str | None
    key_ids: tuple[str, ...] = field(default=())
    #: people re-indexed because the backup's index was made with another index key
    reindexed: int | None = None


def manifest_path(backup: Path) -> Path:
    """Where the manifest of ``backup`` is kept."""
    return backup.with_name(backup.name + ".manifest.json")


def table_rows(engine: Engine) -> dict[str, int]:
    """Rows of every table of the store."""
    tables = Base.metadata.tables
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(tables[name])).scalar_one())
            for name in TABLE_ORDER
        }


def stored_key_ids(engine: Engine) -> tuple[str, ...]:
    """Ids of the keys that encrypted the stored identifying fields (read without decrypting)."""
    with engine.connect() as conn:
        return _key_ids(conn)


def _key_ids(conn: Connection) -> tuple[str, ...]:
    table = Base.metadata.tables[_SECRETS]
    found: set[str] = set()
    for name in (c.name for c in table.c if c.name != "person_id"):
        # the raw column text: "enc1:<key id>:<token>" (no key is needed to read the id)
        sql = f"SELECT DISTINCT substr({name}, 1, 13) FROM {_SECRETS} WHERE {name} IS NOT NULL"
        found.update(
            str(v).split(":")[1]
            for (v,) in conn.exec_driver_sql(sql)
            if str(v).startswith(PREFIX + ":")
        )
    return tuple(sorted(found))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pg_tool(name: str, bindir: Path | None = None) -> Path:
    """The PostgreSQL client program ``name`` (``pg_dump``, ``pg_restore``).

    From ``bindir`` when given, else the ``PATH``, else Debian's ``/usr/lib/postgresql/*/bin``
    (newest version first): the client must be at least as new as the server.
    """
    if bindir is not None:
        candidate = bindir / name
        if candidate.is_file():
            return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    debian = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4])
    )
    if debian:
        return Path(debian[-1])
    raise ConfigurationError(
        f"{name} was not found; install the PostgreSQL client (apt-get install "
        "postgresql-client) or name its folder with --pg-bin."
    )


def _pg_env(url: URL) -> tuple[dict[str, str], str]:
    """Environment for libpq (password never on the command line) and the database name."""
    env = dict(os.environ)
    for var, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
    ):
        if value is not None:
            env[var] = str(value)
    if not url.database:
        raise ConfigurationError("The PostgreSQL URL names no database; add /<database>.")
    return env, url.database


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        reason = lines[0] if lines else f"exit code {done.returncode}"
        raise StoreError(f"{what} failed ({reason}); nothing was changed.")


def backup_database(
    engine: Engine, out: str | Path, *, actor: str = "cli", pg_bin: Path | None = None
) -> BackupResult:
    """Write a consistent copy of the whole store to ``out`` (and its manifest beside it).

    The copy is written to a temporary file in the same folder and moved into place only when
    complete and checked, with owner-only permissions. The backup is recorded in the audit
    trail of the store (and so in the backup itself).
    """
    require_current(engine)
    target = Path(out)
    if target.exists() and target.is_dir():
        raise InvalidInput(f"{target} is a folder; name the backup file, e.g. {target}/store.bak.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with session_scope(engine) as session:
        audit.record(
            session, actor, audit.AuditAction.BACKUP, "store", detail=f"backup to {target.name}"
        )
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    staging = Path(name)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine, staging)
            copy = create_engine(f"sqlite:///file:{staging}?mode=ro&uri=true")
            try:
                rows, keys = table_rows(copy), stored_key_ids(copy)
                with copy.connect() as conn:
                    index_keys = person_index.index_key_ids(conn)
            finally:
                copy.dispose()
        elif engine.dialect.name == "postgresql":
            rows, keys, index_keys = _pg_backup(engine, staging, pg_bin)
        else:
            raise ConfigurationError(f"Backups of {engine.dialect.name} are not supported.")
        staging.chmod(0o600)
        manifest = BackupManifest(
            engine.dialect.name,
            current_revision(engine),
            dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            rows,
            keys,
            _sha256(staging),
            index_keys,
        )
        _write_manifest(manifest_path(target), manifest)
        os.replace(staging, target)
    except OSError as exc:
        raise StoreError(
            f"The backup could not be written to {target} ({exc.strerror or exc}); "
            "nothing was left behind. Free some space or choose another place."
        ) from None
    finally:
        staging.unlink(missing_ok=True)
    return BackupResult(target, manifest_path(target), manifest)


def _sqlite_backup(engine: Engine, staging: Path) -> None:
    """SQLite's online backup API: a consistent snapshot, checked before it is kept."""
    with engine.connect() as conn:
        source = cast(sqlite3.Connection, conn.connection.driver_connection)
        copy = sqlite3.connect(staging)
        try:
            source.backup(copy)
            # one self-contained file: no write-ahead log beside it when it is read
            copy.execute("PRAGMA journal_mode=DELETE")
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
    if verdict != "ok":
        raise StoreError(f"The copy of the store failed its integrity check ({verdict}).")


def _pg_backup(
    engine: Engine, staging: Path, pg_bin: Path | None
) -> tuple[dict[str, int], tuple[str, ...], tuple[str, ...]]:
    """``pg_dump`` of one exported snapshot, counted in the same snapshot (exact manifest)."""
    env, database = _pg_env(engine.url)
    command = [str(pg_tool("pg_dump", pg_bin)), "--format=custom", "--no-owner"]
    command += ["--no-privileges", "--file", str(staging)]
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            tables = Base.metadata.tables
            rows = {
                n: int(conn.execute(select(func.count()).select_from(tables[n])).scalar_one())
                for n in TABLE_ORDER
            }
            keys = _key_ids(conn)
            index_keys = person_index.index_key_ids(conn)
            _run([*command, f"--snapshot={snapshot}", database], env, "pg_dump")
    return rows, keys, index_keys


def _write_manifest(path: Path, manifest: BackupManifest) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(manifest.to_dict(), f, indent=1)
    os.replace(name, path)


def read_manifest(backup: Path) -> BackupManifest | None:
    """The manifest beside ``backup`` (``None`` if there is none)."""
    path = manifest_path(backup)
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text("utf-8"))
        return BackupManifest(
            raw["dialect"],
            raw["revision"],
            raw["taken_at"],
            {str(k): int(v) for k, v in raw["rows"].items()},
            tuple(raw["key_ids"]),
            raw["sha256"],
            tuple(raw.get("index_key_ids", ())),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"The manifest {path} is damaged ({exc}); remove it to go on.") from None


def _sqlite_key_ids(backup: Path) -> tuple[str, ...]:
    engine = create_engine(f"sqlite:///file:{backup}?mode=ro&uri=true")
    try:
        return stored_key_ids(engine)
    finally:
        engine.dispose()


def check_keys(needed: tuple[str, ...], keyring: KeyRing) -> None:
    """Raise :class:`ConfigurationError` unless ``keyring`` holds every key ``needed``."""
    have = {key_id(k) for k in (keyring.current, *keyring.previous)}
    missing = [k for k in needed if k not in have]
    if missing:
        raise ConfigurationError(
            f"The backup's names are encrypted with key {', '.join(missing)}, which is not "
            f"configured here (key {keyring.current_id}); set UNCOUNTED_DATA_KEY, or put the "
            "key file as data.key in the data directory, to the key in use when the backup was "
            "taken."
        )


def _is_empty(engine: Engine) -> bool:
    if current_revision(engine) is None:
        return True
    rows = table_rows(engine)
    return not any(rows.values())


def restore_database(
    engine: Engine,
    backup: str | Path,
    keyring: KeyRing,
    *,
    replace: bool = False,
    actor: str = "cli",
    pg_bin: Path | None = None,
) -> RestoreResult:
    """Replace the store behind ``engine`` with the backup ``backup``, whole or not at all.

    Refuses, changing nothing: a backup whose checksum differs from its manifest, one whose
    names ``keyring`` cannot decrypt, one of another database system, and a store that
    already holds records unless ``replace``. After the restore, the schema is upgraded to
    this version, the rows of every table are compared with the manifest, and the restore is
    recorded in the audit trail.
    """
    path = Path(backup)
    if not path.is_file():
        raise InvalidInput(f"There is no backup file {str(path)!r}.")
    manifest = read_manifest(path)
    if manifest is not None:
        if manifest.dialect != engine.dialect.name:
            raise InvalidInput(
                f"{path.name} is a {manifest.dialect} backup; restore it into a "
                f"{manifest.dialect} store (this one is {engine.dialect.name})."
            )
        if _sha256(path) != manifest.sha256:
            raise InvalidInput(
                f"{path.name} does not match its manifest (checksum differs): the file is "
                "damaged or was changed. Restore another backup. Nothing was changed."
            )
    dialect = engine.dialect.name
    if dialect == "sqlite":
        _check_sqlite_backup(path)
        needed = manifest.key_ids if manifest is not None else _sqlite_key_ids(path)
    elif dialect == "postgresql":
        needed = manifest.key_ids if manifest is not None else ()
    else:
        raise ConfigurationError(f"Restores into {dialect} are not supported.")
    try:
        check_keys(needed, keyring)
        engine_index_key(engine.dialect)  # the index is rebuilt under it if it differs
    except ConfigurationError as exc:
        raise ConfigurationError(f"{exc} Then restore again; nothing was changed.") from None
    if not replace and not _is_empty(engine):
        raise InvalidInput(
            "The store already holds records; restore into an empty store, or pass --replace "
            "to overwrite it (back it up first: uncounted backup). Nothing was changed."
        )
    if dialect == "sqlite":
        _sqlite_restore(engine, path)
    else:
        env, database = _pg_env(engine.url)
        engine.dispose()  # no connection of ours holds a lock on the tables being replaced
        command = [str(pg_tool("pg_restore", pg_bin)), "--clean", "--if-exists", "--no-owner"]
        command += ["--no-privileges", "--single-transaction", "--exit-on-error"]
        _run([*command, "--dbname", database, str(path)], env, "pg_restore")
    upgrade(engine)
    rows = table_rows(engine)
    if manifest is None:  # no manifest named the keys: check the restored names now
        try:
            check_keys(stored_key_ids(engine), keyring)
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"The backup was restored, but not its key: {exc} Nothing else is needed "
                "once the key is set."
            ) from None
    if manifest is not None:
        differ = [t for t, n in manifest.rows.items() if rows.get(t) != n]
        if differ:
            raise StoreError(
                f"The restored store differs from the backup's manifest in {', '.join(differ)}; "
                "do not use it: restore the backup again or another one."
            )
    rebuilt = person_index.ensure_index(engine)  # made with another index key: rebuilt
    with session_scope(engine) as session:
        taken = f" taken {manifest.taken_at}" if manifest is not None else ""
        audit.record(
            session, actor, audit.AuditAction.RESTORE, "store", detail=f"{path.name}{taken}"
        )
    reindexed = rebuilt.persons if rebuilt is not None else None
    return RestoreResult(rows, current_revision(engine), stored_key_ids(engine), reindexed)


def _check_sqlite_backup(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            names = {r[0] for r in copy.execute("SELECT name FROM sqlite_master")}
        copy.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(
            f"{path.name} is not a readable SQLite backup ({exc}); restore another backup."
        ) from None
    if verdict != "ok":
        raise InvalidInput(f"{path.name} is damaged ({verdict}); restore another backup.")
    if "alembic_version" not in names:
        raise InvalidInput(f"{path.name} is not a backup of an Uncounted store.")


def _sqlite_restore(engine: Engine, path: Path) -> None:
    """Copy the backup into the store in one step (SQLite's backup API, backup → store)."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        with engine.connect() as conn:
            source.backup(cast(sqlite3.Connection, conn.connection.driver_connection))
    except sqlite3.Error as exc:
        raise StoreError(
            f"The restore could not be written ({exc}); the store is as it was. "
            "Stop other programs using it (uncounted serve) and free some space, then retry."
        ) from None
    finally:
        source.close()
    engine.dispose()


__all__ = [
    "BackupManifest",
    "BackupResult",
    "RestoreResult",
    "backup_database",
    "check_keys",
    "manifest_path",
    "pg_tool",
    "read_manifest",
    "restore_database",
    "stored_key_ids",
    "table_rows",
]
