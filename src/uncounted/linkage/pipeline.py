"""One call per use: link agencies' records, save the run, estimate from linked records.

These are the library functions behind ``uncounted link run`` and
``uncounted estimate --from-db --link``: records in (as ``store.linkage_records`` or
``simulate.agency_records`` produce them), results out; the caller reads and writes the
database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from uncounted.linkage.blocking import BlockingRecall
from uncounted.linkage.clusters import (
    apply_decisions,
    cluster_records,
    resolve_clusters,
    review_queue,
)
from uncounted.linkage.estimate import LinkedEstimate, Make, estimate_linked
from uncounted.linkage.model import LinkageSettings
from uncounted.linkage.normalise import prepare_records
from uncounted.linkage.privacy import encode_records
from uncounted.linkage.run import Progress, ScoredPairs, score_pairs

__all__ = [
    "LinkageRun",
    "estimate_from_records",
    "estimate_saved_run",
    "individuals",
    "latest_run",
    "link_encoded",
    "link_records",
    "save_run",
]


@dataclass(frozen=True)
class LinkageRun:
    """A finished linkage: scored pairs, decisions applied, individuals, review queue."""

    scored: ScoredPairs
    pairs: pl.DataFrame
    clusters: pl.DataFrame
    review: pl.DataFrame

    @property
    def individuals(self) -> int:
        """Number of distinct individuals at the match threshold."""
        return int(self.clusters.get_column("cluster").n_unique())

    def summary(self) -> dict[str, Any]:
        """Counts and timings of the run (no identifying data)."""
        return {
            "records": self.scored.n_records,
            "scored_pairs": self.scored.pairs.height,
            "individuals": self.individuals,
            "review_queue": self.review.height,
            "decisions_applied": int(self.pairs.get_column("decision").is_not_null().sum()),
            "match_threshold": self.scored.settings.match_threshold,
            "review_threshold": self.scored.settings.review_threshold,
            "backend": self.scored.settings.backend,
            "one_record_per_list": self.scored.settings.one_record_per_list,
            "same_list_threshold": self.scored.settings.same_list_threshold,
            "blocking_recall": None
            if self.scored.blocking is None
            else round(self.scored.blocking.recall, 4),
            "outside_pairs": None if self.scored.outside is None else self.scored.outside.height,
            "seconds": {k: round(v, 2) for k, v in self.scored.timings.items()},
        }


def individuals(records: pl.DataFrame, pairs: pl.DataFrame, cfg: LinkageSettings) -> pl.DataFrame:
    """Clusters at ``cfg.match_threshold``: one list holds a person once
    (:func:`resolve_clusters`) unless ``cfg.one_record_per_list`` is off (connected
    components). ``records`` needs ``unique_id`` and ``agency``."""
    if cfg.one_record_per_list:
        return resolve_clusters(
            records, pairs, cfg.match_threshold, same_list_threshold=cfg.same_list_threshold
        )
    return cluster_records(records.get_column("unique_id"), pairs, cfg.match_threshold)


def link_records(
    records: pl.DataFrame,
    settings: LinkageSettings | None = None,
    *,
    decisions: pl.DataFrame | None = None,
    secret: bytes | None = None,
    progress: Progress | None = None,
) -> LinkageRun:
    """Link ``records`` (one row per record, or per record and period): normalise, train,
    score, apply decisions, cluster at the match threshold, list the review queue.

    With ``secret``, records are encoded first (:func:`~uncounted.linkage.privacy.
    encode_records`) and linked on the encodings only.
    """
    cfg = settings or LinkageSettings()
    cfg.validate()
    step = progress or (lambda _msg: None)
    step("normalising names, dates and phones")
    prepared = prepare_records(records.unique("record_id", keep="first", maintain_order=True))
    if secret is not None:
        step("encoding identifiers")
        prepared = encode_records(prepared, secret)
    scored = score_pairs(prepared, cfg, encoded=secret is not None, progress=progress)
    step("clustering")
    pairs = apply_decisions(scored.pairs, decisions)
    clusters = individuals(prepared, pairs, cfg)
    queue = review_queue(
        pairs.filter(pl.col("decision").is_null()), cfg.review_threshold, cfg.match_threshold
    )
    return LinkageRun(scored, pairs, clusters, queue)


def link_encoded(
    encoded: pl.DataFrame,
    settings: LinkageSettings | None = None,
    *,
    decisions: pl.DataFrame | None = None,
    progress: Progress | None = None,
) -> LinkageRun:
    """Link agencies' encoded files (:func:`~uncounted.linkage.privacy.encode_records`,
    concatenated): the linking party never sees a name."""
    cfg = settings or LinkageSettings()
    cfg.validate()
    scored = score_pairs(encoded, cfg, encoded=True, progress=progress)
    pairs = apply_decisions(scored.pairs, decisions)
    clusters = individuals(encoded, pairs, cfg)
    queue = review_queue(
        pairs.filter(pl.col("decision").is_null()), cfg.review_threshold, cfg.match_threshold
    )
    return LinkageRun(scored, pairs, clusters, queue)


def save_run(run: LinkageRun, directory: Path) -> Path:
    """Write ``model.json`` (Splink's trained model), ``pairs.parquet``, ``clusters.parquet``,
    ``summary.json`` and, when scored, ``outside.parquet`` (the pairs no blocking rule
    compares) and ``blocking.json`` (the estimated blocking recall) into ``directory``
    (created). Record ids only, no identifiers."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model.json").write_text(json.dumps(run.scored.model, indent=2), "utf-8")
    run.pairs.write_parquet(directory / "pairs.parquet")
    run.clusters.write_parquet(directory / "clusters.parquet")
    if run.scored.outside is not None:
        run.scored.outside.write_parquet(directory / "outside.parquet")
    if run.scored.blocking is not None:
        blocking = json.dumps(run.scored.blocking.to_dict(), indent=2)
        (directory / "blocking.json").write_text(blocking, "utf-8")
    (directory / "summary.json").write_text(json.dumps(run.summary(), indent=2), "utf-8")
    return directory


