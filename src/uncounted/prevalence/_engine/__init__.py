"""The private machinery of the log-linear estimators: one Poisson fit engine and one
identifiability check (issue #19, item 2).

* :func:`fit_poisson` fits one model (the stepwise search and its bootstrap, with an exact
  certificate that the estimate exists); :func:`fit_batch` fits many models of one design
  (the exhaustive model search, profile intervals, the heterogeneity designs). Both run the
  same compiled IRLS loop (R's ``glm.fit`` for the Poisson family), in :mod:`.irls`.
* :func:`check_estimability` (a model the user names) and :func:`check_model` /
  :func:`diagnose` (SparseMSE's reading, for the stepwise search) decide whether an estimate
  exists and is identifiable, with the linear programs in :mod:`.identifiability`.

Estimators import from here, not from the modules inside.
"""

from __future__ import annotations

from uncounted.prevalence._engine.batch import (
    BatchFit,
    concat_fits,
    fit_batch,
    full_design,
    pair_index,
)
from uncounted.prevalence._engine.identifiability import (
    Estimability,
    ModelCheck,
    ModelDiagnosis,
    check_estimability,
    check_model,
    design_matrix,
    diagnose,
    forced_zero_cells,
    full_rank,
    list_pairs,
    mle_exists,
    parse_terms,
    pattern_name,
)
from uncounted.prevalence._engine.irls import PoissonFit, fit_poisson

__all__ = [
    "BatchFit",
    "Estimability",
    "ModelCheck",
    "ModelDiagnosis",
    "PoissonFit",
    "check_estimability",
    "check_model",
    "concat_fits",
    "design_matrix",
    "diagnose",
    "fit_batch",
    "fit_poisson",
    "forced_zero_cells",
    "full_design",
    "full_rank",
    "list_pairs",
    "mle_exists",
    "pair_index",
    "parse_terms",
    "pattern_name",
]
