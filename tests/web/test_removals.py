"""Deleting with a reason from the case page, and restoring from the administrator's page."""

from __future__ import annotations

import pytest

from tests.security.conftest import TARGET, csrf_of, make_store, signed_in
from uncounted.web import create_app

OWN, OTHER = TARGET["own"], TARGET["other"]


@pytest.fixture
def web(tmp_path):
    store = make_store(tmp_path)
    app = create_app(store.settings)
    yield {name: signed_in(app, name) for name in ("admin", "caseworker", "viewer")}
    store.engine.dispose()


def test_caseworker_deletes_a_case_with_a_reason_and_admin_restores_it(web):
    cw, admin = web["caseworker"], web["admin"]
    page = cw.get(f"/cases/{OWN.case_id}/delete")
    assert page.status_code == 200 and 'name="reason"' in page.text
    refused = cw.post(
        f"/cases/{OWN.case_id}/delete",
        data={"reason": "", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and "Say why" in refused.text
    done = cw.post(
        f"/cases/{OWN.case_id}/delete",
        data={"reason": "opened twice by mistake", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/cases")
    assert cw.get("/api/cases").json()["rows"] == []
    assert cw.get(f"/api/cases/{OWN.case_id}").status_code == 404

    (row,) = admin.get("/api/deleted").json()["removals"]
    assert (row["resource"], row["record_id"], row["reason"], row["removed_by"]) == (
        "cases", OWN.case_id, "opened twice by mistake", "caseworker",
    )  # fmt: skip
    listed = admin.get("/deleted")
    assert "opened twice by mistake" in listed.text and "Restore" in listed.text
    back = admin.post(
        f"/deleted/{row['id']}/restore",
        data={"csrf_token": csrf_of(listed.text)},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert [r["reference"] for r in cw.get("/api/cases").json()["rows"]] == ["REF-own"]
    assert admin.get("/api/deleted").json()["removals"] == []


def test_person_and_event_deletes_return_to_the_case(web):
    cw = web["caseworker"]
    gone = cw.post(
        f"/api/cases/{OWN.case_id}/persons/{OWN.suspect}/delete",
        json={"reason": "not a suspect in this case"},
    )
    assert gone.json() == {"deleted": "persons", "id": OWN.suspect, "url": "/cases/1"}
    case = cw.get(f"/api/cases/{OWN.case_id}").json()
    assert [p["person_id"] for p in case["persons"]] == [OWN.victim]
    assert case["timeline"] == []  # the arrest was the suspect's
    page = cw.get(f"/cases/{OWN.case_id}")
    assert f"/cases/{OWN.case_id}/persons/{OWN.victim}/delete" in page.text


def test_another_agencys_case_and_the_viewer_are_refused(web):
    for role, case in (("caseworker", OTHER.case_id), ("viewer", OWN.case_id)):
        response = web[role].post(f"/api/cases/{case}/delete", json={"reason": "not mine at all"})
        assert response.status_code == 403
    assert web["viewer"].get("/deleted").status_code == 403
