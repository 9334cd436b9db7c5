"""Issue #15, items 3-6, through the real web app: no secret in the audit pages, sessions that
end, Secure cookies and HSTS behind TLS, X-Forwarded-For only from trusted proxies, growing
sign-in delays, and uploads held encrypted until they are loaded or dropped.

Every test that signs in wrongly uses a client address of its own (delays are kept in the
demo database, which the package's tests share).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of, sign_in
from uncounted.demo import demo_keyring, demo_url
from uncounted.store.db import session_scope
from uncounted.store.tables import User, WebSession
from uncounted.store.users import set_password
from uncounted.store.web_sessions import token_hash
from uncounted.web import create_app
from uncounted.web.security import COOKIE
from uncounted.web.uploads import PENDING_SECONDS

PASSWORD = "a long passphrase"


def _client(app, address: str, **kwargs) -> TestClient:
    return TestClient(app, client=(address, 50000), **kwargs)


def _row_id(app, client: TestClient) -> str:
    data = app.state.ctx.signer.load(client.cookies.get(COOKIE))
    return token_hash(data.token)


def test_audit_pages_show_no_password_hash(clients):
    """Item 3: ``/audit?resource=users`` and ``/api/audit`` showed ``$argon2id$...``."""
    admin = clients["admin"]
    made = admin.post(
        "/api/users", json={"username": "audit-probe", "password": PASSWORD, "role": "viewer"}
    )
    assert made.status_code == 201
    events = admin.get("/api/audit?resource=users").json()["events"]
    created = next(
        e for e in events if e["action"] == "create" and e["record_id"] == str(made.json()["id"])
    )
    assert created["after"]["password_hash"] == "[redacted]"
    assert created["after"]["username"] == "audit-probe"  # the rest is audited as before
    assert "$argon2" not in json.dumps(events)
    assert "$argon2" not in admin.get("/audit?resource=users").text


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(app):
    """Item 4: the cookie kept working for hours after sign-out."""
    client = _client(app, "198.51.100.10")
    assert sign_in(client, "analyst").status_code == 303
    cookie = client.cookies.get(COOKIE)
    copy = TestClient(app)
    copy.cookies.set(COOKIE, cookie)
    assert copy.get("/api/me").json()["username"] == "analyst"
    csrf = client.get("/api/me").json()["csrf_token"]
    assert client.post("/api/signout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert copy.get("/api/me").status_code == 401
    assert copy.get("/cases", follow_redirects=False).headers["location"].startswith("/signin")


def test_signing_in_again_replaces_the_session(app):
    client = _client(app, "198.51.100.18")
    assert sign_in(client, "viewer").status_code == 303
    copy = TestClient(app)
    copy.cookies.set(COOKIE, client.cookies.get(COOKIE))
    assert sign_in(client, "viewer").status_code == 303
    assert copy.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 200


def test_password_and_role_changes_end_sessions(app, clients):
    admin = clients["admin"]
    made = admin.post(
        "/api/users", json={"username": "revoked", "password": PASSWORD, "role": "viewer"}
    ).json()
    user = _client(app, "198.51.100.11")
    assert sign_in(user, "revoked", PASSWORD).status_code == 303
    assert user.get("/api/me").json()["role"] == "viewer"
    assert admin.post(f"/api/users/{made['id']}", json={"role": "analyst"}).status_code == 200
    assert user.get("/api/me").status_code == 401  # the viewer's session is over
    assert sign_in(user, "revoked", PASSWORD).status_code == 303
    assert user.get("/api/me").json()["role"] == "analyst"
    with session_scope(app.state.ctx.engine) as s:
        set_password(s, s.get(User, made["id"]), "another long passphrase", by="test")
    assert user.get("/api/me").status_code == 401
    assert sign_in(user, "revoked", PASSWORD).status_code == 401
    assert sign_in(user, "revoked", "another long passphrase").status_code == 303


def test_sessions_end_when_idle_and_when_too_old(app):
    client = _client(app, "198.51.100.12")
    engine = app.state.ctx.engine
    for column, age in (
        ("seen_at", dt.timedelta(minutes=31)),
        ("created_at", dt.timedelta(hours=9)),
    ):
        assert sign_in(client, "viewer").status_code == 303
        assert client.get("/api/me").status_code == 200
        row = _row_id(app, client)
        with session_scope(engine) as s:
            session = s.get(WebSession, row)
            setattr(session, column, getattr(session, column) - age)
        assert client.get("/api/me").status_code == 401, column


def test_cookies_are_secure_and_hsts_is_sent_behind_tls(app, demo):
    """Item 4: the cookie was never ``Secure``, and there was no HSTS."""
    plain = TestClient(app).get("/signin")
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers
    settings = demo.settings.model_copy(update={"behind_tls": True})
    tls = create_app(settings, database_url=demo_url(settings), keyring=demo_keyring(settings))
    client = _client(tls, "198.51.100.15", base_url="https://testserver")
    page = client.get("/signin")
    assert "; secure" in page.headers["set-cookie"].lower()
    assert page.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert sign_in(client, "viewer").status_code == 303
    assert client.get("/api/me").json()["username"] == "viewer"


def test_forwarded_for_is_ignored_unless_from_a_trusted_proxy(app, demo):
    """Item 5: a different ``X-Forwarded-For`` on each try escaped the limit."""
    client = _client(app, "198.51.100.13")
    codes = []
    for i in range(9):  # fewer than the account's 10 free failures: only the address counts
        client.headers["X-Forwarded-For"] = f"10.0.{i}.1"
        codes.append(sign_in(client, "caseworker", "not the password").status_code)
    assert codes[:5] == [401] * 5  # five free failures of this account from this address
    assert 429 in codes[5:]  # the header changed nothing: same address, growing delays
    settings = demo.settings.model_copy(update={"trusted_proxies": "198.51.100.14"})
    proxied = create_app(settings, database_url=demo_url(settings), keyring=demo_keyring(settings))
    proxy = _client(proxied, "198.51.100.14")
    proxy.headers["X-Forwarded-For"] = "6.6.6.6, 203.0.113.60"  # the client forged the first
    codes = [sign_in(proxy, "analyst", "not the password").status_code for _ in range(9)]
    assert codes[:5] == [401] * 5 and 429 in codes[5:]  # counted for 203.0.113.60
    proxy.headers["X-Forwarded-For"] = "203.0.113.61"  # another user behind the same proxy
    assert sign_in(proxy, "analyst").status_code == 303


def test_successful_sign_ins_are_not_counted(app):
    """Item 5: the limiter counted successful sign-ins too."""
    client = _client(app, "198.51.100.16")
    assert [sign_in(client, "viewer").status_code for _ in range(12)] == [303] * 12


def test_the_admin_cannot_be_locked_out(app):
    """Item 5: five wrong passwords locked any account, the only admin included, for 15 min."""
    admin_desk = _client(app, "198.51.100.17")
    assert sign_in(admin_desk, "admin").status_code == 303  # the admin's usual address
    codes = [  # an attacker spread over many addresses
        sign_in(_client(app, f"192.0.2.{i + 1}"), "admin", "a guess").status_code for i in range(16)
    ]
    assert codes[:10] == [401] * 10  # ten free failures, then delays doubling from 1 s
    assert 429 in codes[10:]  # the attacker is slowed down (the delays outgrow the requests)
    assert sign_in(admin_desk, "admin").status_code == 303  # the admin is not


CSV = (
    "external_id,status,exploitation_type,jurisdiction,opened_on\n"
    "ENC-1,Active,ForcedLabour,PH,2024-05-01\n"
    "ENC-2,Closed,SexualExploitation,PH-CEB,2024-05-03\n"
)


def _upload(client: TestClient, content: bytes, name: str = "cases.csv"):
    token = csrf_of(client.get("/imports").text)
    return client.post(
        "/imports",
        data={"csrf_token": token, "record_type": "cases"},
        files={"file": (name, content, "text/csv")},
    )


def _clear_copies(folder, marker: bytes) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and marker in p.read_bytes()]


def test_uploads_are_held_encrypted_and_removed(app, clients, demo):
    """Item 6: uploads stayed on disk in clear text when rejected or never confirmed."""
    cw = clients["caseworker"]
    uploads = app.state.ctx.uploads
    held = set(uploads.folder.glob("*")) if uploads.folder.exists() else set()
    report = _upload(cw, CSV.encode())
    assert report.status_code == 200
    (kept,) = set(uploads.folder.glob("*")) - held
    assert kept.suffix == ".enc" and kept.stat().st_mode & 0o077 == 0
    assert _clear_copies(demo.settings.data_dir, b"ENC-1") == []  # nowhere in clear
    confirm_url = re.search(r'action="(/imports/[^"]+/confirm)"', report.text).group(1)
    token = csrf_of(report.text)
    assert cw.post(confirm_url, data={"csrf_token": token}).status_code == 200
    assert not kept.exists()  # loaded: gone
    assert {r["reference"] for r in cw.get("/api/cases?q=ENC-").json()["rows"]} == {
        "ENC-1",
        "ENC-2",
    }

    bad = _upload(cw, b"external_id,status\nBAD-1,Nonsense\n")  # nothing loadable
    assert bad.status_code == 422 and "/confirm" not in bad.text
    assert set(uploads.folder.glob("*")) == held  # not kept

    abandoned = _upload(cw, CSV.replace("ENC-", "ABANDON-").encode())
    (waiting,) = set(uploads.folder.glob("*")) - held
    url = re.search(r'action="(/imports/[^"]+/confirm)"', abandoned.text).group(1)
    # (other tests' uploads may be older than a minute on a busy machine: watch this one)
    uploads.sweep(now=time.time() + PENDING_SECONDS - 60)
    assert waiting.exists()  # not yet
    assert uploads.sweep(now=time.time() + PENDING_SECONDS + 1) >= 1
    assert not waiting.exists()
    assert cw.post(url, data={"csrf_token": token}).status_code == 404

    legacy = uploads.folder / "old-clear-upload"  # what earlier versions left behind
    legacy.mkdir()
    (legacy / "cases.csv").write_text(CSV)
    uploads.sweep()
    assert not legacy.exists()


def _open_uploads() -> list[str]:
    import os

    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "uncounted-upload-" in target:
            found.append(target)
    return found


def test_a_workbook_upload_leaves_no_clear_file_open(clients, tmp_path):
    """The importer keeps workbooks open between passes; a decrypted upload must not stay open
    (its clear text would outlive its deletion)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "cases"
    for line in CSV.replace("ENC-", "XLSX-").splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "cases.xlsx"
    book.save(path)
    cw = clients["caseworker"]
    token = csrf_of(cw.get("/imports").text)
    report = cw.post(
        "/imports",
        data={"csrf_token": token, "record_type": "cases"},
        files={"file": ("cases.xlsx", path.read_bytes(), "application/octet-stream")},
    )
    assert report.status_code == 200 and "/confirm" in report.text
    assert _open_uploads() == []


def test_client_address_reads_forwarded_for_from_the_right_and_only_from_trusted_proxies():
    import ipaddress

    from uncounted.web.security import client_address

    trusted = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("::1/128")]
    assert client_address("203.0.113.9", "1.2.3.4", []) == "203.0.113.9"
    assert client_address("203.0.113.9", "1.2.3.4", trusted) == "203.0.113.9"  # not a proxy
    assert client_address("10.0.0.2", None, trusted) == "10.0.0.2"
    assert client_address("10.0.0.2", "6.6.6.6, 198.51.100.7", trusted) == "198.51.100.7"
    assert client_address("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3", trusted) == (
        "198.51.100.7"
    )
    assert client_address("::1", "2001:db8::5", trusted) == "2001:db8::5"
    assert client_address("10.0.0.2", "garbage, 10.0.0.3", trusted) == "10.0.0.3"
    assert client_address("10.0.0.2", "not-an-ip", trusted) == "10.0.0.2"
