"""Log-linear estimates against Rcapture 1.4-4 (R 4.2.2), numbers from shared/data/README.md.

R calls (``X`` = the dataset's 0/1 columns plus the count, ``dfreq = TRUE``):

- independence: ``closedpCI.t(X, dfreq = TRUE, m = "Mt")``;
- search: ``closedpMS.t(X, dfreq = TRUE, maxorder = 2)``, best model by AIC and by BIC,
  then ``closedpCI.t(X, dfreq = TRUE, mX = ~ <that model>)`` for its interval.

Tolerances (issue 5): point estimate within 0.5 %, profile-interval ends within 1 %, and
the chosen model's terms exactly Rcapture's. The six-list searches (UKdat, Ned, hare; 32 768
models each) are marked slow; each table is searched once for both criteria.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import pytest

from uncounted.errors import NotIdentifiable, UncountedWarning
from uncounted.prevalence import CaptureHistories, LogLinearEstimator

Expected = tuple[str, float, float, float]  # model, N, ci_low, ci_high

#: dataset -> (independence, best AIC, best BIC), from shared/data/README.md.
RCAPTURE: dict[str, tuple[Expected, Expected, Expected]] = {
    "UKdat": (
        ("()", 12214.0, 10983.9, 13648.2),
        (
            "LA:NG + LA:PF + LA:GP + NG:GO + NG:GP + PF:GP + PF:NCA + GO:GP",
            11282.0,
            9866.1,
            13021.1,
        ),
        ("LA:NG + LA:PF + NG:GP + PF:GP + PF:NCA + GO:GP", 12349.6, 10868.2, 14142.5),
    ),
    "UKdat_5": (
        ("()", 13444.1, 11985.1, 15165.9),
        ("LA:NG + LA:PFNCA + LA:GP + NG:GO + NG:GP + PFNCA:GP + GO:GP", 11174.8, 9771.2, 12900.0),
        ("LA:NG + LA:PFNCA + NG:PFNCA + NG:GP + PFNCA:GO", 22991.3, 17991.0, 30141.9),
    ),
    "UKdat_4": (
        ("()", 10694.3, 9504.1, 12108.4),
        ("LA:NG + LA:PFNCA + NG:GO", 11015.2, 9587.7, 12771.9),
        ("LA:NG + LA:PFNCA", 11987.1, 10507.4, 13780.6),
    ),
    "Ned": (
        ("()", 52823.5, 48541.6, 57648.3),
        (
            "I:Z + K:O + K:P + K:R + K:Z + O:P + O:Z + P:R + P:Z + R:Z",
            77777.4,
            60473.0,
            102150.5,
        ),
        ("I:Z + K:R + O:P + O:Z + P:R + P:Z", 121529.6, 101536.1, 147120.6),
    ),
    "Ned_5": (
        ("()", 52923.9, 48612.9, 57784.8),
        ("IO:K + IO:Z + K:P + K:R + K:Z + P:R + P:Z + R:Z", 52969.0, 44245.5, 64379.2),
        ("IO:K + IO:Z + K:P + K:R + K:Z + P:Z + R:Z", 48012.7, 42185.0, 55075.5),
    ),
    "Rcapture_HIV": (
        ("()", 11124.6, 9531.7, 13114.1),
        ("c1:c2", 12318.5, 10266.0, 14992.3),
        ("()", 11124.6, 9531.7, 13114.1),
    ),
    "Rcapture_lesbian": (
        ("()", 3738.5, 3559.4, 3933.2),
        ("A:B + A:C + A:D + B:C + B:D + C:D", 7126.0, 5887.1, 8721.5),
        ("A:B + A:D + B:C + B:D + C:D", 6349.0, 5421.7, 7536.3),
    ),
    "Rcapture_diabetes": (
        ("()", 2250.6, 2215.2, 2288.1),
        ("c1:c2 + c1:c3 + c2:c3 + c2:c4 + c3:c4", 2771.2, 2527.6, 3104.1),
        ("c1:c3 + c2:c4 + c3:c4", 2472.2, 2374.5, 2584.4),
    ),
    "Rcapture_hare": (
        ("()", 75.1, 69.3, 82.4),
        ("c1:c5 + c2:c6 + c3:c6 + c4:c6", 85.6, 73.6, 103.7),
        ("c4:c6", 77.3, 70.3, 86.5),
    ),
    "MadiganYork_3": (
        ("()", 763.9, 726.1, 807.0),
        ("A:B + B:C", 758.3, 713.2, 813.8),
        ("A:B", 730.9, 699.8, 766.5),
    ),
}
SIX_LISTS = {"UKdat", "Ned", "Rcapture_hare"}
#: datasets without published Rcapture numbers: run, and check the results are sane.
UNLISTED = [
    "Western",
    "Australia",
    "Korea",
    "Kosovo",
    "NewOrl",
    "NewOrl_5",
    "NewOrl_MSE120",
    "NewOrl_5_MSE120",
    "Artificial_3",
    "MadiganYork_5",
]


def _fit(est: LogLinearEstimator, h: CaptureHistories) -> LogLinearEstimator:
    """Fit, letting only the project's own caveats through (boundary fits are expected)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(h)
    foreign = [w for w in caught if not issubclass(w.category, UncountedWarning)]
    assert not foreign, [str(w.message) for w in foreign]
    assert len(caught) == len(est.warnings_)
    return est


