"""A small synthetic world and its evidence report, built once for the report tests."""

from __future__ import annotations

import pytest

from uncounted.report import Report, build_report
from uncounted.simulate import World, WorldConfig, simulate_world

#: Bootstrap replicates of the survivors' intervals in the tests (200 in real reports).
BOOTSTRAP = 50


@pytest.fixture(scope="session")
def world() -> World:
    """800 hidden victims: enough for every section, quick to simulate."""
    return simulate_world(WorldConfig(seed=7, n_victims=800))


@pytest.fixture(scope="session")
def report(world: World) -> Report:
    return build_report(world.frames, n_bootstrap=BOOTSTRAP)


@pytest.fixture(scope="session")
def html(report: Report) -> str:
    return report.to_html()
