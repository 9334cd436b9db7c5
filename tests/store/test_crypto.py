"""Identifying fields are encrypted at rest, readable through the store, and re-keyable."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select, text

from uncounted.errors import ConfigurationError, StoreError
from uncounted.settings import Settings
from uncounted.store.bulk import insert_frames
from uncounted.store.crypto import KeyRing, attach_keyring, key_id, rotate_data_key
from uncounted.store.db import engine_from_settings, init_database, make_engine, session_scope
from uncounted.store.frames import read_table
from uncounted.store.tables import Person, PersonIdentity

NAMES = ["Zanele Okonkwo-Marchetti", "Ksenia Vasylivna Horobets"]


def _store_people(engine) -> None:
    insert_frames(
        engine,
        {
            "persons": pl.DataFrame({"id": [1, 2], "sex": ["Female", "Female"]}),
            "person_identities": pl.DataFrame(
                {
                    "person_id": [1, 2],
                    "given_name": NAMES,
                    "identity_number": ["PX-99812377", None],
                    "phone": ["+380 44 555 0199", "+27 21 555 0142"],
                    "address": ["17 Quiet Lane, Umlazi", None],
                }
            ),
        },
    )
    with session_scope(engine) as s:  # the ORM path encrypts too
        s.add(Person(id=3, sex="Male"))
        s.flush()
        s.add(PersonIdentity(person_id=3, given_name="Bartholomew Quillfeather"))


def _raw_bytes(path) -> bytes:
    blob = b""
    for suffix in ("", "-wal"):
        if os.path.exists(f"{path}{suffix}"):
            with open(f"{path}{suffix}", "rb") as handle:
                blob += handle.read()
    return blob


def test_database_file_holds_no_identifying_field_in_clear(settings: Settings):
    engine = init_database(settings)
    _store_people(engine)
    back = read_table(engine, "person_identities").sort("person_id")
    assert back["given_name"].to_list() == [*NAMES, "Bartholomew Quillfeather"]
    engine.dispose()
    blob = _raw_bytes(settings.data_dir / "uncounted.sqlite")
    assert b"enc1:" in blob
    for secret in [*NAMES, "Bartholomew", "PX-99812377", "555 0199", "Quiet Lane", "Okonkwo"]:
        assert secret.encode() not in blob, secret


@pytest.fixture
def file_settings(tmp_path, monkeypatch) -> Settings:
    """Settings with no key in the environment: keys live in files of the data directory."""
    monkeypatch.delenv("UNCOUNTED_DATA_KEY", raising=False)
    monkeypatch.delenv("UNCOUNTED_SECRET_KEY", raising=False)
    monkeypatch.delenv("UNCOUNTED_INDEX_KEY", raising=False)
    return Settings(data_dir=tmp_path / "data")


def test_keys_are_never_made_up_only_created_on_request(file_settings: Settings):
    """Issue #15, item 8: a missing key used to be created silently beside the database."""
    with pytest.raises(ConfigurationError, match=r"No data key is configured.*--create-keys"):
        file_settings.key_bytes("data")
    with pytest.raises(ConfigurationError, match="No data, secret and index key"):
        file_settings.require_keys()
    assert not (file_settings.data_dir / "data.key").exists()
    made = file_settings.require_keys(create=True)
    assert made == [file_settings.data_dir / f"{k}.key" for k in ("data", "secret", "index")]
    for path in made:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = file_settings.key_bytes("data")
    assert file_settings.require_keys(create=True) == []  # made once, never replaced
    assert file_settings.key_bytes("data") == first and len(first) == 32
    assert file_settings.key_bytes("secret") != first
    assert file_settings.key_bytes("index") not in (first, file_settings.key_bytes("secret"))


def test_bad_key_in_environment_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="32-byte"):
        Settings(data_dir=tmp_path, data_key="too-short").key_bytes("data")


