"""The security matrix: every way in × every role × own / other / referred / declined target.

One table per way in, written out by hand (not derived from ``store/access.py``), so a change to
the rules that opens something shows up here. Letters, in the order of the columns:

    admin | caseworker of PNP on the target: own, other, ref, declined | analyst | viewer

``A`` allowed (past access control: a page, a 422 for an empty form, a 404 for an unknown
upload); ``D`` denied (403, nothing of the record in the answer); ``P`` public (sign-in pages,
not requested here). The routes are enumerated from the FastAPI app itself: a route without a
row in :data:`ROUTES` fails :func:`test_every_route_has_a_row`.
"""

from __future__ import annotations

import csv
import json

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from tests.security.conftest import ROLES, TARGET, TARGETS
from uncounted.errors import AccessDenied
from uncounted.ingest import validate_file
from uncounted.ingest.export import export_records
from uncounted.store.access import (
    IMPORT_ROW_RULES,
    REFERRAL_IMPORT_REASONS,
    REFERRAL_MIGRATION_REASONS,
    Principal,
)
from uncounted.store.db import session_scope
from uncounted.store.tables import User
from uncounted.store.users import principal

#: (method, path of the page or JSON-only route) -> letters (see the module docstring)
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/signin"): "P",
    ("POST", "/signin"): "P",
    ("POST", "/signout"): "P",
    ("GET", "/api/me"): "A AAAA A A",
    ("GET", "/account"): "A AAAA A A",
    ("POST", "/account/password"): "A AAAA A A",  # one's own password only
    ("POST", "/account/language"): "A AAAA A A",  # one's own language only
    ("GET", "/reset/{token}"): "P",  # the token is the credential (one-time, 24 hours)
    ("POST", "/reset/{token}"): "P",
    ("POST", "/users/{user_id}/reset"): "A DDDD D D",
    ("GET", "/"): "A AAAA A A",
    ("GET", "/cases"): "A AAAA A D",
    ("GET", "/search"): "A AAAA D D",  # names: only who may read identities, in scope
    ("GET", "/cases/new"): "A AAAA D D",
    ("POST", "/cases/new"): "A AAAA D D",
    ("GET", "/cases/{case_id}"): "A ADDD A D",
    ("GET", "/cases/{case_id}/edit"): "A ADDD D D",
    ("POST", "/cases/{case_id}/edit"): "A ADDD D D",
    ("GET", "/cases/{case_id}/{kind}/new"): "A ADDD D D",
    ("POST", "/cases/{case_id}/{kind}/new"): "A ADDD D D",
    ("GET", "/cases/{case_id}/persons/{person_id}/edit"): "A ADDD D D",
    ("POST", "/cases/{case_id}/persons/{person_id}/edit"): "A ADDD D D",
    ("GET", "/cases/{case_id}/events/{event_id}/edit"): "A ADDD D D",
    ("POST", "/cases/{case_id}/events/{event_id}/edit"): "A ADDD D D",
    ("GET", "/cases/{case_id}/referrals/{referral_id}/edit"): "A ADDD D D",
    ("POST", "/cases/{case_id}/referrals/{referral_id}/edit"): "A ADDD D D",
    # referral work: the receiving agency decides (ref, declined: referred to PNP; a refused
    # step in the wrong order is a 422, past access control); the sending agency re-sends
    ("GET", "/referrals"): "A AAAA D D",
    ("GET", "/referrals/sent"): "A AAAA D D",
    ("POST", "/referrals/{referral_id}/accept"): "A DDAA D D",
    ("POST", "/referrals/{referral_id}/decline"): "A DDAA D D",
    ("POST", "/referrals/{referral_id}/complete"): "A DDAA D D",
    ("POST", "/referrals/{referral_id}/resend"): "A ADDD D D",
    ("POST", "/cases/{case_id}/notes"): "A ADDD D D",
    ("GET", "/indicators"): "A AAAA A A",
    ("GET", "/indicators.csv"): "A AAAA A A",
    ("GET", "/counts.csv"): "A AAAA A A",
    ("GET", "/metrics"): "A AAAA A A",
    ("GET", "/metrics/{metric_id}"): "A AAAA A A",
    ("GET", "/survivors/{person_id}"): "A ADAD A D",
    ("GET", "/survivors/{person_id}/assessments/new"): "A ADAD D D",
    ("POST", "/survivors/{person_id}/assessments/new"): "A ADAD D D",
    ("GET", "/imports"): "A AAAA D D",
    ("POST", "/imports"): "A AAAA D D",
    ("POST", "/imports/{token}/confirm"): "A AAAA D D",
    ("POST", "/imports/{token}/type"): "A AAAA D D",
    ("GET", "/prevalence"): "A AAAA A A",
    # the evidence report pools every agency's records: not for caseworkers
    ("GET", "/report"): "A DDDD A A",
    ("GET", "/report/view"): "A DDDD A A",
    ("GET", "/report.html"): "A DDDD A A",
    ("GET", "/report.pdf"): "A DDDD A A",
    # the open-data bundle: analysts and administrators only
    ("GET", "/open-data"): "A DDDD A D",
    ("POST", "/open-data"): "A DDDD A D",
    ("GET", "/open-data/{token}.zip"): "A DDDD A D",
    ("GET", "/users"): "A DDDD D D",
    ("POST", "/users"): "A DDDD D D",
    ("POST", "/users/{user_id}"): "A DDDD D D",
    ("GET", "/audit"): "A DDDD D D",
    # soft delete: the owning agency's caseworkers and admins; restore: admins
    ("GET", "/cases/{case_id}/delete"): "A ADDD D D",
    ("POST", "/cases/{case_id}/delete"): "A ADDD D D",
    ("GET", "/cases/{case_id}/persons/{person_id}/delete"): "A ADDD D D",
    ("POST", "/cases/{case_id}/persons/{person_id}/delete"): "A ADDD D D",
    ("GET", "/cases/{case_id}/events/{event_id}/delete"): "A ADDD D D",
    ("POST", "/cases/{case_id}/events/{event_id}/delete"): "A ADDD D D",
    ("GET", "/deleted"): "A DDDD D D",
    ("POST", "/deleted/{removal_id}/restore"): "A DDDD D D",  # a merged record: undo the merge
    # merging two records of one person: both must be the reader's to change (a referred
    # person is readable, not changeable), of one agency, with every case they are in, and
    # open to the same agencies; the own target's victim is referred to IACAT and its suspect
    # is not, so only an administrator merges them (the POST here has no reason: 422)
    ("GET", "/merges"): "A AAAA D D",
    ("GET", "/persons/{person_id}/merge"): "A ADDD D D",
    ("GET", "/persons/{person_id}/merge/{other_id}"): "A DDDD D D",
    ("POST", "/persons/{person_id}/merge/{other_id}"): "A DDDD D D",
    # due diligence of business partners: no case records; analysts review, viewers read
    ("GET", "/partners"): "A DDDD A A",
    ("GET", "/partners/{code}"): "A DDDD A A",
    ("GET", "/partners/{code}/sheet.pdf"): "A DDDD A A",
    # linkage review: pairs of every agency's records (names for admins only); no caseworkers
    ("GET", "/linkage/review"): "A DDDD A D",
    ("POST", "/linkage/review/decisions"): "A DDDD A D",
}
KINDS = ("persons", "events", "referrals")


