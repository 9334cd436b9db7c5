"""Small-cell suppression of aggregate tables, with secondary suppression that is audited.

**Primary suppression**: a cell counting between 1 and ``threshold − 1`` people is withheld.
**Secondary suppression**: when the row and column totals are published, a row or column with
a single withheld cell would give it away by subtraction, so further cells (the smallest
published ones, to lose least) are withheld until no withheld cell can be derived.

"Cannot be derived" is checked by linear programming, as statistical offices audit tables
(Cox 1980, *JASA* 75:377; Hundepool et al. 2012, *Statistical Disclosure Control*, §5.4): for
each withheld cell, the minimum and maximum values consistent with every published cell, the
row and column totals and non-negativity are computed; a cell whose minimum equals its maximum
is disclosed, and another cell of its row is withheld, until every withheld cell has a
feasible range at least one person wide. The audit is returned with the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from uncounted.errors import InvalidInput


@dataclass(frozen=True)
class SuppressedTable:
    """A two-way table of counts with its suppression pattern and the audit of each cell."""

    counts: np.ndarray  # the true counts (never published where withheld)
    withheld: np.ndarray  # bool mask
    primary: np.ndarray  # bool mask of primary suppressions
    ranges: dict[tuple[int, int], tuple[float, float]]  # feasible range of each withheld cell

    def published(self) -> np.ndarray:
        """The table as released: counts, with withheld cells as NaN."""
        out = self.counts.astype(float)
        out[self.withheld] = np.nan
        return out


def feasible_ranges(
    counts: np.ndarray, withheld: np.ndarray
) -> dict[tuple[int, int], tuple[float, float]]:
    """For every withheld cell, [min, max] consistent with the published cells and margins."""
    cells = list(zip(*np.nonzero(withheld), strict=True))
    if not cells:
        return {}
    index = {c: i for i, c in enumerate(cells)}
    rows, cols = counts.shape
    a_eq, b_eq = [], []
    for r in range(rows):
        members = [index[(r, c)] for c in range(cols) if withheld[r, c]]
        if members:
            row = np.zeros(len(cells))
            row[members] = 1
            a_eq.append(row)
            b_eq.append(float(counts[r, withheld[r]].sum()))
    for c in range(cols):
        members = [index[(r, c)] for r in range(rows) if withheld[r, c]]
        if members:
            col = np.zeros(len(cells))
            col[members] = 1
            a_eq.append(col)
            b_eq.append(float(counts[withheld[:, c], c].sum()))
    out: dict[tuple[int, int], tuple[float, float]] = {}
    for cell, i in index.items():
        objective = np.zeros(len(cells))
        objective[i] = 1
        lo = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        out[(int(cell[0]), int(cell[1]))] = (float(lo.fun), float(-hi.fun))
    return out


def _add_partner(counts: np.ndarray, withheld: np.ndarray, r: int, c: int) -> bool:
    """Withhold the smallest published cell in row ``r`` (else column ``c``); False if none."""
    for line in (
        [(r, j) for j in range(counts.shape[1]) if j != c],
        [(i, c) for i in range(counts.shape[0]) if i != r],
    ):
        free = [cell for cell in line if not withheld[cell]]
        if free:
            pick = min(free, key=lambda cell: (counts[cell] == 0, counts[cell]))
            withheld[pick] = True
            return True
    return False


def suppress(counts: np.ndarray, threshold: int = 11) -> SuppressedTable:
    """Primary and audited secondary suppression of a table of counts (see the module doc)."""
    counts = np.asarray(counts)
    if counts.ndim != 2 or np.any(counts < 0):
        raise InvalidInput("Suppression needs a two-way table of non-negative counts.")
    if threshold < 1:
        raise InvalidInput("The suppression threshold must be at least 1.")
    primary = (counts > 0) & (counts < threshold)
    withheld = primary.copy()
    for _ in range(counts.size):  # each pass withholds at least one more cell, or stops
        changed = False
        for r in range(counts.shape[0]):
            if withheld[r].sum() == 1:
                changed |= _add_partner(counts, withheld, r, int(np.flatnonzero(withheld[r])[0]))
        for c in range(counts.shape[1]):
            if withheld[:, c].sum() == 1:
                changed |= _add_partner(
                    counts.T, withheld.T, c, int(np.flatnonzero(withheld[:, c])[0])
                )
        ranges = feasible_ranges(counts, withheld)
        exposed = [cell for cell, (lo, hi) in ranges.items() if hi - lo < 1 - 1e-9]
        for r, c in exposed:
            changed |= _add_partner(counts, withheld, r, c)
        if not changed:
            if exposed:
                raise InvalidInput(
                    f"Cell {exposed[0]} cannot be protected in a table this small; publish "
                    "this table at a coarser level or not at all."
                )
            return SuppressedTable(counts, withheld, primary, ranges)
    raise InvalidInput("Suppression did not converge; publish this table at a coarser level.")


__all__ = ["SuppressedTable", "feasible_ranges", "suppress"]
