"""Every interval method has one sentence saying what the interval is; catalogue measures and
estimators find theirs."""

from __future__ import annotations

import pytest

from uncounted.metrics import load_catalogue
from uncounted.report.intervals import (
    INTERVAL_SENTENCES,
    NO_INTERVAL_SENTENCE,
    explain_interval,
    interval_method_of,
    metric_interval_sentence,
)


def test_each_method_has_one_sentence():
    for key, sentence in INTERVAL_SENTENCES.items():
        assert sentence.endswith(".") and sentence.count(". ") == 0, key
        assert "%" not in sentence  # safe inside the catalogues' python-format strings


@pytest.mark.parametrize(
    ("method", "start"),
    [
        ("wilson", "Wilson interval: the shares consistent with these counts."),
        ("profile", "Profile-likelihood interval"),
        ("credible", "Credible interval (Bayesian)"),
        ("bca-bootstrap", "Bootstrap interval (BCa)"),
        ("kaplan-meier", "Greenwood log−log interval of the Kaplan–Meier estimate"),
        ("linkage-only", "Linkage only:"),
        ("linkage-total", "Total: linkage error and the estimator's own uncertainty"),
    ],
)
def test_explain_interval_names_the_method(method, start):
    assert explain_interval(method).startswith(start)


def test_no_method_and_unknown_methods():
    assert explain_interval(None) == NO_INTERVAL_SENTENCE
    assert explain_interval("none") == NO_INTERVAL_SENTENCE
    assert explain_interval("jackknife") == "jackknife interval."


def test_catalogue_wording_maps_to_methods():
    assert interval_method_of("Wilson score interval") == "wilson"
    assert interval_method_of("Garwood exact Poisson interval for the rate") == "garwood"
    assert interval_method_of("Greenwood log−log band of the reverse-time product-limit") == (
        "greenwood"
    )
    assert interval_method_of("none (a ratio of period flows)") is None


def test_every_catalogue_measure_has_a_sentence():
    for m in load_catalogue():
        sentence = metric_interval_sentence(m.id)
        assert sentence.endswith("."), m.id
    assert metric_interval_sentence("J3") == INTERVAL_SENTENCES["wilson"]
    assert metric_interval_sentence("J6").startswith("None (a ratio of two counts")
