"""Audit events share the action's transaction and hold no secret; users have argon2 hashes
and are never locked out by failures (delays are ``tests/store/test_signin.py``'s)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from uncounted.errors import InvalidInput
from uncounted.store import audit
from uncounted.store.access import Principal, Role
from uncounted.store.db import init_database, session_scope
from uncounted.store.tables import AuditEvent, Person, PersonIdentity, User
from uncounted.store.users import (
    authenticate,
    create_user,
    principal,
    set_password,
    update_user,
)

ANA = Principal(None, "ana", Role.ADMIN)


@pytest.fixture
def engine(settings):
    engine = init_database(settings)
    yield engine
    engine.dispose()


def _events(engine) -> list[AuditEvent]:
    with session_scope(engine) as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_create_update_delete_are_audited_field_by_field(engine):
    with session_scope(engine) as s:
        person = audit.create(s, ANA, Person(sex="Female", birth_year=2007))
        ident = audit.create(s, ANA, PersonIdentity(person_id=person.id, given_name="Asha"))
    with session_scope(engine) as s:
        person = s.get(Person, person.id)
        changed = audit.update(s, ANA, person, {"birth_year": 2006, "sex": "Female"})
        assert changed == ["birth_year"]
        ident = s.get(PersonIdentity, ident.person_id)
        assert audit.update(s, ANA, ident, {"given_name": "Aasha"}) == ["given_name"]
    with session_scope(engine) as s:
        audit.delete(s, ANA, s.get(PersonIdentity, ident.person_id))
    events = _events(engine)
    assert [(e.action, e.resource) for e in events] == [
        ("create", "persons"),
        ("create", "person_identities"),
        ("update", "persons"),
        ("update", "person_identities"),
        ("delete", "person_identities"),
    ]
    upd = events[2]
    assert (upd.fields, upd.before, upd.after) == (
        ["birth_year"],
        {"birth_year": 2007},
        {"birth_year": 2006},
    )
    # identifying values never reach the audit log in clear text
    assert events[1].after["given_name"] == audit.REDACTED
    assert events[3].before == {"given_name": audit.REDACTED}
    assert all("Asha" not in str(e.before) + str(e.after) for e in events)


def test_audit_rolls_back_with_the_action(engine):
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        audit.create(s, ANA, Person(sex="Male"))
        raise RuntimeError("the action failed after the write")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_read_of_personal_data_is_recorded(engine):
    with session_scope(engine) as s:
        audit.record_read(s, ANA, "person_identities", "12", ["given_name", "phone"])
    (event,) = _events(engine)
    assert (event.actor, event.action, event.record_id, event.fields) == (
        "ana",
        "read",
        "12",
        ["given_name", "phone"],
    )
    assert event.at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_users_hash_verify_and_are_not_locked_out(engine):
    with session_scope(engine) as s:
        user = create_user(s, "mira", "correct horse battery", "analyst")
        assert user.password_hash.startswith("$argon2id$")
        assert "correct horse" not in user.password_hash
    with session_scope(engine) as s:
        found = authenticate(s, "mira", "correct horse battery")
        assert found is not None and principal(found).role is Role.ANALYST
        assert authenticate(s, "nobody", "correct horse battery") is None
    now = dt.datetime(2030, 1, 1, 12)
    for _ in range(12):
        with session_scope(engine) as s:
            assert authenticate(s, "mira", "wrong password!", now=now) is None
    with session_scope(engine) as s:  # failures are counted, but lock nobody out
        assert s.scalar(select(User.failed_logins).where(User.username == "mira")) == 12
        assert authenticate(s, "mira", "correct horse battery", now=now) is not None
    with session_scope(engine) as s:
        user = s.scalar(select(User).where(User.username == "mira"))
        assert user.failed_logins == 0 and user.locked_until is None
        set_password(s, user, "another long passphrase", by=ANA)
    with session_scope(engine) as s:
        assert authenticate(s, "mira", "another long passphrase") is not None
    actions = [e.action for e in _events(engine)]
    assert actions.count("sign-in-failed") == 12 + 1
    assert actions.count("sign-in") == 3


def test_audit_log_never_holds_a_password_hash(engine):
    """Issue #15, item 3: the audit of users showed ``password_hash=$argon2id$...``."""
    with session_scope(engine) as s:
        user = create_user(s, "omar", "first long passphrase", "viewer")
    with session_scope(engine) as s:
        user = s.get(User, user.id)
        set_password(s, user, "second long passphrase", by=ANA)
        update_user(s, user.id, by=ANA, role="analyst")
    with session_scope(engine) as s:  # a caller passing a secret by hand is redacted too
        audit.record(s, ANA, audit.AuditAction.UPDATE, "users", "1", after={"token": "abc"})
    events = [e for e in _events(engine) if e.resource == "users"]
    assert [e.action for e in events] == ["create", "update", "update", "update"]
    created, password, role, by_hand = events
    assert created.after["password_hash"] == audit.REDACTED and created.after["role"] == "viewer"
    assert password.fields == ["password_hash", "failed_logins"] or "password_hash" in (
        password.fields
    )
    assert password.before["password_hash"] == password.after["password_hash"] == audit.REDACTED
    assert (role.before, role.after) == ({"role": "viewer"}, {"role": "analyst"})
    assert by_hand.after == {"token": audit.REDACTED}
    for event in _events(engine):
        text = f"{event.before} {event.after} {event.detail}"
        assert "$argon2" not in text and "passphrase" not in text


@pytest.mark.parametrize(
    ("username", "password", "role", "agency", "match"),
    [
        ("x", "short", "analyst", None, "at least 12"),
        ("x", "long enough password", "boss", None, "Unknown role"),
        ("x", "long enough password", "caseworker", None, "needs an agency"),
    ],
)
def test_bad_users_are_refused(engine, username, password, role, agency, match):
    with pytest.raises(InvalidInput, match=match), session_scope(engine) as s:
        create_user(s, username, password, role, agency)


def test_upgrade_scrubs_password_hashes_from_older_audit_events(tmp_path):
    """Audit events written before revision 0006 held password hashes; the upgrade removes them."""
    from sqlalchemy import text

    from uncounted.store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(engine, "0005")
    old = {"username": "mira", "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (at, actor, action, resource, record_id, fields, before,"
                " after) VALUES ('2026-01-01', 'admin', 'create', 'users', '1', '[]', '{}', :a)"
            ),
            {"a": json.dumps(old)},
        )
    upgrade(engine)
    with session_scope(engine) as s:
        (event,) = s.scalars(select(AuditEvent))
        assert event.after == {"username": "mira", "password_hash": audit.REDACTED}
    engine.dispose()
