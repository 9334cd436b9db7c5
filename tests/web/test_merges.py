"""Merging two records of one person from the web: compare, choose per field, merge, undo.

Store: the security matrix's (``tests/security/conftest.py``). Persons 1 (victim) and 2
(suspect) of case 1 are both PNP's, the caseworker's agency; 3 and 4 are TH-DSI's. The own
case's referral to IACAT is completed, so persons 1 and 2 are open to PNP only.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.security.conftest import (
    DAY,
    TARGET,
    csrf_of,
    end_own_referral,
    make_store,
    signed_in,
)
from uncounted.store.db import session_scope
from uncounted.store.linkage_records import record_decision
from uncounted.store.tables import AuditEvent, PersonIdentity
from uncounted.web import create_app

OWN, OTHER = TARGET["own"], TARGET["other"]
COMPARE = f"/persons/{OWN.victim}/merge/{OWN.suspect}"
REASON = "same passport number on both"


@pytest.fixture
def web(tmp_path):
    store = make_store(tmp_path)
    end_own_referral(store.engine)
    with session_scope(store.engine) as s:  # the second record holds a phone the first lacks
        s.get(PersonIdentity, OWN.suspect).phone = "+63 900 000 0002"
        s.get(PersonIdentity, OWN.suspect).given_name = "Maria"
    app = create_app(store.settings)
    clients = {name: signed_in(app, name) for name in ("admin", "caseworker", "analyst", "viewer")}
    yield store, clients
    store.engine.dispose()


def _audit(store, action: str) -> list[AuditEvent]:
    with session_scope(store.engine) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        s.expunge_all()
        return list(rows)


def test_compare_page_shows_both_records_with_a_choice_per_differing_field(web):
    _, clients = web
    page = clients["caseworker"].get(f"{COMPARE}?case={OWN.case_id}")
    assert page.status_code == 200
    text = page.text
    assert OWN.victim_name in text and OWN.suspect_name in text
    assert "+63 900 000 0002" in text
    # differing fields get a choice; the phone the kept record lacks is taken by default
    assert 'name="take_phone" value="other" aria-describedby="field-phone" checked' in text
    kept_name = 'name="take_family_name" value="keep" aria-describedby="field-family_name" checked'
    assert kept_name in text
    assert 'name="take_sex"' not in text  # the same on both: nothing to choose
    assert 'title="code: Female"' in text  # a code shown by its label
    assert 'name="reason"' in text and 'name="case" value="1"' in text
    data = clients["caseworker"].get(f"/api{COMPARE}").json()
    assert data["moving"] == {"case_persons": 1, "justice_events": 1}
    assert {f["name"] for f in data["fields"] if f["differs"]} == {
        "family_name", "given_name", "phone"
    }  # fmt: skip


def test_caseworker_merges_choosing_fields_and_returns_to_the_case_with_a_message(web):
    store, clients = web
    cw = clients["caseworker"]
    page = cw.get(f"{COMPARE}?case={OWN.case_id}")
    done = cw.post(
        COMPARE,
        data={
            "csrf_token": csrf_of(page.text), "reason": REASON, "case": str(OWN.case_id),
            "take_family_name": "other", "take_given_name": "other", "take_phone": "keep",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert (done.status_code, done.headers["location"]) == (303, f"/cases/{OWN.case_id}")
    case = cw.get(f"/cases/{OWN.case_id}")
    assert f"Person {OWN.suspect} was merged into person {OWN.victim}" in case.text
    assert 'class="flash"' not in cw.get(f"/cases/{OWN.case_id}").text  # shown once
    detail = cw.get(f"/api/cases/{OWN.case_id}").json()
    assert {(p["person_id"], p["role"]) for p in detail["persons"]} == {
        (OWN.victim, "victim"), (OWN.victim, "suspect")
    }  # fmt: skip
    kept = next(p for p in detail["persons"] if p["role"] == "victim")
    assert kept["identity"] == {"given_name": "Maria", "family_name": OWN.suspect_name}
    (event,) = _audit(store, "merge")
    assert (event.actor, event.record_id) == ("caseworker", str(OWN.victim))
    assert event.fields == ["family_name", "given_name"]
    assert REASON in event.detail
    # the merged record is gone from every page; the person search finds the kept one by the
    # name it took
    assert cw.get(f"/persons/{OWN.suspect}/merge").status_code == 404
    hits = cw.get("/api/search", params={"q": "Maria"}).json()["hits"]
    assert [h["person_id"] for h in hits] == [OWN.victim]


def test_a_json_client_names_the_fields_to_take(web):
    store, clients = web
    cw = clients["caseworker"]
    bad = cw.post(f"/api{COMPARE}", json={"reason": REASON, "take": "phone, shoe_size"})
    assert bad.status_code == 422 and "shoe_size" in bad.json()["error"]
    done = cw.post(f"/api{COMPARE}", json={"reason": REASON, "take": "phone"})
    assert done.status_code == 200
    body = done.json()
    assert (body["merged"], body["into"], body["url"]) == (OWN.suspect, OWN.victim, "/cases/1")
    (event,) = _audit(store, "merge")
    assert event.fields == ["phone"]


def test_a_missing_reason_or_a_bad_choice_shows_the_form_again(web):
    _, clients = web
    cw = clients["caseworker"]
    page = cw.get(COMPARE)
    sent = {"csrf_token": csrf_of(page.text), "reason": "", "take_phone": "keep"}
    again = cw.post(COMPARE, data=sent, follow_redirects=False)
    assert again.status_code == 422
    assert "Say why" in again.text and 'role="alert"' in again.text
    assert 'name="take_phone" value="keep" aria-describedby="field-phone" checked' in again.text
    odd = cw.post(COMPARE, data={**sent, "reason": REASON, "take_phone": "both", "case": "²"})
    assert odd.status_code == 422 and "Choose which record" in odd.text
    assert cw.get(f"/api/cases/{OWN.case_id}").json()["persons"][1]["person_id"] == OWN.suspect


def test_two_agencies_records_are_not_merged(web):
    _, clients = web
    admin = clients["admin"]
    url = f"/persons/{OWN.victim}/merge/{OTHER.victim}"
    page = admin.get(url)
    assert page.status_code == 422 and "two agencies" in page.text and "<nav>" in page.text
    refused = admin.post(f"/api{url}", json={"reason": REASON})
    assert refused.status_code == 422 and "linkage review" in refused.json()["error"]
    assert admin.get(f"/persons/{OWN.victim}/merge/{OWN.victim}").status_code == 422


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("caseworker", f"/persons/{OTHER.victim}/merge/{OTHER.suspect}"),  # another agency's
        ("caseworker", f"/persons/{OWN.victim}/merge/{OTHER.victim}"),  # one of them
        ("caseworker", f"/persons/{OTHER.victim}/merge"),
        ("analyst", COMPARE),
        ("viewer", COMPARE),
        ("viewer", "/merges"),
    ],
)
def test_records_out_of_reach_are_refused(web, role, url):
    _, clients = web
    client = clients[role]
    assert client.get(url).status_code == 403
    if "/merge/" in url:
        response = client.post(f"/api{url}", json={"reason": REASON})
        assert response.status_code == 403
        assert OTHER.victim_name not in response.text


def test_unknown_records_get_a_page(web):
    _, clients = web
    for url in (f"/persons/999/merge/{OWN.victim}", "/persons/999/merge", f"{COMPARE}0"):
        page = clients["admin"].get(url)
        assert page.status_code == 404 and "There is no person" in page.text, url
    assert clients["admin"].get("/persons/abc/merge").status_code == 422
    assert clients["admin"].get("/merges?page=0").status_code == 422


def test_candidates_come_from_linkage_decisions_and_link_to_the_comparison(web):
    store, clients = web
    with session_scope(store.engine) as s:
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "match")
        record_decision(s, "reviewer", OWN.victim, OTHER.victim, "match")  # two agencies
    cw = clients["caseworker"]
    rows = cw.get("/api/merges").json()["rows"]
    assert [(r["keep"]["id"], r["other"]["id"]) for r in rows] == [(OWN.victim, OWN.suspect)]
    assert rows[0]["keep"]["label"] == OWN.victim_name
    assert rows[0]["keep"]["cases"] == [{"id": 1, "reference": "REF-own", "role": "victim"}]
    assert f'href="{COMPARE}"' in cw.get("/merges").text
    start = cw.get(f"/persons/{OWN.suspect}/merge?case={OWN.case_id}")  # from the other side
    assert f'href="/persons/{OWN.suspect}/merge/{OWN.victim}?case=1"' in start.text
    jump = cw.get("/merges", params={"keep": 2, "other": 1, "case": 1}, follow_redirects=False)
    assert jump.headers["location"] == "/persons/2/merge/1?case=1"


def test_the_case_page_and_the_search_lead_to_a_merge(web):
    _, clients = web
    cw = clients["caseworker"]
    case = cw.get(f"/cases/{OWN.case_id}").text
    assert f'href="/persons/{OWN.suspect}/merge?case={OWN.case_id}"' in case
    found = cw.get("/search", params={"q": "Own"}).text
    assert 'action="/merges"' in found and 'name="other"' in found
    assert 'action="/merges"' not in clients["admin"].get("/search", params={"q": "Nobody"}).text


def test_an_administrator_undoes_a_merge_from_the_deleted_records(web):
    store, clients = web
    cw, admin = clients["caseworker"], clients["admin"]
    assert cw.post(f"/api{COMPARE}", json={"reason": REASON, "take": ""}).status_code == 200
    listed = admin.get("/deleted")
    assert "Undo merge" in listed.text and REASON in listed.text
    (row,) = admin.get("/api/deleted").json()["removals"]
    assert (row["kind"], row["record_id"], row["merged_into_id"]) == ("merged", 2, 1)
    assert cw.post(f"/api/deleted/{row['id']}/restore", json={}).status_code == 403
    back = admin.post(
        f"/deleted/{row['id']}/restore",
        data={"csrf_token": csrf_of(listed.text)},
        follow_redirects=False,
    )
    assert (back.status_code, back.headers["location"]) == (303, "/deleted")
    assert "The merge was undone" in admin.get("/deleted").text
    persons = cw.get(f"/api/cases/{OWN.case_id}").json()["persons"]
    assert sorted((p["person_id"], p["role"]) for p in persons) == [(1, "victim"), (2, "suspect")]
    (undo,) = _audit(store, "restore")
    assert (undo.actor, undo.record_id) == ("admin", str(OWN.suspect))


def test_a_merge_that_would_widen_readers_is_an_administrators_and_says_so(web):
    """Person 1 referred to IACAT again (accepted, with consent): IACAT would newly read
    person 2's data. The caseworker is refused with the reason; the administrator is warned."""
    from uncounted.store.tables import Referral

    store, clients = web
    with session_scope(store.engine) as s:
        s.get(Referral, OWN.referral).status = "Accepted"
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "match")
    cw = clients["caseworker"]
    for response in (cw.get(COMPARE), cw.post(COMPARE, data={"reason": REASON})):
        assert response.status_code == 403
        assert "An administrator must merge these records" in response.text
    assert cw.get("/api/merges").json()["rows"] == []
    admin = clients["admin"]
    assert admin.get("/api/merges").json()["rows"] != []
    page = admin.get(COMPARE).text
    assert "This merge widens who may read these records" in page
    assert "IACAT will newly see the data of record P-2." in page
    done = admin.post(f"/api{COMPARE}", data={"reason": REASON})
    assert done.status_code == 200
    (event,) = _audit(store, "merge")
    assert event.after["newly_read_by"] == {"2": ["IACAT"]}


