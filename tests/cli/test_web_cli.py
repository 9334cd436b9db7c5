"""``uncounted add-user`` creates a user who can sign in; ``serve`` is registered."""

from __future__ import annotations

import pytest

from uncounted.cli.main import main
from uncounted.settings import get_settings
from uncounted.store.db import engine_from_settings, session_scope
from uncounted.store.users import authenticate

pytestmark = pytest.mark.usefixtures("cli_env")


def test_add_user_then_sign_in(capsys):
    assert main(["init"]) == 0
    args = ["add-user", "boss", "--role", "admin", "--password", "a long passphrase"]
    assert main(args) == 0
    assert "Created boss (admin)" in capsys.readouterr().out
    engine = engine_from_settings(get_settings())
    with session_scope(engine) as s:
        assert authenticate(s, "boss", "a long passphrase") is not None
    engine.dispose()
    assert main(["add-user", "cw", "--role", "caseworker", "--agency", "NOPE",
                 "--password", "a long passphrase"]) == 4  # fmt: skip
    assert "no agency with code" in capsys.readouterr().err


def test_serve_is_a_command(capsys):
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--demo" in out and "--worker-timeout" in out


def test_worker_factory_serves_the_configured_database(monkeypatch):
    from fastapi.testclient import TestClient

    from uncounted.cli.web import DEMO_ENV as CLI_DEMO_ENV
    from uncounted.web.factory import DEMO_ENV, app_from_environment

    assert CLI_DEMO_ENV == DEMO_ENV  # the CLI repeats it so as not to import the web app
    assert main(["init"]) == 0
    monkeypatch.setenv(DEMO_ENV, "0")
    client = TestClient(app_from_environment())
    assert client.get("/signin").status_code == 200
    assert client.get("/api/cases").status_code == 401
