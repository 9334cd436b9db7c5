"""Uncounted: evidence for counter-trafficking programmes.

Prevalence (multiple systems estimation), the justice response (impunity indicators, where
cases stall), survivor outcomes, programme evaluation and payment screening, over one case
store. The library is the product; the CLI (``uncounted``) and the web app are thin layers.

Public names are listed in ``__all__``. Heavy ones are imported lazily on first use, so that
``import uncounted`` stays fast for the CLI; a test checks that every name resolves.
"""

from __future__ import annotations

import importlib
import typing
from typing import Any

from uncounted.errors import (
    AccessDenied,
    ConfigurationError,
    ConvergenceWarning,
    DataQualityWarning,
    ImportRejected,
    InvalidCaptureHistories,
    InvalidInput,
    MigrationError,
    NotFitted,
    NotFound,
    NotIdentifiable,
    RejectedRow,
    SparseDataWarning,
    StoreError,
    UncountedError,
    UncountedWarning,
)

if typing.TYPE_CHECKING:
    from uncounted.settings import Settings as Settings
    from uncounted.settings import get_settings as get_settings

__version__ = "0.1.0"

#: Public names imported on first use: name -> module that defines it.
_LAZY: dict[str, str] = {
    "Settings": "uncounted.settings",
    "get_settings": "uncounted.settings",
    "World": "uncounted.simulate",
    "WorldConfig": "uncounted.simulate",
    "simulate_world": "uncounted.simulate",
    "CaptureHistories": "uncounted.prevalence",
    "Chapman": "uncounted.prevalence",
    "LincolnPetersen": "uncounted.prevalence",
    "LogLinearEstimator": "uncounted.prevalence",
    "PopulationEstimator": "uncounted.prevalence",
    "StepwiseEstimator": "uncounted.prevalence",
    "LatentClassEstimator": "uncounted.prevalence",
    "DecomposableBMA": "uncounted.prevalence",
    "JusticeData": "uncounted.justice",
    "indicators": "uncounted.justice",
    "bottlenecks": "uncounted.justice",
    "link_records": "uncounted.linkage",
    "LinkageSettings": "uncounted.linkage",
    "import_file": "uncounted.ingest",
    "export_records": "uncounted.ingest",
    "estimate_survey": "uncounted.evaluation",
    "difference_in_differences": "uncounted.evaluation",
    "assess_zone": "uncounted.evaluation",
    "DriverNetwork": "uncounted.evaluation",
    "screen_file": "uncounted.screening",
    "build_report": "uncounted.report",
    "write_bundle": "uncounted.publish",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'uncounted' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AccessDenied",
    "ConfigurationError",
    "ConvergenceWarning",
    "DataQualityWarning",
    "ImportRejected",
    "InvalidCaptureHistories",
    "InvalidInput",
    "MigrationError",
    "NotFitted",
    "NotFound",
    "NotIdentifiable",
    "RejectedRow",
    "SparseDataWarning",
    "StoreError",
    "UncountedError",
    "UncountedWarning",
    "__version__",
    *_LAZY,
]
