"""CaptureHistories: parsing, validation (exact errors) and views."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from uncounted.errors import DataQualityWarning, InvalidCaptureHistories
from uncounted.prevalence import CaptureHistories


def _table(**extra: list[object]) -> pl.DataFrame:
    data: dict[str, list[object]] = {
        "A": [1, 0, 1],
        "B": [0, 1, 1],
        "count": [10, 20, 5],
    }
    data.update(extra)
    return pl.DataFrame(data)


def test_from_frame_reads_lists_counts_and_views() -> None:
    h = CaptureHistories.from_frame(_table())
    assert h.lists == ("A", "B")
    assert h.n_lists == 2
    assert h.n_observed == 35
    assert h.list_sizes == {"A": 15, "B": 25}
    patterns, counts = h.complete()
    assert patterns.tolist() == [[0, 1], [1, 0], [1, 1]]
    assert counts.tolist() == [20, 10, 5]
    frame = h.to_frame()
    assert frame.columns == ["A", "B", "count"]
    assert frame.get_column("count").sum() == 35


def test_complete_fills_absent_patterns_with_zero() -> None:
    df = pl.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "C": [0, 0, 1], "count": [3, 4, 1]})
    patterns, counts = CaptureHistories.from_frame(df).complete()
    assert patterns.shape == (7, 3)
    assert counts.sum() == 8
    assert dict(zip(map(tuple, patterns.tolist()), counts.tolist(), strict=True))[(1, 0, 0)] == 3


def test_wrong_count_column_is_named() -> None:
    with pytest.raises(
        InvalidCaptureHistories, match=r"no count column 'n' \(columns: A, B, count\)"
    ):
        CaptureHistories.from_frame(_table(), count_column="n")


def test_missing_list_column_is_named() -> None:
    with pytest.raises(InvalidCaptureHistories, match=r"list column Z not found"):
        CaptureHistories.from_frame(_table(), lists=["A", "Z"])


def test_non_binary_list_column() -> None:
    df = pl.DataFrame({"A": [1, 2], "B": [0, 1], "count": [1, 1]})
    with pytest.raises(InvalidCaptureHistories, match=r"'A' must hold only 0 and 1; row 2 has 2"):
        CaptureHistories.from_frame(df)


def test_text_list_column() -> None:
    df = pl.DataFrame({"A": ["yes", "no"], "B": [0, 1], "count": [1, 1]})
    with pytest.raises(InvalidCaptureHistories, match=r"'A' must hold 0/1, got type"):
        CaptureHistories.from_frame(df)


def test_negative_count() -> None:
    df = _table().with_columns(pl.Series("count", [10, -2, 5]))
    with pytest.raises(InvalidCaptureHistories, match=r"negative count \(-2 on row 2\)"):
        CaptureHistories.from_frame(df)


def test_fractional_count() -> None:
    df = _table().with_columns(pl.Series("count", [10.0, 2.5, 5.0]))
    with pytest.raises(InvalidCaptureHistories, match=r"non-whole count \(2.5 on row 2\)"):
        CaptureHistories.from_frame(df)


def test_whole_float_counts_are_accepted() -> None:
    df = _table().with_columns(pl.Series("count", [10.0, 2.0, 5.0]))
    assert CaptureHistories.from_frame(df).n_observed == 17


def test_null_count() -> None:
    df = _table().with_columns(pl.Series("count", [10, None, 5]))
    with pytest.raises(InvalidCaptureHistories, match=r"'count' has 1 empty value"):
        CaptureHistories.from_frame(df)


def test_one_list_is_refused() -> None:
    df = pl.DataFrame({"A": [1], "count": [10]})
    with pytest.raises(InvalidCaptureHistories, match=r"at least 2 lists, got 1 \(A\)"):
        CaptureHistories.from_frame(df)


def test_all_zero_history_with_positive_count() -> None:
    df = pl.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "count": [3, 4, 9]})
    with pytest.raises(InvalidCaptureHistories, match=r"all-zero history .* has count 9"):
        CaptureHistories.from_frame(df)


def test_all_zero_history_with_zero_count_is_dropped() -> None:
    df = pl.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "count": [3, 4, 0]})
    h = CaptureHistories.from_frame(df)
    assert h.patterns.tolist() == [[0, 1], [1, 0]]


def test_duplicates_are_merged_with_warning() -> None:
    df = pl.DataFrame({"A": [1, 0, 1], "B": [0, 1, 0], "count": [3, 4, 2]})
    with pytest.warns(DataQualityWarning, match=r"1 duplicated capture history merged"):
        h = CaptureHistories.from_frame(df)
    assert h.patterns.tolist() == [[0, 1], [1, 0]]
    assert h.counts.tolist() == [4, 5]


def test_empty_list_is_reported() -> None:
    df = pl.DataFrame({"A": [1, 0], "B": [0, 1], "C": [0, 0], "count": [3, 4]})
    with pytest.warns(DataQualityWarning, match=r"list C recorded nobody"):
        CaptureHistories.from_frame(df)


def test_nobody_observed_is_refused() -> None:
    df = pl.DataFrame({"A": [1, 0], "B": [0, 1], "count": [0, 0]})
    with pytest.raises(InvalidCaptureHistories, match=r"nobody was observed"):
        CaptureHistories.from_frame(df)


def test_one_row_per_person() -> None:
    df = pl.DataFrame({"A": [1, 1, 0, True], "B": [0, 1, 1, 1]}).cast(pl.Int64)
    h = CaptureHistories.from_frame(df, count_column=None)
    assert h.n_observed == 4
    assert h.counts.tolist() == [1, 1, 2]


def test_from_records() -> None:
    df = pl.DataFrame(
        {
            "person": ["p1", "p1", "p2", "p3", "p3", "p3"],
            "list": ["police", "ngo", "ngo", "ngo", "ngo", "health"],
        }
    )
    h = CaptureHistories.from_records(df, "person", "list")
    assert h.lists == ("health", "ngo", "police")
    assert h.n_observed == 3
    assert h.list_sizes == {"health": 1, "ngo": 3, "police": 1}


def test_from_records_one_list() -> None:
    df = pl.DataFrame({"person": ["a", "b"], "list": ["x", "x"]})
    with pytest.raises(InvalidCaptureHistories, match=r"at least 2 lists, found 1 \(x\)"):
        CaptureHistories.from_records(df, "person", "list")


def test_merge_subset_and_drop() -> None:
    df = pl.DataFrame(
        {"A": [1, 0, 0, 1], "B": [0, 1, 0, 1], "C": [0, 0, 1, 0], "count": [1, 2, 3, 4]}
    )
    h = CaptureHistories.from_frame(df)
    merged = h.merge_lists({"AB": ["A", "B"]})
    assert merged.lists == ("AB", "C")
    assert dict(zip(map(tuple, merged.patterns.tolist()), merged.counts.tolist(), strict=True)) == {
        (0, 1): 3,
        (1, 0): 7,
    }
    sub = h.subset(["B", "C"])
    assert sub.lists == ("B", "C")
    assert sub.n_observed == 9  # the A-only person drops out
    assert h.drop_lists(["A"]) == sub
    with pytest.raises(InvalidCaptureHistories, match=r"unknown list Z"):
        h.subset(["A", "Z"])


def test_arrays_are_read_only() -> None:
    h = CaptureHistories.from_frame(_table())
    with pytest.raises(ValueError, match="read-only"):
        h.counts[0] = 99


def test_constructor_validates_too() -> None:
    with pytest.raises(InvalidCaptureHistories, match="only 0 and 1"):
        CaptureHistories(("A", "B"), np.array([[2, 0]]), np.array([1]))
    assert json.dumps(CaptureHistories.from_frame(_table()).list_sizes)
