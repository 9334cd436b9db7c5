"""The importer's upsert: columns a stored row keeps, and updates that add no row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from uncounted.store import importing
from uncounted.store.db import make_engine, upgrade
from uncounted.store.tables import Agency, AuditEvent, ListMembership

AS = importing.AuditAs("cli:import", "test")
PNP = {"code": "PNP", "name": "Police", "org_type": "LawEnforcement", "country": "PH"}


def _store(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    return engine


def _agencies(engine: Engine) -> list[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Agency.code, Agency.name, Agency.country).order_by(Agency.code))
        return [tuple(r) for r in rows]


def test_kept_columns_are_written_to_new_rows_only_and_audited_when_they_change(tmp_path):
    engine = _store(tmp_path)
    with engine.begin() as conn:
        importing.upsert(conn, "agencies", ("code",), [PNP], AS)
    renamed = {**PNP, "name": "National Police", "country": None}
    new = {"code": "IOM", "name": "IOM", "org_type": "InternationalOrganisation", "country": "CH"}
    with engine.begin() as conn:
        changes = importing.upsert(conn, "agencies", ("code",), [renamed, new], AS, ["country"])
    assert (changes.created, changes.updated) == ({("IOM",)}, {("PNP",)})
    assert _agencies(engine) == [("IOM", "IOM", "CH"), ("PNP", "National Police", "PH")]
    with Session(engine) as session:
        (update,) = session.execute(
            select(AuditEvent).where(AuditEvent.action == "update")
        ).scalars()
    assert (update.fields, update.before, update.after) == (
        ["name"],
        {"name": "Police"},
        {"name": "National Police"},
    )


def test_without_create_only_stored_rows_are_updated(tmp_path):
    engine = _store(tmp_path)
    with engine.begin() as conn:
        importing.upsert(conn, "agencies", ("code",), [PNP], AS)
        moved = {**PNP, "country": "TH"}
        other = {**PNP, "code": "NGO-A"}
        changes = importing.upsert(conn, "agencies", ("code",), [moved, other], AS, create=False)
    assert (changes.created, changes.updated) == (set(), {("PNP",)})
    assert _agencies(engine) == [("PNP", "Police", "TH")]


def test_rows_of_different_columns_are_created_in_order_with_defaults(tmp_path):
    """A row that leaves out a column gets its default when created, and is not compared on
    it when stored; rows are created in their order, whatever columns each carries."""
    engine = _store(tmp_path)
    with engine.begin() as conn:
        importing.upsert(conn, "agencies", ("code",), [PNP], AS)
        ids = importing.agency_ids(conn)
        one = {"external_id": "P1", "source_agency_id": ids["PNP"]}
        importing.upsert(conn, "persons", ("external_id", "source_agency_id"), [one], AS)
        (person,) = importing.ids_by_external(conn, "persons", [(ids["PNP"], "P1")]).values()
        flags = select(ListMembership.period, ListMembership.linkage_only).order_by(
            ListMembership.id
        )
        rows = [
            {"person_id": person, "agency_id": ids["PNP"], "period": "2023"},
            {"person_id": person, "agency_id": ids["PNP"], "period": "2024", "linkage_only": True},
        ]
        key = ("person_id", "agency_id", "period")
        importing.upsert(conn, "list_memberships", key, rows, AS)
        created = conn.execute(flags).all()
        again = [rows[0], {**rows[1], "linkage_only": False}]  # the first leaves it as stored
        changes = importing.upsert(conn, "list_memberships", key, again, AS)
        updated = conn.execute(flags).all()
    assert [tuple(r) for r in created] == [("2023", False), ("2024", True)]
    assert [tuple(r) for r in updated] == [("2023", False), ("2024", False)]
    assert changes.updated == {(person, ids["PNP"], "2024")}
