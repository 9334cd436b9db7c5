"""The methods appendix quotes the estimators' docstrings as plain text."""

from __future__ import annotations

from uncounted.prevalence import LatentClassEstimator
from uncounted.prevalence.registry import get_spec
from uncounted.report.methods import docstring_paragraphs, estimator_notes, plain


def test_plain_drops_markup_but_keeps_formulas():
    text = "See :func:`~uncounted.prevalence.diagnose` and ``N = n + exp(b0)``, **bold** *em* mu*"
    assert plain(text) == "See diagnose and N = n + exp(b0), bold em mu*"


def test_docstring_paragraphs_stop_at_settings():
    paragraphs = docstring_paragraphs(LatentClassEstimator)
    assert paragraphs[0].startswith("Population size from the Bayesian non-parametric")
    assert any("Manrique-Vallier (2016)" in p for p in paragraphs)
    assert not any(p.startswith("Learned") for p in paragraphs)


def test_latent_class_note_only_when_asked():
    label = get_spec("lcmcr").label  # the registry's label, as everywhere
    assert label not in [n.name for n in estimator_notes()]
    names = [n.name for n in estimator_notes(lcmcr=True)]
    assert label in names
    assert all(n.text for n in estimator_notes(lcmcr=True))
