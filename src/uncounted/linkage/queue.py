"""The review queue of a saved linkage run, a page at a time: what ``uncounted link review``
and the web app's ``/linkage/review`` show.

A run saved by ``uncounted link run`` (:func:`~uncounted.linkage.pipeline.save_run`) keeps its
scored pairs (``pairs.parquet``) and its thresholds (``summary.json``). :func:`saved_review`
orders the pairs awaiting review (``review_threshold <= p < match_threshold``) by the expected
change in the estimate (:func:`~uncounted.linkage.review.review_by_impact`, with the
log-linear independence model) and leaves out the pairs decided since the run (the stored
decisions). :func:`review_page` cuts one page of it and puts both records of each pair side by
side (:func:`~uncounted.linkage.review.pair_evidence`). The records' fields come from the
caller (``store.linkage_records.review_details``, which checks the reviewer's role and audits
each record shown): this module never reads the database.

A decision recorded now changes the links from the **next** run on; the saved run's
individuals and estimate stay as they were.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from uncounted.errors import NotFound
from uncounted.linkage.pipeline import latest_run
from uncounted.linkage.review import evidence_table, pair_evidence, review_by_impact
from uncounted.prevalence import LogLinearEstimator, PopulationEstimator

__all__ = [
    "NO_RUN",
    "ReviewPage",
    "SavedReview",
    "latest_saved_review",
    "review_page",
    "saved_review",
]

#: What to do when there is no saved run to review.
NO_RUN = "No linkage run yet; run `uncounted link run` first."


@dataclass(frozen=True)
class SavedReview:
    """The pairs of one saved run awaiting review, those whose decision moves the estimate
    most first (``queue``: the columns of :func:`~uncounted.linkage.review.review_by_impact`)."""

    run: str  # the run's folder name: when it was made (UTC, YYYYmmddTHHMMSS)
    match_threshold: float
    review_threshold: float
    queue: pl.DataFrame

    @property
    def pairs(self) -> int:
        """How many pairs await review."""
        return self.queue.height

    def probability(self, record_l: int | str, record_r: int | str) -> float | None:
        """The match probability of a pair of the queue (either order), or ``None``."""
        a, b = str(record_l), str(record_r)
        hit = self.queue.filter(
            ((pl.col("unique_id_l") == a) & (pl.col("unique_id_r") == b))
            | ((pl.col("unique_id_l") == b) & (pl.col("unique_id_r") == a))
        )
        return None if hit.is_empty() else float(hit["match_probability"][0])


def saved_review(
    run: Path,
    lists: pl.DataFrame,
    decisions: pl.DataFrame | None = None,
    make: Callable[[], PopulationEstimator] = LogLinearEstimator,
) -> SavedReview:
    """The review queue of the run saved in ``run``.

    ``lists``: ``record_id`` and ``agency`` of every record (``store.linkage_records.
    record_lists``); ``decisions``: the stored decisions (``decisions_frame``), whose pairs
    leave the queue. No identifying field is read.
    """
    summary: dict[str, Any] = json.loads((run / "summary.json").read_text("utf-8"))
    lower, upper = float(summary["review_threshold"]), float(summary["match_threshold"])
    queue = review_by_impact(
        lists,
        pl.read_parquet(run / "pairs.parquet"),
        make,
        lower=lower,
        threshold=upper,
        decisions=decisions,
    )
    return SavedReview(run.name, upper, lower, queue)


def latest_saved_review(
    directory: Path,
    lists: Callable[[], pl.DataFrame],
    decisions: Callable[[], pl.DataFrame],
) -> SavedReview:
    """:func:`saved_review` of the newest run under ``directory`` (``<data dir>/linkage``);
    :class:`NotFound` saying how to make one when there is none. ``lists`` and ``decisions``
    are called only when there is a run."""
    run = latest_run(directory)
    if run is None:
        raise NotFound(NO_RUN)
    return saved_review(run, lists(), decisions())


@dataclass(frozen=True)
class ReviewPage:
    """One page of a run's review queue, each pair with both records side by side."""

    run: str
    match_threshold: float
    review_threshold: float
    total: int  # pairs awaiting review in the whole queue
    page: int  # 1-based, within 1..pages
    per_page: int
    may_see: bool  # whether names and other identifying fields are shown
    pairs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """How many pages the queue fills (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))

    def to_dict(self) -> dict[str, Any]:
        """The page as JSON-ready data (the web page's JSON twin)."""
        return {
            "run": self.run,
            "match_threshold": self.match_threshold,
            "review_threshold": self.review_threshold,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
            "names_shown": self.may_see,
            "pairs": self.pairs,
        }

    def table(self) -> pl.DataFrame:
        """One flat row per pair (``linkage.review.review_table``'s columns)."""
        return evidence_table(self.pairs)


def _record_ids(frame: pl.DataFrame) -> list[int]:
    """The stored record ids of the pairs (encoded runs' ids, not numbers, have none)."""
    ids = {*frame["unique_id_l"].to_list(), *frame["unique_id_r"].to_list()}
    return sorted(int(x) for x in ids if str(x).isdigit())


def review_page(
    review: SavedReview,
    details: Callable[[Sequence[int]], pl.DataFrame],
    may_see: bool,
    *,
    page: int = 1,
    per_page: int = 10,
) -> ReviewPage:
    """Page ``page`` of ``review`` (``per_page`` pairs; a page past the end gives the last)
    with each pair's evidence. ``details(record_ids)`` returns the fields of the records shown
    (``record_id`` and the compared fields); it is called once, with this page's records only.
    """
    per_page = max(1, per_page)
    pages = max(1, math.ceil(review.pairs / per_page))
    page = min(max(1, page), pages)
    chunk = review.queue.slice((page - 1) * per_page, per_page)
    ids = _record_ids(chunk)
    fields = details(ids) if ids else pl.DataFrame(schema={"record_id": pl.String})
    return ReviewPage(
        run=review.run,
        match_threshold=review.match_threshold,
        review_threshold=review.review_threshold,
        total=review.pairs,
        page=page,
        per_page=per_page,
        may_see=may_see,
        pairs=pair_evidence(chunk, fields, may_see),
    )
