"""A user changes their own password: given the current one, audited, every other session
ended, this browser still signed in; wrong current passwords are counted like failed
sign-ins and, five in a row, end every session of the account."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import csrf_of, sign_in

OLD = "an old long passphrase"
NEW = "a new long passphrase"


def _new_user(clients, name: str) -> None:
    made = clients["admin"].post(
        "/api/users", json={"username": name, "password": OLD, "role": "viewer"}
    )
    assert made.status_code == 201, made.text


def _signed_in(app, name: str, password: str = OLD) -> TestClient:
    client = TestClient(app)
    assert sign_in(client, name, password).status_code == 303
    return client


def _change(client: TestClient, current: str, new: str, repeat: str | None = None):
    token = csrf_of(client.get("/account").text)
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": new,
              "repeat_password": new if repeat is None else repeat, "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip


def test_change_own_password(app, clients):
    _new_user(clients, "changer")
    here, elsewhere = _signed_in(app, "changer"), _signed_in(app, "changer")
    assert 'href="/account"' in here.get("/").text
    refused = _change(here, OLD, NEW, repeat="something else entirely")
    assert refused.status_code == 422 and "differ" in refused.text
    assert _change(here, OLD, "short").status_code == 422
    done = _change(here, OLD, NEW)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert "Your password is changed" in here.get("/account").text
    assert "Your password is changed" not in here.get("/account").text  # shown once
    assert "Your password is changed" not in here.get("/account?changed=true").text
    assert here.get("/cases", follow_redirects=False).status_code != 303  # still signed in
    assert elsewhere.get("/", follow_redirects=False).status_code == 303  # signed out
    assert sign_in(TestClient(app), "changer", OLD).status_code == 401
    assert sign_in(TestClient(app), "changer", NEW).status_code == 303
    log = clients["admin"].get("/api/audit?resource=users")
    assert log.status_code == 200
    text = log.text
    assert "password_hash" in text and "$argon2" not in text  # audited, never the hash


def test_wrong_current_passwords_end_every_session(app, clients):
    _new_user(clients, "guessed")
    thief, owner = _signed_in(app, "guessed"), _signed_in(app, "guessed")
    for attempt in range(5):
        answer = _change(thief, f"guess number {attempt}", NEW)
        assert answer.status_code in (422, 303)
        if attempt < 4:
            assert answer.status_code == 422 and "not right" in answer.text
    for client in (thief, owner):  # both must sign in again, through the sign-in throttle
        assert client.get("/", follow_redirects=False).status_code == 303
    assert sign_in(TestClient(app), "guessed", OLD).status_code == 303  # the password held


def test_json_clients(clients):
    response = clients["viewer"].post("/api/account/password", json={})
    assert response.status_code == 422 and "current password" in response.json()["error"]
    me = clients["viewer"].get("/api/account").json()
    assert me["username"] == "viewer" and me["min_password_length"] == 12


def _reset_link(clients, name: str) -> str:
    users = clients["admin"].get("/api/users").json()["users"]
    user_id = next(u["id"] for u in users if u["username"] == name)
    made = clients["admin"].post(f"/api/users/{user_id}/reset", json={})
    assert made.status_code == 201, made.text
    return made.json()["link"].split("/reset/", 1)[1]


def _set(app, token: str, new: str, repeat: str | None = None):
    client = TestClient(app)
    form = client.get(f"/reset/{token}")
    return client, form, client.post(
        f"/reset/{token}",
        data={"new_password": new, "repeat_password": new if repeat is None else repeat,
              "csrf_token": csrf_of(form.text if 'name="csrf_token"' in form.text
                                    else client.get("/signin").text)},
        follow_redirects=False,
    )  # fmt: skip


def test_an_administrator_makes_a_one_time_reset_link(app, clients):
    _new_user(clients, "forgetful")
    still_open = _signed_in(app, "forgetful")
    first = _reset_link(clients, "forgetful")
    token = _reset_link(clients, "forgetful")  # a newer link replaces the first
    assert TestClient(app).get(f"/reset/{first}").status_code == 404
    _, form, refused = _set(app, token, NEW, repeat="not the same passphrase")
    assert form.status_code == 200 and "forgetful" in form.text
    assert refused.status_code == 422 and "differ" in refused.text
    browser, _, done = _set(app, token, NEW)
    assert done.status_code == 303 and done.headers["location"] == "/signin"
    assert "Your new password is set; sign in with it." in browser.get("/signin").text
    assert "Your new password is set" not in browser.get("/signin").text  # shown once
    assert "Your new password is set" not in TestClient(app).get("/signin?reset=true").text
    assert still_open.get("/", follow_redirects=False).status_code == 303  # sessions ended
    assert sign_in(TestClient(app), "forgetful", OLD).status_code == 401
    assert sign_in(TestClient(app), "forgetful", NEW).status_code == 303
    _, again, used = _set(app, token, "yet another long passphrase")
    assert again.status_code == 404 and used.status_code == 422  # once only
    assert "expired or has been used" in used.text
    log = clients["admin"].get("/api/audit?resource=users").text
    assert "password reset link made" in log and token not in log


def test_only_administrators_make_reset_links(app, clients):
    _new_user(clients, "target")
    users = clients["admin"].get("/api/users").json()["users"]
    user_id = next(u["id"] for u in users if u["username"] == "target")
    for role in ("caseworker", "analyst", "viewer"):
        assert clients[role].post(f"/api/users/{user_id}/reset", json={}).status_code == 403
    assert TestClient(app).get("/reset/not-a-token").status_code == 404


def test_the_password_message_is_in_the_readers_language(app, clients):
    _new_user(clients, "thai reader")
    client = TestClient(app, headers={"Accept-Language": "th-TH,th;q=0.9"})
    assert sign_in(client, "thai reader", OLD).status_code == 303
    assert _change(client, OLD, NEW).status_code == 303
    assert "เปลี่ยนรหัสผ่านแล้ว" in client.get("/account").text
