"""A small store seen from one caseworker of agency PNP: one record of each kind per *target*.

========  =============================================================================
target    the case (and its victim, suspect, justice event, assessment and referral)
========  =============================================================================
own       owned by PNP, the caseworker's agency
other     owned by TH-DSI, nothing shared with PNP
ref       owned by TH-DSI; its victim referred to PNP, accepted, consent recorded
declined  owned by TH-DSI; its victim referred to PNP, declined, no consent
========  =============================================================================

Every person has a name of the form ``<Target>-Victim`` or ``<Target>-Suspect``, so a test can
tell exactly which identities a response or a file holds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import polars as pl
import pytest
from fastapi.testclient import TestClient

from uncounted.settings import Settings
from uncounted.store.bulk import insert_frames
from uncounted.store.db import init_database, session_scope
from uncounted.store.users import create_user
from uncounted.web import create_app

ROLES = ("admin", "caseworker", "analyst", "viewer")
TARGETS = ("own", "other", "ref", "declined")
PASSWORD = "a long test passphrase"
AGENCIES = {1: "PNP", 2: "TH-DSI", 3: "IACAT"}
DAY = dt.date(2024, 3, 1)


@dataclass(frozen=True)
class Target:
    """The records of one target: ids in the store, external ids and codes in files."""

    name: str
    case_id: int
    case_ext: str
    owner: str  # the owning (and source) agency's code
    victim: int
    victim_ext: str
    suspect: int
    event: int
    referral: int
    victim_name: str
    suspect_name: str


def _targets() -> dict[str, Target]:
    out = {}
    for i, name in enumerate(TARGETS):
        case, victim, suspect = i + 1, 2 * i + 1, 2 * i + 2
        title = name.capitalize()
        out[name] = Target(
            name, case, f"C-{name}", "PNP" if name == "own" else "TH-DSI", victim, f"V-{name}",
            suspect, case, case, f"{title}-Victim", f"{title}-Suspect",
        )  # fmt: skip
    return out


TARGET = _targets()


@dataclass
class Store:
    settings: Settings
    engine: object
    user_ids: dict[str, int]


def _frames() -> dict[str, pl.DataFrame]:
    ts = list(TARGET.values())
    owner_id = {code: i for i, code in AGENCIES.items()}
    people = [(t.victim, t.victim_ext, t.victim_name) for t in ts]
    people += [(t.suspect, f"S-{t.name}", t.suspect_name) for t in ts]
    people.sort()
    owner_of = {t.victim: owner_id[t.owner] for t in ts} | {
        t.suspect: owner_id[t.owner] for t in ts
    }
    # the referral of each case: own -> IACAT (accepted); the others -> PNP
    to = {"own": 3, "other": 3, "ref": 1, "declined": 1}
    status = {"own": "Accepted", "other": "Accepted", "ref": "Accepted", "declined": "Declined"}
    consent = {"own": True, "other": True, "ref": True, "declined": False}
    return {
        "agencies": pl.DataFrame(
            {"id": list(AGENCIES), "code": list(AGENCIES.values()),
             "name": ["Police", "Thai DSI", "Council"], "org_type": ["LawEnforcement"] * 3,
             "country": ["PH", "TH", "PH"]}
        ),
        "jurisdictions": pl.DataFrame(
            {"id": [1, 2], "country": ["PH", "TH"], "name": ["Philippines", "Thailand"]}
        ),
        "persons": pl.DataFrame(
            {"id": [p for p, _, _ in people], "external_id": [e for _, e, _ in people],
             "source_agency_id": [owner_of[p] for p, _, _ in people],
             "sex": ["Female"] * len(people)}
        ),
        "person_identities": pl.DataFrame(
            {"person_id": [p for p, _, _ in people], "family_name": [n for _, _, n in people]}
        ),
        "cases": pl.DataFrame(
            {"id": [t.case_id for t in ts], "external_id": [t.case_ext for t in ts],
             "source_agency_id": [owner_id[t.owner] for t in ts],
             "reference": [f"REF-{t.name}" for t in ts], "status": ["Active"] * 4,
             "exploitation_type": ["ForcedLabour"] * 4,
             "owning_agency_id": [owner_id[t.owner] for t in ts],
             "jurisdiction_id": [1 if t.owner == "PNP" else 2 for t in ts],
             "opened_on": [DAY] * 4, "extra": [{}] * 4}
        ),
        "case_links": pl.DataFrame({"id": [1], "case_id": [1], "linked_case_id": [2]}),
        "case_persons": pl.DataFrame(
            {"id": list(range(1, 9)),
             "case_id": [t.case_id for t in ts] * 2,
             "person_id": [t.victim for t in ts] + [t.suspect for t in ts],
             "role": ["victim"] * 4 + ["suspect"] * 4, "methods_of_control": [[]] * 8}
        ),
        "justice_events": pl.DataFrame(
            {"id": [t.event for t in ts], "external_id": [f"E-{t.name}" for t in ts],
             "source_agency_id": [owner_id[t.owner] for t in ts],
             "case_id": [t.case_id for t in ts], "person_id": [t.suspect for t in ts],
             "stage": ["arrest"] * 4, "occurred_on": [DAY] * 4,
             "jurisdiction_id": [1 if t.owner == "PNP" else 2 for t in ts]}
        ),
        "referrals": pl.DataFrame(
            {"id": [t.referral for t in ts], "case_id": [t.case_id for t in ts],
             "person_id": [t.victim for t in ts],
             "from_agency_id": [owner_id[t.owner] for t in ts],
             "to_agency_id": [to[t.name] for t in ts], "from_country": ["PH"] * 4,
             "to_country": ["PH"] * 4, "referred_on": [DAY] * 4, "reason": ["Other"] * 4,
             "consent_recorded": [consent[t.name] for t in ts],
             "status": [status[t.name] for t in ts]}
        ),
        "assessments": pl.DataFrame(
            {"id": [t.victim for t in ts], "person_id": [t.victim for t in ts],
             "instrument_id": ["uncounted-restoration-v1"] * 4,
             "assessed_on": [DAY] * 4, "assessor": ["a"] * 4,
             "agency_id": [owner_id[t.owner] for t in ts]}
        ),
        "list_memberships": pl.DataFrame(
            {"id": [1, 2], "person_id": [1, 3], "agency_id": [1, 2], "period": ["2024"] * 2}
        ),
    }  # fmt: skip


def make_store(data_dir) -> Store:
    """A new store with the four targets and one user of each role (the caseworker: PNP)."""
    settings = Settings(data_dir=data_dir)
    engine = init_database(settings)
    insert_frames(engine, _frames())
    ids = {}
    with session_scope(engine) as s:
        for role in ROLES:
            agency = 1 if role == "caseworker" else None
            ids[role] = create_user(s, role, PASSWORD, role, agency).id
        ids["caseworker-th"] = create_user(s, "caseworker-th", PASSWORD, "caseworker", 2).id
    return Store(settings, engine, ids)


@pytest.fixture(scope="package")
def store(tmp_path_factory) -> Store:
    made = make_store(tmp_path_factory.mktemp("security"))
    yield made
    made.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="package")
def app(store):
    return create_app(store.settings)


@pytest.fixture
def fresh_store(tmp_path):
    """A store of the test's own (the same records and users as :func:`store`), for a test
    that changes it: a regression that reappears cannot spoil the others."""
    made = make_store(tmp_path / "data")
    yield made
    made.engine.dispose()


@pytest.fixture
def fresh_app(fresh_store):
    """The web app over :func:`fresh_store`."""
    return create_app(fresh_store.settings)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(app, username: str) -> TestClient:
    client = TestClient(app)
    token = csrf_of(client.get("/signin").text)
    response = client.post(
        "/signin",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    return client


@pytest.fixture(scope="package")
def clients(app) -> dict[str, TestClient]:
    return {name: signed_in(app, name) for name in (*ROLES, "caseworker-th")}


def end_own_referral(engine) -> None:
    """Complete the own case's referral to IACAT, so that persons 1 and 2 (PNP's, both of case
    1) are open to the same agencies (PNP only) and a PNP caseworker may merge them."""
    from uncounted.store.tables import Referral

    with session_scope(engine) as s:
        s.get(Referral, TARGET["own"].referral).status = "Completed"