def _expected(letters: str, role: str, target: str) -> str:
    flat = letters.replace(" ", "")
    if flat == "P":
        return "P"
    admin, own, other, ref, declined, analyst, viewer = flat
    by_target = dict(zip(TARGETS, (own, other, ref, declined), strict=True))
    return {"admin": admin, "caseworker": by_target[target], "analyst": analyst}.get(role, viewer)


def _declared(app) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route of the app's routers (FastAPI >= 0.165 keeps included
    routers apart, as ``_IncludedRouter``, with their routes in ``effective_route_contexts``)."""
    out = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            out.append((route.path, set(route.methods)))
        elif hasattr(route, "effective_route_contexts"):
            out += [(c.path, set(c.methods)) for c in route.effective_route_contexts()]
    return out


def _app_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, a JSON twin folded into its page."""
    declared = _declared(app)
    assert len(declared) > 30  # the enumeration sees the routers' routes
    pages = {path for path, _ in declared}
    found = set()
    for path, methods in declared:
        twin = path.removeprefix("/api") or "/"
        if path.startswith("/api") and twin in pages:
            path = twin
        found.update((method, path) for method in methods)
    return found


def test_every_route_has_a_row(app):
    routes = _app_routes(app)
    missing = sorted(routes - set(ROUTES))
    assert not missing, f"add these routes to ROUTES with their expected access: {missing}"
    assert not sorted(set(ROUTES) - routes), "ROUTES lists routes the app no longer has"


