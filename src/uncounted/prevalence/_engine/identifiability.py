"""Does a log-linear model's maximum-likelihood estimate exist, and is it identifiable? The one
identifiability check of the log-linear estimators, in two readings.

**A model the user names** (:func:`check_estimability`, for ``LogLinearEstimator`` and
``HeterogeneityEstimator``): for a Poisson log-linear model with design ``X`` on the
``2**L - 1`` observable cells and counts ``y``, the maximum-likelihood estimate exists (all
parameters finite) if and only if some strictly positive ``mu`` has the same sufficient
statistics, ``X'mu = X'y`` (Haberman 1974, Thm 2.3; Fienberg & Rinaldo 2012). Cells that are
zero in every such ``mu`` are *forced to zero*: the fit drives their log-means, and some
parameters, to minus infinity. They are found with one linear program (maximise ``sum t``
subject to ``X'x = s X'y``, ``0 <= t <= min(1, x)``, ``s >= 0``; a cell that can be positive
at all reaches ``t = 1`` after scaling).

Even then the number unobserved (``exp(intercept)``) may be determined by the remaining
cells — the *extended* MLE (Chan, Silverman & Vincent 2021, JASA 116:1297-1306): it is when
the intercept direction ``e_0`` lies in the row space of ``X`` restricted to the cells not
forced to zero. Rcapture ignores all this and reports whatever ``glm`` returns; for a model
the user *names* we refuse, naming the lists and overlaps at fault.

**SparseMSE's reading** (:func:`check_model`, :func:`diagnose`, for the stepwise search):

The models are Poisson log-linear models on the ``2**L - 1`` observable capture histories,
with an intercept, every main effect and a chosen set of two-list terms. Following Chan,
Silverman & Vincent (2021, JASA, "Multiple systems estimation for sparse capture data:
inferential challenges when there are nonoverlapping lists"; R package SparseMSE 2.0.1,
``buildmodelmatrix`` / ``checkident``):

* A two-list term whose lists have **no observed overlap** is given the value minus
  infinity: every history containing both lists is removed from the table and the term
  from the design (the extended MLE).
* **Existence** (Fienberg & Rinaldo 2012, Ann. Statist. 40:996-1023): with design ``X``
  on the kept histories and counts ``n``, the MLE exists iff some strictly positive ``x``
  has the same sufficient statistics, ``X'x = X'n``. SparseMSE decides it with the linear
  program ``max t  s.t.  X'x = X'n,  x_i >= t,  x, t >= 0``: the estimate exists iff the
  optimum is positive. We solve the same program with HiGHS (``scipy.optimize.linprog``).
  The answer depends on the counts only through which histories were observed.
* **Identifiability**: ``X`` has full column rank.

:func:`check_model` gives both verdicts (SparseMSE's error code ``ierr`` = 1 if the
estimate does not exist, + 2 if not identifiable); :func:`diagnose` also names what is at
fault — the histories whose fitted count is forced to zero (the complement of the facial
set, by the linear program in :func:`forced_zero_cells`) and the terms that
are confounded (the null space of ``X``) — and
:meth:`ModelDiagnosis.raise_if_not_estimable` turns that into a
:class:`~uncounted.errors.NotIdentifiable` sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from uncounted.errors import InvalidInput, NotIdentifiable
from uncounted.prevalence._engine.batch import pair_index
from uncounted.prevalence.histories import CaptureHistories

__all__ = [
    "Estimability",
    "ModelCheck",
    "ModelDiagnosis",
    "check_estimability",
    "check_model",
    "design_matrix",
    "diagnose",
    "forced_zero_cells",
    "full_rank",
    "list_pairs",
    "mle_exists",
    "parse_terms",
    "pattern_name",
]

_LP_TOL = 1e-7  # the LP optimum t is a ratio of small integers when positive


def list_pairs(n_lists: int) -> list[tuple[int, int]]:
    """All two-list pairs ``(i, j)``, ``i < j``, in SparseMSE's order (1:2, 1:3, ..., 2:3, ...),
    which is also the column order of the full design (:func:`pair_index`)."""
    return pair_index(n_lists)


def design_matrix(
    patterns: np.ndarray, counts: np.ndarray, pairs: Sequence[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]], list[tuple[int, int]]]:
    """SparseMSE's ``buildmodelmatrix``: the design on the kept histories.

    Returns ``(X, kept, overlapping, empty)``: ``X`` has columns intercept, main effects,
    then the overlapping pairs in the order given; ``kept`` is a boolean mask over the rows
    of ``patterns`` (histories containing an empty pair of the model are dropped).
    """
    P = np.asarray(patterns, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    kept = np.ones(P.shape[0], dtype=bool)
    overlapping: list[tuple[int, int]] = []
    empty: list[tuple[int, int]] = []
    for i, j in pairs:
        both = (P[:, i] * P[:, j]) > 0
        if float(n[both].sum()) == 0.0:
            empty.append((i, j))
            kept &= ~both
        else:
            overlapping.append((i, j))
    Pk = P[kept]
    cols = [np.ones(Pk.shape[0]), *(Pk[:, k] for k in range(P.shape[1]))]
    cols += [Pk[:, i] * Pk[:, j] for i, j in overlapping]
    return np.column_stack(cols), kept, overlapping, empty


def pattern_name(lists: Sequence[str], row: np.ndarray) -> str:
    """A capture history as the lists it is on, e.g. ``"LA+GP"``."""
    return "+".join(name for name, on in zip(lists, row, strict=True) if on)


#: Largest table for which :func:`_positive_solution` is tried before the linear program
#: (its least-squares step is O(k p**2); beyond this the program is the cheaper path).
_CERTIFICATE_CELLS = 4096
#: Reweighting rounds of :func:`_positive_solution` before it tries the fitted means.
_CERTIFICATE_ROUNDS = 6
#: Newton steps of :func:`_fitted_means` before it gives up (to the program).
_NEWTON_STEPS = 50
#: Least fitted count of an empty cell that :func:`_positive_solution` accepts from the
#: fitted means (smaller ones are left to the linear program).
_MEAN_MARGIN = 1e-6


def _positive_solution(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether a strictly positive ``x`` with ``X'x = X'y`` is found without the program.

    A sufficient condition, exact when it holds: ``d = (I - H) 1_Z`` (``1_Z`` the indicator
    of the empty cells, ``H`` the projection onto the columns of ``X``) satisfies
    ``X'd = 0``; if ``d > 0`` on every empty cell (after up to a few rounds that weight the
    empty cells where it is not), then ``x = y + eps d`` is strictly
    positive for a small enough ``eps > 0`` and has the sufficient statistics of ``y``, so
    the MLE exists and no cell is forced to zero (Fienberg & Rinaldo 2012). When ``d`` is
    not positive there, nothing is concluded and the caller solves the linear program. It
    saves importing ``scipy.optimize`` for the common table with a few empty cells.
    """
    k = X.shape[0]
    if k > _CERTIFICATE_CELLS:
        return False
    zero = y <= 0
    target = zero.astype(np.float64)
    if np.linalg.matrix_rank(X) == X.shape[1]:
        q, _ = np.linalg.qr(X)  # orthonormal basis of the columns of X

        def residual(t: np.ndarray) -> np.ndarray:
            return np.asarray(t - q @ (q.T @ t))
    else:

        def residual(t: np.ndarray) -> np.ndarray:
            return np.asarray(t - X @ np.linalg.lstsq(X, t, rcond=None)[0])

    for _ in range(_CERTIFICATE_ROUNDS):
        d = residual(target)
        # Entries of the target are >= 1: a component below 1e-8 is rounding, not a direction.
        short = zero & (d <= 1e-8)
        if not short.any():
            break
        target[short] *= 4.0  # pull harder on the cells the projection left non-positive
    else:
        # Second candidate: the direction towards the fitted means of the Poisson model, which
        # are positive and have the sufficient statistics of y when the MLE exists. Its
        # projection is held to a margin (fitted counts of at least _MEAN_MARGIN on the empty
        # cells), far above rounding: where the MLE does not exist the fitted means of the
        # forced cells head to zero, and the linear program decides.
        mu = _fitted_means(X, y)
        if mu is None:
            return False
        d = residual(mu - y)
        if (zero & (d < _MEAN_MARGIN)).any():
            return False
    # eps: half of the largest step keeping every observed cell positive.
    shrink = d[~zero] < 0
    eps = 0.5 * float(np.min(y[~zero][shrink] / -d[~zero][shrink])) if shrink.any() else 1.0
    x = y + eps * d
    return bool(np.all(x > 0) and np.allclose(X.T @ x, X.T @ y, rtol=1e-9, atol=1e-9))


