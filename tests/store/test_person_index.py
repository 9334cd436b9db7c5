"""The person search's blind index: normalisation, key separation, no clear text, upkeep on
every write path, scoped and audited search."""

from __future__ import annotations

import datetime as dt
import secrets

import polars as pl
import pytest
from sqlalchemy import select

from uncounted.errors import AccessDenied
from uncounted.settings import Settings
from uncounted.store import person_index
from uncounted.store.access import Principal, Role
from uncounted.store.bulk import insert_frames
from uncounted.store.crypto import KeyRing, attach_keyring, key_id
from uncounted.store.db import init_database, session_scope
from uncounted.store.person_search import search_persons
from uncounted.store.recording import add_person, create_case, update_person
from uncounted.store.tables import AuditEvent, PersonIndexToken

ADMIN = Principal(None, "ana", Role.ADMIN)
PEOPLE = {
    1: {"given_name": "José", "family_name": "Nguyễn", "identity_number": "AB-123 456"},
    2: {"given_name": "Somchai", "family_name": "Khin Thu", "other_names": "Lek"},
    3: {"given_name": "Maria", "family_name": "Santos", "identity_number": "P1234567"},
}
#: A Vietnamese name with the d with stroke, which Unicode does not decompose.
DANG = {"given_name": "Thị Đào", "family_name": "Đặng"}


def _identities() -> pl.DataFrame:
    rows = [{"person_id": pid, **values} for pid, values in PEOPLE.items()]
    return pl.DataFrame(rows, infer_schema_length=None)


@pytest.fixture
def engine(tmp_path):
    engine = init_database(Settings(data_dir=tmp_path))
    agencies = pl.DataFrame(
        {"id": [1, 2], "code": ["PNP", "DSI"], "name": ["P", "D"], "org_type": ["Police"] * 2,
         "country": ["PH", "TH"]}
    )  # fmt: skip
    persons = pl.DataFrame({"id": [1, 2, 3], "sex": ["Female"] * 3, "source_agency_id": [1, 1, 2]})
    insert_frames(
        engine,
        {"agencies": agencies, "persons": persons, "person_identities": _identities()},
    )
    yield engine
    engine.dispose()


def _found(engine, who, text) -> list[int]:
    with session_scope(engine) as s:
        return [h.person_id for h in search_persons(s, who, text).hits]


@pytest.mark.parametrize(
    ("query", "person"),
    [
        ("Jose Nguyen", 1),  # accents and transliteration: José, Nguyễn
        ("nguyen jose", 1),  # swapped order
        ("NGUYỄN", 1),
        ("ab123456", 1),  # identity number without spaces or dashes, any case
        ("ab 123-456", 1),
        ("Kin", 2),  # romanisation variant of Khin
        ("Somchay", 2),  # y/i
        ("Lek", 2),  # other names
        ("p-123 4567", 3),
    ],
)
def test_a_person_is_found_by_normalised_names_and_numbers(engine, query, person):
    assert _found(engine, ADMIN, query)[:1] == [person]


def test_ranking_identity_number_first_then_names_matched(engine):
    with session_scope(engine) as s:
        hits = search_persons(s, ADMIN, "Maria Nguyen").hits
    assert [(h.person_id, h.words_matched) for h in hits] == [(1, 1), (3, 1)]
    with session_scope(engine) as s:
        hits = search_persons(s, ADMIN, "Santos P1234567").hits
    assert hits[0].person_id == 3 and hits[0].identity_number_matched
    assert _found(engine, ADMIN, "jose nguyen maria")[0] == 1  # two words beat one
    assert _found(engine, ADMIN, "nobody") == []
    assert _found(engine, ADMIN, "   ") == []


def test_the_table_holds_no_name_nor_number_in_clear(engine):
    with engine.connect() as conn:
        rows = conn.execute(select(PersonIndexToken.token, PersonIndexToken.key_id)).all()
    blob = " ".join(t for t, _ in rows)
    assert len(rows) > 10 and all(len(t) == 64 for t, _ in rows)
    for word in ("jose", "nguyen", "somchai", "khin", "ab123456", "santos", "lek"):
        assert word not in blob
    assert {k for _, k in rows} == {key_id(Settings().key_bytes("index"))}


def test_another_index_key_gives_other_tokens(engine):
    values = person_index.index_values(_identities())
    key, other = secrets.token_bytes(32), secrets.token_bytes(32)
    mine = {person_index.token(key, k, v) for _, k, v in values.iter_rows()}
    theirs = {person_index.token(other, k, v) for _, k, v in values.iter_rows()}
    assert mine.isdisjoint(theirs)
    data_key = Settings().key_bytes("data")
    assert data_key != Settings().key_bytes("index")  # the index key is not the data key
    # a store whose index was made with another key is noticed and rebuilt under the new one
    attach_keyring(engine, KeyRing(data_key, index=other))
    with engine.connect() as conn:
        assert person_index.is_stale(conn)
    rebuilt = person_index.ensure_index(engine)
    assert rebuilt is not None and rebuilt.persons == 3 and rebuilt.key_id == key_id(other)
    assert person_index.ensure_index(engine) is None
    assert _found(engine, ADMIN, "jose") == [1]