def _urls(path: str, target: str, store) -> list[str]:
    t = TARGET[target]
    values = {
        "case_id": t.case_id,
        "person_id": t.victim,
        "other_id": t.suspect,  # a merge: the same target's other person
        "event_id": t.event,
        "referral_id": t.referral,
        "user_id": store.user_ids["viewer"],
        "token": "not-a-token",
        "metric_id": "J3",
        "code": "NO-SUCH-PARTNER",
        "removal_id": 999,  # none: an administrator gets 404
    }
    kinds = KINDS if "{kind}" in path else ("",)
    return [path.format(kind=k, **values) for k in kinds]


def _cells():
    for (method, path), letters in ROUTES.items():
        if letters == "P":
            continue
        for role in ROLES:
            targets = TARGETS if role == "caseworker" else ("other",)
            for target in targets:
                yield method, path, role, target, _expected(letters, role, target)


NAMES = [t.victim_name for t in TARGET.values()] + [t.suspect_name for t in TARGET.values()]


def _visible_names(role: str, target: str) -> set[str]:
    """The identities a refusal must never show: all of them."""
    return set(NAMES)


@pytest.mark.parametrize(("method", "path", "role", "target", "expected"), list(_cells()))
def test_route(app, clients, store, method, path, role, target, expected):
    client = clients[role]
    twins = {p for p, _ in _declared(app) if p.startswith("/api")}
    has_twin = (f"/api{path}" if path != "/" else "/api/") in twins
    for url in _urls(path, target, store):
        api = url if url.startswith("/api") else f"/api{url}" if url != "/" else "/api/"
        for address in (url, api) if not url.startswith("/api") and has_twin else (url,):
            if method == "GET":
                response = client.get(address, follow_redirects=False)
            else:
                response = client.post(address, json={}, follow_redirects=False)
            if expected == "D":
                assert response.status_code == 403, (address, response.status_code)
                for name in _visible_names(role, target):
                    assert name not in response.text
            else:
                assert response.status_code not in (401, 403), (address, response.text[:200])
                assert response.status_code < 500, (address, response.text[:300])


# -- what an allowed read shows ------------------------------------------------------------------


def test_caseworker_lists_only_own_cases(clients):
    rows = clients["caseworker"].get("/api/cases").json()["rows"]
    assert [r["reference"] for r in rows] == ["REF-own"]


def test_linked_case_of_another_agency_shows_no_reference_nor_people(clients):
    seen = clients["caseworker"].get(f"/api/cases/{TARGET['own'].case_id}").json()
    assert seen["linked"] == [
        {"id": TARGET["other"].case_id, "reference": None, "country": "TH", "visible": False}
    ]
    body = json.dumps(seen)
    assert TARGET["own"].victim_name in body
    for name in set(NAMES) - {TARGET["own"].victim_name, TARGET["own"].suspect_name}:
        assert name not in body


def test_a_referred_person_is_shown_by_name_but_not_their_case(clients):
    cw = clients["caseworker"]
    page = cw.get(f"/api/survivors/{TARGET['ref'].victim}").json()
    assert page["label"] == TARGET["ref"].victim_name
    assert page["cases"] == []  # the sending agency's case stays closed
    assert TARGET["ref"].suspect_name not in json.dumps(page)


@pytest.mark.parametrize(
    ("role", "found"),
    [
        ("admin", {t.victim_name for t in TARGET.values()}),
        # own case, and the person referred with consent (not the declined one, not other)
        ("caseworker", {TARGET["own"].victim_name, TARGET["ref"].victim_name}),
        ("caseworker-th", {t.victim_name for n, t in TARGET.items() if n != "own"}),
    ],
)
def test_person_search_finds_only_the_people_in_scope(clients, role, found):
    page = clients[role].get("/api/search", params={"q": "victim"}).json()
    assert {h["name"] for h in page["hits"]} == found
    for hit in page["hits"]:  # a case is listed only when the searcher may open it
        refs = {c["reference"] for c in hit["cases"]}
        if role == "caseworker" and hit["name"] == TARGET["ref"].victim_name:
            assert refs == set()
    html = clients[role].get("/search", params={"q": "Victim"}).text
    for name in set(NAMES) - found:
        assert name not in html


# -- imports: every record type × role × target --------------------------------------------------

