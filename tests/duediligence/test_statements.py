"""Statement scores and reviewer agreement on the worked fixture (values in conftest.py)."""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.duediligence import framework, frameworks, score_statements
from uncounted.errors import InvalidInput, NotFound


def test_criteria_are_the_acts():
    au = framework("au-msa-2018-s16")
    assert [c.provision for c in au.criteria] == [f"s16(1)({k})" for k in "abcdefg"]
    assert [c.id for c in au.with_role("due_diligence")] == ["AU-d"]
    uk = framework("uk-msa-2015-s54")
    assert len(uk.criteria) == 6 and not uk.mandatory
    assert uk.criterion("UK-c").equivalent == ("AU-d",)
    assert set(frameworks()) == {"au-msa-2018-s16", "uk-msa-2015-s54"}
    with pytest.raises(NotFound, match="use one of"):
        framework("fr-vigilance")


def test_statement_score_counts_unscored_as_zero(scores):
    result = score_statements(scores)
    s = {r["partner"]: r for r in result.statements.to_dicts()}
    assert s["P1"]["total"] == 9 and s["P1"]["criteria"] == 7 and s["P1"]["scored"] == 6
    assert s["P1"]["score"] == pytest.approx(100 * 9 / 21)
    assert s["P1"]["weak"] == ["AU-c", "AU-d", "AU-f", "AU-g"]
    assert s["P2"]["score"] == pytest.approx(100 * 17 / 18)
    assert s["P2"]["disagreements"] == ["UK-d"]
    assert s["P3"]["score"] == 100.0


def test_kappa_is_hand_worked(scores):
    agreement = {r["framework"]: r for r in score_statements(scores).agreement.to_dicts()}
    assert agreement["au-msa-2018-s16"]["pairs"] == 4
    assert agreement["au-msa-2018-s16"]["kappa"] == pytest.approx(1 - 0.25 / 3)
    assert agreement["au-msa-2018-s16"]["exact"] == pytest.approx(0.75)
    assert agreement["uk-msa-2015-s54"]["pairs"] == 1
    assert agreement["uk-msa-2015-s54"]["kappa"] is None


def test_bad_scores_are_refused(scores):
    with pytest.raises(InvalidInput, match="one of"):
        score_statements(scores.with_columns(pl.lit(5).alias("score")))
    with pytest.raises(InvalidInput, match="lack the columns"):
        score_statements(scores.drop("evidence"))
    wrong = scores.with_columns(
        pl.when(pl.col("criterion") == "AU-a")
        .then(pl.lit("UK-a"))
        .otherwise("criterion")
        .alias("criterion")
    )
    with pytest.raises(InvalidInput, match="not criteria of"):
        score_statements(wrong)


def test_no_statements_yet_is_an_empty_result(scores):
    """A store with partners but no scored statement (a new programme) reads as empty tables."""
    result = score_statements(scores.clear())
    assert result.statements.height == 0 and "score" in result.statements.columns
    assert result.criteria.height == 0 and result.agreement.height == 0
