"""Holes found by an adversarial review of the web app and the CLI, reproduced: they must not
reproduce.

1. Three state-changing routes took no CSRF token: an administrator's ``POST
   /users/{id}/reset`` (a new reset link, replacing the user's earlier one), ``POST
   /deleted/{id}/restore`` (restore a deleted record or undo a merge) and a caseworker's
   ``POST /referrals/{id}/resend``. A page of any site that the browser counts as the same
   site (a sibling subdomain), posting to them, acted as the signed-in user.
2. A referral hidden by deleting its case kept working: the receiving agency still read the
   referred person (survivor page, search), still listed the referral in its inbox, and could
   still accept a requested one — opening the person after the sender had withdrawn it.
3. ``uncounted export`` without ``--user`` wrote every identity of the store to files and
   left no trace in the audit log.
4. A password reset link outlived what should end it: after the user changed their password
   themselves, or after their account was deactivated (and reactivated), a link made before
   still set a new password, so whoever had intercepted it could take the account over.
5. The person search shows a person's other names beside their name, but audited the read as
   one of the given and family names only.

Each test builds its own store.
"""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.security.conftest import PASSWORD, TARGET, signed_in
from tests.security.test_matrix import _declared
from uncounted.cli.main import main
from uncounted.settings import get_settings
from uncounted.store.db import session_scope
from uncounted.store.tables import (
    AuditEvent,
    PasswordReset,
    PersonIdentity,
    RecordRemoval,
    Referral,
)

OWN, REF = TARGET["own"], TARGET["ref"]
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
#: a value for each path parameter of the app's routes
PATH_VALUES = {"kind": "persons", "token": "a" * 24, "user_id": "2"}


def _filled(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)


def _unsafe_routes(app) -> list[tuple[str, str]]:
    return sorted({(m, p) for p, methods in _declared(app) for m in methods if m in UNSAFE})


def test_finding_1_every_write_needs_the_csrf_token(fresh_store, fresh_app):
    routes = _unsafe_routes(fresh_app)
    assert ("POST", "/users/{user_id}/reset") in routes
    removal = {
        "resource": "justice_events", "record_id": OWN.event, "kind": "deleted",
        "reason": "a test", "removed_by": "admin", "removed_at": dt.datetime(2025, 1, 1),
        "moved": {},
    }  # fmt: skip
    with fresh_store.engine.begin() as conn:  # a removal to restore, had the request got through
        conn.execute(RecordRemoval.__table__.insert().values(**removal))
    admin = signed_in(fresh_app, "admin")
    token = admin.headers.pop("X-CSRF-Token")
    passed = {}
    for method, path in routes:
        for body in ({"json": {}}, {"data": {"field": "x"}}):
            response = admin.request(method, _filled(path), **body)
            if response.status_code != 403 or "did not come from this site" not in response.text:
                passed[(method, path)] = response.status_code
    assert passed == {}, "unsafe requests answered without the session's CSRF token"
    with fresh_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PasswordReset)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(RecordRemoval)).scalar_one() == 1
    admin.headers["X-CSRF-Token"] = token  # with the token, the same request works
    assert admin.post("/api/users/2/reset").status_code == 201


def _refer_own_victim(client) -> int:
    values = {
        "person_id": OWN.victim, "to_agency_id": 2, "from_country": "PH", "to_country": "TH",
        "referred_on": "2025-02-06", "reason": "Other",
    }  # fmt: skip
    response = client.post(f"/api/cases/{OWN.case_id}/referrals/new", json=values)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _listed(client) -> set[int]:
    board = client.get("/api/referrals").json()["by_status"]
    return {item["id"] for items in board.values() for item in items}


def test_finding_2_a_deleted_cases_accepted_referral_opens_nothing(fresh_store, fresh_app):
    pnp, th = signed_in(fresh_app, "caseworker"), signed_in(fresh_app, "caseworker-th")
    admin = signed_in(fresh_app, "admin")
    assert pnp.get(f"/api/survivors/{REF.victim}").status_code == 200
    assert REF.referral in _listed(pnp)
    deleted = th.post(f"/api/cases/{REF.case_id}/delete", json={"reason": "recorded in error"})
    assert deleted.status_code == 200, deleted.text
    assert pnp.get(f"/api/survivors/{REF.victim}").status_code == 403
    found = pnp.get("/api/search", params={"q": REF.victim_name}).json()["hits"]
    assert REF.victim not in [hit["person_id"] for hit in found]
    assert REF.referral not in _listed(pnp)
    done = pnp.post(f"/api/referrals/{REF.referral}/complete", json={"confirm": "yes"})
    assert done.status_code == 404
    # restored by an administrator, the case's referral opens the person again
    removal = admin.get("/api/deleted").json()["removals"][0]["id"]
    assert admin.post(f"/api/deleted/{removal}/restore").status_code == 200
    assert pnp.get(f"/api/survivors/{REF.victim}").status_code == 200
    assert REF.referral in _listed(pnp)


