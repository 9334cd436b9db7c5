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

Keys are never in the code: when they are not set, :func:`uncounted.store.keys` creates them
once in the data directory with owner-only permissions (fine for a laptop demo; set them from
a secret store in production).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


__all__ = ["Settings", "get_settings"]
