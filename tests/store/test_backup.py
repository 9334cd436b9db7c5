"""Backup and restore: every table comes back, names read with the key, and nothing is changed
by a restore that cannot succeed (wrong key, damaged file, a store already in use)."""

from __future__ import annotations

import json
import secrets
import uuid

import polars as pl
import pytest
from sqlalchemy import select

from uncounted.errors import ConfigurationError, InvalidInput
from uncounted.store.backup import (
    backup_database,
    manifest_path,
    restore_database,
    stored_key_ids,
    table_rows,
)
from uncounted.store.bulk import insert_frames
from uncounted.store.crypto import KeyRing, keyring_from_settings
from uncounted.store.db import make_engine, upgrade
from uncounted.store.tables import TABLE_ORDER, Base, PersonIdentity


@pytest.fixture(scope="module")
def key() -> KeyRing:
    return KeyRing(secrets.token_bytes(32))


def _store(url: str, key: KeyRing, world=None):
    engine = make_engine(url, key)
    upgrade(engine)
    if world is not None:
        insert_frames(engine, world.frames)
        # one deleted record, so that the administrators' list of them is carried too
        from uncounted.store.access import Principal, Role
        from uncounted.store.db import session_scope
        from uncounted.store.removals import delete_record

        with session_scope(engine) as session:
            event_id = int(world.frames["justice_events"]["id"][0])
            admin = Principal(1, "admin", Role.ADMIN)
            delete_record(session, admin, "justice_events", event_id, "entered twice")
    return engine


