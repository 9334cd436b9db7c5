"""Lincoln–Petersen and Chapman against hand-worked numbers.

Example: n1 = 100, n2 = 80, m = 20 (observed n = 160).
- Lincoln–Petersen: N = 100*80/20 = 400; var = 100*80*80*60/20**3 = 4800 (Seber 1982, 3.2).
- Chapman: N = 101*81/21 - 1 = 8160/21 = 388.571...; Seber (1970) var =
  101*81*80*60/(21**2*22) = 39 268 800/9 702 = 4047.495...
- Chao (1987) log-normal interval: f0 = N - 160, C = exp(1.959964 sqrt(log(1 + var/f0**2))),
  [160 + f0/C, 160 + f0*C].
"""

from __future__ import annotations

import math

import polars as pl
import pytest

from uncounted.errors import InvalidInput, NotIdentifiable, SparseDataWarning
from uncounted.prevalence import CaptureHistories, Chapman, LincolnPetersen

Z = 1.959963984540054


def _hist(only_a: int, only_b: int, both: int) -> CaptureHistories:
    return CaptureHistories.from_frame(
        pl.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [only_a, only_b, both]})
    )


def _chao(estimate: float, var: float, n: int) -> tuple[float, float]:
    f0 = estimate - n
    c = math.exp(Z * math.sqrt(math.log(1 + var / f0**2)))
    return n + f0 / c, n + f0 * c


def test_lincoln_petersen_hand_worked() -> None:
    est = LincolnPetersen().fit(_hist(80, 60, 20))
    assert est.population_ == pytest.approx(400.0, rel=1e-12)
    assert est.stderr_ == pytest.approx(math.sqrt(4800.0), rel=1e-12)
    low, high = _chao(400.0, 4800.0, 160)
    assert est.ci_ == pytest.approx((low, high), rel=1e-9)
    assert est.ci_method_ == "lognormal"
    assert est.dark_figure_ == pytest.approx(240.0)


def test_chapman_hand_worked() -> None:
    est = Chapman().fit(_hist(80, 60, 20))
    n_hat = 8160 / 21
    var = 39_268_800 / 9_702
    assert est.population_ == pytest.approx(n_hat, rel=1e-12)
    assert est.stderr_ == pytest.approx(math.sqrt(var), rel=1e-12)
    assert est.ci_ == pytest.approx(_chao(n_hat, var, 160), rel=1e-9)
    wald = Chapman(ci="wald").fit(_hist(80, 60, 20))
    assert wald.ci_ == pytest.approx(
        (n_hat - Z * math.sqrt(var), n_hat + Z * math.sqrt(var)), rel=1e-9
    )


def test_no_overlap() -> None:
    h = _hist(30, 40, 0)
    with (
        pytest.warns(SparseDataWarning, match="only 0 people are on both A and B"),
        pytest.raises(NotIdentifiable, match="nobody is on both lists"),
    ):
        LincolnPetersen().fit(h)
    with pytest.warns(SparseDataWarning, match="fewer than 7"):
        est = Chapman().fit(h)
    assert est.population_ == pytest.approx(31 * 41 - 1)


def test_needs_exactly_two_lists() -> None:
    h = CaptureHistories.from_frame(
        pl.DataFrame({"A": [1, 0, 0, 1], "B": [0, 1, 0, 1], "C": [0, 0, 1, 1], "count": [5] * 4})
    )
    with pytest.raises(InvalidInput, match=r"takes exactly 2 lists, got 3 \(A, B, C\)"):
        Chapman().fit(h)
    with pytest.warns(SparseDataWarning, match="only 5 people are on both AB and C"):
        est = Chapman().fit(h.merge_lists({"AB": ["A", "B"]}))
    assert est.m_ == 5


def test_bad_ci_setting() -> None:
    with pytest.raises(InvalidInput, match="ci must be 'lognormal' or 'wald'"):
        Chapman(ci="profile").fit(_hist(80, 60, 20))
