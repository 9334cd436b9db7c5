"""Soft delete with a reason: who may, every read path hides the record, restore brings it back.

The store is the security matrix's (``tests/security/conftest.py``): one case per target, each
with a victim, a suspect, an arrest and a referral; the caseworker works for PNP (target own).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.security.conftest import TARGET, make_store
from uncounted.errors import AccessDenied, InvalidInput, NotFound
from uncounted.ingest.export import export_records
from uncounted.store.access import Action, Principal, Role
from uncounted.store.casebook import CaseFilters, case_detail, get_case, list_cases
from uncounted.store.db import session_scope
from uncounted.store.exports import stored_rows
from uncounted.store.frames import justice_tables, list_memberships_frame, read_table
from uncounted.store.removals import delete_record, list_removals, restore_record
from uncounted.store.survivor_records import get_person
from uncounted.store.tables import AuditEvent
from uncounted.store.tallies import stage_totals

OWN, OTHER = TARGET["own"], TARGET["other"]
ADMIN = Principal(1, "admin", Role.ADMIN)
CASEWORKER = Principal(2, "caseworker", Role.CASEWORKER, 1)
ANALYST = Principal(3, "analyst", Role.ANALYST)
VIEWER = Principal(4, "viewer", Role.VIEWER)
REASON = "entered twice by mistake"


@pytest.fixture
def store(tmp_path):
    made = make_store(tmp_path)
    yield made
    made.engine.dispose()


def _delete(store, who, resource, record_id, reason=REASON):
    with session_scope(store.engine) as s:
        delete_record(s, who, resource, record_id, reason)


def _case_refs(store, who):
    with session_scope(store.engine) as s:
        return [r.reference for r in list_cases(s, who, CaseFilters()).rows]


def test_a_deleted_case_is_gone_from_every_read(store):
    _delete(store, CASEWORKER, "cases", OWN.case_id)
    assert "REF-own" not in _case_refs(store, ADMIN)
    assert _case_refs(store, CASEWORKER) == []
    with session_scope(store.engine) as s:
        with pytest.raises(NotFound):
            get_case(s, ADMIN, OWN.case_id)
        # the linked case no longer lists it
        assert case_detail(s, ADMIN, OTHER.case_id).linked == []
        assert stage_totals(s)["arrests"] == 3
    tables = justice_tables(store.engine)
    assert OWN.case_id not in tables["cases"]["id"].to_list()
    assert OWN.event not in tables["justice_events"]["id"].to_list()
    assert OWN.case_id not in tables["case_persons"]["case_id"].to_list()
    assert OWN.case_id not in tables["case_links"]["case_id"].to_list()
    assert OWN.referral not in read_table(store.engine, "referrals")["id"].to_list()
    with store.engine.connect() as conn:
        refs = [r["reference"] for r in stored_rows(conn, "cases")]
        events = [r["external_id"] for r in stored_rows(conn, "justice_events")]
    assert "REF-own" not in refs and len(refs) == 3
    assert "E-own" not in events and len(events) == 3


def test_a_deleted_person_is_gone_from_every_read(store):
    _delete(store, CASEWORKER, "persons", OWN.victim)
    with session_scope(store.engine) as s:
        people = [p["person_id"] for p in case_detail(s, CASEWORKER, OWN.case_id).persons]
        assert people == [OWN.suspect]
        assert case_detail(s, CASEWORKER, OWN.case_id).referrals == []
        with pytest.raises(NotFound):
            get_person(s, ADMIN, OWN.victim, Action.READ)
    assert OWN.victim not in read_table(store.engine, "persons")["id"].to_list()
    assert OWN.victim not in read_table(store.engine, "person_identities")["person_id"].to_list()
    assert OWN.victim not in read_table(store.engine, "assessments")["person_id"].to_list()
    assert OWN.victim not in list_memberships_frame(store.engine)["person_id"].to_list()
    with store.engine.connect() as conn:
        names = [r.get("family_name") for r in stored_rows(conn, "persons")]
    assert OWN.victim_name not in names and OTHER.victim_name in names


def test_a_deleted_event_leaves_the_indicators(store):
    _delete(store, ADMIN, "justice_events", OTHER.event)
    with session_scope(store.engine) as s:
        assert stage_totals(s)["arrests"] == 3
        timeline = case_detail(s, ADMIN, OTHER.case_id).timeline
        assert [e["id"] for e in timeline] == [OWN.event]  # the linked case's only
    assert OTHER.event not in read_table(store.engine, "justice_events")["id"].to_list()


def test_export_under_a_user_leaves_deleted_records_out(store, tmp_path):
    _delete(store, CASEWORKER, "cases", OWN.case_id)
    out = tmp_path / "export"
    export_records(store.engine, out, who=CASEWORKER)
    text = "".join(p.read_text() for p in out.rglob("*.csv"))
    assert "C-own" not in text and "E-own" not in text


@pytest.mark.parametrize(
    ("who", "resource", "record_id"),
    [
        (CASEWORKER, "cases", OTHER.case_id),  # another agency's case
        (CASEWORKER, "persons", OTHER.victim),
        (CASEWORKER, "justice_events", OTHER.event),
        (ANALYST, "cases", OWN.case_id),
        (VIEWER, "cases", OWN.case_id),
    ],
)
def test_who_may_not_delete(store, who, resource, record_id):
    with session_scope(store.engine) as s, pytest.raises(AccessDenied):
        delete_record(s, who, resource, record_id, REASON)
    assert "REF-other" in _case_refs(store, ADMIN)


def test_a_reason_is_required_and_a_record_is_deleted_once(store):
    with session_scope(store.engine) as s, pytest.raises(InvalidInput, match="Say why"):
        delete_record(s, CASEWORKER, "cases", OWN.case_id, "  ")
    _delete(store, CASEWORKER, "cases", OWN.case_id)
    with session_scope(store.engine) as s, pytest.raises(NotFound):
        delete_record(s, CASEWORKER, "cases", OWN.case_id, REASON)


def test_admin_restores_and_both_steps_are_audited(store):
    _delete(store, CASEWORKER, "cases", OWN.case_id)
    with session_scope(store.engine) as s:
        with pytest.raises(AccessDenied):
            list_removals(s, CASEWORKER)
        (removal,) = list_removals(s, ADMIN)
        assert (removal.resource, removal.record_id, removal.kind) == ("cases", 1, "deleted")
        assert (removal.reason, removal.removed_by) == (REASON, "caseworker")
        with pytest.raises(AccessDenied):
            restore_record(s, CASEWORKER, removal.id)
        restore_record(s, ADMIN, removal.id)
    assert _case_refs(store, CASEWORKER) == ["REF-own"]
    assert OWN.event in read_table(store.engine, "justice_events")["id"].to_list()
    with session_scope(store.engine) as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail).where(
                AuditEvent.resource == "cases", AuditEvent.record_id == "1"
            )
        ).all()
    assert [(a, who) for a, who, _ in events] == [("delete", "caseworker"), ("restore", "admin")]
    assert REASON in events[0][2]


def test_a_persons_cases_leave_out_deleted_cases_and_other_roles(store):
    """``person_case_ids``: the links from a survivor's or a merged person's page back to their
    cases: live roles in ``who``'s scope only, optionally of one role."""
    from uncounted.store.casebook import person_case_ids

    with session_scope(store.engine) as s:
        assert person_case_ids(s, ADMIN, OWN.victim) == [OWN.case_id]
        assert person_case_ids(s, ADMIN, OWN.victim, role="victim") == [OWN.case_id]
        assert person_case_ids(s, ADMIN, OWN.victim, role="suspect") == []
    _delete(store, ADMIN, "cases", OWN.case_id)
    with session_scope(store.engine) as s:
        assert person_case_ids(s, ADMIN, OWN.victim) == []
