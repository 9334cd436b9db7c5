"""k-anonymity: every released quasi-identifier combination occurs at least k times."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uncounted.errors import InvalidInput
from uncounted.publish import k_anonymise, smallest_class
from uncounted.publish.kanonymity import exact, suppressed


def _coarse(column: pl.Expr) -> pl.Expr:
    return column.cast(pl.String).str.slice(0, 1)


HIER = {"a": (exact, _coarse, suppressed), "b": (exact, suppressed), "c": (exact, suppressed)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["x1", "x2", "y1", "y2", "z9"]),
            st.sampled_from(["m", "f"]),
            st.sampled_from(["PH", "TH", "KH"]),
        ),
        min_size=1,
        max_size=300,
    ),
    k=st.integers(2, 15),
)
def test_release_is_k_anonymous_or_refused(rows, k):
    frame = pl.DataFrame(rows, schema=["a", "b", "c"], orient="row")
    try:
        result = k_anonymise(frame, HIER, k=k, max_suppression=0.2)
    except InvalidInput as exc:
        assert "refusing to publish" in str(exc)
        return
    if result.rows.height:
        assert smallest_class(result.rows, ["a", "b", "c"]) >= k
    assert result.suppressed_records <= int(0.2 * frame.height)
    assert result.rows.height + result.suppressed_records == frame.height


def test_least_generalisation_is_chosen():
    """24 rows: a∈{x1,x2} × b∈{m,f} × c=PH, 6 of each. With k = 6 nothing needs generalising.
    With k = 12 either a (x1,x2 → x) or b (withheld) must give way; the weights decide which:
    the attribute that matters more to users is kept."""
    frame = pl.DataFrame({"a": ["x1", "x2"] * 12, "b": ["m"] * 12 + ["f"] * 12, "c": ["PH"] * 24})
    assert k_anonymise(frame, HIER, k=6).levels == {"a": 0, "b": 0, "c": 0}
    keep_b = k_anonymise(frame, HIER, k=12, max_suppression=0.0, weights={"b": 5.0})
    assert keep_b.levels == {"a": 1, "b": 0, "c": 0}
    assert set(keep_b.rows["a"]) == {"x"}
    keep_a = k_anonymise(frame, HIER, k=12, max_suppression=0.0, weights={"a": 5.0})
    assert keep_a.levels == {"a": 0, "b": 1, "c": 0}
    assert keep_a.rows["b"].null_count() == 24


def test_bad_settings():
    frame = pl.DataFrame({"a": ["x"], "b": ["m"], "c": ["PH"]})
    with pytest.raises(InvalidInput, match="at least 2"):
        k_anonymise(frame, HIER, k=1)
    with pytest.raises(InvalidInput, match="missing"):
        k_anonymise(frame.drop("c"), HIER)
    with pytest.raises(InvalidInput, match="refusing to publish"):
        k_anonymise(frame, {"a": (exact,)}, k=5, max_suppression=0.0)
