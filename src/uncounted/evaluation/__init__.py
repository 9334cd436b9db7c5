"""Programme evaluation: venue surveys before and after, difference-in-differences,
sustainability, exploitation-free zones and drivers."""

from uncounted.evaluation.did import DiDResult, difference_in_differences
from uncounted.evaluation.drivers import DriverNetwork
from uncounted.evaluation.survey import (
    OBSERVATION_COLUMNS,
    Change,
    RatioEstimate,
    SurveyEstimates,
    compare_estimates,
    compare_surveys,
    estimate_survey,
    ratio_estimate,
)
from uncounted.evaluation.sustainability import (
    Checklist,
    SustainabilityScores,
    load_checklist,
    score_sustainability,
)
from uncounted.evaluation.zones import (
    ZoneAssessment,
    ZoneMetric,
    ZoneSpec,
    assess_zone,
    parse_zone,
    zone_values,
)

__all__ = [
    "OBSERVATION_COLUMNS",
    "Change",
    "Checklist",
    "DiDResult",
    "DriverNetwork",
    "RatioEstimate",
    "SurveyEstimates",
    "SustainabilityScores",
    "ZoneAssessment",
    "ZoneMetric",
    "ZoneSpec",
    "assess_zone",
    "compare_estimates",
    "compare_surveys",
    "difference_in_differences",
    "estimate_survey",
    "load_checklist",
    "parse_zone",
    "ratio_estimate",
    "score_sustainability",
    "zone_values",
]
