"""Reliability statistics equal reference implementations on the same data.

References: pingouin 0.5+ (``cronbach_alpha``, ``intraclass_corr``; its CIs are rounded to two
decimals) and scikit-learn (``cohen_kappa_score`` with linear / quadratic weights).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.survivors import (
    cronbach_alpha,
    default_instrument,
    domain_alpha,
    inter_rater_agreement,
    intraclass_correlation,
    weighted_kappa,
)

pg = pytest.importorskip("pingouin")
metrics = pytest.importorskip("sklearn.metrics")

TOOL = default_instrument()


def _ratings(seed: int, n: int, k: int, noise: float = 0.7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.rint(rng.normal(2.5, 1, (n, 1)) + rng.normal(0, noise, (n, k))), 1, 4)


def test_cronbach_alpha_equals_pingouin():
    x = _ratings(0, 60, 4)
    res = cronbach_alpha(x, n_bootstrap=300, random_state=1)
    ref, _ = pg.cronbach_alpha(data=pd.DataFrame(x))
    assert res.alpha == pytest.approx(ref, abs=1e-12)
    assert res.lower < res.alpha < res.upper and (res.n, res.k) == (60, 4)
    assert cronbach_alpha(x, n_bootstrap=300, random_state=1) == res  # same seed, same CI
    x[3, 1] = np.nan  # listwise deletion, as pingouin's nan_policy="listwise"
    ref_nan, _ = pg.cronbach_alpha(data=pd.DataFrame(x), nan_policy="listwise")
    assert cronbach_alpha(x, n_bootstrap=50).alpha == pytest.approx(ref_nan, abs=1e-12)


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weighted_kappa_equals_scikit_learn(weights):
    x = _ratings(1, 80, 2, noise=0.8).astype(int)
    ours = weighted_kappa(x[:, 0], x[:, 1], weights=weights)
    ref = metrics.cohen_kappa_score(x[:, 0], x[:, 1], weights=weights, labels=[1, 2, 3, 4])
    assert ours == pytest.approx(ref, abs=1e-12)
    with pytest.raises(InvalidInput, match="not among the categories"):
        weighted_kappa(np.array([1, 5]), np.array([1, 2]))


def test_icc_equals_pingouin():
    x = _ratings(2, 40, 3)
    ours = intraclass_correlation(x)
    long = pd.DataFrame(
        [(i, j, x[i, j]) for i in range(x.shape[0]) for j in range(x.shape[1])],
        columns=["target", "rater", "score"],
    )
    ref = pg.intraclass_corr(data=long, targets="target", raters="rater", ratings="score")
    np.testing.assert_allclose(ours["icc"], ref["ICC"], atol=1e-12)
    np.testing.assert_allclose(ours["F"], ref["F"], atol=1e-10)
    np.testing.assert_allclose(ours["df2"], ref["df2"].astype(float))
    np.testing.assert_allclose(ours["pval"], ref["pval"], rtol=1e-8)
    ci = np.vstack(ref["CI95"].to_numpy())  # pingouin rounds its intervals to 2 decimals
    np.testing.assert_allclose(ours["lower"].round(2), ci[:, 0], atol=1e-9)
    np.testing.assert_allclose(ours["upper"].round(2), ci[:, 1], atol=1e-9)


def _double_rated(seed: int = 4, n: int = 30):
    rng = np.random.default_rng(seed)
    items = [i for d in TOOL.domains for i in d.item_ids]
    a_rows, i_rows = [], []
    for person in range(n):
        true = rng.normal(2.5, 0.8)
        for rater in ("ana", "ben"):
            aid = len(a_rows) + 1
            a_rows.append((aid, person, TOOL.id, dt.date(2024, 3, 1), rater))
            scores = np.clip(np.rint(true + rng.normal(0, 0.5, len(items))), 1, 4)
            i_rows += [(aid, item, int(s)) for item, s in zip(items, scores, strict=True)]
    assessments = pl.DataFrame(
        a_rows,
        schema=["id", "person_id", "instrument_id", "assessed_on", "assessor"],
        orient="row",
    )
    return assessments, pl.DataFrame(
        i_rows, schema=["assessment_id", "item", "score"], orient="row"
    )


def test_inter_rater_agreement_per_domain():
    assessments, items = _double_rated()
    table = inter_rater_agreement(assessments, items, TOOL)
    assert table["domain"].to_list() == list(TOOL.domain_ids)
    assert (table["pairs"] == 30).all()
    safety = table.row(0, named=True)
    # the same numbers by hand from the pairs: kappa pooled over the three safety items
    ids = dict(zip(assessments["id"], assessments["assessor"], strict=True))
    s = items.filter(pl.col("item").str.starts_with("safety.")).with_columns(
        pl.col("assessment_id").replace_strict(ids).alias("rater"),
        pl.col("assessment_id")
        .replace_strict(dict(zip(assessments["id"], assessments["person_id"], strict=True)))
        .alias("person"),
    )
    wide = s.pivot(on="rater", index=["person", "item"], values="score").sort("person", "item")
    ref = metrics.cohen_kappa_score(wide["ana"], wide["ben"], weights="quadratic")
    assert safety["kappa_w"] == pytest.approx(ref, abs=1e-12)
    means = wide.group_by("person").agg(pl.col("ana").mean(), pl.col("ben").mean())
    icc = intraclass_correlation(means.select("ana", "ben").to_numpy())
    assert safety["icc2"] == pytest.approx(icc["icc"][1], abs=1e-12)
    assert 0.5 < safety["icc2"] < 1


def test_no_double_ratings_and_domain_alpha():
    assessments, items = _double_rated(n=20)
    single = assessments.filter(pl.col("assessor") == "ana")
    with pytest.raises(InvalidInput, match="two assessors on the same day"):
        inter_rater_agreement(single, items, TOOL)
    alphas = domain_alpha(single, items, TOOL, n_bootstrap=100, random_state=0)
    assert alphas["domain"].to_list() == list(TOOL.domain_ids)
    assert alphas["items"].to_list() == [3, 3, 4, 3, 3, 3] and (alphas["n"] == 20).all()
    ref = pg.cronbach_alpha(
        data=items.filter(
            pl.col("item").str.starts_with("safety.")
            & pl.col("assessment_id").is_in(single["id"].implode())
        )
        .pivot(on="item", index="assessment_id", values="score")
        .drop("assessment_id")
        .to_pandas()
    )[0]
    assert alphas["alpha"][0] == pytest.approx(ref, abs=1e-12)