def test_finding_2_a_withdrawn_referral_cannot_be_accepted(fresh_store, fresh_app):
    pnp, th = signed_in(fresh_app, "caseworker"), signed_in(fresh_app, "caseworker-th")
    referral = _refer_own_victim(pnp)
    assert referral in _listed(th)
    deleted = pnp.post(f"/api/cases/{OWN.case_id}/delete", json={"reason": "sent in error"})
    assert deleted.status_code == 200, deleted.text
    assert referral not in _listed(th)
    consent = {"consent": "yes", "consent_method": "Written", "consent_given_on": "2025-02-05"}
    assert th.post(f"/api/referrals/{referral}/accept", json=consent).status_code == 404
    assert th.post(f"/api/referrals/{referral}/decline", json={"reason": "no"}).status_code == 404
    assert th.get(f"/api/survivors/{OWN.victim}").status_code == 403
    with fresh_store.engine.connect() as conn:
        status = conn.execute(select(Referral.status).where(Referral.id == referral)).scalar()
    assert status == "Requested"


def test_finding_3_the_operators_export_is_audited(fresh_store, tmp_path, monkeypatch):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(fresh_store.settings.data_dir))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        out = tmp_path / "export"
        assert main(["export", "--out", str(out)]) == 0
        assert OWN.victim_name in (out / "persons.csv").read_text("utf-8")
    finally:
        get_settings.cache_clear()
    with fresh_store.engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.actor, AuditEvent.resource, AuditEvent.detail).where(
                AuditEvent.action == "export"
            )
        ).all()
    assert [(actor, resource) for actor, resource, _ in events] == [("cli:export", "exports")]
    assert "export to export" in events[0][2]


def _reset_token(admin, user_id: int) -> str:
    made = admin.post(f"/api/users/{user_id}/reset", json={})
    assert made.status_code == 201, made.text
    return made.json()["link"].split("/reset/", 1)[1]


def _usable(app, token: str) -> bool:
    return TestClient(app).get(f"/api/reset/{token}").status_code == 200


def test_finding_4_a_reset_link_ends_with_a_password_change_or_deactivation(fresh_store, fresh_app):
    admin, viewer = signed_in(fresh_app, "admin"), signed_in(fresh_app, "viewer")
    user_id = fresh_store.user_ids["viewer"]
    token = _reset_token(admin, user_id)
    assert _usable(fresh_app, token)
    changed = viewer.post(
        "/api/account/password",
        json={"current_password": PASSWORD, "new_password": "another long passphrase",
              "repeat_password": "another long passphrase"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert not _usable(fresh_app, token)
    token = _reset_token(admin, user_id)
    assert admin.post(f"/api/users/{user_id}", json={"active": "no"}).status_code == 200
    assert admin.post(f"/api/users/{user_id}", json={"active": "yes"}).status_code == 200
    assert not _usable(fresh_app, token)
    hijack = TestClient(fresh_app)
    form = hijack.get(f"/api/reset/{token}").json()
    taken = hijack.post(
        f"/api/reset/{token}",
        json={"new_password": "the intruder's passphrase",
              "repeat_password": "the intruder's passphrase"},
        headers={"X-CSRF-Token": form["csrf_token"]},
    )  # fmt: skip
    assert taken.status_code == 422
    token = _reset_token(admin, user_id)  # a link made afterwards works, once
    assert _usable(fresh_app, token)


def test_finding_5_the_search_audits_every_name_it_shows(fresh_store, fresh_app):
    with session_scope(fresh_store.engine) as session:  # other names come from imports and merges
        session.get(PersonIdentity, OWN.victim).other_names = "Alias Name"
    cw = signed_in(fresh_app, "caseworker")
    hits = cw.get("/api/search", params={"q": OWN.victim_name}).json()["hits"]
    shown = next(hit for hit in hits if hit["person_id"] == OWN.victim)
    assert "Alias Name" in shown["name"]
    with fresh_store.engine.connect() as conn:
        fields = conn.execute(
            select(AuditEvent.fields)
            .where(
                AuditEvent.action == "read",
                AuditEvent.resource == "person_identities",
                AuditEvent.record_id == str(OWN.victim),
            )
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).scalar_one()
    assert fields == ["family_name", "other_names"]  # the names shown, no more, no less