def test_forms_and_rebuild_keep_the_index(engine):
    with session_scope(engine) as s:
        case = create_case(
            s, ADMIN,
            {"reference": "R-1", "status": "Active", "exploitation_type": "ForcedLabour",
             "opened_on": dt.date(2025, 1, 2), "jurisdiction": "PH", "owning_agency_id": 1},
        )  # fmt: skip
        person = add_person(s, ADMIN, case.id, {"role": "victim", "given_name": "Aung Kyaw"})
        pid = person.id
    assert _found(engine, ADMIN, "kyaw aung") == [pid]
    with session_scope(engine) as s:
        update_person(s, ADMIN, case.id, pid, {"given_name": "Thida"})
    assert _found(engine, ADMIN, "aung") == []
    assert _found(engine, ADMIN, "tida") == [pid]
    with session_scope(engine) as s:
        done = person_index.rebuild(s.connection())
    assert done.persons == 4
    assert _found(engine, ADMIN, "thida") == [pid]


def test_search_is_scoped_and_audited_without_the_query(engine):
    pnp = Principal(None, "cw", Role.CASEWORKER, 1)
    assert _found(engine, pnp, "maria") == []  # recorded by the other agency
    assert _found(engine, pnp, "jose") == [1]
    for role in (Role.ANALYST, Role.VIEWER):
        with session_scope(engine) as s, pytest.raises(AccessDenied):
            search_persons(s, Principal(None, "x", role), "jose")
    with session_scope(engine) as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.actor == "cw")).all()
    searches = [e for e in events if e.resource == "person_index"]
    assert [e.action for e in searches] == ["read", "read"]
    assert searches[1].detail.startswith("person search, 1 found; query HMAC ")
    assert all("jose" not in (e.detail or "").lower() for e in events)
    reads = [e.record_id for e in events if e.resource == "person_identities"]
    assert reads == ["1"]  # the one name shown


def test_rotating_the_index_key_rebuilds_the_index(tmp_path, monkeypatch):
    from uncounted.store.db import engine_from_settings
    from uncounted.store.keys import list_keys, rotate_index_key

    monkeypatch.delenv("UNCOUNTED_INDEX_KEY")
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.create_missing_keys() == [settings.data_dir / "index.key"]
    engine = engine_from_settings(settings)
    try:
        from uncounted.store.db import upgrade

        upgrade(engine)
        insert_frames(
            engine,
            {
                "persons": pl.DataFrame({"id": [1, 2, 3], "sex": ["Female"] * 3}),
                "person_identities": _identities(),
            },
        )
    finally:
        engine.dispose()
    old = settings.key_bytes("index")
    done = rotate_index_key(settings)
    assert done.old_key_id == key_id(old) != done.new_key_id and done.persons == 3
    assert key_id(settings.key_bytes("index")) == done.new_key_id
    assert not (settings.data_dir / "index.key.new").exists()
    assert ("index (search)", done.new_key_id) in [
        (k.status, k.key_id) for k in list_keys(settings)
    ]
    engine = engine_from_settings(settings)
    try:
        with engine.connect() as conn:
            assert person_index.index_key_ids(conn) == (done.new_key_id,)
            assert not person_index.is_stale(conn)
        assert _found(engine, ADMIN, "santos") == [3]
    finally:
        engine.dispose()


def test_backup_names_the_index_key_and_a_restore_under_another_rebuilds(engine, tmp_path):
    from uncounted.store.backup import backup_database, restore_database
    from uncounted.store.db import make_engine, upgrade

    done = backup_database(engine, tmp_path / "store.bak")
    index_id = key_id(Settings().key_bytes("index"))
    assert done.manifest.index_key_ids == (index_id,)
    other = KeyRing(Settings().key_bytes("data"), index=secrets.token_bytes(32))
    target = make_engine(f"sqlite:///{tmp_path / 'restored.sqlite'}", other)
    try:
        upgrade(target)
        restored = restore_database(target, tmp_path / "store.bak", other)
        assert restored.reindexed == 3
        with target.connect() as conn:
            assert person_index.index_key_ids(conn) == (key_id(other.index or b""),)
        assert _found(target, ADMIN, "nguyen") == [1]
    finally:
        target.dispose()


def test_upgrading_past_the_ascii_letters_revision_rebuilds_the_index(tmp_path):
    """Tokens made before names spelt "đ" as "d" cannot match today's searches: the revision
    empties the index and ``uncounted init``'s check rebuilds it."""
    from uncounted.store.db import downgrade, upgrade

    engine = init_database(Settings(data_dir=tmp_path))
    agencies = pl.DataFrame(
        {"id": [1], "code": ["PNP"], "name": ["P"], "org_type": ["Police"], "country": ["PH"]}
    )
    persons = pl.DataFrame({"id": [4], "sex": ["Female"], "source_agency_id": [1]})
    identities = pl.DataFrame([{"person_id": 4, **DANG}])
    insert_frames(
        engine, {"agencies": agencies, "persons": persons, "person_identities": identities}
    )
    downgrade(engine, "0015")
    with engine.begin() as conn:
        assert person_index.token_count(conn) == 0
        person_index.rebuild(conn)  # an index made at 0015 ...
    upgrade(engine)  # ... is emptied by the upgrade
    with engine.connect() as conn:
        assert person_index.token_count(conn) == 0 and person_index.is_stale(conn)
    rebuilt = person_index.ensure_index(engine)
    assert rebuilt is not None and rebuilt.persons == 1
    assert _found(engine, ADMIN, "Dang Thi Dao") == [4]  # typed without the stroke
    assert _found(engine, ADMIN, "ĐẶNG") == [4]
    engine.dispose()
