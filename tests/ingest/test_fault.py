"""An import killed with SIGKILL half-way through writing leaves nothing of its file behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from uncounted.store.db import make_engine, upgrade
from uncounted.store.tables import ImportBatch, Person

ROWS = 3_000  # three chunks of 1 000: the process is killed after the first is written

#: Runs an import whose progress callback stops it for good once a chunk has been written.
SCRIPT = textwrap.dedent(
    """
    import sys, time
    from uncounted.ingest import ReadOptions, import_file
    from uncounted.store.db import make_engine

    def pause(phase, done, total):
        if phase == "importing":
            print("HALFWAY", flush=True)
            time.sleep(300)

    options = ReadOptions(chunk_rows=1_000)
    import_file(make_engine(sys.argv[1]), sys.argv[2], "persons", progress=pause, options=options)
    print("FINISHED", flush=True)
    """
)


def _kill_halfway(url: str, path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SCRIPT, url, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert line.strip() == "HALFWAY", proc.stderr.read()
    assert proc.returncode == -signal.SIGKILL


def _check(url: str, tmp_path) -> None:
    path = tmp_path / "killed.csv"
    with path.open("w") as f:
        f.write("external_id,sex,birth_year\n")
        for i in range(ROWS):
            f.write(f"KILL-{i},Female,1990\n")
    engine = make_engine(url)
    upgrade(engine)
    try:
        _kill_halfway(url, path)
        with engine.connect() as conn:
            persons = conn.execute(
                select(func.count()).select_from(Person).where(Person.external_id.like("KILL-%"))
            ).scalar_one()
            batches = conn.execute(
                select(func.count())
                .select_from(ImportBatch)
                .where(ImportBatch.file_name == "killed.csv")
            ).scalar_one()
        assert (persons, batches) == (0, 0)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_sigkill_halfway_leaves_nothing_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'store.sqlite'}", tmp_path)


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_halfway_leaves_nothing_on_postgresql(postgres_url, tmp_path):
    _check(postgres_url, tmp_path)


# --- faults answered in one sentence, losing nothing ------------------------------------------


def _persons_file(tmp_path, rows: int, name: str = "persons.csv"):
    path = tmp_path / name
    with path.open("w") as f:
        f.write("external_id,sex,birth_year,given_name,family_name,address\n")
        for i in range(rows):
            f.write(f"P-{i},Female,1990,Given{i},Family{i},{'Street ' * 20}{i}\n")
    return path


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_second_import_on_a_busy_store_waits_then_says_busy(tmp_path, monkeypatch, capsys):
    import sqlite3
    import time

    from uncounted.cli.main import main
    from uncounted.settings import get_settings
    from uncounted.store import db

    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 0.5)
    get_settings.cache_clear()
    try:
        assert main(["init"]) == 0
        path = _persons_file(tmp_path, 10)
        store = tmp_path / "data" / "uncounted.sqlite"
        other = sqlite3.connect(store)  # another import, half-way through its transaction
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO agencies (code, name, org_type, country) VALUES ('X','X','NGO','PH')"
        )
        started = time.perf_counter()
        code = main(["import", str(path)])
        waited = time.perf_counter() - started
        err = capsys.readouterr().err
        assert code == 3 and "The store is busy" in err and "Nothing was written" in err
        assert waited >= 0.5  # it waited for the other writer before giving up
        other.commit()
        other.close()
        assert main(["import", str(path)]) == 0  # once the other is done, the import goes in
        engine = make_engine(f"sqlite:///{store}")
        try:
            assert _count(engine, Person) == 10
        finally:
            engine.dispose()
    finally:
        get_settings.cache_clear()


def test_a_full_disk_refuses_the_import_and_keeps_what_was_there(tmp_path):
    from sqlalchemy import event

    from uncounted.errors import StoreFull
    from uncounted.ingest import import_file

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    import_file(engine, _persons_file(tmp_path, 50, "first.csv"), "persons")
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    engine.dispose()

    def small_disk(dbapi_connection, _record):  # the disk fills up a few pages later
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 5}")

    event.listen(engine, "connect", small_disk)
    try:
        with pytest.raises(StoreFull, match=r"is full .* Nothing was written and nothing was lost"):
            import_file(engine, _persons_file(tmp_path, 3_000), "persons")
    finally:
        engine.dispose()
    engine = make_engine(url)
    try:
        assert _count(engine, Person) == 50
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        assert import_file(engine, _persons_file(tmp_path, 3_000), "persons").rows_created == 2_950
    finally:
        engine.dispose()


def test_a_damaged_database_file_is_called_damaged(tmp_path, monkeypatch, capsys):
    from uncounted.cli.main import main
    from uncounted.settings import get_settings

    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "300")
    get_settings.cache_clear()
    try:
        assert main(["init"]) == 0
        store = tmp_path / "data" / "uncounted.sqlite"
        with store.open("r+b") as f:  # a disk error wiped the file's first page
            f.write(b"\xde\xad\xbe\xef" * 1024)
        path = _persons_file(tmp_path, 3)
        assert main(["import", str(path)]) == 3
        err = capsys.readouterr().err
        assert "The database file" in err and "is damaged (file is not a database)" in err
        assert "uncounted restore" in err and "Cannot reach" not in err
        assert main(["export", "--out", str(tmp_path / "out")]) == 3
        assert "is damaged" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
