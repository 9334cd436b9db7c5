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


def test_reference_documents_output_and_exit_codes():
    from uncounted.cli.docs import exit_codes
    from uncounted.errors import ConfigurationError, InvalidInput

    text = DOCS.read_text("utf-8")
    assert "## Output" in text and "--bom" in text
    section = "\n".join(exit_codes())
    assert section in text, "run `make docs`: the exit codes changed"
    assert "| 2 | usage error" in section
    assert f"| {ConfigurationError.exit_code} | `ConfigurationError`" in section
    assert f"| {InvalidInput.exit_code} | `InvalidInput`" in section
