"""Code lists, value types and stages; imports nothing else of Uncounted but ``errors``."""

from uncounted.domain.codes import (
    CodeList,
    code_list,
    code_list_names,
    country_name,
    validate_country,
    validate_subdivision,
)
from uncounted.domain.identity import IDENTITY_FIELDS
from uncounted.domain.stages import (
    SUSPECT_STAGES,
    VICTIM_STAGES,
    AppealOutcome,
    Offence,
    Stage,
    VerdictOutcome,
    stage_order,
)

__all__ = [
    "IDENTITY_FIELDS",
    "SUSPECT_STAGES",
    "VICTIM_STAGES",
    "AppealOutcome",
    "CodeList",
    "Offence",
    "Stage",
    "VerdictOutcome",
    "code_list",
    "code_list_names",
    "country_name",
    "stage_order",
    "validate_country",
    "validate_subdivision",
]
