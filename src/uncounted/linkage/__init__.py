"""Linkage: the same victim on several agencies' lists, found — even when names are not shared.

Probabilistic record linkage with Splink 5 (DuckDB in process, or Spark): normalised,
transliteration-tolerant identifiers (:mod:`~uncounted.linkage.normalise`), a Fellegi–Sunter
model trained by expectation maximisation (:mod:`~uncounted.linkage.model`,
:mod:`~uncounted.linkage.run`), clusters and clerical review
(:mod:`~uncounted.linkage.clusters`), keyed Bloom-filter encodings for linking without
sharing names (:mod:`~uncounted.linkage.privacy`), and the linked individuals' capture
histories and estimate with its sensitivity to the match threshold
(:mod:`~uncounted.linkage.estimate`, :mod:`~uncounted.linkage.pipeline`), linkage error
carried into the estimate's interval (:mod:`~uncounted.linkage.uncertainty`), and the review
queue ordered by how much each decision moves the estimate (:mod:`~uncounted.linkage.review`).
"""

from __future__ import annotations

from uncounted.linkage.clusters import (
    BCubedAccuracy,
    PairwiseAccuracy,
    apply_decisions,
    bcubed_accuracy,
    cluster_records,
    pairwise_accuracy,
    resolve_clusters,
    review_queue,
)
from uncounted.linkage.estimate import (
    LinkedEstimate,
    estimate_linked,
    histories_by_stratum,
    linked_memberships,
)
from uncounted.linkage.model import LinkageSettings
from uncounted.linkage.normalise import prepare_records
from uncounted.linkage.pipeline import LinkageRun, estimate_from_records, link_records, save_run
from uncounted.linkage.privacy import encode_records
from uncounted.linkage.review import review_by_impact
from uncounted.linkage.run import ScoredPairs, score_pairs
from uncounted.linkage.uncertainty import LinkageUncertainty, linkage_uncertainty

__all__ = [
    "BCubedAccuracy",
    "LinkageRun",
    "LinkageSettings",
    "LinkageUncertainty",
    "LinkedEstimate",
    "PairwiseAccuracy",
    "ScoredPairs",
    "apply_decisions",
    "bcubed_accuracy",
    "cluster_records",
    "encode_records",
    "estimate_from_records",
    "estimate_linked",
    "histories_by_stratum",
    "link_records",
    "linkage_uncertainty",
    "linked_memberships",
    "pairwise_accuracy",
    "prepare_records",
    "resolve_clusters",
    "review_by_impact",
    "review_queue",
    "save_run",
    "score_pairs",
]
