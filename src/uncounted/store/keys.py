"""The data key's life: rotation of the key that encrypts identifying fields.

:func:`rotate_key` re-encrypts every identifying field under a fresh random key in one
transaction, audited. When the key lives in the data directory (``data.key``), the new key is
first written beside it as ``data.key.new`` (mode 0600), the database is re-encrypted, and only
after the commit does ``data.key.new`` replace ``data.key``; an interrupted rotation is resumed
with the same pending key, so no value is ever encrypted under a key that was not saved. When
the key comes from ``UNCOUNTED_DATA_KEY``, the new key is written to a file you name, for you
to move into your secret store.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from uncounted.errors import ConfigurationError
from uncounted.settings import Settings, read_or_create_key_file
from uncounted.store import audit
from uncounted.store.crypto import KeyRing, key_id, keyring_from_settings, rotate_data_key
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
    new = _write_new_key(pending)
    reading = KeyRing(old.current, (*old.previous, new))
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
    final = pending
    if not from_env:
        final = settings.data_dir / "data.key"
        os.replace(pending, final)
    return Rotation(key_id(old.current), key_id(new), rows, final)


__all__ = ["Rotation", "rotate_key"]
