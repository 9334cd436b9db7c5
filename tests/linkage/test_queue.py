"""The review queue of a saved linkage run, a page at a time (:mod:`uncounted.linkage.queue`):
what ``uncounted link review`` and the web page ``/linkage/review`` both show."""

from __future__ import annotations

import json

import polars as pl
import pytest

from uncounted.errors import NotFound
from uncounted.linkage.queue import NO_RUN, latest_saved_review, review_page, saved_review
from uncounted.linkage.review import MASK


def _lists() -> pl.DataFrame:
    """Two lists: 1..40 on A linked for sure to 101..140 on B, 41..100 on A only, 141..190 on
    B only; 12 more singletons on A (201..212) and one on B (301)."""
    a = [str(i) for i in (*range(1, 101), *range(201, 213))]
    b = [str(i) for i in (*range(101, 191), 301)]
    return pl.DataFrame({"record_id": a + b, "agency": ["A"] * len(a) + ["B"] * len(b)})


def _save(directory, name="20250101T000000"):
    sure = [(str(i), str(100 + i), 0.999) for i in range(1, 41)]
    review = [(str(201 + k), "301", 0.55 + k / 100) for k in range(12)]
    rows = sure + review
    run = directory / name
    run.mkdir(parents=True)
    pl.DataFrame(
        {
            "unique_id_l": [a for a, _, _ in rows],
            "unique_id_r": [b for _, b, _ in rows],
            "match_probability": [p for _, _, p in rows],
        }
    ).write_parquet(run / "pairs.parquet")
    summary = {"match_threshold": 0.9, "review_threshold": 0.5}
    (run / "summary.json").write_text(json.dumps(summary))
    return run


def _details(seen):
    def details(ids):
        seen.append(list(ids))
        return pl.DataFrame(
            {"record_id": [str(i) for i in ids], "given_name": [f"N{i}" for i in ids]}
        )

    return details


def test_a_page_reads_only_its_own_records_and_a_page_past_the_end_is_the_last(tmp_path):
    review = saved_review(_save(tmp_path), _lists())
    assert review.pairs == 12 and (review.review_threshold, review.match_threshold) == (0.5, 0.9)
    assert review.probability(301, 201) == pytest.approx(0.55)
    assert review.probability(1, 101) is None  # linked for sure: not awaiting review
    seen: list[list[int]] = []
    first = review_page(review, _details(seen), True, page=1, per_page=5)
    assert (first.page, first.pages, len(first.pairs)) == (1, 3, 5)
    assert seen == [sorted({int(p["record_l"]) for p in first.pairs} | {301})]
    # equal histories (A only + B only): the same change in the estimate, so the most
    # uncertain (closest to 0.5) come first
    assert [p["match_probability"] for p in first.pairs] == pytest.approx(
        [0.55, 0.56, 0.57, 0.58, 0.59]
    )
    last = review_page(review, _details(seen), True, page=10**6, per_page=5)
    assert (last.page, len(last.pairs)) == (3, 2)
    assert last.to_dict()["pages"] == 3


def test_names_are_masked_unless_the_reviewer_may_see_them(tmp_path):
    review = saved_review(_save(tmp_path), _lists())
    shown = review_page(review, _details([]), True, per_page=1).pairs[0]["fields"]
    hidden = review_page(review, _details([]), False, per_page=1).pairs[0]["fields"]
    assert shown[0]["left"].startswith("N") and hidden[0]["left"] == MASK
    table = review_page(review, _details([]), False, per_page=2).table()
    assert table.height == 2 and {"record_l", "given_name_l", "given_name_agreement"} <= set(
        table.columns
    )


def test_decided_pairs_leave_the_queue(tmp_path):
    decisions = pl.DataFrame(
        {"unique_id_l": ["301"], "unique_id_r": ["201"], "decision": ["non-match"]}
    )
    review = saved_review(_save(tmp_path), _lists(), decisions)
    assert review.pairs == 11 and review.probability(201, 301) is None


def test_the_latest_run_is_reviewed_and_no_run_says_how_to_make_one(tmp_path):
    calls = []

    def lists():
        calls.append("lists")
        return _lists()

    def decisions():
        return pl.DataFrame(schema={"unique_id_l": pl.String, "unique_id_r": pl.String,
                                    "decision": pl.String})  # fmt: skip

    with pytest.raises(NotFound, match="uncounted link run"):
        latest_saved_review(tmp_path, lists, decisions)
    assert calls == [] and "uncounted link run" in NO_RUN
    _save(tmp_path, "20250101T000000")
    _save(tmp_path, "20250202T000000")
    assert latest_saved_review(tmp_path, lists, decisions).run == "20250202T000000"
