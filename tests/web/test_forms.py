"""Writing through the web: forms validated with the importer's rules, CSRF, scope, audit,
sign-in delays."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of, sign_in

CASE = {
    "reference": "WEB-T-1",
    "status": "Active",
    "exploitation_type": "ForcedLabour",
    "jurisdiction": "PH",
    "opened_on": "2025-02-03",
}


def _problems(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-field="([^"]+)">([^<]+)<', html))


def test_caseworker_records_a_case_an_arrest_and_a_charge(clients):
    cw: TestClient = clients["caseworker"]
    before = cw.get("/api/").json()["totals"]
    made = cw.post("/api/cases/new", json=CASE)
    assert made.status_code == 201, made.text
    case_url = made.json()["url"]
    person = cw.post(
        f"/api{case_url}/persons/new",
        json={"role": "suspect", "sex": "Male", "family_name": "Quillfeather-Test"},
    )
    assert person.status_code == 201, person.text
    detail = cw.get(f"/api{case_url}").json()
    assert detail["case"]["agency"] == "PNP"  # owned by the caseworker's agency
    pid = detail["persons"][0]["person_id"]
    for stage, day in (("arrest", "2025-02-10"), ("charge", "2025-03-01")):
        event = {"person_id": pid, "stage": stage, "occurred_on": day}
        assert cw.post(f"/api{case_url}/events/new", json=event).status_code == 201
    after = cw.get("/api/").json()["totals"]
    assert after["arrests"] == before["arrests"] + 1
    assert after["charges"] == before["charges"] + 1
    stages = [e["stage"] for e in cw.get(f"/api{case_url}").json()["timeline"]]
    assert stages == ["arrest", "charge"]
    log = clients["admin"].get("/api/audit?actor=caseworker&action=create").json()["events"]
    created = {e["resource"] for e in log}
    assert {"cases", "persons", "person_identities", "case_persons", "justice_events"} <= created
    ident = next(e for e in log if e["resource"] == "person_identities")
    assert ident["after"]["family_name"] == "[redacted]"  # no clear text in the audit log


def test_form_errors_use_the_importer_rules_and_come_back_by_field(clients):
    cw = clients["caseworker"]
    bad = {
        **CASE,
        "status": "Actve",
        "jurisdiction": "XX",
        "opened_on": "2999-01-01",
        "csrf_token": csrf_of(cw.get("/cases/new").text),
    }
    page = cw.post("/cases/new", data=bad)
    assert page.status_code == 422
    problems = _problems(page.text)
    assert "Did you mean &#39;Active&#39;" in problems["status"]
    assert "ISO 3166-1" in problems["jurisdiction"]
    assert "in the future" in problems["opened_on"]
    assert cw.post("/api/cases/new", json={**CASE, "closed_on": "2025-01-01"}).json() == {
        "problems": {"closed_on": "is before the case opened (2025-02-03)"}
    }


def test_a_charge_before_the_arrest_is_refused(clients, demo):
    cw = clients["caseworker"]
    case_url = cw.post("/api/cases/new", json={**CASE, "reference": "WEB-T-2"}).json()["url"]
    cw.post(f"/api{case_url}/persons/new", json={"role": "suspect"})
    pid = cw.get(f"/api{case_url}").json()["persons"][0]["person_id"]
    arrest = {"person_id": pid, "stage": "arrest", "occurred_on": "2025-04-01"}
    assert cw.post(f"/api{case_url}/events/new", json=arrest).status_code == 201
    early = {"person_id": pid, "stage": "charge", "occurred_on": "2025-03-01"}
    refused = cw.post(f"/api{case_url}/events/new", json=early)
    assert refused.status_code == 422
    assert "before this person's arrest" in refused.json()["problems"]["occurred_on"]
    outcome = {
        "person_id": pid,
        "stage": "arrest",
        "occurred_on": "2025-04-02",
        "outcome": "convicted",
    }
    assert (
        "has no outcome"
        in cw.post(f"/api{case_url}/events/new", json=outcome).json()["problems"]["outcome"]
    )


def test_an_event_or_referral_names_a_person_of_the_case(clients):
    """The forms name only a person with a role in the case: one of another case the
    caseworker may change is refused, by field, and nothing is written."""
    cw = clients["caseworker"]
    first = cw.post("/api/cases/new", json={**CASE, "reference": "WEB-T-3"}).json()["url"]
    second = cw.post("/api/cases/new", json={**CASE, "reference": "WEB-T-4"}).json()["url"]
    cw.post(f"/api{first}/persons/new", json={"role": "victim"})
    pid = cw.get(f"/api{first}").json()["persons"][0]["person_id"]
    event = {"person_id": pid, "stage": "arrest", "occurred_on": "2025-04-01"}
    referral = {
        "person_id": pid, "to_agency_id": 2, "from_country": "PH", "to_country": "PH",
        "referred_on": "2025-04-02", "reason": "Other",
    }  # fmt: skip
    for kind, values in (("events", event), ("referrals", referral)):
        refused = cw.post(f"/api{second}/{kind}/new", json=values)
        assert refused.status_code == 422, kind
        assert refused.json()["problems"] == {
            "person_id": "this person has no role in the case; add their role in the case first"
        }
    detail = cw.get(f"/api{second}").json()
    assert detail["timeline"] == [] and detail["referrals"] == []
    for kind, values in (("events", event), ("referrals", referral)):  # in their own case
        assert cw.post(f"/api{first}/{kind}/new", json=values).status_code == 201, kind


def test_writes_outside_scope_or_role_are_refused(clients, demo):
    event = {"stage": "arrest", "occurred_on": "2025-01-01"}
    other = clients["caseworker"].post(f"/api/cases/{demo.other_case}/events/new", json=event)
    assert other.status_code == 403
    for role in ("analyst", "viewer"):
        assert clients[role].post("/api/cases/new", json=CASE).status_code == 403


def test_forms_need_the_csrf_token(app, clients):
    cw = clients["caseworker"]
    assert (
        cw.post("/api/cases/new", json=CASE, headers={"X-CSRF-Token": "forged"}).status_code == 403
    )
    fresh = TestClient(app)
    sign_in(fresh, "caseworker")
    refused = fresh.post("/cases/new", data=CASE)  # no token in the form
    assert refused.status_code == 403 and "form expired" in refused.text


def test_the_new_user_form_offers_the_least_privilege_first(clients):
    page = clients["admin"].get("/users").text
    assert "<option selected>viewer</option>" in page
    assert "<option selected>admin</option>" not in page


def test_admin_creates_users(clients):
    admin = clients["admin"]
    made = admin.post(
        "/api/users",
        json={"username": "new-analyst", "password": "a long passphrase", "role": "analyst"},
    )
    assert made.status_code == 201
    short = admin.post("/api/users", json={"username": "x", "password": "short", "role": "analyst"})
    assert short.status_code == 422 and "12 characters" in short.json()["error"]
    assert (
        clients["caseworker"]
        .post(
            "/api/users", json={"username": "y", "password": "a long passphrase", "role": "admin"}
        )
        .status_code
        == 403
    )


def test_wrong_password_then_growing_delay(app):
    # an address of its own: delays are kept in the (shared) demo database
    client = TestClient(app, client=("203.0.113.40", 50000))
    first = sign_in(client, "viewer", "not the password")
    assert first.status_code == 401 and "Wrong username or password" in first.text
    codes = [sign_in(client, "viewer", "wrong password").status_code for _ in range(4)]
    assert codes == [401] * 4  # the 5th failure starts the delays, doubling from 1 s
    for pause in (1, 2):
        time.sleep(pause + 0.1)
        assert sign_in(client, "viewer", "wrong password").status_code == 401
    refused = sign_in(client, "viewer")  # the right password waits too (4 s now)
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 4
    elsewhere = TestClient(app, client=("203.0.113.41", 50000))
    assert sign_in(elsewhere, "viewer").status_code == 303  # nobody locked the account


def test_survivor_assessment_updates_the_case_plan(clients, demo):
    from uncounted.survivors import default_instrument

    instrument = default_instrument()
    cw = clients["caseworker"]
    before = cw.get(f"/api/survivors/{demo.survivor}").json()
    low = {i.id: str(instrument.scale.min) for d in instrument.domains for i in d.items}
    made = cw.post(
        f"/api/survivors/{demo.survivor}/assessments/new",
        json={"assessed_on": "2026-01-15", "assessor": "cw", **low},
    )
    assert made.status_code == 201, made.text
    after = cw.get(f"/api/survivors/{demo.survivor}").json()
    assert len(after["history"]) == len(before["history"]) + 1
    plan = after["case_plan"]
    assert plan["assessed_on"] == "2026-01-15" and plan["restored"] is False
    assert set(plan["support_plan_types"]) == set(instrument.domain_ids)  # every domain low
    bad = cw.post(
        f"/api/survivors/{demo.survivor}/assessments/new",
        json={
            "assessed_on": "2026-01-16",
            "assessor": "cw",
            instrument.domains[0].items[0].id: "9",
        },
    )
    assert bad.status_code == 422 and "whole number" in str(bad.json()["problems"])
    page = cw.get(f"/survivors/{demo.survivor}")
    assert "<svg" in page.text and "Case plan" in page.text


CSV = (
    "external_id,status,exploitation_type,jurisdiction,opened_on\n"
    "IMP-1,Active,ForcedLabour,PH,2024-05-01\n"
    "IMP-2,Actve,ForcedLabour,PH,2024-05-02\n"
    "IMP-3,Closed,SexualExploitation,PH-CEB,2024-05-03\n"
)


def test_import_upload_report_and_confirm(clients):
    cw = clients["caseworker"]
    token = csrf_of(cw.get("/imports").text)
    report = cw.post(
        "/imports",
        data={"csrf_token": token, "record_type": "cases"},
        files={"file": ("cases.csv", CSV.encode(), "text/csv")},
    )
    assert report.status_code == 200
    assert "Validation report" in report.text and "Actve" in report.text
    assert "Did you mean" in report.text and "Load the good rows only" in report.text
    confirm_url = re.search(r'action="(/imports/[^"]+/confirm)"', report.text).group(1)
    done = cw.post(confirm_url, data={"csrf_token": token, "partial": "yes"})
    assert done.status_code == 200 and 'data-status="partial"' in done.text
    found = cw.get("/api/cases?q=IMP-").json()
    assert sorted(r["reference"] for r in found["rows"]) == ["IMP-1", "IMP-3"]
    assert {r["agency"] for r in found["rows"]} == {"PNP"}  # loaded as the caseworker's agency
    assert cw.post(confirm_url, data={"csrf_token": token}).status_code == 404  # used once
    assert (
        clients["analyst"].post("/api/imports", files={"file": ("x.csv", b"a")}).status_code == 403
    )


def test_an_upload_named_after_nothing_is_read_by_its_columns(clients):
    cw = clients["caseworker"]
    token = csrf_of(cw.get("/imports").text)
    report = cw.post(
        "/imports",
        data={"csrf_token": token},
        files={"file": ("export (3).csv", CSV.encode(), "text/csv")},
    )
    assert report.status_code == 200 and "Validation report" in report.text
    assert "Actve" in report.text  # checked as cases


def test_an_upload_of_unclear_columns_asks_for_the_type(clients):
    """Not lost: the page (with its navigation) asks for the type and checks the same upload
    again; it cannot be confirmed before, nor used by anyone else."""
    cw = clients["caseworker"]
    token = csrf_of(cw.get("/imports").text)
    asked = cw.post(
        "/imports",
        data={"csrf_token": token},
        files={"file": ("data.csv", b"colour,size\nred,4\n", "text/csv")},
    )
    assert asked.status_code == 422 and "Could not tell which records data.csv holds" in asked.text
    assert "is kept" in asked.text and 'href="/cases"' in asked.text
    type_url = re.search(r'action="(/imports/[^"]+/type)"', asked.text).group(1)
    early = cw.post(type_url.replace("/type", "/confirm"), data={"csrf_token": token})
    assert early.status_code == 422
    again = cw.post(type_url, data={"csrf_token": token, "record_type": "agencies"})
    assert again.status_code == 422 and "Rejected rows" in again.text  # checked, not lost
    other = clients["admin"]
    other_token = csrf_of(other.get("/imports").text)
    assert other.post(type_url, data={"csrf_token": other_token}).status_code == 404


def test_correct_an_event_and_update_a_referral(clients):
    cw = clients["caseworker"]
    case_url = cw.post("/api/cases/new", json={**CASE, "reference": "WEB-T-3"}).json()["url"]
    cw.post(f"/api{case_url}/persons/new", json={"role": "victim", "sex": "Female"})
    pid = cw.get(f"/api{case_url}").json()["persons"][0]["person_id"]
    event = {"person_id": pid, "stage": "identification", "occurred_on": "2025-02-04"}
    assert cw.post(f"/api{case_url}/events/new", json=event).status_code == 201
    (recorded,) = cw.get(f"/api{case_url}").json()["timeline"]
    fixed = cw.post(
        f"/api{case_url}/events/{recorded['id']}/edit", json={**event, "occurred_on": "2025-02-05"}
    )
    assert fixed.status_code == 201, fixed.text
    assert cw.get(f"/api{case_url}").json()["timeline"][0]["occurred_on"] == "2025-02-05"
    referral = {
        "person_id": pid, "to_agency_id": 3, "from_country": "PH", "to_country": "TH",
        "referred_on": "2025-02-06", "reason": "Other", "service": "shelter",
    }  # fmt: skip
    assert cw.post(f"/api{case_url}/referrals/new", json=referral).status_code == 201
    (ref,) = cw.get(f"/api{case_url}").json()["referrals"]
    assert (ref["status"], ref["consent_recorded"], ref["service"]) == (
        "Requested",
        False,
        "shelter",
    )
    # accepting it is the receiving agency's (its inbox): the sender's status is refused
    refused = cw.post(
        f"/api{case_url}/referrals/{ref['id']}/edit",
        json={**referral, "referred_on": "2025-02-07", "status": "Accepted"},
    )
    assert refused.status_code == 422 and list(refused.json()["problems"]) == ["status"]
    done = cw.post(
        f"/api{case_url}/referrals/{ref['id']}/edit", json={**referral, "referred_on": "2025-02-07"}
    )
    assert done.status_code == 201
    (ref,) = cw.get(f"/api{case_url}").json()["referrals"]
    # the sender corrects its referral
    assert (ref["referred_on"], ref["status"]) == ("2025-02-07", "Requested")
    log = clients["admin"].get("/api/audit?action=update&resource=referrals").json()["events"]
    assert log[0]["before"] == {"referred_on": "2025-02-06"}
    assert log[0]["after"] == {"referred_on": "2025-02-07"}
    assert clients["analyst"].get(f"{case_url}/events/{recorded['id']}/edit").status_code == 403


def test_admin_deactivates_and_reactivates_a_user(app, clients):
    admin = clients["admin"]
    made = admin.post(
        "/api/users",
        json={"username": "temp-viewer", "password": "a long passphrase", "role": "viewer"},
    ).json()
    assert admin.post(f"/api/users/{made['id']}", json={"active": "no"}).status_code == 200
    blocked = TestClient(app)
    assert sign_in(blocked, "temp-viewer", "a long passphrase").status_code == 401
    admin.post(f"/api/users/{made['id']}", json={"active": "yes", "role": "analyst"})
    assert sign_in(blocked, "temp-viewer", "a long passphrase").status_code == 303
    assert blocked.get("/api/me").json()["role"] == "analyst"
    assert (
        clients["caseworker"].post(f"/api/users/{made['id']}", json={"active": "no"}).status_code
        == 403
    )
