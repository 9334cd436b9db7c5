"""Field encryption of identifying data at rest (AES-256-GCM), as a column type.

:class:`EncryptedText` is the column type of every identifying field of
:class:`~uncounted.store.tables.PersonIdentity`. Values are encrypted when bound to a statement
and decrypted when read, so ORM sessions, Core inserts through the ``Table`` (``insert_frames``)
and ``read_table`` all see plain text while the database file holds only ciphertext.

Stored form: ``enc1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``. The nonce is 96 random
bits per value; the column name is the associated data, so a ciphertext copied into another
column does not decrypt. The key id (first 8 hex digits of SHA-256 of the key) names the key that
encrypted the value, which lets :func:`rotate_data_key` re-encrypt under a new key while either
key can still be read.

The key ring is attached to an engine (:func:`attach_keyring`; ``make_engine(url, keyring=)``).
An engine without one uses the key of the process settings (``UNCOUNTED_DATA_KEY`` or the
``data.key`` file of the data directory). Keys never appear in the code.

Retired keys (replaced by a rotation) are kept in ``<data dir>/retired.keys``, each wrapped
(AES-256-GCM) by the key that replaced it, so a backup made before a rotation stays readable
with the current key alone; :func:`keyring_from_settings` adds them to the ring.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Dialect, Engine, Text, bindparam, column, select, table, update
from sqlalchemy.types import TypeDecorator

from uncounted.errors import ConfigurationError, StoreError
from uncounted.settings import Settings, get_settings

PREFIX = "enc1"
_ATTR = "_uncounted_keyring"


def key_id(key: bytes) -> str:
    """Short public name of a key: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


@dataclass(frozen=True)
class KeyRing:
    """The key that encrypts new values, plus older keys that may still decrypt, and the
    separate key of the person search's blind index (``index``; ``None``: the process
    settings' index key is used, see :func:`engine_index_key`)."""

    current: bytes
    previous: tuple[bytes, ...] = ()
    index: bytes | None = field(default=None, repr=False)
    _by_id: dict[str, AESGCM] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key in (self.current, *self.previous):
            if len(key) != 32:
                raise ConfigurationError("A data key must be 32 bytes (AES-256).")
            self._by_id.setdefault(key_id(key), AESGCM(key))
        if self.index is not None and len(self.index) != 32:
            raise ConfigurationError("An index key must be 32 bytes.")

    @property
    def current_id(self) -> str:
        """Key id of the key that encrypts new values."""
        return key_id(self.current)

    def encrypt(self, plain: str, context: str) -> str:
        """Encrypt ``plain`` for the column named ``context``."""
        nonce = secrets.token_bytes(12)
        sealed = self._by_id[self.current_id].encrypt(
            nonce, plain.encode("utf-8"), context.encode()
        )
        token = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}:{self.current_id}:{token}"

    def decrypt(self, stored: str, context: str) -> str:
        """Decrypt a stored value of column ``context``; :class:`StoreError` if no key fits."""
        try:
            prefix, kid, token = stored.split(":", 2)
            if prefix != PREFIX:
                raise ValueError(prefix)
            raw = base64.urlsafe_b64decode(token)
        except (ValueError, binascii.Error):
            raise StoreError(
                f"A value of {context} is not in the encrypted format; the database may have been "
                "written without field encryption. Re-import it through Uncounted."
            ) from None
        cipher = self._by_id.get(kid)
        if cipher is None:
            raise StoreError(
                f"A value of {context} was encrypted with key {kid}, which is not configured; "
                "set UNCOUNTED_DATA_KEY to that key (or restore the data.key file)."
            )
        try:
            return cipher.decrypt(raw[:12], raw[12:], context.encode()).decode("utf-8")
        except InvalidTag:
            raise StoreError(
                f"A value of {context} failed its integrity check (key {kid}); "
                "the record was altered or copied from another column."
            ) from None


#: File of retired data keys, in the data directory.
RETIRED_FILE = "retired.keys"
_WRAP_CONTEXT = b"uncounted.retired-key:"


@dataclass(frozen=True)
class RetiredKey:
    """A data key replaced by a rotation: its id, when, and the key (``None`` while the key that
    wraps it is not configured)."""

    key_id: str
    retired_at: str
    wrapped_by: str
    key: bytes | None


