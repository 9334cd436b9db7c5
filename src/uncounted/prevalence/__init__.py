"""Prevalence: how many people, including those no agency has seen.

Multiple systems estimation (capture–recapture over agencies' lists): capture histories,
log-linear models (Rcapture-compatible), two-list estimators, and the shared estimator
contract in ``_base``.

The estimators are imported on first use (the latent class sampler loads numba, the
log-linear search SciPy's optimisers), so importing one does not cost the others' start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uncounted.prevalence._base import PopulationEstimator
    from uncounted.prevalence.bayesian import LatentClassEstimator
    from uncounted.prevalence.dga import DecomposableBMA
    from uncounted.prevalence.heterogeneity import HeterogeneityEstimator
    from uncounted.prevalence.histories import CaptureHistories
    from uncounted.prevalence.loglinear import LogLinearEstimator
    from uncounted.prevalence.stepwise import StepwiseEstimator
    from uncounted.prevalence.twolist import Chapman, LincolnPetersen

#: Public name -> module that defines it.
_LAZY: dict[str, str] = {
    "CaptureHistories": "uncounted.prevalence.histories",
    "Chapman": "uncounted.prevalence.twolist",
    "DecomposableBMA": "uncounted.prevalence.dga",
    "HeterogeneityEstimator": "uncounted.prevalence.heterogeneity",
    "LatentClassEstimator": "uncounted.prevalence.bayesian",
    "LincolnPetersen": "uncounted.prevalence.twolist",
    "LogLinearEstimator": "uncounted.prevalence.loglinear",
    "PopulationEstimator": "uncounted.prevalence._base",
    "StepwiseEstimator": "uncounted.prevalence.stepwise",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'uncounted.prevalence' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
