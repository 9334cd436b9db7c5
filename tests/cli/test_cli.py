"""The CLI: version, help, init, demo and bad configuration (one sentence, non-zero exit)."""

from __future__ import annotations

import re
import sqlite3

import pytest

from uncounted import ConfigurationError, __version__
from uncounted.cli.main import main
from uncounted.settings import get_settings
from uncounted.store.db import head_revision, make_engine

pytestmark = pytest.mark.usefixtures("cli_env")


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"uncounted {__version__}"


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "init" in out and "demo" in out


def test_init_is_idempotent(tmp_path, capsys):
    assert main(["init"]) == 0
    assert main(["init"]) == 0
    head = head_revision(make_engine("sqlite://"))
    assert f"schema revision {head}" in capsys.readouterr().out
    assert (tmp_path / "data" / "uncounted.sqlite").exists()


def test_demo_builds_the_demo_store(tmp_path, capsys):
    assert main(["demo", "--victims", "300", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "victims in the hidden population (truth)" in out and "300" in out
    assert "MSE over" in out and "synthetic" in out and "Mth Chao" in out
    assert "recommended" in out and "low-heterogeneity" in out
    db = sqlite3.connect(tmp_path / "data" / "demo.sqlite")
    assert db.execute("select count(*) from persons").fetchone()[0] > 0
    # the agencies' raw records are stored, each on its agency's list, for `link run --demo`
    raw = db.execute("select count(*) from list_memberships where linkage_only").fetchone()[0]
    assert raw == db.execute("select count(*) from list_memberships").fetchone()[0] / 2 > 0
    assert "agencies' raw records" in out and f"{raw:,}" in out
    db.close()
    assert main(["demo", "--victims", "300", "--seed", "3"]) == 0  # rebuilds, no clash


def test_unreachable_database(monkeypatch, capsys):
    monkeypatch.setenv("UNCOUNTED_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    get_settings.cache_clear()
    assert main(["init"]) == ConfigurationError.exit_code == 9
    err = capsys.readouterr().err
    assert "Cannot reach the database" in err and "Traceback" not in err


def test_unwritable_data_dir(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(blocker / "sub"))
    get_settings.cache_clear()
    assert main(["init"]) == ConfigurationError.exit_code == 9
    assert "cannot be written" in capsys.readouterr().err


def test_usage_error_exit_code(capsys):
    assert main(["no-such-command"]) == 2


def test_keys_list_shows_current_and_retired_keys(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("UNCOUNTED_DATA_KEY", raising=False)
    monkeypatch.delenv("UNCOUNTED_SECRET_KEY", raising=False)
    monkeypatch.delenv("UNCOUNTED_INDEX_KEY", raising=False)
    get_settings.cache_clear()
    assert main(["init", "--create-keys"]) == 0
    assert main(["keys", "rotate"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # wrapped to the terminal's width
    old, new = re.search(r"key (\w{8}) -> (\w{8})", out).groups()
    assert f"key {old} is kept as a retired key" in out
    assert main(["keys", "list"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if re.search(r"\w{8} ", line)]
    assert any(new in row and "current" in row for row in rows)
    assert any(old in row and "retired" in row for row in rows)


def test_index_key_is_created_rotated_and_the_index_rebuilt(monkeypatch, capsys):
    monkeypatch.delenv("UNCOUNTED_INDEX_KEY", raising=False)
    get_settings.cache_clear()
    assert main(["init"]) == 9
    assert "No index key is configured" in capsys.readouterr().err
    assert main(["init", "--create-keys"]) == 0
    out = capsys.readouterr().out.replace("\n", "")
    assert "index.key" in out and "uncounted reindex" in out
    assert main(["keys", "rotate", "--index"]) == 0
    old, new = re.search(r"index key (\w{8}) -> (\w{8})", capsys.readouterr().out).groups()
    assert old != new
    assert main(["keys", "list"]) == 0
    assert re.search(rf"{new} .*index \(search\)", capsys.readouterr().out)
    assert main(["reindex"]) == 0
    assert f"Re-indexed 0 people (0 tokens) under index key {new}" in capsys.readouterr().out
