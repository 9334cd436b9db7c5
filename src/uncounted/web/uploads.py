"""Uploads waiting for their confirmation, held encrypted and for a limited time.

An uploaded file is validated (a dry run) and then waits until its uploader confirms the load.
Meanwhile it is kept in ``<data dir>/uploads/<id>.enc``, encrypted with AES-256-GCM under a key
derived (HKDF-SHA256) from the secret key, with the upload's id as associated data; so any
server process can read it, and nobody without the secret key can. The clear text exists only
while the importer reads it: :meth:`PendingUploads.opened` decrypts it into a private temporary
folder (mode 0700, in memory-backed ``/dev/shm`` when there is one) and removes that folder when
the validation or import call returns, whatever happens.

An upload is deleted when it is loaded, when its validation finds nothing that could be loaded,
and when it has waited :data:`PENDING_SECONDS` (swept at start-up and at every upload and
confirmation). Anything else found in the folder, such as clear-text uploads left by versions
before this one, is deleted by the sweep.

The same store keeps the verified open-data bundles waiting for their download
(``<data dir>/open-data``, another derived key), each bound to the user who built it: the
user's id is associated data, so another user's download fails to decrypt and is answered as
unknown. Being files, they reach every server process (``serve --workers N``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from uncounted.errors import NotFound
from uncounted.ingest.readers import release_workbooks

#: How long a validated upload waits for its confirmation (seconds).
PENDING_SECONDS = 3600
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_EXPIRED = "This upload is unknown or expired; upload the file again."


def _memory_tmp() -> str | None:
    """``/dev/shm`` (memory, not disk) when it is a writable folder, else the system default."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def safe_name(name: str) -> str:
    """A file name that keeps the uploaded name's suffix (the format) and nothing dangerous."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name)[:120].lstrip(".") or "upload.csv"


class PendingUploads:
    """The encrypted uploads in ``folder``, under a key derived from ``secret``."""

    def __init__(
        self,
        folder: Path,
        secret: bytes,
        max_age: float = PENDING_SECONDS,
        purpose: bytes = b"uncounted.pending-upload",
    ) -> None:
        self.folder = folder
        self.max_age = max_age
        key = HKDF(hashes.SHA256(), 32, salt=None, info=purpose).derive(secret)
        self._aead = AESGCM(key)

    @staticmethod
    def _bound(upload_id: str, owner: str) -> bytes:
        return upload_id.encode() + (b"\0" + owner.encode() if owner else b"")

    def _path(self, upload_id: str) -> Path:
        if not _ID.match(upload_id):
            raise NotFound(_EXPIRED)
        return self.folder / f"{upload_id}.enc"

    def put(self, content: bytes, owner: str = "") -> str:
        """Keep ``content`` encrypted (readable only with the same ``owner``); return its id."""
        self.sweep()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        upload_id = secrets.token_urlsafe(24)
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, content, self._bound(upload_id, owner))
        fd = os.open(self._path(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(sealed)
        return upload_id

    def read(self, upload_id: str, owner: str = "", expired: str = _EXPIRED) -> bytes:
        """The content kept under ``upload_id`` for ``owner``; :class:`NotFound` (with the
        message ``expired``) if it is unknown, expired, altered or someone else's."""
        path = self._path(upload_id)
        try:
            if time.time() - path.stat().st_mtime > self.max_age:
                raise NotFound(expired)
            sealed = path.read_bytes()
            return self._aead.decrypt(sealed[:12], sealed[12:], self._bound(upload_id, owner))
        except (OSError, InvalidTag):
            raise NotFound(expired) from None

    @contextmanager
    def opened(self, upload_id: str, name: str) -> Iterator[Path]:
        """The upload decrypted into a private temporary file named ``name``, for the duration of
        the ``with`` block; :class:`NotFound` if it is unknown, expired or altered."""
        content = self.read(upload_id)
        folder = Path(tempfile.mkdtemp(prefix="uncounted-upload-", dir=_memory_tmp()))
        try:
            clear = folder / safe_name(name)
            fd = os.open(clear, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            del content
            yield clear
        finally:
            if clear.suffix.lower() in (".xlsx", ".xlsm"):
                release_workbooks()  # the importer keeps workbooks open between its passes
            shutil.rmtree(folder, ignore_errors=True)

    def discard(self, upload_id: str) -> None:
        """Delete an upload (loaded, or not worth keeping)."""
        self._path(upload_id).unlink(missing_ok=True)

    def sweep(self, now: float | None = None) -> int:
        """Delete uploads older than ``max_age`` and anything that is not an upload; return how
        many entries were deleted."""
        if not self.folder.is_dir():
            return 0
        now = time.time() if now is None else now
        removed = 0
        for entry in self.folder.iterdir():
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)  # a clear-text upload of old versions
                elif not entry.name.endswith(".enc") or now - entry.stat().st_mtime > self.max_age:
                    entry.unlink(missing_ok=True)
                else:
                    continue
            except OSError:
                continue
            removed += 1
        return removed


__all__ = ["PENDING_SECONDS", "PendingUploads", "safe_name"]
