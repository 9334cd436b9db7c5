"""The data key's life: rotation of the key that encrypts identifying fields.

:func:`rotate_key` re-encrypts every identifying field under a fresh random key in one
transaction, audited. When the key lives in the data directory (``data.key``), the new key is
first written beside it as ``data.key.new`` (mode 0600), the database is re-encrypted, and only
after the commit does ``data.key.new`` replace ``data.key``; an interrupted rotation is resumed
with the same pending key, so no value is ever encrypted under a key that was not saved. When
the key comes from ``UNCOUNTED_DATA_KEY``, the new key is written to a file you name, for you
to move into your secret store.

The replaced key is not thrown away: it is kept in ``retired.keys`` in the data directory,
wrapped by the new key (AES-256-GCM), so a backup of the database made before the rotation can
still be restored and read with the current key; :func:`list_keys` shows every key.

The index key of the person search (``index.key`` / ``UNCOUNTED_INDEX_KEY``) is rotated apart
by :func:`rotate_index_key`, which rebuilds the blind index under the new key.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from uncounted.errors import ConfigurationError
from uncounted.settings import Settings, read_key_file, read_or_create_key_file
from uncounted.store import audit, person_index
from uncounted.store.crypto import (
    RETIRED_FILE,
    KeyRing,
    key_id,
    keyring_from_settings,
    read_retired,
    retire,
    rotate_data_key,
    write_retired,
)
from uncounted.store.db import make_engine, session_scope


@dataclass(frozen=True)
class Rotation:
    """What a key rotation did."""

    old_key_id: str
    new_key_id: str
    rows: int
    new_key_file: Path


def _write_new_key(path: Path) -> bytes:
    if path.exists():
        return read_or_create_key_file(path)
    text = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
    return read_or_create_key_file(path)


def rotate_key(
    settings: Settings, new_key_file: Path | None = None, actor: str = "cli"
) -> Rotation:
    """Re-encrypt every identifying field of the configured database under a new key."""
    from_env = settings.data_key is not None
    if from_env and new_key_file is None:
        raise ConfigurationError(
            "UNCOUNTED_DATA_KEY is set in the environment: pass a file to receive the new key "
            "(e.g. --new-key-file /secure/place/data.key), then set UNCOUNTED_DATA_KEY to it."
        )
    settings.ensure_data_dir()
    pending = new_key_file if from_env and new_key_file else settings.data_dir / "data.key.new"
    old = keyring_from_settings(settings)
    retired_path = settings.data_dir / RETIRED_FILE
    new = _write_new_key(pending)
    retired = read_retired(retired_path, [old.current, new])
    locked = [r.key_id for r in retired if r.key is None]
    if locked:  # checked before anything changes: they could not be kept after the rotation
        raise ConfigurationError(
            f"The retired keys {', '.join(locked)} in {retired_path} are wrapped by a key that "
            "is not configured; restore the data key they were wrapped with before rotating."
        )
    reading = KeyRing(old.current, (*old.previous, new), old.index)
    engine = make_engine(settings.resolved_database_url, reading)
    try:
        with session_scope(engine) as session:
            rows = rotate_data_key(session.connection(), KeyRing(new))
            audit.record(
                session,
                f"{actor}:keys rotate",
                audit.AuditAction.KEY_ROTATION,
                "person_identities",
                detail=f"{key_id(old.current)} -> {key_id(new)}; {rows} rows re-encrypted",
            )
    finally:
        engine.dispose()
    write_retired(retired_path, retire(old.current, retired), new)
    final = pending
    if not from_env:
        final = settings.data_dir / "data.key"
        os.replace(pending, final)
    return Rotation(key_id(old.current), key_id(new), rows, final)


@dataclass(frozen=True)
class IndexRotation:
    """What a rotation of the index key did."""

    old_key_id: str | None
    new_key_id: str
    persons: int
    tokens: int
    new_key_file: Path


def rotate_index_key(
    settings: Settings, new_key_file: Path | None = None, actor: str = "cli"
) -> IndexRotation:
    """Replace the key of the person search's blind index and rebuild the index under it.

    Unlike the data key, the old index key is not kept: every token is recomputed from the
    (decrypted) names in one transaction, so nothing is left that the old key could test.
    The new key is written beside the old one (``index.key.new``) and replaces it only after
    the commit; with ``UNCOUNTED_INDEX_KEY`` set, it is written to ``new_key_file`` for you to
    move into your secret store.
    """
    from_env = settings.index_key is not None
    if from_env and new_key_file is None:
        raise ConfigurationError(
            "UNCOUNTED_INDEX_KEY is set in the environment: pass a file to receive the new key "
            "(e.g. --new-key-file /secure/place/index.key), then set UNCOUNTED_INDEX_KEY to it."
        )
    settings.ensure_data_dir()
    pending = new_key_file if from_env and new_key_file else settings.data_dir / "index.key.new"
    old = keyring_from_settings(settings)
    new = _write_new_key(pending)
    engine = make_engine(settings.resolved_database_url, replace(old, index=new))
    try:
        with session_scope(engine) as session:
            done = person_index.rebuild(session.connection())
            audit.record(
                session,
                f"{actor}:keys rotate --index",
                audit.AuditAction.KEY_ROTATION,
                "person_index",
                detail=f"index key {key_id(old.index) if old.index else 'none'} -> "
                f"{key_id(new)}; {done.persons} people re-indexed",
            )
    finally:
        engine.dispose()
    final = pending
    if not from_env:
        final = settings.key_file("index")
        os.replace(pending, final)
    old_id = key_id(old.index) if old.index else None
    return IndexRotation(old_id, key_id(new), done.persons, done.tokens, final)


@dataclass(frozen=True)
class KeyInfo:
    """One data key as :func:`list_keys` reports it (never the key itself)."""

    key_id: str
    status: str  # current | pending | retired | retired (locked)
    where: str
    retired_at: str | None = None


def list_keys(settings: Settings) -> list[KeyInfo]:
    """The data keys (the current one, a pending rotation's, every retired key) and the index
    key of the person search."""
    current = keyring_from_settings(settings).current
    source = (
        "UNCOUNTED_DATA_KEY" if settings.data_key is not None else str(settings.key_file("data"))
    )
    keys = [KeyInfo(key_id(current), "current", source)]
    pending = settings.data_dir / "data.key.new"
    unwrapping = [current]
    if settings.data_key is None and pending.exists():
        new = read_key_file(pending)
        unwrapping.append(new)
        keys.append(KeyInfo(key_id(new), "pending", str(pending)))
    retired_path = settings.data_dir / RETIRED_FILE
    for retired in read_retired(retired_path, unwrapping):
        status = "retired" if retired.key is not None else "retired (locked)"
        keys.append(KeyInfo(retired.key_id, status, str(retired_path), retired.retired_at))
    if settings.key_configured("index"):
        where = (
            "UNCOUNTED_INDEX_KEY"
            if settings.index_key is not None
            else str(settings.key_file("index"))
        )
        keys.append(KeyInfo(key_id(settings.key_bytes("index")), "index (search)", where))
    return keys


__all__ = ["IndexRotation", "KeyInfo", "Rotation", "list_keys", "rotate_index_key", "rotate_key"]
