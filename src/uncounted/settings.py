"""One settings object, read from ``UNCOUNTED_*`` environment variables.

==================================  ================================================================
variable                            meaning (default)
==================================  ================================================================
``UNCOUNTED_DATA_DIR``              where the embedded store and artefacts live (``./data``)
``UNCOUNTED_DATABASE_URL``          SQLAlchemy URL (``sqlite:///<data dir>/uncounted.sqlite``);
                                    PostgreSQL: ``postgresql+psycopg://user:pw@host/db``
``UNCOUNTED_SECRET_KEY``            signs web sessions, encrypts pending uploads (no default)
``UNCOUNTED_DATA_KEY``              key for field encryption of identifying data (base64, 32 bytes)
``UNCOUNTED_INDEX_KEY``             key of the person search's blind index (HMAC of name and
                                    identity-number tokens; base64, 32 bytes), apart from the data
                                    key
``UNCOUNTED_BEHIND_TLS``            users reach the web app over HTTPS: ``Secure`` cookies, HSTS
                                    (``false``)
``UNCOUNTED_TRUSTED_PROXIES``       comma-separated addresses or networks of reverse proxies
                                    whose ``X-Forwarded-For`` is believed (none: ignored)
``UNCOUNTED_SESSION_IDLE_MINUTES``  a web session ends after this long without a request (30)
``UNCOUNTED_SESSION_HOURS``         a web session ends this long after sign-in (8)
==================================  ================================================================

Keys are never in the code, and never created behind your back: :meth:`Settings.key_bytes`
takes them from the environment or from key files in the data directory (``data.key``,
``secret.key``, ``index.key``) and raises :class:`~uncounted.errors.ConfigurationError` when
neither exists.
Key files are created only on request (:meth:`Settings.create_missing_keys`, i.e.
``uncounted init --create-keys``), once, with owner-only permissions.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from uncounted.errors import ConfigurationError

KeyName = Literal["data", "secret", "index"]
#: The keys a deployment needs: ``data`` encrypts identifying fields, ``secret`` signs sessions,
#: ``index`` keys the blind index that finds a person by name or identity number
#: (``store/person_index.py``).
KEY_NAMES: tuple[KeyName, ...] = ("data", "secret", "index")


class Settings(BaseSettings):
    """Runtime settings. Build with :func:`get_settings`, or directly in tests."""

    model_config = SettingsConfigDict(env_prefix="UNCOUNTED_", extra="ignore")

    data_dir: Path = Field(default=Path("data"))
    database_url: str | None = None
    secret_key: SecretStr | None = None
    data_key: SecretStr | None = None
    index_key: SecretStr | None = None
    behind_tls: bool = False
    trusted_proxies: str = ""
    session_idle_minutes: int = Field(default=30, ge=1)
    session_hours: int = Field(default=8, ge=1)
    #: The smallest k an open-data bundle may be published with (``uncounted publish`` and the
    #: web app's Open data page refuse a smaller one).
    open_data_min_k: int = Field(default=5, ge=2)
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
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The reverse proxies of ``UNCOUNTED_TRUSTED_PROXIES`` as networks (a bare address is
        a network of one); :class:`ConfigurationError` for an entry that is neither."""
        networks = []
        for entry in self.trusted_proxies.replace(" ", ",").split(","):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ConfigurationError(
                    f"UNCOUNTED_TRUSTED_PROXIES holds {entry!r}, which is not an IP address or "
                    "network; list your reverse proxies, e.g. 127.0.0.1,10.0.0.0/24."
                ) from None
        return tuple(networks)

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

    def key_file(self, which: KeyName) -> Path:
        """Where the key file of ``which`` lives when the key is not in the environment."""
        return self.data_dir / f"{which}.key"

    def _configured(self, which: KeyName) -> SecretStr | None:
        return {"data": self.data_key, "secret": self.secret_key, "index": self.index_key}[which]

    def key_configured(self, which: KeyName) -> bool:
        """Whether the key ``which`` is set in the environment or saved in its key file."""
        return self._configured(which) is not None or self.key_file(which).exists()

    def key_bytes(self, which: KeyName) -> bytes:
        """The 32-byte data key (field encryption), secret key (web sessions) or index key
        (the person search's blind index).

        Taken from ``UNCOUNTED_DATA_KEY`` / ``UNCOUNTED_SECRET_KEY`` when set; otherwise read
        from ``<data dir>/<which>.key``. Raises :class:`ConfigurationError` when neither exists:
        a key made up on the spot would leave the data unreadable by anyone who did not know
        it had been made (and a lost data key loses every identifying field).
        """
        configured = self._configured(which)
        if configured is not None:
            return decode_key(configured.get_secret_value(), f"UNCOUNTED_{which.upper()}_KEY")
        path = self.key_file(which)
        if not path.exists():
            raise ConfigurationError(
                f"No {which} key is configured: set UNCOUNTED_{which.upper()}_KEY from your "
                f"secret store, or create key files in {str(self.data_dir)!r} with "
                "`uncounted init --create-keys` (then back them up apart from the database)."
            )
        return read_key_file(path)

    def require_keys(self, create: bool = False) -> list[Path]:
        """Check that every key is configured, or with ``create`` make the missing key files;
        return the files made. Raises :class:`ConfigurationError` naming the missing keys."""
        if create:
            return self.create_missing_keys()
        missing = [which for which in KEY_NAMES if not self.key_configured(which)]
        if missing:
            names = _listed([f"UNCOUNTED_{which.upper()}_KEY" for which in missing])
            raise ConfigurationError(
                f"No {_listed(list(missing))} key is configured: set {names} from your secret "
                f"store, or pass --create-keys to create key files in {str(self.data_dir)!r} "
                "(then back them up apart from the database)."
            )
        return []

    def create_missing_keys(self) -> list[Path]:
        """Create the key files of the keys that are not configured; return the files made.

        Each file holds a random 32-byte key (base64) with mode 0600. Keys set in the
        environment or already saved are left alone.
        """
        made: list[Path] = []
        for which in KEY_NAMES:
            if not self.key_configured(which):
                path = self.key_file(which)
                self.ensure_data_dir()
                read_or_create_key_file(path)
                made.append(path)
        return made


def _listed(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


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


def read_key_file(path: Path) -> bytes:
    """Read the base64 key in ``path``; :class:`ConfigurationError` if unreadable or invalid."""
    try:
        return decode_key(path.read_text("ascii"), str(path))
    except OSError as exc:
        raise ConfigurationError(
            f"The key file {str(path)!r} cannot be read ({exc.strerror or exc}); "
            "check its permissions or set the key in the environment."
        ) from None


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
    return read_key_file(path)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


__all__ = [
    "KEY_NAMES",
    "KeyName",
    "Settings",
    "decode_key",
    "get_settings",
    "read_key_file",
    "read_or_create_key_file",
]
