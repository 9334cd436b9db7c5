"""Survivor outcomes: instruments as data, scoring and case plans, schedule, cohorts, reliability.

* :mod:`~uncounted.survivors.instrument` — the instrument (YAML), default
  ``uncounted-restoration-v1``; its threshold of 3.0 is a configurable assumption.
* :mod:`~uncounted.survivors.scoring` — items → domain means → profile, status, case-plan flags.
* :mod:`~uncounted.survivors.schedule` — nominal visits; who is due or overdue.
* :mod:`~uncounted.survivors.cohort` — change from intake; share restored by months in care.
* :mod:`~uncounted.survivors.reliability` — Cronbach's alpha, weighted kappa, ICC.
"""

from uncounted.survivors.cohort import (
    GROUPINGS,
    CohortSummary,
    TimeToRestoration,
    change_from_intake,
    cohort_summary,
    restoration_headlines,
    restoration_intervals,
    summarise_survivors,
    turnbull_npmle,
)
from uncounted.survivors.instrument import (
    DEFAULT_INSTRUMENT_ID,
    Domain,
    Instrument,
    Item,
    Restoration,
    Scale,
    Schedule,
    default_instrument,
    load_instrument,
    parse_instrument,
)
from uncounted.survivors.reliability import (
    AlphaResult,
    cronbach_alpha,
    domain_alpha,
    inter_rater_agreement,
    inter_rater_pairs,
    intraclass_correlation,
    weighted_kappa,
)
from uncounted.survivors.schedule import (
    assessment_visits,
    due_assessments,
    nominal_visit_months,
    visit_label,
)
from uncounted.survivors.scoring import (
    CasePlan,
    Profile,
    case_plan_flags,
    latest_case_plan,
    score_assessment,
    score_domains,
    score_profiles,
    validate_scores,
)

__all__ = [
    "DEFAULT_INSTRUMENT_ID",
    "GROUPINGS",
    "AlphaResult",
    "CasePlan",
    "CohortSummary",
    "Domain",
    "Instrument",
    "Item",
    "Profile",
    "Restoration",
    "Scale",
    "Schedule",
    "TimeToRestoration",
    "assessment_visits",
    "case_plan_flags",
    "change_from_intake",
    "cohort_summary",
    "cronbach_alpha",
    "default_instrument",
    "domain_alpha",
    "due_assessments",
    "inter_rater_agreement",
    "inter_rater_pairs",
    "intraclass_correlation",
    "latest_case_plan",
    "load_instrument",
    "nominal_visit_months",
    "parse_instrument",
    "restoration_headlines",
    "restoration_intervals",
    "score_assessment",
    "score_domains",
    "score_profiles",
    "summarise_survivors",
    "turnbull_npmle",
    "validate_scores",
    "visit_label",
    "weighted_kappa",
]
