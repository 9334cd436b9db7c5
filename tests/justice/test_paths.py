"""The stage-path machinery: order-keeping lookups and null-aware minima across columns."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from uncounted.justice import _paths


@pytest.mark.parametrize("sorted_paths", [True, False])
def test_attach_is_an_order_keeping_left_join(sorted_paths):
    # Sorted paths are merged with the table, unsorted ones looked up by binary search:
    # both must equal a plain left join (keys 5 and 9 have no row in the table).
    ids = [1, 1, 2, 5, 7, 9] if sorted_paths else [7, 1, 9, 2, 1, 5]
    paths = pl.DataFrame({"case_id": ids, "n": range(6)})
    table = pl.DataFrame({"case_id": [7, 2, 1, 3], "x": ["g", "b", "a", "c"]})
    expected = paths.join(table, on="case_id", how="left", maintain_order="left")
    assert_frame_equal(_paths.attach(paths, table, "case_id"), expected)


def test_attach_with_repeated_table_keys_takes_the_first_sorted_row():
    # Not a unique key: no merge; the binary search takes the first of the sorted rows.
    paths = pl.DataFrame({"case_id": [1, 2]})
    table = pl.DataFrame({"case_id": [2, 1, 2], "x": ["b", "a", "b"]})
    assert _paths.attach(paths, table, "case_id")["x"].to_list() == ["a", "b"]


def test_first_date_skips_nulls_and_stays_null_when_all_are():
    frame = pl.DataFrame(
        {
            "a": [dt.date(2024, 3, 1), None, None],
            "b": [dt.date(2024, 1, 5), dt.date(2023, 7, 1), None],
        }
    )
    first = frame.select(_paths.first_date(["a", "b"]).alias("first"))["first"]
    assert first.dtype == pl.Date
    assert first.to_list() == [dt.date(2024, 1, 5), dt.date(2023, 7, 1), None]
