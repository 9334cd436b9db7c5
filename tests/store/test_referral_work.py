"""Referral work: the inbox, accept with consent / decline / complete / resend, in order only;
scope of each side; audit; and case notes (encrypted, append-only, audited, scoped)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from tests.security.conftest import TARGET, make_store
from uncounted.errors import AccessDenied
from uncounted.store.access import Principal, Resource, Role, permitted_ids
from uncounted.store.case_notes import add_note, case_notes
from uncounted.store.db import session_scope
from uncounted.store.recording import InvalidRecord
from uncounted.store.referral_work import (
    accept_referral,
    complete_referral,
    decline_referral,
    referral_inbox,
    resend_referral,
    sent_referrals,
)
from uncounted.store.tables import AuditEvent, Referral

# the users of the security store (tests/security/conftest.py): ids 1 admin, 2 caseworker (PNP),
# 3 analyst, 4 viewer, 5 caseworker-th (TH-DSI)
PNP = Principal(2, "caseworker", Role.CASEWORKER, 1)  # receives "ref" and "declined"
DSI = Principal(5, "caseworker-th", Role.CASEWORKER, 2)  # sends them
ANALYST = Principal(3, "analyst", Role.ANALYST)
NOW = dt.datetime(2025, 5, 1, 9, 30)


@pytest.fixture
def engine(tmp_path):
    store = make_store(tmp_path)
    assert store.user_ids == {"admin": 1, "caseworker": 2, "analyst": 3, "viewer": 4,
                              "caseworker-th": 5}  # fmt: skip
    yield store.engine
    store.engine.dispose()


def _requested(engine) -> int:
    """The "declined" referral (DSI -> PNP), sent again: a fresh request."""
    with session_scope(engine) as s:
        resend_referral(s, DSI, TARGET["declined"].referral, today=dt.date(2025, 4, 30))
    return TARGET["declined"].referral


def test_inbox_lists_referrals_to_the_agency_by_status(engine):
    with session_scope(engine) as s:
        board = referral_inbox(s, PNP).to_dict()
    got = {k: [r["id"] for r in v] for k, v in board["by_status"].items()}
    assert got == {
        "Requested": [],
        "Accepted": [TARGET["ref"].referral],
        "Declined": [TARGET["declined"].referral],
        "Completed": [],
    }
    assert board["totals"] == {"Requested": 0, "Accepted": 1, "Declined": 1, "Completed": 0}
    (ref,) = board["by_status"]["Accepted"]
    assert (ref["from_agency"], ref["to_agency"], ref["person"]) == ("TH-DSI", "PNP", "P-5")
    with session_scope(engine) as s:
        sent = sent_referrals(s, PNP).to_dict()["by_status"]
    assert [r["id"] for r in sent["Accepted"]] == [TARGET["own"].referral]


def test_accept_records_consent_opens_the_person_and_is_audited(engine):
    rid = _requested(engine)
    victim = TARGET["declined"].victim
    with session_scope(engine) as s:
        assert permitted_ids(s, PNP, Resource.PERSONS, _read(), [victim]) == set()
        accept_referral(s, PNP, rid, consent_method="Written",
                        consent_given_on=dt.date(2025, 4, 29), now=NOW)  # fmt: skip
    with session_scope(engine) as s:
        r = s.get(Referral, rid)
        assert (r.status, r.consent_recorded, r.consent_method) == ("Accepted", True, "Written")
        assert (r.consent_recorded_by, r.consent_recorded_at) == ("caseworker", NOW)
        assert r.consent_given_on == dt.date(2025, 4, 29) and r.decided_by == "caseworker"
        assert permitted_ids(s, PNP, Resource.PERSONS, _read(), [victim]) == {victim}
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.resource == "referrals").order_by(AuditEvent.id)
        ).all()[-1]
        assert event.actor == "caseworker" and event.before["status"] == "Requested"
        assert event.after["status"] == "Accepted" and "consent_method" in event.fields
        sent = sent_referrals(s, DSI).to_dict()["by_status"]["Accepted"]
        assert rid in [i["id"] for i in sent]


def _read():
    from uncounted.store.access import Action

    return Action.READ


def test_accept_needs_consent_how_and_not_a_future_day(engine):
    rid = _requested(engine)
    with session_scope(engine) as s, pytest.raises(InvalidRecord) as refused:
        accept_referral(s, PNP, rid, consent_method="Nodded",
                        consent_given_on=dt.date(2025, 5, 2), now=NOW)  # fmt: skip
    assert set(refused.value.problems) == {"consent_method", "consent_given_on"}


def test_status_moves_only_in_order(engine):
    declined, accepted = TARGET["declined"].referral, TARGET["ref"].referral
    with session_scope(engine) as s:
        with pytest.raises(InvalidRecord, match="declined referral can move only to Requested"):
            accept_referral(s, PNP, declined, consent_method="Verbal",
                            consent_given_on=dt.date(2025, 1, 1))  # fmt: skip
        with pytest.raises(InvalidRecord):
            decline_referral(s, PNP, accepted, "no room")
        with pytest.raises(InvalidRecord):
            resend_referral(s, DSI, accepted)
    with session_scope(engine) as s:
        with pytest.raises(InvalidRecord, match="confirm"):
            complete_referral(s, PNP, accepted, confirmed=False)
        complete_referral(s, PNP, accepted, now=NOW)
    with session_scope(engine) as s:
        assert s.get(Referral, accepted).status == "Completed"
        assert permitted_ids(s, PNP, Resource.PERSONS, _read(), [TARGET["ref"].victim]) == set()
        with pytest.raises(InvalidRecord, match="nothing"):
            complete_referral(s, PNP, accepted)


def test_only_the_right_side_decides(engine):
    rid = _requested(engine)
    with session_scope(engine) as s:
        with pytest.raises(AccessDenied, match="receiving agency"):
            decline_referral(s, DSI, rid, "the sender cannot decide")
        with pytest.raises(AccessDenied):
            decline_referral(s, ANALYST, rid, "an analyst cannot decide")
        with pytest.raises(AccessDenied, match="sending agency"):
            resend_referral(s, PNP, TARGET["declined"].referral)
        with pytest.raises(AccessDenied):
            referral_inbox(s, ANALYST)


def test_decline_keeps_the_reason_encrypted_and_needs_one(engine):
    rid = _requested(engine)
    with session_scope(engine) as s:
        with pytest.raises(InvalidRecord):
            decline_referral(s, PNP, rid, "   ")
        decline_referral(s, PNP, rid, "No shelter place for a boy of 15", now=NOW)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT decline_reason FROM referrals WHERE id = :i"), {"i": rid}
        ).scalar_one()
    assert "shelter" not in stored
    with session_scope(engine) as s:
        (item,) = sent_referrals(s, DSI).by_status["Declined"]
        assert item.decline_reason == "No shelter place for a boy of 15"
        assert item.decided_by == "caseworker"
        log = s.scalars(select(AuditEvent).where(AuditEvent.resource == "referrals")).all()
        assert "shelter" not in str([(e.before, e.after) for e in log])
        assert any(e.action == "read" and e.fields == ["decline_reason"] for e in log)


def test_notes_are_encrypted_shown_in_scope_and_audited(engine):
    own = TARGET["own"].case_id
    with session_scope(engine) as s:
        add_note(s, PNP, own, "Met the victim at the shelter; she wants to go home.", now=NOW)
        add_note(s, PNP, own, "Correction: the meeting was on Tuesday.", now=NOW)
        with pytest.raises(InvalidRecord):
            add_note(s, PNP, own, "  ")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT body FROM case_notes")).scalars().all()
    assert len(stored) == 2 and not any("shelter" in b for b in stored)
    with session_scope(engine) as s:
        notes = case_notes(s, PNP, own)
        assert [n.text for n in notes] == [
            "Met the victim at the shelter; she wants to go home.",
            "Correction: the meeting was on Tuesday.",
        ]
        assert (notes[0].author, notes[0].agency, notes[0].written_at) == (
            "caseworker", "PNP", "2025-05-01T09:30"
        )  # fmt: skip
        assert case_notes(s, ANALYST, own) == []  # analysts see no identifying text
        reads = s.scalars(
            select(AuditEvent.record_id).where(
                AuditEvent.resource == "case_notes", AuditEvent.action == "read"
            )
        ).all()
        assert sorted(reads) == ["1", "2"]
        creates = s.scalars(
            select(AuditEvent).where(
                AuditEvent.resource == "case_notes", AuditEvent.action == "create"
            )
        ).all()
        assert len(creates) == 2 and creates[0].after["body"] == "[redacted]"
    with session_scope(engine) as s:
        with pytest.raises(AccessDenied):
            add_note(s, DSI, own, "not my case")
        with pytest.raises(AccessDenied):  # a referral-only reader does not read the case
            case_notes(s, PNP, TARGET["ref"].case_id)
        with pytest.raises(AccessDenied):
            add_note(s, ANALYST, own, "analysts do not write")


def test_key_rotation_reencrypts_notes_and_decline_reasons(tmp_path):
    """Notes and decline reasons are identifying text: a data key rotation rewrites them too,
    so they stay readable with the new key alone."""
    import secrets

    from uncounted.store.crypto import KeyRing, attach_keyring, key_id, rotate_data_key
    from uncounted.store.db import make_engine

    store = make_store(tmp_path)
    rid = _requested(store.engine)
    with session_scope(store.engine) as s:
        add_note(s, PNP, TARGET["own"].case_id, "Moved to a safe house.", now=NOW)
        decline_referral(s, PNP, rid, "No place for a boy of 15.", now=NOW)
    old = store.settings.key_bytes("data")
    new = KeyRing(secrets.token_bytes(32))
    attach_keyring(store.engine, KeyRing(new.current, (old,)))
    with store.engine.begin() as conn:
        # rows rewritten: 8 identities, 1 note, the 4 referrals (one with a reason)
        assert rotate_data_key(conn, new) == 8 + 1 + 4
    store.engine.dispose()
    rotated = make_engine(store.settings.resolved_database_url, new)
    with rotated.connect() as conn:
        raw = conn.execute(text("SELECT body FROM case_notes")).scalar_one()
        assert raw.startswith(f"enc1:{key_id(new.current)}:")
    with session_scope(rotated) as s:
        assert [n.text for n in case_notes(s, PNP, TARGET["own"].case_id)] == [
            "Moved to a safe house."
        ]
        assert s.get(Referral, rid).decline_reason == "No place for a boy of 15."
    rotated.dispose()
