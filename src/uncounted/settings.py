"""One settings object, read from ``UNCOUNTED_*`` environment variables.

=============================  ==========================================================
variable                       meaning (default)
=============================  ==========================================================
``UNCOUNTED_DATA_DIR``         where the embedded store and artefacts live (``./data``)
``UNCOUNTED_DATABASE_URL``     SQLAlchemy URL (``sqlite:///<data dir>/uncounted.sqlite``);
                               PostgreSQL: ``postgresql+psycopg://user:pw@host/db``
``UNCOUNTED_SECRET_KEY``       signs web sessions and CSRF tokens (no default in production)
``UNCOUNTED_DATA_KEY``         key for field encryption of identifying data (base64, 32 bytes)
=============================  ==========================================================

Keys are never in the code: when they are not set, :meth:`Settings.key_bytes` creates them
once in the data directory (``data.key``, ``secret.key``) with owner-only permissions (fine for
a laptop demo; set them from a secret store in production).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from uncounted.errors import ConfigurationError


class Settings(BaseSettings):
    """Runtime settings. Build with :func:`get_settings`, or directly in tests."""

    model_config = SettingsConfigDict(env_prefix="UNCOUNTED_", extra="ignore")

    data_dir: Path = Field(default=Path("data"))
    database_url: str | None = None
    secret_key: SecretStr | None = None
    data_key: SecretStr | None = None
    #: Due diligence: the risk table the web app's partner pages use (CSV/XLSX).
    risk_table: Path | None = None
    #: Due diligence: exploitation-free zone files (YAML), comma-separated, assessed on the
    #: store's justice data for the web app's partner pages.
    zones: str = ""

    @property
    def zone_files(self) -> tuple[Path, ...]:
        """The zone files of :attr:`zones`."""
        return tuple(Path(z.strip()) for z in self.zones.split(",") if z.strip())

    @property
    def resolved_database_url(self) -> str:
        """The database URL in use: the configured one or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'uncounted.sqlite').resolve()}"

    def ensure_data_dir(self) -> Path:
        """Create the data directory if needed and check that it is writable.

        Raises :class:`ConfigurationError` with one sentence when it cannot be used.
        """
        path = self.data_dir
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise ConfigurationError(
                f"The data directory {str(path)!r} cannot be written ({exc.strerror or exc}); "
                "set UNCOUNTED_DATA_DIR to a writable folder."
            ) from None
        return path

    def key_bytes(self, which: Literal["data", "secret"]) -> bytes:
        """The 32-byte data key (field encryption) or secret key (web sessions).

        Taken from ``UNCOUNTED_DATA_KEY`` / ``UNCOUNTED_SECRET_KEY`` when set; otherwise read
        from ``<data dir>/<which>.key``, which is created once with a random key and mode 0600.
        """
        configured = self.data_key if which == "data" else self.secret_key
        if configured is not None:
            return decode_key(configured.get_secret_value(), f"UNCOUNTED_{which.upper()}_KEY")
        return read_or_create_key_file(self.ensure_data_dir() / f"{which}.key")


def decode_key(text: str, where: str) -> bytes:
    """Decode a base64 (standard or URL-safe) 32-byte key; raise a readable error if invalid."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigurationError(
            f"{where} is not a base64-encoded 32-byte key; create one with `python -c "
            "'import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`."
        )
    return raw


def read_or_create_key_file(path: Path) -> bytes:
    """Read the key in ``path``, creating it first (random, mode 0600) if it does not exist."""
    if not path.exists():
        text = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(text + "\n")
    try:
        return decode_key(path.read_text("ascii"), str(path))
    except OSError as exc:
        raise ConfigurationError(
            f"The key file {str(path)!r} cannot be read ({exc.strerror or exc}); "
            "check its permissions or set the key in the environment."
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


__all__ = ["Settings", "decode_key", "get_settings", "read_or_create_key_file"]
