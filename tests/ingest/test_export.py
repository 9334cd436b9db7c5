"""Exports are complete or absent: a failure half-way leaves no half-written file or folder."""

from __future__ import annotations

import contextlib
import errno
import io

import pytest

from uncounted.cli.main import main
from uncounted.errors import InvalidInput
from uncounted.ingest import export as export_module
from uncounted.ingest.export import export_records
from uncounted.settings import get_settings


def _full_disk_after(monkeypatch, files: int) -> None:
    """Make the disk "fill up" while the ``files + 1``-th file is written."""
    real = export_module._write_csv
    calls = {"n": 0}

    def write(path, header, body):
        calls["n"] += 1
        if calls["n"] > files:
            path.write_text(",".join(header) + "\n")  # a first, partial line…
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, header, body)

    monkeypatch.setattr(export_module, "_write_csv", write)


def test_a_full_disk_leaves_no_folder_behind(loaded, tmp_path, monkeypatch):
    _full_disk_after(monkeypatch, 2)
    target = tmp_path / "export"
    with pytest.raises(InvalidInput, match="No space left on device; nothing was written"):
        export_records(loaded, target, "csv")
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_a_failed_export_leaves_an_older_export_as_it_was(loaded, tmp_path, monkeypatch):
    target = tmp_path / "export"
    first = export_records(loaded, target, "csv")
    before = {p.name: p.read_bytes() for p in first}
    _full_disk_after(monkeypatch, 1)
    with pytest.raises(InvalidInput):
        export_records(loaded, target, "csv")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    single = tmp_path / "cases.csv"
    with pytest.raises(InvalidInput):
        export_records(loaded, single, "csv", ["cases"])
    assert not single.exists()
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_export_reads_the_demo_database(tmp_path, monkeypatch):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["export", "--demo", "--out", str(tmp_path / "none")]) == 7  # no demo yet
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["demo", "--victims", "150", "--seed", "3"]) == 0
        out = tmp_path / "demo-export"
        assert main(["export", "--demo", "--out", str(out), "--type", "persons"]) == 0
    finally:
        get_settings.cache_clear()
    lines = (out / "persons.csv").read_text("utf-8").splitlines()
    assert lines[0].startswith("external_id,source,sex") and len(lines) > 100
    assert not (tmp_path / "data" / "uncounted.sqlite").exists()  # the demo, not the store
