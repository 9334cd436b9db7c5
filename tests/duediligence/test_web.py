"""The partner pages and their JSON twins, by role, over a store holding the examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from uncounted.ingest.partners import import_register, import_statement_scores
from uncounted.settings import Settings
from uncounted.store.db import init_database, session_scope
from uncounted.store.tables import Agency
from uncounted.store.users import create_user
from uncounted.web import create_app

from .conftest import KEYS

EX = Path(__file__).resolve().parents[2] / "examples" / "duediligence"
PASSWORD = "a-long-enough-password"


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("dd"), risk_table=EX / "risk-table.csv", **KEYS
    )
    engine = init_database(settings)
    import_register(engine, EX / "partners.csv", "test")
    import_statement_scores(engine, EX / "statement-scores.csv", "test")
    with session_scope(engine) as s:
        agency = Agency(code="A", name="Agency", org_type="ngo", country="PH")
        s.add(agency)
        s.flush()
        for role in ("admin", "analyst", "viewer", "caseworker"):
            create_user(s, role, PASSWORD, role, agency.id if role == "caseworker" else None)
    engine.dispose()
    app = create_app(settings)
    out = {}
    for role in ("admin", "analyst", "viewer", "caseworker"):
        client = TestClient(app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
        data = {"username": role, "password": PASSWORD, "csrf_token": token.group(1)}
        assert client.post("/signin", data=data, follow_redirects=False).status_code == 303
        out[role] = client
    yield out
    for client in out.values():
        client.close()


def test_portfolio_page_and_twin(clients):
    body = clients["analyst"].get("/api/partners").json()
    assert body["risk_table"] == "risk-table.csv"
    status = {r["partner"]: r["status"] for r in body["portfolio"]}
    assert status == {
        "EX-001": "not yet eligible",
        "EX-002": "eligible with conditions",
        "EX-003": "eligible with conditions",
        "EX-004": "not yet eligible",
    }
    page = clients["viewer"].get("/partners")
    assert page.status_code == 200 and 'href="/partners/EX-001"' in page.text


def test_sheet_page_twin_and_pdf(clients):
    sheet = clients["viewer"].get("/api/partners/EX-003").json()
    cocoa = {r["country"]: r for r in sheet["risks"]}
    assert cocoa["CI"]["level"] == "high" and cocoa["GH"]["level"] == "low"
    page = clients["viewer"].get("/partners/EX-003")
    assert "eligible with conditions" in page.text and "Child labour on cocoa farms" in page.text
    pdf = clients["viewer"].get("/partners/EX-003/sheet.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_access_and_not_found(clients):
    assert clients["caseworker"].get("/api/partners").status_code == 403
    assert clients["caseworker"].get("/partners/EX-001/sheet.pdf").status_code == 403
    assert clients["admin"].get("/api/partners/NOPE").status_code == 404
    nav = clients["viewer"].get("/partners").text
    assert 'href="/partners"' in nav
    assert 'href="/partners"' not in clients["caseworker"].get("/").text