def test_a_caseworker_may_not_merge_away_another_agencys_event_in_a_case_they_cannot_change(web):
    """The hole, end to end: PNP shares case 1 with TH-DSI; PNP's person 2 is also a suspect
    in TH-DSI's unshared case 2 (an administrator recorded the role), and TH-DSI's caseworker
    imports (web upload) a justice event of case 2 for person 2. A PNP caseworker's merge of
    person 2 into person 1 would move that event of a case PNP may neither read nor change.
    Refused, saying what is outside without its details; *Records to merge* does not offer the
    pair; an administrator still merges, audited."""
    from uncounted.store.tables import CasePerson, CaseShare, JusticeEvent

    store, clients = web
    with session_scope(store.engine) as s:
        s.add(CaseShare(case_id=OWN.case_id, agency_id=2, shared_on=DAY))
        s.add(CasePerson(case_id=OTHER.case_id, person_id=OWN.suspect, role="suspect"))
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "match")
    th = signed_in(create_app(store.settings), "caseworker-th")
    event = (
        "external_id,case,case_source,person,person_source,stage,occurred_on,jurisdiction\n"
        f"E-TH-1,{OTHER.case_ext},TH-DSI,S-own,PNP,arrest,2024-06-01,TH\n"
    )
    report = th.post(
        "/api/imports",
        data={"record_type": "justice_events"},
        files={"file": ("justice_events.csv", event.encode(), "text/csv")},
    ).json()
    assert report["result"]["rejected"] == []  # the case and the person are each TH-DSI's to use
    done = th.post(f"/api/imports/{report['token']}/confirm", json={}).json()
    assert done["status"] == "loaded"
    with session_scope(store.engine) as s:
        stored = s.scalar(select(JusticeEvent).where(JusticeEvent.external_id == "E-TH-1"))
        event_id = stored.id
        assert (stored.case_id, stored.person_id) == (OTHER.case_id, OWN.suspect)
    cw = clients["caseworker"]
    assert cw.get(f"/api/cases/{OTHER.case_id}").status_code == 403
    says = (
        "record 2 has a role in a case you may not change and a justice event in a case you "
        "may not change"
    )
    page = cw.get(COMPARE)
    assert page.status_code == 403 and says in page.text
    for response in (
        cw.post(COMPARE, data={"reason": REASON}),
        cw.post(f"/api{COMPARE}", json={"reason": REASON}),
    ):
        assert response.status_code == 403
        assert "An administrator must merge these records" in response.text
        assert says in response.text
        assert "E-TH-1" not in response.text and "REF-other" not in response.text
    assert cw.get("/api/merges").json()["rows"] == []
    assert cw.get(f"/api/persons/{OWN.victim}/merge").json()["rows"] == []
    with session_scope(store.engine) as s:
        assert s.get(JusticeEvent, event_id).person_id == OWN.suspect  # nothing moved
    assert _audit(store, "merge") == []
    admin = clients["admin"]
    assert admin.post(f"/api{COMPARE}", json={"reason": REASON}).status_code == 200
    with session_scope(store.engine) as s:
        assert s.get(JusticeEvent, event_id).person_id == OWN.victim
    (merge,) = _audit(store, "merge")
    assert merge.actor == "admin" and event_id in merge.after["moved"]["justice_events"]