def test_wrong_key_cannot_read_and_column_swap_is_detected(settings: Settings, tmp_path):
    engine = init_database(settings)
    _store_people(engine)
    engine.dispose()
    other = make_engine(settings.resolved_database_url, KeyRing(secrets.token_bytes(32)))
    with pytest.raises(StoreError, match="not configured"):
        read_table(other, "person_identities")
    other.dispose()
    engine = engine_from_settings(settings)
    with engine.begin() as conn:
        conn.execute(text("UPDATE person_identities SET family_name = given_name"))
    with pytest.raises(StoreError, match="integrity"):
        read_table(engine, "person_identities")


def test_rotation_reencrypts_every_field(settings: Settings):
    engine = init_database(settings)
    _store_people(engine)
    old = settings.key_bytes("data")
    new = KeyRing(secrets.token_bytes(32))
    attach_keyring(engine, KeyRing(new.current, (old,)))  # both keys readable during rotation
    with engine.begin() as conn:
        assert rotate_data_key(conn, new) == 3
    engine.dispose()
    rotated = make_engine(settings.resolved_database_url, new)
    with rotated.connect() as conn:
        raw = conn.execute(text("SELECT given_name FROM person_identities")).scalars().all()
        assert all(v.startswith(f"enc1:{key_id(new.current)}:") for v in raw)
    with rotated.connect() as conn:
        names = conn.execute(select(PersonIdentity.given_name).order_by("person_id")).scalars()
        assert list(names) == [*NAMES, "Bartholomew Quillfeather"]
    rotated.dispose()


def test_rotate_key_replaces_the_key_file_and_keeps_data_readable(file_settings: Settings):
    from uncounted.store.keys import rotate_key

    settings = file_settings
    settings.create_missing_keys()
    engine = init_database(settings)
    _store_people(engine)
    engine.dispose()
    old = settings.key_bytes("data")
    done = rotate_key(settings)
    assert done.rows == 3 and done.old_key_id == key_id(old) != done.new_key_id
    assert not (settings.data_dir / "data.key.new").exists()
    assert key_id(settings.key_bytes("data")) == done.new_key_id
    engine = engine_from_settings(settings)
    assert sorted(read_table(engine, "person_identities")["given_name"]) == sorted(
        [*NAMES, "Bartholomew Quillfeather"]
    )
    engine.dispose()


def test_rotate_key_from_environment_needs_a_file(tmp_path):
    import base64

    from uncounted.store.keys import rotate_key

    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    with pytest.raises(ConfigurationError, match="new-key-file"):
        rotate_key(Settings(data_dir=tmp_path, data_key=key))


def test_rotation_keeps_retired_keys_so_old_backups_stay_readable(file_settings: Settings):
    """Issue #15, item 8: rotation overwrote the old key, so earlier backups became unreadable."""
    import shutil

    from uncounted.store.keys import list_keys, rotate_key

    settings = file_settings
    settings.create_missing_keys()
    engine = init_database(settings)
    _store_people(engine)
    engine.dispose()
    database = settings.data_dir / "uncounted.sqlite"
    backup = settings.data_dir.parent / "backup.sqlite"
    shutil.copyfile(database, backup)  # a backup made before the rotations
    old_key_text = (settings.data_dir / "data.key").read_text().strip()
    first = rotate_key(settings)
    second = rotate_key(settings)
    retired = (settings.data_dir / "retired.keys").read_text()
    assert stat.S_IMODE((settings.data_dir / "retired.keys").stat().st_mode) == 0o600
    assert first.old_key_id in retired and old_key_text not in retired  # wrapped, not in clear
    listed = [(k.key_id, k.status) for k in list_keys(settings)]
    assert listed == [
        (second.new_key_id, "current"),
        (first.old_key_id, "retired"),
        (second.old_key_id, "retired"),
        (key_id(settings.key_bytes("index")), "index (search)"),  # apart, never rotated with
    ]
    shutil.copyfile(backup, database)  # restore the old backup: still readable
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    engine = engine_from_settings(settings)
    assert sorted(read_table(engine, "person_identities")["given_name"]) == sorted(
        [*NAMES, "Bartholomew Quillfeather"]
    )
    engine.dispose()
