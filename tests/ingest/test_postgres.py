"""The same imports on PostgreSQL: references, updates with audit, and a refused file."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from uncounted.errors import ImportRejected
from uncounted.ingest import import_file
from uncounted.store.db import make_engine, upgrade
from uncounted.store.tables import AuditEvent, CasePerson, JusticeEvent

from .conftest import AGENCIES, CASES, PERSONS, TODAY


@pytest.fixture
def pg(postgres_url):
    """A fresh database of its own on the test server."""
    name = f"ingest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(postgres_url.rsplit("/", 1)[0] + f"/{name}")
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name}"))
    admin.dispose()


@pytest.mark.postgres
def test_imports_on_postgresql(pg, write):
    import_file(pg, write("agencies.csv", AGENCIES), today=TODAY)
    import_file(pg, write("cases.csv", CASES), source="PNP", today=TODAY)
    import_file(pg, write("persons.csv", PERSONS), source="PNP", today=TODAY)
    events = write(
        "justice_events.csv",
        "external_id,case,person,stage,occurred_on,jurisdiction\n"
        "E1,C1,P2,arrest,2024-02-01,PH\nE2,C1,P2,charge,2024-03-01,PH-CEB\n",
    )
    assert import_file(pg, events, source="PNP", today=TODAY).rows_created == 2
    changed = write("e2.csv", events.read_text().replace("2024-03-01", "2024-03-02"))
    result = import_file(pg, changed, "justice_events", source="PNP", today=TODAY)
    assert (result.rows_updated, result.rows_unchanged) == (1, 1)
    bad = write(
        "e3.csv",
        "external_id,case,person,stage,occurred_on,jurisdiction\nE3,C1,P2,trial,2024-01-01,PH\n",
    )
    with pytest.raises(ImportRejected) as caught:
        import_file(pg, bad, "justice_events", source="PNP", today=TODAY)
    assert [(r.line, r.column) for r in caught.value.rows] == [(2, "occurred_on")]
    with pg.connect() as conn:
        assert conn.execute(select(func.count()).select_from(JusticeEvent)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(CasePerson)).scalar_one() == 2
        audit = conn.execute(
            select(AuditEvent.fields, AuditEvent.after).where(AuditEvent.action == "update")
        ).one()
    assert tuple(audit) == (["occurred_on"], {"occurred_on": "2024-03-02"})
