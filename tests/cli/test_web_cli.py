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
    # no --role: the least privilege, never an administrator by default
    assert main(["add-user", "reader", "--password", "a long passphrase"]) == 0
    assert "Created reader (viewer)" in capsys.readouterr().out


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


@pytest.fixture
def no_keys(monkeypatch):
    """No key in the environment: the keys are whatever the data directory holds."""
    monkeypatch.delenv("UNCOUNTED_DATA_KEY", raising=False)
    monkeypatch.delenv("UNCOUNTED_SECRET_KEY", raising=False)
    monkeypatch.delenv("UNCOUNTED_INDEX_KEY", raising=False)
    get_settings.cache_clear()


@pytest.fixture
def served(monkeypatch):
    """Calls of ``uvicorn.run`` (nothing is served), the environment restored afterwards."""
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    for name in ("UNCOUNTED_BEHIND_TLS", "UNCOUNTED_TRUSTED_PROXIES"):  # serve sets them
        monkeypatch.setenv(name, "")  # so that monkeypatch removes them afterwards
        monkeypatch.delenv(name)
    return calls


def test_serve_refuses_without_keys_unless_asked_to_create_them(no_keys, served, cli_env, capsys):
    """Issue #15, item 8: serve silently created secret.key and data.key beside the database."""
    assert main(["init"]) == 9
    assert "--create-keys" in capsys.readouterr().err
    assert not (cli_env / "data.key").exists()
    assert main(["init", "--create-keys"]) == 0
    out = capsys.readouterr().out
    assert f"{cli_env / 'data.key'}" in out.replace("\n", "") and "Back it up" in out
    (cli_env / "secret.key").unlink()
    assert main(["serve"]) == 9 and served == []
    assert "No secret key is configured" in capsys.readouterr().err
    assert main(["serve", "--create-keys"]) == 0
    assert "secret.key" in capsys.readouterr().out
    (call,) = served
    assert call["proxy_headers"] is False  # uvicorn never rewrites the client address


def test_serve_behind_tls_with_trusted_proxies(served, capsys):
    from fastapi.testclient import TestClient

    assert main(["init"]) == 0
    args = [
        "serve",
        "--behind-tls",
        "--trusted-proxy",
        "10.0.0.5",
        "--trusted-proxy",
        "10.1.0.0/16",
    ]
    assert main(args) == 0
    (call,) = served
    ctx = call["app"].state.ctx
    assert ctx.secure_cookies is True
    assert [str(n) for n in ctx.trusted_proxies] == ["10.0.0.5/32", "10.1.0.0/16"]
    page = TestClient(call["app"], base_url="https://testserver").get("/signin")
    assert (
        "strict-transport-security" in page.headers
        and "secure" in page.headers["set-cookie"].lower()
    )
    assert main(["serve", "--trusted-proxy", "not-an-address"]) == 9
    assert "not an IP address" in capsys.readouterr().err


def test_serve_warns_about_plain_http_beyond_this_machine(served, capsys):
    assert main(["init"]) == 0
    capsys.readouterr()
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    assert "Warning: serving plain HTTP" in capsys.readouterr().out
    assert main(["serve"]) == 0
    assert "Warning" not in capsys.readouterr().out


def test_demo_serves_with_its_own_keys_and_no_flag(no_keys, served, cli_env):
    assert main(["demo", "--victims", "300", "--seed", "3"]) == 0
    assert main(["serve", "--demo"]) == 0
    assert served and not (cli_env / "secret.key").exists() and not (cli_env / "data.key").exists()
