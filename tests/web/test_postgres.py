"""The web application over PostgreSQL: sign in, list, read (audited), write — same code."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.web.conftest import sign_in
from uncounted.demo import DEMO_PASSWORD
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.store.bulk import insert_frames
from uncounted.store.crypto import KeyRing
from uncounted.store.db import make_engine, session_scope, upgrade
from uncounted.store.users import create_user
from uncounted.web import create_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(postgres_url, settings):
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS web_check"))
        conn.execute(text("CREATE DATABASE web_check"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + "/web_check"
    keyring = KeyRing(bytes(range(32)))
    engine = make_engine(url, keyring)
    upgrade(engine)
    insert_frames(engine, simulate_world(WorldConfig(seed=3, n_victims=300)).frames)
    with session_scope(engine) as s:
        create_user(s, "cw", DEMO_PASSWORD, "caseworker", 1)
    engine.dispose()
    return create_app(settings, database_url=url, keyring=keyring)


def test_caseworker_on_postgres(pg_app):
    with TestClient(pg_app) as client:  # the app's lifespan closes its connections at the end
        _work_as_caseworker(client)


def _work_as_caseworker(client: TestClient) -> None:
    assert sign_in(client, "cw", "not the password").status_code == 401  # counted on PostgreSQL
    assert sign_in(client, "cw").status_code == 303
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    listed = client.get("/api/cases?status=Closed&stage=charge").json()
    assert listed["total"] == len(listed["rows"]) > 0
    first = client.get(f"/api/cases/{listed['rows'][0]['id']}").json()
    assert first["identities_shown"] is True
    made = client.post(
        "/api/cases/new",
        json={"reference": "PG-1", "status": "Active", "exploitation_type": "ForcedLabour",
              "jurisdiction": "PH", "opened_on": "2025-01-02"},
    )  # fmt: skip
    assert made.status_code == 201
    assert client.get("/api/cases?q=PG-1").json()["rows"][0]["agency"] == "PNP"
    assert client.get("/cases").status_code == 200 and client.get("/").status_code == 200