def estimate_from_records(
    records: pl.DataFrame,
    make: Make,
    *,
    by: Sequence[str] = (),
    settings: LinkageSettings | None = None,
    decisions: pl.DataFrame | None = None,
    progress: Progress | None = None,
) -> tuple[LinkageRun, LinkedEstimate]:
    """The whole chain: link, then estimate at the match threshold with the sensitivity
    table over ``settings.sensitivity_thresholds`` and, with ``settings.uncertainty_draws``
    plausible linkages, the interval that includes linkage error."""
    cfg = settings or LinkageSettings()
    run = link_records(records, cfg, decisions=decisions, progress=progress)
    if progress is not None:
        progress("estimating")
    linked = estimate_linked(
        records,
        run.scored.pairs,
        make,
        threshold=cfg.match_threshold,
        sensitivity_thresholds=cfg.sensitivity_thresholds,
        by=by,
        decisions=decisions,
        draws=cfg.uncertainty_draws,
        random_state=cfg.seed,
        one_record_per_list=cfg.one_record_per_list,
        same_list_threshold=cfg.same_list_threshold,
        blocking=run.scored.blocking,
        outside=run.scored.outside,
    )
    return run, linked


def latest_run(directory: Path) -> Path | None:
    """The newest saved run (a folder of :func:`save_run`) under ``directory``, or ``None``."""
    runs = sorted(p for p in directory.glob("*") if (p / "pairs.parquet").is_file())
    return runs[-1] if runs else None


def estimate_saved_run(
    records: pl.DataFrame,
    run: Path,
    make: Make,
    *,
    draws: int = 50,
    random_state: int | None = 0,
) -> LinkedEstimate:
    """Estimate from a saved run's pairs (decisions as they were applied in that run) at its
    match threshold, with its sensitivity thresholds and ``draws`` plausible linkages.
    ``records``: ``record_id``, ``agency``, ``period``, ``sex``, ``age``, ``citizenship``
    (``store.linkage_records.record_lists``); no identifying field is needed."""
    summary = json.loads((run / "summary.json").read_text("utf-8"))
    pairs = pl.read_parquet(run / "pairs.parquet")
    # runs saved before blocking recall was estimated have neither file
    blocking = None
    if (run / "blocking.json").is_file():
        blocking = BlockingRecall(**json.loads((run / "blocking.json").read_text("utf-8")))
    outside = None
    if (run / "outside.parquet").is_file():
        outside = pl.read_parquet(run / "outside.parquet")
    decided = pairs.filter(pl.col("decision").is_not_null()).select(
        "unique_id_l", "unique_id_r", "decision"
    )
    return estimate_linked(
        records,
        pairs.select("unique_id_l", "unique_id_r", "match_probability"),
        make,
        threshold=float(summary["match_threshold"]),
        decisions=decided,
        draws=draws,
        random_state=random_state,
        # clustered as the run was (runs saved before the rule existed: components)
        one_record_per_list=bool(summary.get("one_record_per_list", False)),
        same_list_threshold=float(summary.get("same_list_threshold", 0.99)),
        blocking=blocking,
        outside=outside,
    )