#: (what the row tries, record type, the file with {placeholders}, letters)
IMPORTS = [
    ("rename the owning agency", "agencies",
     "code,name,org_type,country\n{owner},Renamed,LawEnforcement,PH\n", "A DDDD D D"),
    ("change the case", "cases",
     "external_id,source,status,exploitation_type,jurisdiction,opened_on\n"
     "{case_ext},{owner},Closed,ForcedLabour,PH,2024-03-01\n", "A ADDD D D"),
    ("open a case owned by the target's owner", "cases",
     "external_id,owning_agency,status,exploitation_type,jurisdiction,opened_on\n"
     "NEW-{name},{owner},Active,ForcedLabour,PH,2024-03-01\n", "A ADDD D D"),
    ("add a person to the case", "persons",
     "external_id,given_name,case,case_source,role\n"
     "NEW-P-{name},Intruder,{case_ext},{owner},victim\n", "A ADDD D D"),
    ("change the victim's identity", "persons",
     "external_id,source,given_name\n{victim_ext},{owner},Renamed\n", "A ADDD D D"),
    ("add an acquittal to the case", "justice_events",
     "external_id,case,case_source,person,person_source,stage,outcome,occurred_on,jurisdiction\n"
     "NEW-E-{name},{case_ext},{owner},S-{name},{owner},verdict,acquitted,2024-06-01,PH\n",
     "A ADDD D D"),
    ("change the case's arrest", "justice_events",
     "external_id,source,case,person,stage,occurred_on,jurisdiction\n"
     "E-{name},{owner},{case_ext},S-{name},arrest,2024-03-02,PH\n", "A ADDD D D"),
    ("refer the victim on", "referrals",
     "person,person_source,case,case_source,from_agency,to_agency,from_country,to_country,"
     "referred_on,reason,consent_recorded,status\n"
     "{victim_ext},{owner},{case_ext},{owner},{owner},{receiver},PH,PH,2024-05-01,Other,no,"
     "Requested\n", "A ADDD D D"),
    ("refer the victim from the caseworker's agency", "referrals",
     "person,person_source,case,case_source,from_agency,to_agency,from_country,to_country,"
     "referred_on,reason,consent_recorded,status\n"
     "{victim_ext},{owner},{case_ext},{owner},PNP,IACAT,PH,PH,2024-05-01,Other,no,Requested\n",
     "A ADDD D D"),
    # the receiver's decision is never the sender's file: a caseworker may not import a
    # referral accepted with consent, even its own agency's; an administrator migrating
    # decided referrals must give the consent complete (how, the day, who recorded it)
    ("refer the victim accepted with consent", "referrals",
     "person,person_source,case,case_source,from_agency,to_agency,from_country,to_country,"
     "referred_on,reason,consent_recorded,status\n"
     "{victim_ext},{owner},{case_ext},{owner},PNP,IACAT,PH,PH,2024-05-01,Other,yes,Accepted\n",
     "D DDDD D D"),
    ("migrate the victim's accepted referral with its consent", "referrals",
     "person,person_source,case,case_source,from_agency,to_agency,from_country,to_country,"
     "referred_on,reason,consent_recorded,status,consent_method,consent_given_on,"
     "consent_recorded_by\n"
     "{victim_ext},{owner},{case_ext},{owner},PNP,IACAT,PH,PH,2024-05-01,Other,yes,Accepted,"
     "Written,2024-04-30,old system\n", "A DDDD D D"),
    ("accept the target's stored referral", "referrals",
     "person,person_source,case,case_source,from_agency,to_agency,from_country,to_country,"
     "referred_on,reason,consent_recorded,status\n"
     "{victim_ext},{owner},{case_ext},{owner},{owner},{stored_to},PH,PH,2024-03-01,Other,yes,"
     "Completed\n", "D DDDD D D"),
    ("assess the victim", "assessments",
     "person,person_source,instrument_id,assessed_on,assessor,item_safety.housing\n"
     "{victim_ext},{owner},uncounted-restoration-v1,2024-07-01,me,3\n", "A ADAD D D"),
    ("replace the victim's assessment", "assessments",
     "person,person_source,instrument_id,assessed_on,assessor,item_safety.housing\n"
     "{victim_ext},{owner},uncounted-restoration-v1,2024-03-01,me,1\n", "A ADDD D D"),
    ("put the victim on the owner's list", "list_memberships",
     "person,person_source,list,period\n{victim_ext},{owner},{owner},2025\n", "A ADDD D D"),
    ("put the victim on the caseworker's list", "list_memberships",
     "person,person_source,list,period\n{victim_ext},{owner},PNP,2025\n", "A ADDD D D"),
]  # fmt: skip


