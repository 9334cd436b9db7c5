"""The methods appendix: every figure's definition and source, from where the code keeps them.

Justice figures come from the metric catalogue (:mod:`uncounted.metrics`: definition,
numerator, denominator, interval, sources). Prevalence and survivor figures come from the
docstrings of the estimators that computed them, which state their formula and source.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

from uncounted.metrics import load_catalogue
from uncounted.prevalence import (
    Chapman,
    HeterogeneityEstimator,
    LatentClassEstimator,
    LogLinearEstimator,
)
from uncounted.survivors import TimeToRestoration, change_from_intake

#: Section headings that end the part of a docstring worth quoting.
_STOP = ("Args:", "Settings:", "Learned", "Raises", "Returns", "Columns:")


@dataclass(frozen=True)
class MethodNote:
    """One estimator's formula and source, quoted from its docstring."""

    figure: str
    name: str
    text: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {"figure": self.figure, "name": self.name, "text": list(self.text)}


def plain(text: str) -> str:
    """Docstring text without reStructuredText markup (roles, literals, emphasis)."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", lambda m: m.group(1).rsplit(".", 1)[-1], text)
    text = text.replace("``", "")
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"\1", text)


def docstring_paragraphs(obj: object) -> tuple[str, ...]:
    """The paragraphs of ``obj``'s docstring up to its settings/attributes sections, as
    plain text."""
    doc = inspect.getdoc(obj) or ""
    out: list[str] = []
    for block in doc.split("\n\n"):
        text = " ".join(block.split())
        if not text or text.startswith(_STOP):
            if text.startswith(_STOP):
                break
            continue
        out.append(plain(text))
    return tuple(out)


def estimator_notes(lcmcr: bool = False) -> list[MethodNote]:
    """The estimators behind the prevalence and survivor figures."""
    import uncounted.prevalence.stepwise as stepwise_module
    import uncounted.survivors.cohort as cohort_module

    notes = [
        MethodNote(
            "Prevalence by stratum; method comparison",
            "Stepwise log-linear model (SparseMSE)",
            docstring_paragraphs(stepwise_module)[:3],
        ),
        MethodNote(
            "Method comparison",
            "Log-linear models (Rcapture)",
            docstring_paragraphs(LogLinearEstimator),
        ),
        MethodNote(
            "Method comparison", "Chapman two-list estimator", docstring_paragraphs(Chapman)
        ),
        MethodNote(
            "Method comparison",
            "Heterogeneity models: Mth Darroch, Chao's lower bound (Rcapture)",
            docstring_paragraphs(HeterogeneityEstimator),
        ),
        MethodNote(
            "Survivors: share restored",
            "Time to restoration (Turnbull NPMLE)",
            docstring_paragraphs(cohort_module)[1:3] + docstring_paragraphs(TimeToRestoration),
        ),
        MethodNote(
            "Survivors: change from intake",
            "Paired change from intake",
            docstring_paragraphs(cohort_module)[:1] + docstring_paragraphs(change_from_intake),
        ),
    ]
    if lcmcr:
        notes.insert(
            3,
            MethodNote(
                "Method comparison",
                "Latent class model (LCMCR)",
                docstring_paragraphs(LatentClassEstimator),
            ),
        )
    return notes


def catalogue_entries(ids: set[str]) -> list[dict[str, Any]]:
    """The catalogue entries for the metric ids shown in the report, in catalogue order."""
    return [m.to_dict() for m in load_catalogue() if m.id in ids]


__all__ = ["MethodNote", "catalogue_entries", "docstring_paragraphs", "estimator_notes", "plain"]
