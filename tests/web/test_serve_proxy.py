"""Issue #15, item 5, against the real server: ``uncounted serve`` (uvicorn) on a loopback port.

uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 by default, so a client on the same machine
(or behind a local proxy that passes the header through) could pick a new address for every
sign-in attempt. ``serve`` now turns that off; only ``--trusted-proxy`` makes the header count.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from uncounted.cli.main import main
from uncounted.settings import get_settings

PASSWORD = "a long passphrase"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(data: Path, *options: str) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "UNCOUNTED_DATA_DIR": str(data)}
    env.pop("UNCOUNTED_DATABASE_URL", None)
    log = (data / f"server-{port}.log").open("w")
    command = [sys.executable, "-m", "uncounted.cli.main", "serve", "--port", str(port)]
    proc = subprocess.Popen([*command, *options], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/signin", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"the server stopped: {(data / f'server-{port}.log').read_text()}")
            time.sleep(0.2)
        else:
            pytest.fail("the server did not start within 30 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def store(tmp_path, monkeypatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(data))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    assert main(["init"]) == 0
    assert main(["add-user", "boss", "--role", "admin", "--password", PASSWORD]) == 0
    get_settings.cache_clear()
    return data


def _attempts(url: str, forwarded: list[str]) -> list[int]:
    codes = []
    for address in forwarded:
        with httpx.Client(base_url=url, timeout=30) as client:
            form = client.get("/signin").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            answer = client.post(
                "/signin",
                data={"username": "boss", "password": "not it", "csrf_token": token},
                headers={"X-Forwarded-For": address},
            )
            codes.append(answer.status_code)
    return codes


def test_forged_forwarded_for_does_not_escape_the_delays(store):
    for url in _serve(store):
        codes = _attempts(url, [f"10.0.{i}.1" for i in range(9)])
    assert codes[:5] == [401] * 5 and 429 in codes[5:], codes


def test_forwarded_for_counts_behind_a_trusted_proxy(store):
    for url in _serve(store, "--trusted-proxy", "127.0.0.1"):
        codes = _attempts(url, [f"10.0.{i}.1" for i in range(6)])
    assert codes == [401] * 6  # six clients behind the proxy, one failure each