def test_every_import_record_type_has_rows():
    assert {kind for _, kind, _, _ in IMPORTS} == set(IMPORT_ROW_RULES)


def _who(store, role: str) -> Principal:
    with session_scope(store.engine) as s:
        return principal(s.scalar(select(User).where(User.username == role)))


ACCESS_REASONS = {rule.reason for rules in IMPORT_ROW_RULES.values() for rule in rules} | {
    *REFERRAL_IMPORT_REASONS.values(),
    *REFERRAL_MIGRATION_REASONS.values(),
}


def _import_cells():
    for what, kind, text, letters in IMPORTS:
        for role in ROLES:
            for target in TARGETS if role == "caseworker" else ("other",):
                yield what, kind, text, role, target, _expected(letters, role, target)


@pytest.mark.parametrize(
    ("what", "kind", "text", "role", "target", "expected"),
    list(_import_cells()),
    ids=lambda v: v if isinstance(v, str) and "\n" not in v else "",
)
def test_import_row(store, tmp_path, what, kind, text, role, target, expected):
    """Checked with the importer's dry run, which runs every check of a real import."""
    t = TARGET[target]
    receiver = "IACAT" if t.owner == "PNP" else "PNP"
    body = text.format(
        owner=t.owner, case_ext=t.case_ext, victim_ext=t.victim_ext, name=t.name,
        receiver=receiver, stored_to=receiver,  # the target's stored referral goes there
    )  # fmt: skip
    path = tmp_path / f"{kind}.csv"
    path.write_text(body, encoding="utf-8")
    who = _who(store, role)
    if expected == "D" and role in ("analyst", "viewer"):
        with pytest.raises(AccessDenied):
            validate_file(store.engine, path, kind, who=who)
        return
    result = validate_file(store.engine, path, kind, who=who)
    if expected == "A":
        assert result.rejected == [], [str(p) for p in result.rejected]
    else:
        assert result.rejected, f"{role} could {what} of the {target} target"
        assert {p.line for p in result.rejected} == {2}
        reasons = {p.reason for p in result.rejected}
        assert all(r in ACCESS_REASONS or "may not import" in r for r in reasons), reasons


# -- exports ------------------------------------------------------------------------------------

#: role -> the identities its persons export holds (``None``: the role may not export records)
EXPORTED_NAMES = {
    "admin": set(NAMES),
    "caseworker": {
        TARGET["own"].victim_name,
        TARGET["own"].suspect_name,
        TARGET["ref"].victim_name,
    },
    "analyst": set(),
    "viewer": None,
}
EXPORTED_CASES = {
    "admin": {t.case_ext for t in TARGET.values()},
    "caseworker": {TARGET["own"].case_ext},
    "analyst": {t.case_ext for t in TARGET.values()},
    "viewer": None,
}


@pytest.mark.parametrize("role", ROLES)
def test_export_holds_what_the_user_may_read(store, tmp_path, role):
    who = _who(store, role)
    if EXPORTED_NAMES[role] is None:
        with pytest.raises(AccessDenied):
            export_records(store.engine, tmp_path / "out", "csv", ["persons"], who=who)
        return
    export_records(store.engine, tmp_path / "out", "csv", None, who=who)
    persons = (tmp_path / "out" / "persons.csv").read_text("utf-8")
    assert {n for n in NAMES if n in persons} == EXPORTED_NAMES[role]
    cases = (tmp_path / "out" / "cases.csv").read_text("utf-8")
    assert {t.case_ext for t in TARGET.values() if t.case_ext in cases} == EXPORTED_CASES[role]
    if role == "caseworker":  # the referred victim's row does not name the sending case
        line = next(x for x in persons.splitlines() if TARGET["ref"].victim_name in x)
        assert TARGET["ref"].case_ext not in line
        events = (tmp_path / "out" / "justice_events.csv").read_text("utf-8")
        assert "E-own" in events and "E-other" not in events and "E-ref" not in events
        # the referrals it sent, and the one it received accepted with consent; not the
        # declined one, nor another agency's
        with (tmp_path / "out" / "referrals.csv").open(encoding="utf-8") as f:
            referred = sorted(row["person"] for row in csv.DictReader(f))
        assert referred == ["V-own", "V-ref"]