def read_retired(path: Path, unwrapping: Iterable[bytes]) -> list[RetiredKey]:
    """The retired keys listed in ``path`` (none if it does not exist), unwrapped with whichever
    of the ``unwrapping`` keys wrapped each; :class:`ConfigurationError` if it is corrupt."""
    if not path.exists():
        return []
    ciphers = {key_id(k): AESGCM(k) for k in unwrapping}
    out: list[RetiredKey] = []
    for number, line in enumerate(path.read_text("ascii").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            kid, at, wrapper, token = line.split()
            raw = base64.urlsafe_b64decode(token)
        except (ValueError, binascii.Error):
            raise ConfigurationError(
                f"Line {number} of {path} is not a retired key; restore the file from a backup."
            ) from None
        key = None
        if wrapper in ciphers:
            try:
                key = ciphers[wrapper].decrypt(raw[:12], raw[12:], _WRAP_CONTEXT + kid.encode())
            except InvalidTag:
                raise ConfigurationError(
                    f"Retired key {kid} in {path} failed its integrity check; restore the file "
                    "from a backup."
                ) from None
        out.append(RetiredKey(kid, at, wrapper, key))
    return out


def write_retired(path: Path, keys: Iterable[RetiredKey], wrapping: bytes) -> None:
    """Write ``keys`` to ``path`` (mode 0600, replaced atomically), each wrapped by ``wrapping``.

    Every key must be unwrapped (``key`` set): a key that cannot be re-wrapped would be lost.
    """
    cipher, wid = AESGCM(wrapping), key_id(wrapping)
    lines = []
    for retired in keys:
        if retired.key is None:
            raise ConfigurationError(
                f"Retired key {retired.key_id} is wrapped by key {retired.wrapped_by}, which is "
                "not configured; configure that key before rotating again."
            )
        nonce = secrets.token_bytes(12)
        sealed = cipher.encrypt(nonce, retired.key, _WRAP_CONTEXT + retired.key_id.encode())
        token = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        lines.append(f"{retired.key_id} {retired.retired_at} {wid} {token}\n")
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.writelines(lines)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def retire(current: bytes, retired: list[RetiredKey]) -> list[RetiredKey]:
    """``retired`` plus ``current`` retired now (once)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    kept = [r for r in retired if r.key_id != key_id(current)]
    return [*kept, RetiredKey(key_id(current), now, "", current)]


def keyring_from_settings(settings: Settings) -> KeyRing:
    """The key ring of the configured data key, with every key that may still decrypt.

    A pending rotation (``data.key.new`` left by an interrupted ``uncounted keys rotate``) and
    the retired keys of ``retired.keys`` are added as previous keys, so every value stays
    readable whatever point a rotation reached, and backups made before it too.
    """
    current = settings.key_bytes("data")
    pending = settings.data_dir / "data.key.new"
    previous: list[bytes] = []
    if settings.data_key is None and pending.exists():
        from uncounted.settings import read_key_file

        previous.append(read_key_file(pending))
    retired = read_retired(settings.data_dir / RETIRED_FILE, [current, *previous])
    previous += [r.key for r in retired if r.key is not None]
    index = settings.key_bytes("index") if settings.key_configured("index") else None
    return KeyRing(current, tuple(previous), index)


@lru_cache(maxsize=1)
def _process_keyring() -> KeyRing:
    return keyring_from_settings(get_settings())


def attach_keyring(engine: Engine, keyring: KeyRing) -> Engine:
    """Make ``engine`` encrypt and decrypt identifying fields with ``keyring``; return it."""
    setattr(engine.dialect, _ATTR, keyring)
    return engine


def engine_keyring(dialect: Dialect) -> KeyRing:
    """The key ring attached to an engine's dialect, or the process settings' key ring."""
    ring = getattr(dialect, _ATTR, None)
    return ring if isinstance(ring, KeyRing) else _process_keyring()


def engine_index_key(dialect: Dialect) -> bytes:
    """The blind-index key of an engine's key ring, or of the process settings
    (:class:`ConfigurationError` naming what to do when none is configured)."""
    ring = getattr(dialect, _ATTR, None)
    if isinstance(ring, KeyRing) and ring.index is not None:
        return ring.index
    return get_settings().key_bytes("index")


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted (AES-256-GCM); ``context`` is the associated data."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return engine_keyring(dialect).encrypt(str(value), self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return engine_keyring(dialect).decrypt(value, self.context)

    def process_literal_param(self, value: str | None, dialect: Dialect) -> str:
        raise StoreError("Encrypted fields cannot be rendered as SQL literals.")

    @property
    def python_type(self) -> type[str]:
        return str


def encrypted_columns(table_name: str = "person_identities") -> list[str]:
    """Names of the encrypted columns of a table."""
    from uncounted.store.tables import Base

    return [
        c.name
        for c in Base.metadata.tables[table_name].columns
        if isinstance(c.type, EncryptedText)
    ]


def rotate_data_key(conn: Connection, new_keyring: KeyRing) -> int:
    """Re-encrypt every encrypted field under ``new_keyring.current``; return rows rewritten.

    Every table with :class:`EncryptedText` columns is rewritten (identities, case notes,
    referral decline reasons), row by row through its primary key. Runs on ``conn`` inside the
    caller's transaction: values are read (decrypted with the engine's key ring, which must
    hold the old key) and written back as ciphertext of the new key.
    """
    from uncounted.store.tables import Base

    total = 0
    for name, source in Base.metadata.tables.items():
        names = encrypted_columns(name)
        if not names:
            continue
        keys = [c.name for c in source.primary_key.columns]
        raw = table(name, *(column(k) for k in keys), *(column(n, Text()) for n in names))
        rows = conn.execute(select(*(source.c[k] for k in keys), *(source.c[n] for n in names)))
        params = [
            {
                **{f"pk_{k}": row[k] for k in keys},
                **{
                    n: None if row[n] is None else new_keyring.encrypt(row[n], f"{name}.{n}")
                    for n in names
                },
            }
            for row in rows.mappings()
        ]
        if not params:
            continue
        stmt = (
            update(raw)
            .where(*(raw.c[k] == bindparam(f"pk_{k}") for k in keys))
            .values({n: bindparam(n) for n in names})
        )
        conn.execute(stmt, params)
        total += len(params)
    return total


__all__ = [
    "PREFIX",
    "RETIRED_FILE",
    "EncryptedText",
    "KeyRing",
    "RetiredKey",
    "attach_keyring",
    "encrypted_columns",
    "engine_index_key",
    "engine_keyring",
    "key_id",
    "keyring_from_settings",
    "read_retired",
    "retire",
    "rotate_data_key",
    "write_retired",
]
