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
