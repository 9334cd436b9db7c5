"""What each population estimator assumes, as data (the JSON field ``assumptions``).

Every multiple-systems estimate rests on assumptions the data cannot fully check (Bird & King
2018, Annu. Rev. Stat. Appl. 5:95-118; International Working Group for Disease Monitoring and
Forecasting 1995). Two hold for every method here:

* **closed population**: the same people were there for every list (no one entered, left or
  died between the lists' periods in a way that changes who could be listed);
* **perfect linkage**: a person on two lists is recognised as one person, and two people are
  never merged (missed links inflate the estimate, false links deflate it).

The others differ by method: which **dependence** between lists the model allows (one
agency referring people to another), and which **heterogeneity** of catchability (some
people being easier for every agency to see than others). Each estimator states them (its
``assumes``, or ``_assumption_parts`` when they depend on its settings), from the texts here;
:func:`describe` gives them for a registered method name and settings.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "COMMON",
    "INDEPENDENT_TWO_LISTS",
    "NOT_STATED",
    "NO_HETEROGENEITY",
    "describe",
    "heterogeneity_parts",
    "loglinear_parts",
]

COMMON = {
    "closed_population": (
        "the population did not change while the lists were compiled (no one entered, left "
        "or died in a way that changes who could be listed)"
    ),
    "perfect_linkage": (
        "a person on several lists is recognised as one person, and different people are "
        "never merged"
    ),
}

NO_HETEROGENEITY = (
    "none: every person is equally likely to be on a list (or any differences are "
    "independent between lists); if some people are easier for every agency to see, the "
    "estimate is too low"
)


NOT_STATED = ("not stated", "not stated", "Assumptions not stated for this method.")

INDEPENDENT_TWO_LISTS = (
    "none: the two lists are independent",
    NO_HETEROGENEITY,
    "Two independent lists, everyone equally visible: usually too low.",
)


def loglinear_parts(params: dict[str, Any]) -> tuple[str, str, str]:
    """Dependence, heterogeneity and summary of a log-linear model with these settings."""
    if params.get("criterion"):
        crit = str(params["criterion"]).upper()
        dep = f"two-list interactions chosen by {crit} among all sets of pairs"
        short = f"Lists may depend on each other in pairs, as {crit} chooses; no heterogeneity."
    elif params.get("interactions"):
        dep = "the given two-list interactions: " + ", ".join(params["interactions"])
        short = "Lists depend only through the given pairs; no heterogeneity."
    else:
        dep = "none: being on one list does not change the chance of being on another"
        short = "Lists are independent and everyone is equally visible: usually too low."
    return dep, NO_HETEROGENEITY, short


def heterogeneity_parts(params: dict[str, Any]) -> tuple[str, str, str]:
    """Dependence, heterogeneity and summary of Rcapture's Mth/Mh with these settings."""
    h = str(params.get("heterogeneity", "darroch"))
    model = str(params.get("model", "Mth"))
    pairs = params.get("interactions") or []
    crit = params.get("criterion")
    if crit:
        dep = f"two-list interactions chosen by {str(crit).upper()}, beside the heterogeneity"
    elif pairs:
        dep = "the given two-list interactions: " + ", ".join(pairs)
    else:
        dep = "none beyond the shared heterogeneity"
    coverage = "lists differ in coverage" if model == "Mth" else "every list alike"
    kinds = {
        "chao": (
            "any distribution of catchability; the estimate is a lower bound (Chao), the "
            "least number consistent with it",
            "Catchability varies between people in any way: a lower bound, not an estimate.",
        ),
        "darroch": (
            "catchability varies between people, normally on the log-odds scale, the same way "
            "on every list (Darroch's quadratic term)",
            "Catchability varies between people (normal frailty), the same on every list.",
        ),
        "normal": (
            "catchability varies between people with a normal log-odds frailty, integrated "
            "numerically (Rivest 2011)",
            "Catchability varies between people (normal frailty), the same on every list.",
        ),
        "poisson": (
            "catchability varies between people as a Poisson mixture (Rcapture's Poisson term)",
            "Catchability varies between people (Poisson mixture), the same on every list.",
        ),
        "gamma": (
            "catchability varies between people as a gamma mixture (Rcapture's Gamma term)",
            "Catchability varies between people (gamma mixture), the same on every list.",
        ),
    }
    het, short = kinds.get(h, kinds["darroch"])
    if crit:
        short = short.rstrip(".") + f"; lists may also depend in pairs ({str(crit).upper()})."
    elif pairs:
        short = short.rstrip(".") + "; lists also depend through the given pairs."
    return dep, f"{het}; {coverage}", short


def describe(method: str, params: dict[str, Any]) -> dict[str, str]:
    """The assumptions of the registered ``method`` with settings ``params``: closed
    population, perfect linkage, dependence, heterogeneity, and a one-sentence ``summary``
    (the estimator's :attr:`~uncounted.prevalence.PopulationEstimator.assumptions`)."""
    from uncounted.prevalence.registry import get_spec

    return get_spec(method).cls(**params).assumptions
