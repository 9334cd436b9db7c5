"""Shared fixtures: a throw-away PostgreSQL cluster, temporary settings and stores."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from uncounted.settings import Settings

#: Keys of the test run, configured explicitly as a deployment would (the code never makes keys
#: up on its own; tests of key files remove these from the environment).
TEST_KEYS = {
    "UNCOUNTED_DATA_KEY": "dGVzdC1kYXRhLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=",
    "UNCOUNTED_SECRET_KEY": "dGVzdC1zZWNyZXQta2V5LTAwMDAwMDAwMDAwMDAwMDA=",
    "UNCOUNTED_INDEX_KEY": "dGVzdC1pbmRleC1rZXktMDAwMDAwMDAwMDAwMDAwMDA=",
}


@pytest.fixture(scope="session", autouse=True)
def configured_keys() -> Iterator[dict[str, str]]:
    """Every test runs with the data and secret keys set in the environment, like production."""
    saved = {name: os.environ.get(name) for name in TEST_KEYS}
    os.environ.update(TEST_KEYS)
    yield TEST_KEYS
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of our own on a loopback port, removed after the session.

    Uses Debian's PostgreSQL binaries (``.ci/run`` installs them). As root, the cluster runs as
    the ``postgres`` system user, because ``initdb`` refuses to run as root. In CI a missing
    server is a failure, not a skip.
    """
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries are missing; .ci/run should have installed them.")
        pytest.skip("Debian's PostgreSQL is not installed (apt-get install postgresql).")
    root = Path(tempfile.mkdtemp(prefix="uncounted-pg-"))
    data = root / "data"
    port = _free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        root.chmod(0o755)
        prefix = ["runuser", "-u", "postgres", "--"]
    run = {"check": True, "capture_output": True}
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "uncounted"],
        **run,  # type: ignore[call-overload]
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-w",
            "-l",
            str(root / "log"),
            "start",
        ],
        **run,  # type: ignore[call-overload]
    )
    try:
        for _ in range(50):
            probe = subprocess.run(
                [
                    *prefix,
                    str(bindir / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "uncounted",
                    "uncounted_test",
                ],
                capture_output=True,
            )
            if probe.returncode == 0:
                break
            time.sleep(0.2)
        yield f"postgresql+psycopg://uncounted@127.0.0.1:{port}/uncounted_test"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """An empty database of its own on the session's PostgreSQL server, dropped afterwards,
    so a test never depends on what other tests left in the shared one."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory for commands run in-process, with the settings cache cleared
    before and after (``pytestmark = pytest.mark.usefixtures("cli_env")``)."""
    from uncounted.settings import get_settings

    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh data directory (embedded SQLite store)."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def toy_estimator() -> Iterator[type]:
    """A toy estimator registered for the test (and withdrawn after): one class with its
    registry metadata, which the CLI, the web app, the panel and the contract must pick up
    with no other change (issue #19, item 1)."""
    from typing import ClassVar

    from uncounted.prevalence import CaptureHistories, PopulationEstimator
    from uncounted.prevalence.registry import register, unregister

    class ToyEstimator(PopulationEstimator):
        """Toy: the number observed times ``factor`` (no source; a test double)."""

        method: ClassVar[str] = "toy"
        label: ClassVar[str] = "Toy: observed times a factor"
        assumes: ClassVar[tuple[str, str, str] | None] = (
            "none stated: a test double",
            "none stated: a test double",
            "Everyone unseen is a multiple of those seen (a test double).",
        )

        def __init__(self, factor: float = 2.0, ci_level: float = 0.95) -> None:
            self.factor = factor
            self.ci_level = ci_level

        def _fit(self, histories: CaptureHistories) -> None:
            n = float(histories.n_observed)
            self.population_ = n * float(self.factor)
            self.ci_ = (n, n * float(self.factor) * 1.5)
            self.ci_method_ = "toy"
            self.model_ = ()

    register(ToyEstimator)
    try:
        yield ToyEstimator
    finally:
        unregister("toy")
