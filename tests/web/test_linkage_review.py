"""Clerical review of linkage pairs in the browser (``/linkage/review``): the latest run's queue
ordered by how much each decision moves the estimate, names only for roles that may see them,
decisions recorded and audited, refusals for the roles that do not review, and a page that says
how to make a run when there is none.

The store is small and hand-made: two agencies' lists (A: 102 records, B: 91) with 40 people on
both, linked for sure, and a saved run (``pairs.parquet`` + ``summary.json``, as ``uncounted
link run`` writes them) whose three pairs between the thresholds await review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from tests.security.conftest import PASSWORD, csrf_of, signed_in
from uncounted.settings import Settings
from uncounted.store.bulk import insert_frames
from uncounted.store.db import init_database, session_scope
from uncounted.store.tables import AuditEvent, LinkageDecision
from uncounted.store.users import create_user
from uncounted.web import create_app

ROLES = ("admin", "caseworker", "analyst", "viewer")
RUN = "20250301T101500"

#: person ids: agency A's records 1..100 (A0..A99), a1 = 101, a2 = 102; agency B's 201..240
#: (B0..B39, the same people as A0..A39), 241..290, b1 = 291
A1, A2, B1 = 101, 102, 291
#: the pairs awaiting review (between 0.5 and 0.9), as (left, right, probability)
REVIEW = [(A1, B1, 0.6), (A1, A2, 0.6), (1, 202, 0.55)]
NAMES = {
    A1: ("Maria", "Fernandes", "1990-01-02", "+63 912 000 1111"),
    B1: ("Maria", "Fernandez", "1990-01-02", None),
    A2: ("Marta", "Reyes", "1985-07-30", None),
    1: ("Jose", "Cruz", "1979-03-03", None),
    202: ("Ana", "Lim", "1992-11-11", None),
}


@dataclass
class Site:
    app: object
    engine: object
    data_dir: Path
    clients: dict[str, TestClient]


def _frames() -> dict[str, pl.DataFrame]:
    a_ids = [*range(1, 101), A1, A2]
    b_ids = [*range(201, 291), B1]
    people = a_ids + b_ids
    with_names = sorted(NAMES)
    return {
        "agencies": pl.DataFrame(
            {"id": [1, 2], "code": ["AGA", "AGB"], "name": ["Agency A", "Agency B"],
             "org_type": ["NGO", "LawEnforcement"], "country": ["PH", "PH"]}
        ),
        "persons": pl.DataFrame(
            {"id": people, "external_id": [f"R{p}" for p in people],
             "source_agency_id": [1] * len(a_ids) + [2] * len(b_ids),
             "sex": ["Female"] * len(people), "age_at_identification": [30] * len(people),
             "citizenship": ["PH"] * len(people)}
        ),
        "person_identities": pl.DataFrame(
            {"person_id": with_names,
             "given_name": [NAMES[p][0] for p in with_names],
             "family_name": [NAMES[p][1] for p in with_names],
             "birth_date": [NAMES[p][2] for p in with_names],
             "phone": [NAMES[p][3] for p in with_names]}
        ),
        "list_memberships": pl.DataFrame(
            {"id": list(range(1, len(people) + 1)), "person_id": people,
             "agency_id": [1] * len(a_ids) + [2] * len(b_ids), "period": ["2024"] * len(people)}
        ),
    }  # fmt: skip


def save_run(data_dir: Path) -> Path:
    """A run as ``uncounted link run`` saves it: A_i and B_i linked for sure, three pairs to
    review, one pair below the review band."""
    sure = [(str(i + 1), str(201 + i), 0.999) for i in range(40)]
    below = [(str(A2), str(B1), 0.2)]
    rows = sure + [(str(a), str(b), p) for a, b, p in REVIEW] + below
    run = data_dir / "linkage" / RUN
    run.mkdir(parents=True)
    pl.DataFrame(
        {
            "unique_id_l": [a for a, _, _ in rows],
            "unique_id_r": [b for _, b, _ in rows],
            "match_probability": [p for _, _, p in rows],
            "decision": pl.Series([None] * len(rows), dtype=pl.String),
        }
    ).write_parquet(run / "pairs.parquet")
    summary = {"records": 193, "match_threshold": 0.9, "review_threshold": 0.5}
    (run / "summary.json").write_text(json.dumps(summary), "utf-8")
    return run


def make_review_store(data_dir: Path) -> tuple[Settings, object]:
    """A store in ``data_dir`` with the two lists, one user of each role (named after it;
    the caseworker of agency A) and the saved run (also used by ``tests/e2e``)."""
    settings = Settings(data_dir=data_dir)
    engine = init_database(settings)
    insert_frames(engine, _frames())
    with session_scope(engine) as s:
        for role in ROLES:
            create_user(s, role, PASSWORD, role, 1 if role == "caseworker" else None)
    save_run(data_dir)
    return settings, engine


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    data_dir = tmp_path_factory.mktemp("linkage-review")
    settings, engine = make_review_store(data_dir)
    app = create_app(settings)
    yield Site(app, engine, data_dir, {role: signed_in(app, role) for role in ROLES})
    engine.dispose()


@pytest.fixture(autouse=True)
def no_decisions(site):
    """Every test starts from the saved run with no decision stored (and no cached queue)."""
    yield
    with session_scope(site.engine) as s:
        s.execute(delete(LinkageDecision))
    site.app.state.ctx.invalidate()


def _events(site, **where) -> list[AuditEvent]:
    with session_scope(site.engine) as s:
        query = select(AuditEvent)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(s.scalars(query))


def _decided(site) -> int:
    """How many decisions have been stored (and audited) so far."""
    return len(_events(site, resource="linkage_decisions"))


def _pairs(page) -> list[tuple[int, int]]:
    return [(int(p["record_l"]), int(p["record_r"])) for p in page["pairs"]]


def test_the_queue_is_ordered_by_how_much_a_decision_moves_the_estimate(site):
    page = site.clients["analyst"].get("/api/linkage/review").json()
    assert page["run"] == RUN and page["total"] == 3 and page["pages"] == 1
    assert (page["review_threshold"], page["match_threshold"]) == (0.5, 0.9)
    expected = [p["expected_change"] for p in page["pairs"]]
    assert expected == sorted(expected, reverse=True)
    # a1 (A only) + b1 (B only) makes one person seen by both lists: the overlap grows and
    # Lincoln–Petersen falls from 102 * 91 / 40 = 232.05 to 102 * 91 / 41 = 226.39
    first = page["pairs"][0]
    assert _pairs(page)[0] == (A1, B1)
    assert first["delta_estimate"] == pytest.approx(102 * 91 / 41 - 102 * 91 / 40, rel=1e-3)
    assert first["expected_change"] == pytest.approx(0.6 * 0.4 * abs(first["delta_estimate"]))
    assert set(_pairs(page)) == {(a, b) for a, b, _ in REVIEW}  # the pair below 0.5 is not
    fields = {f["field"]: f for f in first["fields"]}
    assert fields["birth_date"]["agreement"] == "same"
    assert fields["given_name"]["agreement"] == "same"
    assert fields["family_name"]["agreement"] == "close"  # Fernandes / Fernandez
    assert fields["agency"]["left"] == "AGA" and fields["agency"]["right"] == "AGB"


def test_the_page_shows_each_pair_side_by_side_with_a_form(site):
    html = site.clients["admin"].get("/linkage/review").text
    assert "Records 101 and 291" in html
    assert html.index("Records 101 and 291") < html.index("Records 1 and 202")
    assert "Fernandes" in html and "Fernandez" in html  # administrators see names
    assert html.count('action="/linkage/review/decisions"') == 3
    assert 'name="csrf_token"' in html and 'name="note"' in html
    assert "Decisions apply from the next linkage run" in html
    assert 'href="/linkage/review"' in html  # the navigation link


def test_names_are_masked_for_analysts_and_their_reads_audited(site):
    before = len(_events(site, action="read", actor="analyst"))
    page = site.clients["analyst"].get("/api/linkage/review").json()
    assert page["names_shown"] is False
    first = {f["field"]: f for f in page["pairs"][0]["fields"]}
    for name in ("given_name", "family_name", "birth_date", "phone"):
        assert first[name]["left"] in ("•••", None) and first[name]["right"] in ("•••", None)
    assert first["family_name"]["agreement"] == "close"  # the agreement stays
    assert first["sex"]["left"] == "Female"  # not an identifying field
    html = site.clients["analyst"].get("/linkage/review").text
    for given, family, *_ in NAMES.values():
        assert given not in html and family not in html
    assert "hidden (•••) for your role" in html
    reads = _events(site, action="read", actor="analyst")[before:]
    shown = {str(i) for a, b, _ in REVIEW for i in (a, b)}
    assert {e.record_id for e in reads} == shown  # one audited read per record, each time
    assert all(e.resource == "person_identities" for e in reads)


def test_administrators_see_names(site):
    page = site.clients["admin"].get("/api/linkage/review").json()
    assert page["names_shown"] is True
    first = {f["field"]: f for f in page["pairs"][0]["fields"]}
    assert (first["family_name"]["left"], first["family_name"]["right"]) == (
        "Fernandes",
        "Fernandez",
    )
    assert first["phone"]["left"] == "+63 912 000 1111"


@pytest.mark.parametrize("role", ["caseworker", "viewer"])
def test_roles_that_do_not_review_are_refused(site, role):
    client = site.clients[role]
    decided = _decided(site)
    for url in ("/linkage/review", "/api/linkage/review"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Fernandes" not in response.text
    token = client.get("/api/me").json()["csrf_token"]
    response = client.post(
        "/linkage/review/decisions",
        data={"csrf_token": token, "record_l": A1, "record_r": B1, "decision": "match"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _decided(site) == decided
    assert 'href="/linkage/review"' not in client.get("/").text


def test_a_decision_is_recorded_audited_and_leaves_the_queue(site):
    client = site.clients["analyst"]
    html = client.get("/linkage/review").text
    response = client.post(
        "/linkage/review/decisions",
        data={"csrf_token": csrf_of(html), "record_l": A1, "record_r": B1,
              "decision": "match", "note": "same birth date and phone", "page": "1"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/linkage/review?page=1"  # no record ids in the URL
    with session_scope(site.engine) as s:
        stored = s.scalars(select(LinkageDecision)).one()
        assert (stored.person_id_l, stored.person_id_r, stored.decision) == (A1, B1, "match")
        assert stored.decided_by == "analyst" and stored.note == "same birth date and phone"
        assert stored.match_probability == pytest.approx(0.6)
        stored_id = stored.id
    created = _events(site, action="create", resource="linkage_decisions")
    assert created[-1].actor == "analyst" and created[-1].record_id == str(stored_id)
    back = client.get(response.headers["location"]).text
    assert (
        '<p class="flash" role="status">Recorded: records 101 and 291 are the same person '
        "(match). It applies from the next linkage run.</p>"
    ) in back
    again = client.get(response.headers["location"]).text
    assert 'class="flash"' not in again  # shown once
    forged = client.get("/linkage/review?page=1&recorded=match&left=101&right=291").text
    assert "Recorded:" not in forged  # the URL carries no message
    page = client.get("/api/linkage/review").json()
    assert page["total"] == 2 and (A1, B1) not in _pairs(page)


def test_a_decision_through_the_json_twin(site):
    client = site.clients["admin"]
    response = client.post(
        "/api/linkage/review/decisions",
        json={"record_l": str(A2), "record_r": str(A1), "decision": "non-match"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["recorded"]["decision"] == "non-match"
    with session_scope(site.engine) as s:
        stored = s.scalars(select(LinkageDecision)).one()
        assert (stored.person_id_l, stored.person_id_r) == (A1, A2)  # lower id first
        assert stored.note is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"record_l": "abc", "record_r": "291", "decision": "match"}, "whole numbers"),
        ({"record_l": "101", "record_r": "", "decision": "match"}, "whole numbers"),
        ({"record_l": "1" * 30, "record_r": "291", "decision": "match"}, "whole numbers"),
        ({"record_l": "101", "record_r": "291", "decision": "maybe"}, "Choose match"),
        ({"record_l": "101", "record_r": "291"}, "Choose match"),
        ({"record_l": "101", "record_r": "101", "decision": "match"}, "two different records"),
        ({"record_l": "101", "record_r": "99999", "decision": "match"}, "No person record"),
        ({"record_l": "101", "record_r": "291", "decision": "match", "note": "x" * 2001},
         "under 2,000 characters"),
    ],
)  # fmt: skip
def test_a_bad_decision_comes_back_as_a_page_that_says_why(site, fields, message):
    client = site.clients["admin"]
    decided = _decided(site)
    token = csrf_of(client.get("/linkage/review").text)
    response = client.post(
        "/linkage/review/decisions", data={"csrf_token": token, **fields}, follow_redirects=False
    )
    assert response.status_code == 422
    assert "The decision was not recorded" in response.text and message in response.text
    assert "Records 101 and 291" in response.text  # the queue is shown again
    api = client.post("/api/linkage/review/decisions", json=fields)
    assert api.status_code == 422 and message in api.json()["error"]
    assert _decided(site) == decided


def test_a_form_without_the_csrf_token_is_refused(site):
    client = TestClient(site.app, cookies=site.clients["admin"].cookies)
    decided = _decided(site)
    response = client.post(
        "/linkage/review/decisions",
        data={"record_l": A1, "record_r": B1, "decision": "match"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _decided(site) == decided


@pytest.mark.parametrize(
    ("query", "status", "page"),
    [("?page=2", 200, 1), ("?page=1000000", 200, 1), ("?page=99999999999999999999", 422, None),
     ("?page=0", 422, None), ("?page=abc", 422, None)],
)  # fmt: skip
def test_pages_past_the_end_show_the_last_and_bad_ones_say_so(site, query, status, page):
    client = site.clients["analyst"]
    response = client.get(f"/linkage/review{query}")
    assert response.status_code == status
    if page is None:
        assert "cannot be used (page)" in response.text
    else:
        assert client.get(f"/api/linkage/review{query}").json()["page"] == page


def test_without_a_run_the_page_says_how_to_make_one(site, tmp_path, monkeypatch):
    monkeypatch.setattr(site.app.state.ctx, "linkage_runs", tmp_path / "linkage")
    response = site.clients["analyst"].get("/linkage/review")
    assert response.status_code == 200
    assert "There is no linkage run to review yet." in response.text
    assert "<code>uncounted link run</code>" in response.text
    page = site.clients["analyst"].get("/api/linkage/review").json()
    assert page["run"] is None and page["pairs"] == [] and "uncounted link run" in page["no_run"]


@pytest.mark.parametrize(
    ("left", "right", "message"),
    [
        (A2, B1, "not a pair of the review queue"),  # scored by the run, below the review band
        (A1, 250, "not a pair of the review queue"),  # never compared by a run
        (1, 2, "not a pair of the review queue"),  # one agency's two records: merge candidates
    ],
)
def test_a_reviewer_decides_only_on_pairs_of_the_review_queue(site, left, right, message):
    """A *match* on two records of one agency makes them merge candidates: an analyst could
    put any pair of ids before caseworkers by deciding on it. Only the queue's pairs are
    decided (and decided pairs changed)."""
    client = site.clients["analyst"]
    decided = _decided(site)
    fields = {"record_l": str(left), "record_r": str(right), "decision": "match"}
    response = client.post("/api/linkage/review/decisions", json=fields)
    assert response.status_code == 422 and message in response.json()["error"]
    assert _decided(site) == decided


def test_a_decision_on_a_record_not_on_a_list_is_refused(site):
    """Records linkage never reads (no list membership, or merged away) take no decision."""
    from uncounted.store.tables import ListMembership, Person

    with session_scope(site.engine) as s:
        s.add(Person(id=999, source_agency_id=1, external_id="R999", sex="Female"))
    try:
        fields = {"record_l": str(A1), "record_r": "999", "decision": "non-match"}
        response = site.clients["admin"].post("/api/linkage/review/decisions", json=fields)
        assert response.status_code == 422
        assert "No person record 999 on an agency's list" in response.json()["error"]
    finally:
        with session_scope(site.engine) as s:
            s.execute(delete(ListMembership).where(ListMembership.person_id == 999))
            s.execute(delete(Person).where(Person.id == 999))
