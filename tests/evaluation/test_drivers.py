"""The driver network recovers the generating structure of a synthetic migrant survey and
answers risk queries close to the generator's true probabilities."""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.errors import InvalidInput, NotFitted
from uncounted.evaluation import DriverNetwork
from uncounted.simulate.migrants import (
    TRUE_EDGES,
    forced_labour_probability,
    simulate_migrant_survey,
)


@pytest.fixture(scope="module")
def survey():
    return simulate_migrant_survey(8000, seed=1)


@pytest.fixture(scope="module")
def learned(survey):
    return DriverNetwork().fit(survey)


def test_learned_skeleton_is_the_generating_one(learned):
    """Hill-climbing with BIC finds the true adjacencies (directions are identified only up to
    Markov equivalence, so the skeleton is compared)."""
    assert {frozenset(e) for e in learned.edges_} == {frozenset(e) for e in TRUE_EDGES}


def test_education_and_awareness_do_not_drive_risk(learned):
    table = learned.sensitivity("yes")
    spread = dict(table.select("variable", "spread").unique().iter_rows())
    for driver in ("destination", "sector", "recruitment"):
        for bystander in ("education", "awareness"):
            assert spread[driver] > 5 * spread[bystander], (driver, bystander)
    assert table["variable"][0] in {"sector", "recruitment", "destination"}


def test_query_matches_the_generator(survey):
    """With the true structure given, P(forced labour | destination, sector, recruitment) is
    within 3 binomial standard errors, 3·√(p(1−p)/n), of the generator's logistic probability
    in every cell with at least 150 respondents."""
    net = DriverNetwork(edges=sorted(TRUE_EDGES)).fit(survey)
    counts = survey.group_by(["destination", "sector", "recruitment"]).len()
    for dest, sector, recruit, n in counts.filter(pl.col("len") >= 150).iter_rows():
        got = net.query({"destination": dest, "sector": sector, "recruitment": recruit})["yes"]
        want = forced_labour_probability(dest, sector, recruit)
        assert got == pytest.approx(want, abs=3 * (want * (1 - want) / n) ** 0.5)
    assert net.parents() == ["destination", "recruitment", "sector"]


def test_errors(survey):
    with pytest.raises(NotFitted):
        DriverNetwork().query()
    with pytest.raises(InvalidInput, match="no column 'outcome'"):
        DriverNetwork(outcome="outcome").fit(survey)
    net = DriverNetwork(edges=[("sector", "forced_labour")]).fit(survey.head(500))
    with pytest.raises(InvalidInput, match="not a state of sector"):
        net.query({"sector": "fishng"})
    with pytest.raises(InvalidInput, match="unknown variables"):
        DriverNetwork(edges=[("ship", "forced_labour")]).fit(survey)