def _fitted_means(X: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """``exp(X beta)`` at the Poisson maximum-likelihood estimate, by Newton's method from the
    least-squares fit of ``log(y + 0.5)``; ``None`` if the score does not vanish (relative
    1e-10) within :data:`_NEWTON_STEPS` steps, as when the estimate does not exist."""
    beta = np.linalg.lstsq(X, np.log(y + 0.5), rcond=None)[0]
    tol = 1e-10 * max(1.0, float(np.abs(X.T @ y).max()))
    for _ in range(_NEWTON_STEPS):
        mu = np.exp(np.clip(X @ beta, -700.0, 700.0))
        score = X.T @ (y - mu)
        if not np.all(np.isfinite(score)):
            return None
        if float(np.abs(score).max()) <= tol:
            return np.asarray(mu)
        beta = beta + np.linalg.lstsq(X.T @ (mu[:, None] * X), score, rcond=None)[0]
    return None


def _forced_by_a_column(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cells that a column of one sign with a zero total forces to zero.

    If column ``c`` is >= 0 (or <= 0) and ``y`` is 0 wherever it is not, then
    ``X_c'x = X_c'y = 0`` with ``x >= 0`` leaves ``x = 0`` on its support: e.g. the term of
    Chao's model for "on every list" when nobody is."""
    forced = np.zeros(X.shape[0], dtype=bool)
    observed = y > 0
    for column in X.T:
        if np.all(column >= 0) or np.all(column <= 0):
            support = column != 0
            if not (support & observed).any():
                forced |= support
    return forced


def forced_zero_cells(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean mask of the cells whose fitted count is zero in every solution.

    Without the linear program when it can be shown: the cells a single column forces to
    zero (:func:`_forced_by_a_column`) are zero in every solution, and if a strictly
    positive solution on all the other cells is found (:func:`_positive_solution`), those
    are exactly the forced cells. Otherwise the program decides
    (:func:`_forced_zero_by_program`).
    """
    y = np.asarray(y, dtype=np.float64)
    if np.all(y > 0):
        return np.zeros(X.shape[0], dtype=bool)
    forced = _forced_by_a_column(X, y)
    rest = ~forced
    if np.all(y[rest] > 0) or _positive_solution(X[rest], y[rest]):
        return forced
    return _forced_zero_by_program(X, y)


def _forced_zero_by_program(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`forced_zero_cells` by the linear program (facial set; Fienberg & Rinaldo)."""
    k, p = X.shape
    # scipy.optimize is imported here, not with the module: most estimates (every table
    # without an empty cell) never need the linear program, and the import costs ~0.15 s.
    from scipy import sparse
    from scipy.optimize import linprog

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


def _rank(M: np.ndarray) -> int:
    return int(np.linalg.matrix_rank(M)) if M.size else 0


def full_rank(X: np.ndarray) -> bool:
    """Whether ``X`` has full column rank (R: ``qr(X)$rank == ncol(X)``)."""
    if X.shape[0] < X.shape[1]:
        return False
    return bool(_rank(X) == X.shape[1])


def mle_exists(X: np.ndarray, counts: np.ndarray) -> bool:
    """SparseMSE's linear program: is there ``x > 0`` with ``X'x = X'counts``?"""
    n = np.asarray(counts, dtype=np.float64)
    if np.all(n > 0):
        return True  # x = counts itself
    if _positive_solution(X, n):
        return True
    from scipy import sparse  # see forced_zero_cells
    from scipy.optimize import linprog

    k, p = X.shape
    c = np.zeros(k + 1)
    c[-1] = -1.0  # maximise t
    A_eq = np.hstack([X.T, np.zeros((p, 1))])
    # t - x_i <= 0; sparse (a dense identity over 2**L - 1 cells is 8 GB at 15 lists)
    A_ub = sparse.hstack(
        [-sparse.identity(k, format="csr"), sparse.csr_matrix(np.ones((k, 1)))], format="csr"
    )
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(k),
        A_eq=A_eq,
        b_eq=X.T @ n,
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:  # infeasible cannot happen (x = counts is feasible); be safe
        return False
    return bool(-res.fun > _LP_TOL)


@dataclass(frozen=True)
class ModelCheck:
    """Verdicts for one model on one table (SparseMSE ``checkident``)."""

    exists: bool
    identifiable: bool
    empty_overlaps: tuple[tuple[int, int], ...]

    @property
    def ok(self) -> bool:
        """True when the estimate exists and is identifiable."""
        return self.exists and self.identifiable

    @property
    def error_code(self) -> int:
        """SparseMSE's ``ierr``: 0 ok, 1 does not exist, 2 not identifiable, 3 both."""
        return int(not self.exists) + 2 * int(not self.identifiable)


def check_model(
    patterns: np.ndarray, counts: np.ndarray, pairs: Sequence[tuple[int, int]]
) -> ModelCheck:
    """Existence and identifiability of the model with two-list terms ``pairs``."""
    X, kept, _, empty = design_matrix(patterns, counts, pairs)
    exists = mle_exists(X, np.asarray(counts)[kept])
    return ModelCheck(exists, full_rank(X), tuple(empty))


# --------------------------------------------------------------------------- named API
def parse_terms(lists: Sequence[str], terms: Sequence[str]) -> list[tuple[int, int]]:
    """Turn ``"A:B"`` terms into list-index pairs ``(i, j)``, ``i < j`` (order kept)."""
    out: list[tuple[int, int]] = []
    for term in terms:
        parts = str(term).split(":")
        if (
            len(parts) != 2
            or parts[0] not in lists
            or parts[1] not in lists
            or (parts[0] == parts[1])
        ):
            raise InvalidInput(
                f"model term {term!r} is not a two-list term 'A:B' over the lists "
                f"{', '.join(lists)}."
            )
        i, j = sorted((lists.index(parts[0]), lists.index(parts[1])))
        if (i, j) in out:
            raise InvalidInput(f"model term {term!r} is given twice.")
        out.append((i, j))
    return out


@dataclass(frozen=True)
class ModelDiagnosis:
    """What is wrong (if anything) with a model on a table, in the lists' names."""

    lists: tuple[str, ...]
    terms: tuple[str, ...]
    exists: bool
    identifiable: bool
    empty_overlaps: tuple[str, ...]  # model terms whose lists share nobody (set to -inf)
    forced_zero_histories: tuple[str, ...]  # e.g. "LA+GP": fitted count forced to zero
    confounded_terms: tuple[str, ...]  # parameters not separately estimable

    @property
    def ok(self) -> bool:
        """True when the estimate exists and is identifiable."""
        return self.exists and self.identifiable

    @property
    def message(self) -> str:
        """One or two sentences: what is at fault and what to do next."""
        model = " + ".join(self.terms) if self.terms else "main effects only"
        parts: list[str] = []
        if not self.exists:
            hist = ", ".join(self.forced_zero_histories) or "some histories"
            parts.append(
                f"the maximum-likelihood estimate for model [{model}] does not exist: the "
                f"fitted counts of {hist} are forced to zero by the observed zeros"
            )
        if not self.identifiable:
            conf = ", ".join(self.confounded_terms) or "some parameters"
            empty = (
                f" (empty overlaps {', '.join(self.empty_overlaps)} remove the histories "
                "that would separate them)"
                if self.empty_overlaps
                else ""
            )
            parts.append(f"model [{model}] is not identifiable: {conf} cannot be told apart{empty}")
        if not parts:
            return f"model [{model}] has an identifiable maximum-likelihood estimate."
        if self.terms:
            advice = (
                "Drop the terms involved, merge the lists concerned, or use the stepwise "
                "search (StepwiseEstimator), which only adds estimable terms."
            )
        else:
            advice = (
                "Merge or drop the lists concerned: a list that holds everyone observed, or "
                "lists that share nobody, leave the number of unseen people undetermined."
            )
        return "; ".join(parts) + ". " + advice

    def raise_if_not_estimable(self) -> None:
        """Raise :class:`~uncounted.errors.NotIdentifiable` unless the estimate is usable."""
        if not self.ok:
            raise NotIdentifiable(self.message[0].upper() + self.message[1:])


def diagnose(histories: CaptureHistories, terms: Sequence[str] = ()) -> ModelDiagnosis:
    """Check the model with two-list ``terms`` (``"A:B"``) on ``histories`` and explain.

    Used by every log-linear estimator before fitting: call
    ``diagnose(h, terms).raise_if_not_estimable()``.
    """
    lists = histories.lists
    pairs = parse_terms(lists, terms)
    patterns, counts = histories.complete()
    X, kept, overlapping, empty = design_matrix(patterns, counts, pairs)
    nk = counts[kept]
    exists = mle_exists(X, nk)
    ident = full_rank(X)
    names = ["(Intercept)", *lists, *(f"{lists[i]}:{lists[j]}" for i, j in overlapping)]
    zero_hist: tuple[str, ...] = ()
    if not exists:
        mask = forced_zero_cells(X, nk) & (nk == 0)
        zero_hist = tuple(pattern_name(lists, row) for row in patterns[kept][mask])
    confounded: tuple[str, ...] = ()
    if not ident:
        _, s, vt = np.linalg.svd(X, full_matrices=True)
        rank = int(np.sum(s > s.max() * max(X.shape) * np.finfo(float).eps)) if s.size else 0
        null = vt[rank:]
        involved = np.any(np.abs(null) > 1e-8, axis=0)
        confounded = tuple(name for name, bad in zip(names, involved, strict=True) if bad)
    return ModelDiagnosis(
        lists=lists,
        terms=tuple(f"{lists[i]}:{lists[j]}" for i, j in pairs),
        exists=exists,
        identifiable=ident,
        empty_overlaps=tuple(f"{lists[i]}:{lists[j]}" for i, j in empty),
        forced_zero_histories=zero_hist,
        confounded_terms=confounded,
    )
