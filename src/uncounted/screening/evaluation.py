"""How good are the alerts, against a known truth (e.g. planted offenders in simulation)?

precision = |alerted ∩ offenders| / |alerted|
recall    = |alerted ∩ offenders| / |offenders|
average precision (AP) = (1 / |offenders|) · Σ_k precision@k · rel_k over the ranking of
parties by score (ties broken as in :func:`.scoring.score_parties`); offenders never scored
contribute 0. This is the non-interpolated AP of information retrieval (Manning, Raghavan &
Schütze 2008, *Introduction to Information Retrieval*, §8.4).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

from uncounted.errors import InvalidInput


@dataclass(frozen=True)
class AlertQuality:
    """Precision, recall and average precision of one role's alerts against a truth set."""

    n_parties: int
    n_offenders: int
    n_alerts: int
    true_positives: int
    precision: float
    recall: float
    average_precision: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def evaluate_alerts(
    scores: pl.DataFrame, offenders: set[str], *, role: str = "sender", n_parties: int = 0
) -> AlertQuality:
    """Compare the ranked ``scores`` of one role with the set of true offender ids."""
    if not offenders:
        raise InvalidInput("evaluate_alerts needs at least one known offender id.")
    ranked = scores.filter(pl.col("party_role") == role).sort("rank")
    ids = ranked["party_id"].to_list()
    alerted = set(ranked.filter(pl.col("alert"))["party_id"].to_list())
    tp = len(alerted & offenders)
    hits, ap = 0, 0.0
    for k, pid in enumerate(ids, start=1):
        if pid in offenders:
            hits += 1
            ap += hits / k
    return AlertQuality(
        n_parties=n_parties,
        n_offenders=len(offenders),
        n_alerts=len(alerted),
        true_positives=tp,
        precision=tp / len(alerted) if alerted else 0.0,
        recall=tp / len(offenders),
        average_precision=ap / len(offenders),
    )


__all__ = [
    "AlertQuality",
    "evaluate_alerts",
]
