"""DecomposableBMA and the decomposable graphs it averages over (R comparisons live in
tests/reference/test_dga.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from uncounted.errors import InvalidInput, SparseDataWarning
from uncounted.prevalence import CaptureHistories, DecomposableBMA
from uncounted.prevalence._decomposable import decomposable_graphs


def test_graph_counts_match_dga_data() -> None:
    """dga 2.0.2 ships graphs3, graphs4, graphs5 with 8, 61 and 822 graphs (R: length())."""
    assert [len(decomposable_graphs(p)) for p in (2, 3, 4, 5)] == [2, 8, 61, 822]
    with pytest.raises(ValueError, match="2 to 5 lists"):
        decomposable_graphs(6)


def test_cliques_and_separators_of_a_known_graph() -> None:
    """dga's graphs5[[400]] has cliques {1,4}, {2,4}, {2,3,5} and separators {4}, {2}
    (1-based); the same graph here (0-based bits) must factorise the same way. A 4-cycle
    is not decomposable."""
    target = {(0, 3), (1, 3), (1, 2), (1, 4), (2, 4)}
    graph = next(g for g in decomposable_graphs(5) if set(g.edges) == target)
    assert sorted(graph.cliques) == sorted([0b01001, 0b01010, 0b10110])
    assert sorted(graph.separators) == sorted([0b01000, 0b00010])
    cycle = {(0, 1), (1, 2), (2, 3), (0, 3)}
    assert not any(set(g.edges) == cycle for g in decomposable_graphs(4))


def _three() -> CaptureHistories:
    pats = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    return CaptureHistories(("A", "B", "C"), pats, np.array([500, 400, 300, 100, 80, 60, 40]))


def test_posterior_is_a_distribution_and_the_summaries_agree() -> None:
    est = DecomposableBMA().fit(_three())
    assert est.posterior_.sum() == pytest.approx(1.0)
    assert est.model_weights_.sum() == pytest.approx(1.0)
    assert est.posterior_n_[0] == est.observed_
    assert est.ci_[0] <= est.population_ <= est.ci_[1]
    assert est.posterior_mean_ == pytest.approx(float(est.posterior_ @ est.posterior_n_))
    assert len(est.graphs_) == 8 and len(est.top_models_) == 5
    out = est.to_dict()
    assert out["n_graphs"] == 8 and out["ci_note"] is None


def test_two_lists_and_refusals() -> None:
    two = CaptureHistories(("A", "B"), np.array([[1, 0], [0, 1], [1, 1]]), np.array([80, 60, 20]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseDataWarning)  # the saturated graph: heavy tail
        est = DecomposableBMA().fit(two)
    assert est.observed_ < est.population_
    six = CaptureHistories(tuple("ABCDEF"), np.eye(6, dtype=np.uint8), np.array([5, 5, 5, 5, 5, 5]))
    with pytest.raises(InvalidInput, match="2 to 5 lists"):
        DecomposableBMA().fit(six)
    for bad in (
        {"delta": 0.0},
        {"prior_n": "jeffreys"},
        {"max_missing": 0},
        {"log_model_prior": [0.0, 1.0]},
    ):
        with pytest.raises(InvalidInput):
            DecomposableBMA(**bad).fit(_three())  # type: ignore[arg-type]


def test_model_prior_moves_the_model_weights() -> None:
    """Putting all prior weight on the independence graph makes it the only model."""
    prior = np.full(8, -np.inf)
    prior[0] = 0.0  # the empty graph comes first
    est = DecomposableBMA(log_model_prior=list(prior)).fit(_three())
    assert est.model_weights_[0] == pytest.approx(1.0)
    assert est.model_ == ()


@pytest.mark.slow
def test_recovers_the_truth_over_simulated_worlds() -> None:
    """40 worlds of 2 000 people, four lists with two referral dependencies (P(A) = 0.25,
    P(B | A) = 0.6, P(B | not A) = 0.2; P(C) = 0.3, P(D | C) = 0.4, P(D | not C) = 0.1),
    seeds 0-39. Measured: 39 of 40 intervals cover 2 000, mean posterior median 2 000.9 (6.6 s).
    Required: at least 35 of 40 (P(X <= 34) = 0.014 for a calibrated 95 % interval) and the
    mean median within 1 % of the truth."""
    covered, medians = 0, []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        a = rng.random(2000) < 0.25
        b = np.where(a, rng.random(2000) < 0.6, rng.random(2000) < 0.2)
        c = rng.random(2000) < 0.3
        d = np.where(c, rng.random(2000) < 0.4, rng.random(2000) < 0.1)
        x = np.column_stack([a, b, c, d]).astype(np.uint8)
        patterns, counts = np.unique(x[x.sum(axis=1) > 0], axis=0, return_counts=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SparseDataWarning)
            est = DecomposableBMA().fit(CaptureHistories(tuple("ABCD"), patterns, counts))
        covered += est.ci_[0] <= 2000 <= est.ci_[1]
        medians.append(est.population_)
    assert covered >= 35
    assert abs(float(np.mean(medians)) - 2000) < 20
