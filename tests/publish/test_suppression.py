"""Cell suppression: small cells are withheld, and no withheld cell can be derived from the
published cells and margins (checked by an independent brute-force enumeration)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from uncounted.errors import InvalidInput
from uncounted.publish import suppress


def _brute_force_range(counts, withheld, cell):
    """Every non-negative integer filling of the withheld cells (each at most its row total)
    that matches the row and column totals, enumerated exhaustively; min and max of ``cell``."""
    cells = list(zip(*np.nonzero(withheld), strict=True))
    rows, cols = counts.sum(axis=1), counts.sum(axis=0)
    known = np.where(withheld, 0, counts)
    caps = [rows[r] - known[r].sum() for r, _ in cells]
    grid = np.stack(np.meshgrid(*[np.arange(c + 1) for c in caps], indexing="ij"), -1)
    grid = grid.reshape(-1, len(cells))
    ok = np.ones(len(grid), dtype=bool)
    for r in range(counts.shape[0]):
        members = [i for i, c in enumerate(cells) if c[0] == r]
        if members:
            ok &= grid[:, members].sum(axis=1) == rows[r] - known[r].sum()
    for j in range(counts.shape[1]):
        members = [i for i, c in enumerate(cells) if c[1] == j]
        if members:
            ok &= grid[:, members].sum(axis=1) == cols[j] - known[:, j].sum()
    column = grid[ok, cells.index(cell)]
    return int(column.min()), int(column.max())


def test_hand_worked_table():
    """[[20, 3], [15, 30]] with threshold 5: 3 is primary; its row and its column each need a
    second withheld cell, which leaves a 2×2 rectangle withheld. With margins a+b = 23,
    c+d = 45, a+c = 35, b+d = 33 the withheld 3 (b) can be anything from 0 to 23."""
    t = suppress(np.array([[20, 3], [15, 30]]), threshold=5)
    assert t.primary.tolist() == [[False, True], [False, False]]
    assert t.withheld.all()
    lo, hi = t.ranges[(0, 1)]
    assert (lo, hi) == (0.0, 23.0)
    assert _brute_force_range(np.array([[20, 3], [15, 30]]), t.withheld, (0, 1)) == (0, 23)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arrays(np.int64, st.tuples(st.integers(2, 3), st.integers(2, 3)), elements=st.integers(0, 9))
)
def test_withheld_cells_cannot_be_derived(counts):
    try:
        t = suppress(counts, threshold=4)
    except InvalidInput as exc:
        assert "cannot be protected" in str(exc)
        return
    assert (t.withheld | ~t.primary).all()  # every primary cell is withheld
    held = list(zip(*np.nonzero(t.withheld), strict=True))
    if not held or len(held) > 4:
        return  # brute force only on small patterns
    for cell in held:
        lo, hi = _brute_force_range(counts, t.withheld, cell)
        assert hi - lo >= 1, (counts.tolist(), t.withheld.tolist(), cell)


def test_bad_tables():
    with pytest.raises(InvalidInput):
        suppress(np.array([1, 2, 3]))
    with pytest.raises(InvalidInput):
        suppress(np.array([[1, -2]]))
    with pytest.raises(InvalidInput, match="cannot be protected"):
        suppress(np.array([[3]]), threshold=5)
