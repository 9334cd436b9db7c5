"""``uncounted publish`` on the demo database: a verified bundle, or a refusal that leaves
nothing behind."""

from __future__ import annotations

import json

import pytest

from uncounted.cli.main import main

pytestmark = pytest.mark.usefixtures("cli_env")


def test_publish_demo(tmp_path, capsys):
    assert main(["demo", "--victims", "3000", "--seed", "9"]) == 0
    capsys.readouterr()
    out = tmp_path / "bundle"
    assert main(["publish", "--demo", "--out", str(out), "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["k"] == 11 and manifest["victims_published"] > 0
    assert (out / "victims.csv").exists() and (out / "manifest.json").exists()
    refused = tmp_path / "refused"
    code = main(["publish", "--demo", "--out", str(refused), "--k", "100000"])
    assert code == 4
    assert "refusing to publish" in capsys.readouterr().err
    assert not refused.exists()
    small = tmp_path / "small-k"
    assert main(["publish", "--demo", "--out", str(small), "--k", "4"]) == 4  # default min 5
    assert "UNCOUNTED_OPEN_DATA_MIN_K" in capsys.readouterr().err
    assert not small.exists()
