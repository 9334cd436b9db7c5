"""Optional dependencies: a missing extra is one sentence naming what to install."""

from __future__ import annotations

import sys

import pytest

from uncounted._extras import EXTRAS, require
from uncounted.errors import ConfigurationError, InvalidInput, MissingExtra


@pytest.mark.parametrize("package", sorted(EXTRAS))
def test_a_missing_extra_names_the_pip_command(monkeypatch, package):
    monkeypatch.setitem(sys.modules, package, None)  # as if it were not installed
    with pytest.raises(MissingExtra, match=rf"pip install 'uncounted\[{EXTRAS[package][0]}\]'"):
        require(package)


def test_missing_extra_is_a_configuration_error():
    assert issubclass(MissingExtra, ConfigurationError)
    with pytest.raises(MissingExtra, match="uncounted\\[all\\]"):
        require("no_such_package_for_uncounted")


def test_drivers_without_pgmpy(monkeypatch):
    from uncounted.evaluation import DriverNetwork
    from uncounted.simulate.migrants import simulate_migrant_survey

    frame = simulate_migrant_survey(300, seed=1)
    monkeypatch.setitem(sys.modules, "pgmpy", None)
    with pytest.raises(MissingExtra, match="uncounted\\[drivers\\]"):
        DriverNetwork().fit(frame)


def test_plot_without_matplotlib(monkeypatch):
    from uncounted import Chapman

    est = Chapman().fit({"A": [1, 0, 1], "B": [0, 1, 1], "count": [30, 40, 10]})
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)
    with pytest.raises(MissingExtra, match="uncounted\\[plot\\]"):
        est.plot()


def test_driver_network_takes_a_pandas_survey():
    pytest.importorskip("pgmpy")
    from uncounted.evaluation import DriverNetwork
    from uncounted.simulate.migrants import simulate_migrant_survey

    survey = simulate_migrant_survey(400, seed=3)
    from_pandas = DriverNetwork().fit(survey.to_pandas())
    assert from_pandas.edges_ == DriverNetwork().fit(survey).edges_
    with pytest.raises(InvalidInput, match="Expected the survey"):
        DriverNetwork().fit("survey.csv")
