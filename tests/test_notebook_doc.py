"""docs/notebook.md is a notebook-style tour; every example in it runs here as a doctest."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "notebook.md"


def test_the_notebook_tour_runs() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")  # no display in tests
    import matplotlib.pyplot as plt

    try:
        result = doctest.testfile(
            str(DOC),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            raise_on_error=False,
            verbose=False,
        )
    finally:
        plt.close("all")
    assert result.attempted > 10
    assert result.failed == 0, f"{result.failed} example(s) in {DOC.name} failed (see above)"
