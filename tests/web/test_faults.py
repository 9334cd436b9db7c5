"""The web app while PostgreSQL goes away and comes back: 503 with a sentence, then recovery.

The server is taken away from the app's database as an outage would: every connection to it
is terminated (``pg_terminate_backend``) and new ones are refused (``ALLOW_CONNECTIONS
false``), while the app keeps running; then connections are allowed again.
"""

from __future__ import annotations

import uuid

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


def _outage(admin, name: str, down: bool) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(not down).lower()}'))
        if down:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )


def test_lost_postgresql_answers_503_and_recovers(postgres_url, settings):
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    keyring = KeyRing(bytes(range(32)))
    engine = make_engine(url, keyring)
    upgrade(engine)
    insert_frames(engine, simulate_world(WorldConfig(seed=3, n_victims=150)).frames)
    with session_scope(engine) as s:
        create_user(s, "cw", DEMO_PASSWORD, "caseworker", 1)
    engine.dispose()
    try:
        app = create_app(settings, database_url=url, keyring=keyring)
        with TestClient(app) as client:
            assert sign_in(client, "cw").status_code == 303
            client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
            before = client.get("/api/cases").json()["total"]
            assert before > 0

            _outage(admin, name, down=True)
            lost = client.get("/api/cases")
            assert lost.status_code == 503
            assert lost.headers["content-type"] == "application/json"
            assert lost.headers["retry-after"] == "5"
            message = lost.json()["error"]
            assert message.startswith("The database server at postgresql+psycopg://")
            assert "cannot be reached" in message and "Nothing was lost" in message
            page = client.get("/cases", headers={"Accept": "text/html"})
            assert page.status_code == 503 and "cannot be reached" in page.text
            write = client.post(
                "/api/cases/new",
                json={"reference": "DOWN-1", "status": "Active",
                      "exploitation_type": "ForcedLabour", "jurisdiction": "PH",
                      "opened_on": "2025-01-02"},
            )  # fmt: skip
            assert write.status_code == 503

            _outage(admin, name, down=False)
            back = client.get("/api/cases")
            assert back.status_code == 200 and back.json()["total"] == before
            assert client.get("/api/cases?q=DOWN-1").json()["rows"] == []  # nothing half-done
            made = client.post(
                "/api/cases/new",
                json={"reference": "UP-1", "status": "Active",
                      "exploitation_type": "ForcedLabour", "jurisdiction": "PH",
                      "opened_on": "2025-01-02"},
            )  # fmt: skip
            assert made.status_code == 201
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
