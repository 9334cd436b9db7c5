"""The methods appendix: every figure's definition and source, from where the code keeps them.

Justice figures come from the metric catalogue (:mod:`uncounted.metrics`: definition,
numerator, denominator, interval, sources). Prevalence and survivor figures come from the
docstrings of the estimators that computed them, which state their formula and source; the
prevalence estimators are named by their label in the estimator registry
(:mod:`uncounted.prevalence.registry`).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

from uncounted.metrics import load_catalogue
from uncounted.prevalence.registry import get_spec
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
    """The estimators behind the prevalence and survivor figures: each registered estimator
    the report fits (its registry label and docstring), then the survivor methods."""
    import uncounted.survivors.cohort as cohort_module
    from uncounted.report.prevalence_section import compared_methods

    notes = []
    for method in compared_methods(lcmcr):
        spec = get_spec(method)
        figure = (
            "Prevalence by stratum; method comparison"
            if method == "stepwise"
            else ("Method comparison")
        )
        notes.append(MethodNote(figure, spec.label, docstring_paragraphs(spec.cls)))
    return [
        *notes,
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


def catalogue_entries(ids: set[str]) -> list[dict[str, Any]]:
    """The catalogue entries for the metric ids shown in the report, in catalogue order."""
    return [m.to_dict() for m in load_catalogue() if m.id in ids]


__all__ = ["MethodNote", "catalogue_entries", "docstring_paragraphs", "estimator_notes", "plain"]