def _every_row(engine) -> dict[str, list[tuple]]:
    """Every table's rows as stored (identifying fields as ciphertext), in key order."""
    out = {}
    with engine.connect() as conn:
        for name in TABLE_ORDER:
            table = Base.metadata.tables[name]
            order = ", ".join(c.name for c in table.primary_key.columns)
            rows = conn.exec_driver_sql(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
            out[name] = [tuple(r) for r in rows]
    return out


def _names(engine) -> list[tuple[str | None, str | None]]:
    with engine.connect() as conn:
        query = select(PersonIdentity.given_name, PersonIdentity.family_name).order_by(
            PersonIdentity.person_id
        )
        return [tuple(r) for r in conn.execute(query)]


def _round_trip(source_url: str, target_url: str, key: KeyRing, world, backup) -> dict:
    source = _store(source_url, key, world)
    target = make_engine(target_url, key)
    try:
        done = backup_database(source, backup)
        before = _every_row(source)
        restored = restore_database(target, backup, key)
        after = _every_row(target)
        for name in TABLE_ORDER:
            if name == "audit_events":  # the restore itself is audited after the copy
                assert after[name][:-1] == before[name], name
                assert after[name][-1][4:6] == ("restore", "store")
            else:
                assert after[name] == before[name], name
        assert all(before[name] for name in TABLE_ORDER)  # every table had rows to carry
        assert done.manifest.rows == {n: len(before[n]) for n in TABLE_ORDER}
        assert restored.rows["persons"] == world.frames["persons"].height
        # names are ciphertext in the backup and read back with the key
        assert _names(target) == _names(source)
        assert _names(target)[0][0] == world.frames["person_identities"]["given_name"][0]
        assert restored.key_ids == (key.current_id,) == done.manifest.key_ids
        return done.manifest.rows
    finally:
        source.dispose()
        target.dispose()


def test_sqlite_round_trip_keeps_every_table(tmp_path, world, key):
    backup = tmp_path / "backups" / "store.bak"
    rows = _round_trip(
        f"sqlite:///{tmp_path / 'a.sqlite'}",
        f"sqlite:///{tmp_path / 'b.sqlite'}",
        key,
        world,
        backup,
    )
    # the world's one, the deletion's, the backup's
    assert rows["users"] == 1 and rows["audit_events"] == 3
    assert backup.stat().st_mode & 0o777 == 0o600
    assert json.loads(manifest_path(backup).read_text())["dialect"] == "sqlite"
    assert [p.name for p in backup.parent.iterdir() if "partial" in p.name] == []


@pytest.mark.postgres
def test_postgresql_round_trip_keeps_every_table(fresh_postgres_url, tmp_path, world, key):
    import psycopg

    admin = fresh_postgres_url.replace("postgresql+psycopg://", "postgresql://")
    other = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{other}"')
    try:
        target = fresh_postgres_url.rsplit("/", 1)[0] + f"/{other}"
        dump = tmp_path / "store.dump"
        _round_trip(fresh_postgres_url, target, key, world, dump)
        # without its manifest, a dump's keys are checked once it is restored
        manifest_path(dump).unlink()
        engine = make_engine(target, key)
        try:
            wrong = KeyRing(secrets.token_bytes(32))
            with pytest.raises(ConfigurationError, match="restored, but not its key"):
                restore_database(engine, dump, wrong, replace=True)
            assert table_rows(engine)["persons"] == world.frames["persons"].height
        finally:
            engine.dispose()
        # the sequences came along: a new row gets a fresh id
        engine = make_engine(target, key)
        try:
            with engine.begin() as conn:
                new = conn.exec_driver_sql(
                    "INSERT INTO agencies (code, name, org_type, country) "
                    "VALUES ('NEW', 'New', 'NGO', 'PH') RETURNING id"
                ).scalar_one()
            assert new == world.frames["agencies"]["id"].max() + 1
        finally:
            engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')


def test_a_restore_that_cannot_succeed_changes_nothing(tmp_path, world, key):
    source = _store(f"sqlite:///{tmp_path / 'a.sqlite'}", key, world)
    backup = tmp_path / "store.bak"
    try:
        backup_database(source, backup)
    finally:
        source.dispose()
    target = _store(f"sqlite:///{tmp_path / 'b.sqlite'}", key)
    try:
        wrong = KeyRing(secrets.token_bytes(32))
        with pytest.raises(ConfigurationError, match=f"encrypted with key {key.current_id}"):
            restore_database(target, backup, wrong)
        assert not any(table_rows(target).values())
        # a store in use is not overwritten unless asked
        insert_frames(target, {"agencies": world.frames["agencies"].head(1)})
        with pytest.raises(InvalidInput, match="already holds records"):
            restore_database(target, backup, key)
        assert table_rows(target)["agencies"] == 1
        restore_database(target, backup, key, replace=True)
        assert table_rows(target)["persons"] == world.frames["persons"].height
        # a damaged backup is refused before anything is touched
        data = bytearray(backup.read_bytes())
        middle = len(data) // 2 // 4096 * 4096  # a whole page: one flipped byte of a row's
        data[middle : middle + 4096] = b"\xff" * 4096  # text is no damage SQLite can see
        backup.write_bytes(bytes(data))
        with pytest.raises(InvalidInput, match="does not match its manifest"):
            restore_database(target, backup, key, replace=True)
        manifest_path(backup).unlink()
        with pytest.raises(InvalidInput, match=r"is damaged|not a readable SQLite backup"):
            restore_database(target, backup, key, replace=True)
        assert table_rows(target)["persons"] == world.frames["persons"].height
        assert stored_key_ids(target) == (key.current_id,)
    finally:
        target.dispose()


def test_backup_and_restore_commands(tmp_path, monkeypatch, capsys):
    """The CLI round trip with the key of the data directory: a restored store, given the same
    key file, reads its names; given no key, the restore is refused."""
    from uncounted.cli.main import main
    from uncounted.settings import get_settings

    data = tmp_path / "data"
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(data))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    monkeypatch.delenv("UNCOUNTED_DATA_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "300")
    get_settings.cache_clear()
    try:
        assert main(["init", "--create-keys"]) == 0
        settings = get_settings()
        engine = make_engine(settings.resolved_database_url, keyring_from_settings(settings))
        try:
            insert_frames(
                engine,
                {
                    "persons": pl.DataFrame({"id": [1], "sex": ["Female"]}),
                    "person_identities": pl.DataFrame({"person_id": [1], "given_name": ["Ana"]}),
                },
            )
        finally:
            engine.dispose()
        backup = tmp_path / "b" / "store.bak"
        assert main(["backup", str(backup)]) == 0
        assert "keep that key safe" in capsys.readouterr().out
        key_file = (data / "data.key").read_bytes()
        # the store is lost: a new data directory with a new key refuses the backup…
        other = tmp_path / "other"
        monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(other))
        get_settings.cache_clear()
        assert main(["restore", str(backup)]) == 9  # a configuration error (docs/cli.md)
        assert "No data key is configured" in capsys.readouterr().err
        assert main(["init", "--create-keys"]) == 0
        capsys.readouterr()
        get_settings.cache_clear()
        assert main(["restore", str(backup)]) == 9
        assert "encrypted with key" in capsys.readouterr().err
        # …and restores it once the key travels there
        (other / "data.key").write_bytes(key_file)
        get_settings.cache_clear()
        assert main(["restore", str(backup)]) == 0
        assert "matches the backup's manifest" in capsys.readouterr().out
        settings = get_settings()
        engine = make_engine(settings.resolved_database_url, keyring_from_settings(settings))
        try:
            assert _names(engine) == [("Ana", None)]
        finally:
            engine.dispose()
    finally:
        get_settings.cache_clear()
