"""The referral inbox, the sent referrals page and case notes, through the web app (pages and
their JSON twins), on the security store: PNP receives "ref" (accepted) and "declined"."""

from __future__ import annotations

import pytest

from tests.security.conftest import TARGET, csrf_of, make_store, signed_in
from uncounted.web import create_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    store = make_store(tmp_path_factory.mktemp("referral-pages"))
    yield create_app(store.settings)
    store.engine.dispose()


def test_inbox_page_and_twin_show_referrals_by_status(app):
    th, pnp = signed_in(app, "caseworker-th"), signed_in(app, "caseworker")
    declined = TARGET["declined"].referral
    assert th.post(f"/api/referrals/{declined}/resend").status_code == 200
    board = pnp.get("/api/referrals").json()
    assert [r["id"] for r in board["by_status"]["Requested"]] == [declined]
    assert board["by_status"]["Requested"][0]["from_agency"] == "TH-DSI"
    html = pnp.get("/referrals").text
    assert f'action="/referrals/{declined}/accept"' in html
    assert f'action="/referrals/{declined}/decline"' in html
    assert "The person consented to this referral" in html
    assert TARGET["declined"].victim_name not in html  # no identity before acceptance
    # a refused form comes back as the page, with what to fix
    refused = pnp.post(
        f"/referrals/{declined}/accept",
        data={"csrf_token": csrf_of(html), "consent_method": "Written"},
    )
    assert refused.status_code == 422 and "give the day consent was given" in refused.text
    accepted = pnp.post(
        f"/referrals/{declined}/accept",
        data={"csrf_token": csrf_of(html), "consent": "yes", "consent_method": "Verbal",
              "consent_given_on": "2025-01-02"},
        follow_redirects=False,
    )  # fmt: skip
    assert accepted.status_code == 303 and accepted.headers["location"] == "/referrals"
    sent = th.get("/referrals/sent").text
    assert f'id="referral-{declined}" data-status="Accepted"' in sent
    assert "recorded by caseworker" in sent
    assert pnp.get(f"/api/survivors/{TARGET['declined'].victim}").status_code == 200


def test_the_navigation_shows_the_inbox_to_those_who_decide(app):
    assert 'href="/referrals"' in signed_in(app, "caseworker").get("/cases").text
    assert 'href="/referrals"' not in signed_in(app, "analyst").get("/cases").text


def test_a_note_is_added_and_shown_to_case_readers_only(app):
    pnp, analyst = signed_in(app, "caseworker"), signed_in(app, "analyst")
    case = TARGET["own"].case_id
    page = pnp.get(f"/cases/{case}").text
    assert "No note yet." in page and f'action="/cases/{case}/notes"' in page
    added = pnp.post(
        f"/cases/{case}/notes",
        data={"csrf_token": csrf_of(page), "text": "Family traced in Leyte."},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert "Family traced in Leyte." in pnp.get(f"/cases/{case}").text
    (note,) = pnp.get(f"/api/cases/{case}").json()["notes"]
    assert (note["author"], note["agency"], note["text"]) == (
        "caseworker", "PNP", "Family traced in Leyte."
    )  # fmt: skip
    assert analyst.get(f"/api/cases/{case}").json()["notes"] == []
    assert "Family traced" not in analyst.get(f"/cases/{case}").text
    empty = pnp.post(f"/api/cases/{case}/notes", json={"text": " "})
    assert empty.status_code == 422 and "text" in empty.json()["problems"]
