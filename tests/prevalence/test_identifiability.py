"""Existence and identifiability checks (SparseMSE ``checkident``) and their fast certificate."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import polars as pl
import pytest

from uncounted.errors import InvalidInput, NotIdentifiable
from uncounted.prevalence import CaptureHistories
from uncounted.prevalence._engine import (
    check_model,
    design_matrix,
    diagnose,
    fit_poisson,
    forced_zero_cells,
    list_pairs,
    mle_exists,
)
from uncounted.prevalence.histories import all_patterns

# Chan, Silverman & Vincent (2021, JASA), Table 2 = SparseMSE's Artificial_3 (A, B, C):
ARTIFICIAL_3 = pl.DataFrame(
    {"A": [1, 0, 0, 1], "B": [0, 1, 0, 1], "C": [0, 0, 1, 0], "count": [40, 30, 20, 6]}
)


@pytest.fixture
def artificial() -> CaptureHistories:
    return CaptureHistories.from_frame(ARTIFICIAL_3)


# SparseMSE's help page for Artificial_3: "If all three two-list effects are included ...
# the linear program yields a strictly positive value but the matrix A is not of full
# column rank ... If the model contains AB either alone or in conjunction with one of AC and
# BC, then the linear program result is zero, so the MLE does not exist. If only main
# effects are considered, or if either or both of AC and BC, but not AB are included, then
# the model passes both tests." SparseMSE's ierr: 1 = does not exist, 2 = not identifiable.
ARTIFICIAL_VERDICTS = {
    (): 0,
    ("A:B",): 1,
    ("A:C",): 0,
    ("B:C",): 0,
    ("A:B", "A:C"): 1,
    ("A:B", "B:C"): 1,
    ("A:C", "B:C"): 0,
    ("A:B", "A:C", "B:C"): 2,
}


@pytest.mark.parametrize(("terms", "ierr"), ARTIFICIAL_VERDICTS.items())
def test_artificial_3_verdicts_match_sparsemse(
    artificial: CaptureHistories, terms: tuple[str, ...], ierr: int
) -> None:
    """Every model of Artificial_3 gets SparseMSE's checkident code (help page, above)."""
    d = diagnose(artificial, terms)
    assert int(not d.exists) + 2 * int(not d.identifiable) == ierr
    patterns, counts = artificial.complete()
    pairs = [tuple(sorted("ABC".index(x) for x in t.split(":"))) for t in terms]
    assert check_model(patterns, counts, pairs).error_code == ierr


def test_artificial_3_names_what_is_at_fault(artificial: CaptureHistories) -> None:
    """A:B forces the histories with C and another list to zero; all three terms confound."""
    d = diagnose(artificial, ["A:B"])
    assert not d.exists and d.identifiable
    assert set(d.forced_zero_histories) == {"A+C", "B+C", "A+B+C"}
    with pytest.raises(NotIdentifiable, match=r"A\+C.*forced to zero"):
        d.raise_if_not_estimable()
    full = diagnose(artificial, ["A:B", "A:C", "B:C"])
    assert full.exists and not full.identifiable
    assert full.empty_overlaps == ("A:C", "B:C")
    assert "A:B" in full.confounded_terms
    with pytest.raises(NotIdentifiable, match="not identifiable"):
        full.raise_if_not_estimable()
    ok = diagnose(artificial, ["A:C", "B:C"])
    assert ok.ok and ok.empty_overlaps == ("A:C", "B:C")
    ok.raise_if_not_estimable()


def test_two_lists_without_overlap_have_no_estimate() -> None:
    """Two lists sharing nobody: Lincoln-Petersen is infinite, the MLE does not exist."""
    h = CaptureHistories.from_frame(pl.DataFrame({"A": [1, 0], "B": [0, 1], "count": [5, 7]}))
    d = diagnose(h)
    assert not d.exists
    assert d.forced_zero_histories == ("A+B",)


def test_bad_terms_are_refused(artificial: CaptureHistories) -> None:
    for bad in (["A"], ["A:Z"], ["A:A"], ["A:B", "B:A"]):
        with pytest.raises(InvalidInput):
            diagnose(artificial, bad)


def test_list_pairs_follow_sparsemse_order() -> None:
    assert list_pairs(4) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


def test_lp_and_facial_set_agree_on_random_sparse_tables() -> None:
    """The existence LP says "exists" exactly when no kept history is forced to zero."""
    rng = np.random.default_rng(3)
    patterns = all_patterns(4)
    pairs = list_pairs(4)
    for _ in range(60):
        counts = rng.poisson(0.8, size=patterns.shape[0]) * (rng.random(patterns.shape[0]) < 0.6)
        model = [p for p in pairs if rng.random() < 0.4]
        X, kept, _, _ = design_matrix(patterns, counts, model)
        assert mle_exists(X, counts[kept]) == (not forced_zero_cells(X, counts[kept]).any())


