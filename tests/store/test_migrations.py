"""Migrations upgrade, are idempotent at head, and downgrade, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from uncounted.errors import ConfigurationError, MigrationError
from uncounted.settings import Settings
from uncounted.store.db import (
    SQLITE_MMAP_BYTES,
    current_revision,
    downgrade,
    head_revision,
    init_database,
    make_engine,
    require_current,
    upgrade,
)
from uncounted.store.tables import Base

EXPECTED_TABLES = set(Base.metadata.tables) | {"alembic_version"}


def _cycle(url: str) -> None:
    engine = make_engine(url)
    try:
        with pytest.raises(MigrationError, match="run `uncounted init`"):
            require_current(engine)
        upgrade(engine)
        upgrade(engine)  # idempotent
        assert current_revision(engine) == head_revision(engine) is not None
        assert set(inspect(engine).get_table_names()) == EXPECTED_TABLES
        require_current(engine)
        downgrade(engine)
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == EXPECTED_TABLES
    finally:
        engine.dispose()


def test_sqlite_upgrade_downgrade(tmp_path):
    _cycle(f"sqlite:///{tmp_path / 'u.sqlite'}")


@pytest.mark.postgres
def test_postgres_upgrade_downgrade(fresh_postgres_url):
    _cycle(fresh_postgres_url)


def _drift(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        insp = inspect(engine)
        for name, table in Base.metadata.tables.items():
            assert {c["name"] for c in insp.get_columns(name)} == set(table.columns.keys()), name
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_migration_matches_the_tables(tmp_path):
    """The migrated schema is exactly what the ORM declares: columns, types, indexes."""
    assert _drift(f"sqlite:///{tmp_path / 'd.sqlite'}") == []


@pytest.mark.postgres
def test_postgres_migration_matches_the_tables(fresh_postgres_url):
    assert _drift(fresh_postgres_url) == []


def test_init_database_creates_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path / "new" / "dir")
    engine = init_database(settings)
    assert (tmp_path / "new" / "dir" / "uncounted.sqlite").exists()
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()


def test_unreachable_database_is_one_sentence():
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigurationError, match="Cannot reach the database") as err:
        init_database(settings)
    assert "\n" not in str(err.value)


def test_nonsense_url_is_configuration_error():
    with pytest.raises(ConfigurationError, match="cannot be used"):
        make_engine("not a url")


def test_unwritable_data_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError, match="cannot be written"):
        Settings(data_dir=blocker / "sub").ensure_data_dir()


def test_sqlite_connections_are_set_up(tmp_path):
    """Every SQLite connection: foreign keys on, WAL, and the file memory-mapped."""
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("foreign_keys", "journal_mode", "synchronous", "mmap_size")
            }
    finally:
        engine.dispose()
    assert pragma == {
        "foreign_keys": 1,
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "mmap_size": SQLITE_MMAP_BYTES,
    }
