"""The stages a case goes through, for suspects and for victims.

Suspects: report/complaint → investigation opened → arrested → charged → trial started →
first-instance verdict → sentence → appeal decided. Victims: identified/rescued → referred to
aftercare → repatriated (cross-border cases) → reintegrated. Each stage is recorded as a dated
justice event; the order below is the order in which stages can happen for one person in one
proceeding, which the importer checks and the justice indicators follow.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """A stage of the justice or aftercare process, recorded as a dated event."""

    REPORT = "report"
    INVESTIGATION = "investigation"
    IDENTIFICATION = "identification"
    ARREST = "arrest"
    CHARGE = "charge"
    TRIAL = "trial"
    VERDICT = "verdict"
    SENTENCE = "sentence"
    APPEAL = "appeal"
    AFTERCARE = "aftercare"
    REPATRIATION = "repatriation"
    REINTEGRATION = "reintegration"

    @property
    def label(self) -> str:
        """Readable label of the stage."""
        return _LABELS[self]


_LABELS: dict[Stage, str] = {
    Stage.REPORT: "Report or complaint",
    Stage.INVESTIGATION: "Investigation opened",
    Stage.IDENTIFICATION: "Victim identified or rescued",
    Stage.ARREST: "Suspect arrested",
    Stage.CHARGE: "Charged",
    Stage.TRIAL: "Trial started",
    Stage.VERDICT: "First-instance verdict",
    Stage.SENTENCE: "Sentence",
    Stage.APPEAL: "Appeal decided",
    Stage.AFTERCARE: "Referred to aftercare",
    Stage.REPATRIATION: "Repatriated",
    Stage.REINTEGRATION: "Reintegrated",
}

#: Stages of a suspect, in the only order they can happen within one proceeding.
SUSPECT_STAGES: tuple[Stage, ...] = (
    Stage.REPORT,
    Stage.INVESTIGATION,
    Stage.ARREST,
    Stage.CHARGE,
    Stage.TRIAL,
    Stage.VERDICT,
    Stage.SENTENCE,
    Stage.APPEAL,
)

#: Stages of a victim, in order.
VICTIM_STAGES: tuple[Stage, ...] = (
    Stage.REPORT,
    Stage.IDENTIFICATION,
    Stage.AFTERCARE,
    Stage.REPATRIATION,
    Stage.REINTEGRATION,
)


class VerdictOutcome(StrEnum):
    """Outcome of a first-instance verdict."""

    CONVICTED = "convicted"
    ACQUITTED = "acquitted"
    DISMISSED = "dismissed"


class AppealOutcome(StrEnum):
    """Outcome of an appeal against a first-instance verdict."""

    UPHELD = "upheld"
    OVERTURNED = "overturned"
    MODIFIED = "modified"


class Offence(StrEnum):
    """Offence charged or convicted: a trafficking offence, or another offence."""

    TRAFFICKING = "trafficking"
    OTHER = "other"


def stage_order(stage: Stage) -> int:
    """Position of ``stage`` in its path (suspect or victim), for ordering checks."""
    if stage in SUSPECT_STAGES:
        return SUSPECT_STAGES.index(stage)
    return VICTIM_STAGES.index(stage)


__all__ = [
    "SUSPECT_STAGES",
    "VICTIM_STAGES",
    "AppealOutcome",
    "Offence",
    "Stage",
    "VerdictOutcome",
    "stage_order",
]