def _check(est: LogLinearEstimator, expected: Expected) -> None:
    model, n_hat, low, high = expected
    assert est.summary.get_column("model")[0] == model
    assert est.population_ == pytest.approx(n_hat, rel=0.005)
    assert est.ci_[0] == pytest.approx(low, rel=0.01)
    assert est.ci_[1] == pytest.approx(high, rel=0.01)


def _marks(name: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.slow] if name in SIX_LISTS else []


@pytest.mark.parametrize("name", list(RCAPTURE))
def test_independence_matches_rcapture_mt(
    name: str, load_mse: Callable[[str], CaptureHistories]
) -> None:
    """``closedpCI.t(X, dfreq=TRUE, m="Mt")``: N within 0.5 %, profile ends within 1 %."""
    est = _fit(LogLinearEstimator(), load_mse(name))
    _check(est, RCAPTURE[name][0])
    assert est.ci_method_ == "profile"


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in RCAPTURE])
def test_search_matches_rcapture_closedpms(
    name: str, load_mse: Callable[[str], CaptureHistories]
) -> None:
    """``closedpMS.t(X, dfreq=TRUE, maxorder=2)``: best-AIC and best-BIC models exactly
    Rcapture's; their N within 0.5 % and profile interval (``closedpCI.t(mX=...)``) within 1 %.
    """
    h = load_mse(name)
    n_models = 2 ** (h.n_lists * (h.n_lists - 1) // 2)
    for criterion, expected in zip(("aic", "bic"), RCAPTURE[name][1:], strict=True):
        est = _fit(LogLinearEstimator(criterion=criterion), h)
        _check(est, expected)
        assert est.search_method_ == "exhaustive"
        assert est.ranking_ is not None
        assert est.ranking_.height == n_models
        assert est.ranking_.get_column("model")[0] == expected[0]
        low, high = est.estimate_range_
        assert low <= est.population_ * (1 + 1e-9) and est.population_ <= high * (1 + 1e-9)


@pytest.mark.parametrize("name", list(RCAPTURE))
def test_given_model_matches_rcapture_closedpci(
    name: str, load_mse: Callable[[str], CaptureHistories]
) -> None:
    """``closedpCI.t(X, dfreq=TRUE, mX=~<best BIC model>)`` fitted directly, without search.

    Models with an empty overlap (a term at minus infinity) are refused by name instead.
    """
    h = load_mse(name)
    model, *_ = RCAPTURE[name][2]
    terms = [] if model == "()" else model.split(" + ")
    try:
        est = _fit(LogLinearEstimator(interactions=terms), h)
    except NotIdentifiable as err:
        assert "nobody was recorded on both" in str(err)
        return
    _check(est, RCAPTURE[name][2])


def test_greedy_search_beyond_the_exhaustive_limit(
    load_mse: Callable[[str], CaptureHistories],
) -> None:
    """Forcing the greedy search on Rcapture_HIV (4 lists) finds Rcapture's best AIC, c1:c2."""
    est = _fit(
        LogLinearEstimator(criterion="aic", max_exhaustive_lists=3), load_mse("Rcapture_HIV")
    )
    assert est.search_method_ == "greedy"
    _check(est, RCAPTURE["Rcapture_HIV"][1])
    assert est.ranking_ is not None and est.ranking_.height < 64


@pytest.mark.parametrize("name", UNLISTED)
def test_unlisted_datasets_give_sane_results(
    name: str, load_mse: Callable[[str], CaptureHistories]
) -> None:
    """Independence, AIC and BIC on datasets with no published Rcapture numbers: each
    estimate is finite, at least the number observed, and inside its interval; 8-list
    tables (New Orleans) use the greedy search."""
    h = load_mse(name)
    for est in (
        LogLinearEstimator(),
        LogLinearEstimator(criterion="aic"),
        LogLinearEstimator(criterion="bic"),
    ):
        _fit(est, h)
        assert math.isfinite(est.population_)
        assert est.population_ >= h.n_observed
        low, high = est.ci_
        assert h.n_observed <= low <= est.population_ * (1 + 1e-6)
        assert est.population_ <= high
        if est.criterion is not None:
            assert est.search_method_ == ("greedy" if h.n_lists > 6 else "exhaustive")


def test_artificial_3_identifiability(load_mse: Callable[[str], CaptureHistories]) -> None:
    """Chan, Silverman & Vincent (2021) Table 2: lists A, B, C where only A and B overlap.

    With A:B the observed zeros force A+C, B+C and A+B+C to zero and the number unseen is
    not determined; A:C has an empty overlap. Both are refused with the exact reason.
    """
    h = load_mse("Artificial_3")
    with pytest.raises(
        NotIdentifiable,
        match=r"^model \[A:B\]: the observed zeros force the fitted counts of A\+C, B\+C, "
        r"A\+B\+C to zero, so the number of people on no list is not determined\.",
    ):
        LogLinearEstimator(interactions=["A:B"]).fit(h)
    with pytest.raises(
        NotIdentifiable, match=r"^model \[A:C\]: nobody was recorded on both A and C"
    ):
        LogLinearEstimator(interactions=["A:C"]).fit(h)
    est = _fit(LogLinearEstimator(criterion="bic"), h)
    assert any("skipped the best-ranked model(s) A:B" in w for w in est.warnings_)


#: dataset, criterion -> (Rcapture's first-ranked fit, its infoFit, N), then the first fit
#: with infoFit 0 and its N: Rcapture 1.4-4, closedpMS.t(X, dfreq=TRUE, maxorder=2), run for
#: issue 17 (these datasets have no numbers in the README).
FIRST_CLEAN = {
    ("NewOrl_5", "aic"): ("A:BEFG + A:D + BEFG:C + BEFG:D", 2750.195, "A:BEFG + C:H", 1066.4),
    ("NewOrl_5_MSE120", "aic"): (
        "A:BEFG + A:D + BEFG:D + C:H", 1388.997, "A:BEFG + A:D + C:H", 1168.422,
    ),
    ("Australia", "aic"): ("A:B + B:C + B:D", 6496.009, "B:C + B:D + C:D", 1684.7),
    ("Australia", "bic"): ("A:B + B:C + B:D", 6496.009, "B:C + B:D + C:D", 1684.7),
    ("Western", "aic"): ("A:B + A:E + B:E + D:E", 2308.244, "A:B + A:E + D:E", 2449.701),
}  # fmt: skip


@pytest.mark.parametrize(("name", "criterion"), sorted(FIRST_CLEAN))
def test_search_passes_over_fits_rcapture_warns_about(
    load_mse: Callable[[str], CaptureHistories], name: str, criterion: str
) -> None:
    """The rule (docs/prevalence.md): the best fit by the criterion among those Rcapture
    reports without a warning (infoFit 0). Rcapture ranks its flagged fits first here:
    infoFit 1 ("the asymptotic bias is large") on NewOrl_5, NewOrl_5_MSE120 and Australia,
    infoFit 3 (fitted values numerically 0) on Western. On all 20 README choices the rule
    and Rcapture's published choice agree (test_search_matches_rcapture_closedpms). N within
    0.5 % of Rcapture's, the terms exactly."""
    _flagged, flagged_n, clean, clean_n = FIRST_CLEAN[(name, criterion)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncountedWarning)
        est = LogLinearEstimator(criterion=criterion).fit(load_mse(name))
    assert " + ".join(est.model_) == clean
    assert est.population_ == pytest.approx(clean_n, rel=0.005)
    assert est.ranking_ is not None
    flagged_rows = est.ranking_.filter(
        est.ranking_["estimate"].is_between(flagged_n * 0.995, flagged_n * 1.005)
    )
    assert flagged_rows.height >= 1
    assert est.to_dict()["search"]["passed_over_large_bias"] >= (0 if name == "Western" else 1)
