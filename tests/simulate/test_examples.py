"""The committed example files equal a fresh regeneration, and examples/README.md lists them."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from uncounted.simulate.examples import EXAMPLES, write_examples

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


def _cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("examples")
    write_examples(folder)
    return folder


#: Folders of hand-written examples (facts with their sources), not regenerated.
HAND_WRITTEN = {"duediligence"}


def test_every_file_is_described_and_committed(fresh: Path) -> None:
    committed = {p.name for p in EXAMPLES_DIR.iterdir() if p.name not in HAND_WRITTEN}
    assert committed == {*EXAMPLES, "README.md"}
    assert {p.name for p in fresh.iterdir()} == committed


@pytest.mark.parametrize("name", [*sorted(EXAMPLES), "README.md"])
def test_committed_file_equals_a_fresh_regeneration(fresh: Path, name: str) -> None:
    committed, regenerated = EXAMPLES_DIR / name, fresh / name
    if name.endswith(".xlsx"):  # the zip carries its own write time: compare the cells
        assert _cells(committed) == _cells(regenerated)
    else:
        assert committed.read_bytes() == regenerated.read_bytes(), (
            f"examples/{name} differs from a regeneration; run "
            "`python -m uncounted.simulate.examples examples` and commit the result"
        )


def test_the_readme_says_how_to_regenerate() -> None:
    text = (EXAMPLES_DIR / "README.md").read_text("utf-8")
    assert "python -m uncounted.simulate.examples examples" in text
    assert "`pnp-cases.xlsx`" in text and "merchant category" in text
