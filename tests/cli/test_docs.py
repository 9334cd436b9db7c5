"""The command-line reference (docs/cli.md) documents every command."""

from __future__ import annotations

from pathlib import Path

from uncounted.cli.docs import command_paths, render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_every_command_is_in_the_reference():
    text = DOCS.read_text("utf-8")
    missing = [p for p in command_paths() if f"## `uncounted {' '.join(p)}`" not in text]
    assert not missing, f"run `make docs`: docs/cli.md lacks {missing}"


def test_render_includes_help_text():
    text = render()
    assert "## `uncounted estimate`" in text and "--criterion" in text
