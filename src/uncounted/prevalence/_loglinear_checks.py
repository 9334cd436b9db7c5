"""Can a given log-linear model estimate the population? Existence and identifiability.

For a Poisson log-linear model with design ``X`` on the ``2**L - 1`` observable cells and
counts ``y``, the maximum-likelihood estimate exists (all parameters finite) if and only if
some strictly positive ``mu`` has the same sufficient statistics, ``X'mu = X'y`` (Haberman
1974, Thm 2.3; Fienberg & Rinaldo 2012). Cells that are zero in every such ``mu`` are
*forced to zero*: the fit drives their log-means, and some parameters, to minus infinity.
They are found with one linear program (maximise ``sum t`` subject to ``X'x = s X'y``,
``0 <= t <= min(1, x)``, ``s >= 0``; a cell that can be positive at all reaches ``t = 1``
after scaling).

Even then the number unobserved (``exp(intercept)``) may be determined by the remaining
cells — the *extended* MLE (Chan, Silverman & Vincent 2021, JASA 116:1297-1306): it is when
the intercept direction ``e_0`` lies in the row space of ``X`` restricted to the cells not
forced to zero. Rcapture ignores all this and reports whatever ``glm`` returns; for a model
the user *names* we refuse, naming the lists and overlaps at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

__all__ = ["Estimability", "check_estimability", "pattern_name"]


def pattern_name(lists: Sequence[str], row: np.ndarray) -> str:
    """A capture history as the lists it is on, e.g. ``"LA+GP"``."""
    return "+".join(name for name, on in zip(lists, row, strict=True) if on)


def forced_zero_cells(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean mask of the cells whose fitted count is zero in every solution."""
    y = np.asarray(y, dtype=np.float64)
    k, p = X.shape
    if np.all(y > 0):
        return np.zeros(k, dtype=bool)
    # variables: x (k), t (k), s (1); maximise sum(t)
    c = np.concatenate([np.zeros(k), -np.ones(k), [0.0]])
    A_eq = np.hstack([X.T, np.zeros((p, k)), -(X.T @ y)[:, None]])
    # sparse: a dense identity over all 2**L - 1 cells is 8 GB at 15 lists
    eye = sparse.identity(k, format="csr")
    A_ub = sparse.hstack([-eye, eye, sparse.csr_matrix((k, 1))], format="csr")
    bounds = [(0.0, None)] * k + [(0.0, 1.0)] * k + [(0.0, None)]
    res = linprog(
        c, A_ub=A_ub, b_ub=np.zeros(k), A_eq=A_eq, b_eq=np.zeros(p), bounds=bounds, method="highs"
    )
    if res.status != 0:  # pragma: no cover - x = y is always feasible
        return y <= 0
    return np.asarray(res.x[k : 2 * k] < 0.5)


def _rank(M: np.ndarray) -> int:
    return int(np.linalg.matrix_rank(M)) if M.size else 0


@dataclass(frozen=True)
class Estimability:
    """Verdict for one model on one table."""

    exists: bool  # all parameters finite
    identifiable: bool  # the unobserved count is determined (extended MLE)
    forced_zero: tuple[str, ...]  # histories forced to zero, e.g. ("LA+GP",)
    empty_terms: tuple[str, ...]  # model terms "A:B" whose lists share nobody


def check_estimability(
    lists: Sequence[str],
    patterns: np.ndarray,
    counts: np.ndarray,
    X: np.ndarray,
    terms: Sequence[tuple[int, int]],
) -> Estimability:
    """Check the model with design ``X`` (its own columns only) on the complete table."""
    y = np.asarray(counts, dtype=np.float64)
    empty = tuple(
        f"{lists[i]}:{lists[j]}"
        for i, j in terms
        if float(y[(patterns[:, i] > 0) & (patterns[:, j] > 0)].sum()) == 0.0
    )
    zero = forced_zero_cells(X, y) & (y == 0)
    exists = not bool(zero.any())
    identifiable = True
    if X.shape[0] < X.shape[1]:
        identifiable = False
    elif not exists or _rank(X) < X.shape[1]:
        kept = X[~zero]
        e0 = np.zeros((1, X.shape[1]))
        e0[0, 0] = 1.0
        identifiable = _rank(kept) == _rank(np.vstack([kept, e0]))
    rows = sorted(patterns[zero].tolist(), key=lambda r: (sum(r), [-v for v in r]))
    names = tuple(pattern_name(lists, np.array(row)) for row in rows)
    return Estimability(exists, identifiable, names, empty)
