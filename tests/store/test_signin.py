"""Sign-in delays (per pair, address and account; only failures count; no lockout) and
server-side sessions (ended by sign-out, password, role and active changes, idleness, age)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from uncounted.store.db import init_database, session_scope
from uncounted.store.signin import ACCOUNT, PAIR, delay, sign_in
from uncounted.store.tables import SignInThrottle, User, WebSession
from uncounted.store.users import create_user, set_password, update_user
from uncounted.store.web_sessions import SessionPolicy, end_session, session_user, token_hash

T0 = dt.datetime(2030, 1, 1, 9)
POLICY = SessionPolicy()
PASSWORD = "correct horse battery"


@pytest.fixture
def engine(settings):
    engine = init_database(settings)
    with session_scope(engine) as s:
        create_user(s, "mira", PASSWORD, "admin")
    yield engine
    engine.dispose()


def _try(engine, password: str, address: str, at: dt.datetime, username: str = "mira"):
    with session_scope(engine) as s:
        result = sign_in(s, username, password, address, POLICY, now=at)
        return (result.user is not None, result.wait_seconds, result.token)


def test_delays_double_from_one_second_up_to_the_cap():
    assert [delay(n, PAIR).total_seconds() for n in range(4, 9)] == [0, 1, 2, 4, 8]
    assert delay(40, PAIR) == PAIR.cap == dt.timedelta(minutes=15)
    assert delay(40, ACCOUNT) == dt.timedelta(minutes=5)


def test_failures_from_one_address_grow_delays_that_even_the_right_password_waits(engine):
    at = T0
    for _ in range(5):
        assert _try(engine, "wrong", "192.0.2.1", at)[:2] == (False, 0)
    assert _try(engine, PASSWORD, "192.0.2.1", at)[:2] == (False, 1)  # refused unchecked
    at += dt.timedelta(seconds=1)
    assert _try(engine, "wrong", "192.0.2.1", at)[:2] == (False, 0)  # 6th failure: 2 s
    assert _try(engine, PASSWORD, "192.0.2.1", at + dt.timedelta(seconds=1))[1] == 1
    assert _try(engine, PASSWORD, "192.0.2.2", at)[0] is True  # another address is not delayed
    ok, wait, token = _try(engine, PASSWORD, "192.0.2.1", at + dt.timedelta(seconds=2))
    assert ok and wait == 0 and token  # after the wait: in, and the pair's count is cleared
    assert _try(engine, "wrong", "192.0.2.1", at + dt.timedelta(seconds=3))[:2] == (False, 0)
    with session_scope(engine) as s:  # refused attempts were not counted; nothing in clear
        keys = list(s.scalars(select(SignInThrottle.key)))
        assert all(len(k) == 64 and "mira" not in k and "192.0" not in k for k in keys)


def test_successes_are_never_counted(engine):
    assert all(_try(engine, PASSWORD, "192.0.2.3", T0)[0] for _ in range(12))


def test_failures_spread_over_addresses_delay_the_account_but_not_known_addresses(engine):
    assert _try(engine, PASSWORD, "198.51.100.1", T0)[0]  # the owner's usual address
    for i in range(ACCOUNT.free):
        assert _try(engine, "guess", f"203.0.113.{i}", T0)[:2] == (False, 0)
    assert _try(engine, "guess", "203.0.113.200", T0)[:2] == (False, 1)
    assert _try(engine, PASSWORD, "203.0.113.201", T0)[:2] == (False, 1)  # new address waits
    assert _try(engine, PASSWORD, "198.51.100.1", T0)[0]  # the owner is never locked out
    with session_scope(engine) as s:
        assert s.scalar(select(User.locked_until).where(User.username == "mira")) is None


def test_old_failures_are_forgotten_and_unknown_users_are_delayed_alike(engine):
    for _ in range(5):
        _try(engine, "wrong", "192.0.2.9", T0, "nobody")
    assert _try(engine, "wrong", "192.0.2.9", T0, "nobody")[1] == 1  # no hint it does not exist
    later = T0 + dt.timedelta(days=2)
    assert _try(engine, "wrong", "192.0.2.9", later, "nobody")[:2] == (False, 0)
    assert _try(engine, "wrong", "192.0.2.9", later, "nobody")[1] == 0  # count restarted


def test_unlock_clears_the_account_delay(engine):
    for i in range(ACCOUNT.free):
        _try(engine, "guess", f"203.0.113.{i}", T0)
    assert _try(engine, PASSWORD, "203.0.113.250", T0)[1] == 1
    with session_scope(engine) as s:
        user_id = s.scalar(select(User.id).where(User.username == "mira"))
        update_user(s, user_id, by="admin", unlock=True)
    assert _try(engine, PASSWORD, "203.0.113.250", T0)[0]


def _live(engine, token: str, at: dt.datetime) -> bool:
    with session_scope(engine) as s:
        return session_user(s, token, POLICY, now=at) is not None


def test_sessions_end_on_sign_out_changes_idleness_and_age(engine):
    token = _try(engine, PASSWORD, "192.0.2.20", T0)[2]
    assert _live(engine, token, T0 + dt.timedelta(minutes=29))
    assert _live(engine, token, T0 + dt.timedelta(minutes=58))  # used at 29: idle 29 min
    assert not _live(engine, token, T0 + dt.timedelta(minutes=89))  # idle 31 min
    token = _try(engine, PASSWORD, "192.0.2.20", T0)[2]
    at = T0
    while at < T0 + dt.timedelta(hours=8):  # used every 20 minutes, but 8 hours at most
        assert _live(engine, token, at)
        at += dt.timedelta(minutes=20)
    assert not _live(engine, token, T0 + dt.timedelta(hours=8, minutes=1))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    changes = [
        lambda s, user: set_password(s, user, "another long passphrase", by="admin"),
        lambda s, user: update_user(s, user.id, by="admin", role="analyst"),
        lambda s, user: update_user(s, user.id, by="admin", active=False),
    ]
    for change in changes:
        password = PASSWORD if change is changes[0] else "another long passphrase"
        token = _try(engine, password, "192.0.2.21", now)[2]
        other = _try(engine, password, "192.0.2.22", now)[2]
        with session_scope(engine) as s:
            change(s, s.scalar(select(User).where(User.username == "mira")))
        assert not _live(engine, token, now) and not _live(engine, other, now)
    with session_scope(engine) as s:
        s.scalar(select(User).where(User.username == "mira")).active = True
    token = _try(engine, "another long passphrase", "192.0.2.23", now)[2]
    with session_scope(engine) as s:  # only the token's hash is stored
        assert list(s.scalars(select(WebSession.id))) == [token_hash(token)]
    with session_scope(engine) as s:
        end_session(s, token)
    assert not _live(engine, token, now)


def test_concurrent_guesses_are_all_counted_and_the_burst_is_bounded(engine):
    """Many wrong guesses at once (one thread each, as the web server's pool runs them): every
    checked guess is counted, none is lost to a concurrent write, and no more guesses are
    checked than the free failures of the pair before the delay refuses the rest unchecked."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    guesses = 12
    start = threading.Barrier(guesses)

    def guess(_: int) -> tuple[bool, int, str | None]:
        start.wait()
        return _try(engine, "wrong", "192.0.2.9", T0)

    with ThreadPoolExecutor(guesses) as pool:
        outcomes = list(pool.map(guess, range(guesses)))
    checked = [o for o in outcomes if o[1] == 0]
    assert not any(o[0] for o in outcomes)
    assert len(checked) == PAIR.free
    assert all(o[1] == 1 for o in outcomes if o[1] != 0)  # refused unchecked, 1 s to wait
    with session_scope(engine) as s:
        counts = sorted(s.scalars(select(SignInThrottle.failures)))
    assert counts == [PAIR.free] * 3  # pair, address and account: each checked guess once


@pytest.mark.postgres
def test_concurrent_guesses_on_postgres(postgres_url, settings):
    """The same burst on PostgreSQL, where the rows are locked, not the whole database."""
    from sqlalchemy import create_engine, text

    from uncounted.store.db import make_engine, upgrade

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS sign_in_check"))
        conn.execute(text("CREATE DATABASE sign_in_check"))
    admin.dispose()
    engine = make_engine(postgres_url.rsplit("/", 1)[0] + "/sign_in_check", pool_size=12)
    try:
        upgrade(engine)
        with session_scope(engine) as s:
            create_user(s, "mira", PASSWORD, "admin")
        test_concurrent_guesses_are_all_counted_and_the_burst_is_bounded(engine)
        assert _try(engine, PASSWORD, "192.0.2.10", T0 + dt.timedelta(minutes=1))[0]
        with session_scope(engine) as s:  # the success left no empty rows behind
            assert all(r.failures or r.known for r in s.scalars(select(SignInThrottle)))
    finally:
        engine.dispose()
