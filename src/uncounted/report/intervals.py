"""One sentence per interval method, so every interval the web app (and the report) shows says
what it is: the same wording everywhere, kept here rather than in templates.

The methods are those of the justice indicators (the metric catalogue's ``interval`` field,
``uncounted.metrics``) and of the prevalence estimators (their ``ci_method_``,
``uncounted.prevalence``), plus the two intervals of an estimate from linked records
(``uncounted.linkage.uncertainty``: linkage only, and total). The sentences are marked with
:func:`N_` for the web app's translation catalogues (``make messages``).
"""

from __future__ import annotations

from uncounted._i18n import N_
from uncounted.metrics import metric

__all__ = [
    "INTERVAL_SENTENCES",
    "NO_INTERVAL_SENTENCE",
    "explain_interval",
    "interval_method_of",
    "metric_interval_sentence",
]


#: Method key -> one sentence saying what the interval is (and where it comes from).
INTERVAL_SENTENCES: dict[str, str] = {
    # shares of people (Wilson 1927, JASA 22:209)
    "wilson": N_("Wilson interval: the shares consistent with these counts."),
    # counts and rates of rare events (Garwood 1936, Biometrika 28:437)
    "garwood": N_("Exact Poisson (Garwood) interval: the rates consistent with this count."),
    # durations and paths still open (Greenwood 1926; Kaplan & Meier 1958)
    "greenwood": N_(
        "Greenwood log−log interval of the Kaplan–Meier estimate: it allows for cases still open."
    ),
    # competing outcomes (Aalen & Johansen 1978)
    "aalen-johansen": N_(
        "Log−log interval of the Aalen–Johansen estimate: it allows for cases still open."
    ),
    # prevalence: log-linear and heterogeneity models (Cormack 1992, Biometrics 48:567)
    "profile": N_(
        "Profile-likelihood interval: the totals whose likelihood is close to the best one."
    ),
    "wald": N_("Wald interval: the estimate plus or minus about two standard errors."),
    # Chao (1987), Biometrics 43:783: the unseen count is taken as log-normal
    "lognormal": N_("Log-normal interval: the uncertainty of the unseen count, on the log scale."),
    "bca-bootstrap": N_("Bootstrap interval (BCa): the totals found when the lists are resampled."),
    "bootstrap": N_("Bootstrap interval: the totals found when the lists are resampled."),
    # Bayesian estimators (DGA, latent class): a posterior, not a confidence interval
    "credible": N_(
        "Credible interval (Bayesian): the totals holding most of the posterior probability."
    ),
    # estimates from linked records (uncounted.linkage.uncertainty)
    "linkage-only": N_(
        "Linkage only: how far the estimate moves over plausible linkages of the records."
    ),
    "one-linkage": N_("At this one linkage only: it leaves out linkage error."),
    "linkage-total": N_(
        "Total: linkage error and the estimator's own uncertainty together (the one to report)."
    ),
}

#: Said of a figure that has no interval of its own.
NO_INTERVAL_SENTENCE = N_("No interval: a count of the records themselves, not an estimate.")

# catalogue wording (its ``interval`` field) -> method key, first match wins
_CATALOGUE_WORDS: tuple[tuple[str, str], ...] = (
    ("wilson", "wilson"),
    ("garwood", "garwood"),
    ("poisson", "garwood"),
    ("aalen", "aalen-johansen"),
    ("kaplan", "greenwood"),
    ("greenwood", "greenwood"),
    ("profile", "profile"),
    ("credible", "credible"),
    ("bootstrap", "bootstrap"),
)


def interval_method_of(description: str) -> str | None:
    """The method key of an interval described in words (a catalogue ``interval`` field or an
    estimator's ``ci_method_``), or ``None`` when it names no known method (or says "none")."""
    text = description.strip().lower()
    if text in INTERVAL_SENTENCES:
        return text
    if not text or text.startswith("none"):
        return None
    for word, key in _CATALOGUE_WORDS:
        if word in text:
            return key
    return None


def explain_interval(method: str | None) -> str:
    """The sentence for ``method`` (a key of :data:`INTERVAL_SENTENCES` or words naming one);
    a method without a sentence is named as it is, and no method gives
    :data:`NO_INTERVAL_SENTENCE`."""
    if not method or method == "none":
        return NO_INTERVAL_SENTENCE
    key = interval_method_of(method)
    if key is None:
        return f"{method} interval."
    return INTERVAL_SENTENCES[key]


def metric_interval_sentence(metric_id: str) -> str:
    """The sentence for the interval of catalogue measure ``metric_id`` (its first method, as
    its ``interval`` field names them); a measure published without one says why, in the
    catalogue's own words."""
    description = metric(metric_id).interval
    if interval_method_of(description) is None:
        return description[0].upper() + description[1:] + "."
    return explain_interval(description)
