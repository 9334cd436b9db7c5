"""Prevalence: how many people, including those no agency has seen.

Multiple systems estimation (capture–recapture over agencies' lists): capture histories,
log-linear models (Rcapture-compatible), two-list estimators, and the shared estimator
contract in ``_base``.
"""

from __future__ import annotations

from uncounted.prevalence._base import PopulationEstimator
from uncounted.prevalence.histories import CaptureHistories

# Importing an estimator's module registers it (uncounted.prevalence.registry); the order here
# is the order of `uncounted estimate --method`, the web form and the panel's extra methods.
# isort: off
from uncounted.prevalence.loglinear import LogLinearEstimator
from uncounted.prevalence.stepwise import StepwiseEstimator
from uncounted.prevalence.heterogeneity import HeterogeneityEstimator
from uncounted.prevalence.bayesian import LatentClassEstimator
from uncounted.prevalence.dga import DecomposableBMA
from uncounted.prevalence.twolist import Chapman, LincolnPetersen
# isort: on

__all__ = [
    "CaptureHistories",
    "Chapman",
    "DecomposableBMA",
    "HeterogeneityEstimator",
    "LatentClassEstimator",
    "LincolnPetersen",
    "LogLinearEstimator",
    "PopulationEstimator",
    "StepwiseEstimator",
]