def test_newton_certificate_never_contradicts_the_lp() -> None:
    """The fast path (fit + final Newton step) only certifies models the LP says exist.

    Random sparse tables on 4 and 5 lists with random two-list models; the certificate is
    ``converged and min(d_eta) > -1/2`` (see uncounted.prevalence._engine). Both outcomes of
    the LP must occur, or the test proves nothing.
    """
    rng = np.random.default_rng(11)
    seen = {True: 0, False: 0}
    certified = 0
    for n_lists in (4, 5):
        patterns = all_patterns(n_lists)
        pairs = list(combinations(range(n_lists), 2))
        for _ in range(80):
            k = patterns.shape[0]
            counts = rng.poisson(rng.uniform(0.3, 6.0), size=k) * (rng.random(k) < 0.5)
            if counts.sum() == 0:
                continue
            model = [p for p in pairs if rng.random() < 0.3]
            X, kept, _, _ = design_matrix(patterns, counts, model)
            if np.linalg.matrix_rank(X) < X.shape[1]:
                continue
            y = counts[kept].astype(np.float64)
            exists = mle_exists(X, y)
            seen[exists] += 1
            fit = fit_poisson(np.ascontiguousarray(X), y)
            if fit.ok and fit.converged and fit.min_step > -0.5:
                certified += 1
                assert exists
    assert seen[True] > 10 and seen[False] > 10
    assert certified > 0.8 * seen[True]


def test_positive_solution_certificate_agrees_with_the_program() -> None:
    """The least-squares certificate (no linear program) only ever says "exists" where the
    program finds no forced zero, and it says so for most tables where the MLE exists."""
    from uncounted.prevalence._engine.identifiability import (
        _forced_zero_by_program,
        _positive_solution,
    )

    rng = np.random.default_rng(5)
    exists_total = certified = 0
    for n_lists in (3, 4, 5):
        patterns = all_patterns(n_lists)
        pairs = list(combinations(range(n_lists), 2))
        for _ in range(80):
            k = patterns.shape[0]
            counts = rng.poisson(rng.uniform(0.5, 8.0), size=k) * (rng.random(k) < 0.7)
            if counts.sum() == 0 or counts.all():
                continue
            model = [p for p in pairs if rng.random() < 0.3]
            X, kept, _, _ = design_matrix(patterns, counts, model)
            y = counts[kept].astype(np.float64)
            if y.all():
                continue
            exists = not _forced_zero_by_program(X, y).any()
            exists_total += exists
            if _positive_solution(X, y):
                certified += 1
                assert exists
    assert exists_total > 30
    assert certified > 0.5 * exists_total


def test_forced_zero_cells_without_the_program_agree_with_it() -> None:
    """The shortcuts (a column of one sign with a zero total; a positive solution on the
    other cells, from the projection or the fitted means) give the program's answer, on
    log-linear designs and on Chao's and Darroch's heterogeneity designs."""
    from uncounted.prevalence._engine.identifiability import _forced_zero_by_program

    rng = np.random.default_rng(11)
    checked = 0
    for n_lists in (4, 5, 6):
        patterns = all_patterns(n_lists)
        on = patterns.sum(axis=1)
        pairs = list(combinations(range(n_lists), 2))
        chao = np.column_stack([(on >= m) * (on - m + 1) for m in range(3, n_lists + 1)])
        darroch = (on**2 / 2.0)[:, None]
        for _ in range(40):
            k = patterns.shape[0]
            counts = rng.poisson(rng.uniform(0.5, 30.0), size=k) * (rng.random(k) < 0.6)
            counts = counts * (on < rng.integers(2, n_lists + 2))  # often nobody on many lists
            if counts.sum() == 0 or counts.all():
                continue
            main = np.column_stack([np.ones(k), patterns])
            model = [p for p in pairs if rng.random() < 0.2]
            X_ll, kept, _, _ = design_matrix(patterns, counts, model)
            for X, y in (
                (X_ll, counts[kept].astype(np.float64)),
                (np.column_stack([main, chao]), counts.astype(np.float64)),
                (np.column_stack([main, darroch]), counts.astype(np.float64)),
            ):
                if y.all():
                    continue
                expected = _forced_zero_by_program(X, y)
                assert (forced_zero_cells(X, y) == expected).all()
                checked += 1
    assert checked > 200
