"""The report's figures are the library's: read back from the HTML and compared.

Each number is parsed from the text of the report's tables and compared with the value the
library computes on the same synthetic world (seed 7, 800 victims), within the rounding of
its display (0.05 percentage points, half a unit for counts and days, 0.005 for scores).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
import pytest

from tests.report._parse import interval, number, read
from tests.report.conftest import BOOTSTRAP
from uncounted.justice import JusticeData, bottlenecks, indicators
from uncounted.metrics import load_catalogue
from uncounted.prevalence import CaptureHistories, LogLinearEstimator, StepwiseEstimator
from uncounted.survivors import (
    change_from_intake,
    default_instrument,
    score_domains,
    score_profiles,
    summarise_survivors,
)

TOL = {"percent": 0.0005 + 1e-9, "count": 0.5 + 1e-9, "score": 0.005 + 1e-9}


def _close(text: str, value: float | None, kind: str) -> None:
    shown = number(text)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        assert shown is None, text
        return
    assert shown is not None, f"{text!r} should show {value}"
    assert abs(shown - value) <= TOL[kind], f"{text!r} != {value}"


def _close_interval(text: str, lower: float | None, upper: float | None, kind: str) -> None:
    lo, hi = interval(text)
    if lower is None or upper is None:
        assert (lo, hi) == (None, None), text
        return
    assert lo is not None and hi is not None, text
    assert abs(lo - lower) <= TOL[kind] and abs(hi - upper) <= TOL[kind], (text, lower, upper)


@pytest.fixture(scope="module")
def page(html):
    return read(html)


@pytest.fixture(scope="module")
def data(world):
    return JusticeData.from_tables(world.frames)


@pytest.fixture(scope="module")
def histories(world):
    codes = world.frames["agencies"].select(
        pl.col("id").alias("agency_id"), pl.col("code").alias("list")
    )
    members = world.frames["list_memberships"].join(codes, on="agency_id")
    return members, CaptureHistories.from_records(members, "person_id", "list")


def test_every_indicator_row_shows_the_library_value(page, data):
    table = indicators(data)
    rows = page.tables["indicators"]
    assert len(rows) == table.height
    for row, expected in zip(rows, table.iter_rows(named=True), strict=True):
        ident, variant, num, den, value, ci, unit = row.cells
        assert (ident, variant, unit) == (
            expected["indicator"],
            expected["variant"],
            expected["unit"],
        )
        kind = "percent" if unit == "proportion" else "score" if unit == "ratio" else "count"
        _close(num, expected["numerator"], "count")
        _close(den, expected["denominator"], "count")
        _close(value, expected["value"], kind)
        _close_interval(ci, expected["lower"], expected["upper"], kind)


def test_funnel_is_one_minus_cumulative_attrition(page, data):
    table = indicators(data)
    rows = {r.cells[0]: r.cells for r in page.tables["funnel"]}
    assert list(rows) == ["report", "investigation", "arrest", "charge", "trial", "verdict"]
    for stage in list(rows)[1:]:
        j7 = table.filter(
            (pl.col("indicator") == "J7") & (pl.col("variant") == f"cumulative to {stage}")
        ).row(0, named=True)
        _close(rows[stage][2], 1 - j7["value"], "percent")
        _close_interval(rows[stage][3], 1 - j7["upper"], 1 - j7["lower"], "percent")


def test_where_cases_stall_is_the_bottleneck_ranking(page, data):
    expected = bottlenecks(data).transitions
    rows = page.tables["transitions"]
    assert [r.cells[0] for r in rows] == expected["transition"].to_list()
    for row, e in zip(rows, expected.iter_rows(named=True), strict=True):
        _close(row.cells[1], e["entered"], "count")
        _close(row.cells[3], e["attrition"], "percent")
        _close_interval(row.cells[4], e["attrition_lower"], e["attrition_upper"], "percent")
        _close(row.cells[5], e["median_days"], "count")
        assert int(row.cells[7]) == e["attrition_rank"]


def test_time_to_event_curves_agree_with_j11_and_j7(page, data):
    """The charge→verdict curve at 365 days is J11 (verdict within the 365-day standard); each
    curve at its end is bounded by J7's conversion (1 − attrition)."""
    table = indicators(data)
    rows = {r.attrs["data-transition"]: r.cells for r in page.tables["curves"]}
    j11 = table.filter(pl.col("indicator") == "J11").row(0, named=True)
    at_365 = rows["charge→verdict"][2 + 3]  # columns: transition, entered, 30, 90, 180, 365
    shown, band = at_365.split(" | ")
    _close(shown, j11["value"], "percent")
    _close_interval(band, j11["lower"], j11["upper"], "percent")
    for name in ("report→investigation", "arrest→charge", "trial→verdict"):
        j7 = table.filter((pl.col("indicator") == "J7") & (pl.col("variant") == name))
        last = number(rows[name][-1].split(" | ")[0])
        assert last is not None and last <= 1 - j7["value"][0] + TOL["percent"]


def test_prevalence_strata_are_the_stepwise_estimates(page, histories):
    members, everyone = histories
    rows = {
        r.attrs["data-stratum"]: r.cells
        for r in page.tables["prevalence-strata"]
        if "data-stratum" in r.attrs
    }
    fit = StepwiseEstimator().fit(everyone)
    _close(rows["all"][2], fit.observed_, "count")
    _close(rows["all"][3], fit.population_, "count")
    _close_interval(rows["all"][4], *fit.ci_, "count")
    assert rows["all"][6] == fit.summary["model"][0]
    for (year,), part in members.group_by(pl.col("recorded_on").dt.year()):
        h = CaptureHistories.from_records(part, "person_id", "list")
        with _quiet():
            est = StepwiseEstimator().fit(h)
        _close(rows[f"year {year}"][3], est.population_, "count")


def test_method_comparison_shows_each_estimator(page, histories):
    _, everyone = histories
    rows = {
        r.attrs["data-method"]: r.cells
        for r in page.tables["prevalence-methods"]
        if "data-method" in r.attrs
    }
    with _quiet():
        bic = LogLinearEstimator(criterion="bic").fit(everyone)
        independence = LogLinearEstimator().fit(everyone)
    _close(rows["log-linear, BIC-selected"][3], bic.population_, "count")
    _close_interval(rows["log-linear, BIC-selected"][4], *bic.ci_, "count")
    _close(rows["log-linear, independence"][3], independence.population_, "count")


def test_survivor_outcomes_are_the_cohort_summary(page, world):
    instrument = default_instrument()
    a, items = world.frames["assessments"], world.frames["assessment_items"]
    summary = summarise_survivors(
        a, items, instrument, months=(6, 12, 24, 36), n_bootstrap=BOOTSTRAP, random_state=1
    )
    rows = {int(r.cells[0]): r.cells for r in page.tables["restoration"]}
    for e in summary.restoration.iter_rows(named=True):
        _close(rows[e["month"]][1], e["share_restored"], "percent")
        _close_interval(rows[e["month"]][2], e["lower"], e["upper"], "percent")
    change = change_from_intake(score_profiles(score_domains(a, items, instrument), instrument),
                                instrument)  # fmt: skip
    shown = page.tables["change"]
    assert len(shown) == change.height
    for row, e in zip(shown, change.iter_rows(named=True), strict=True):
        _close(row.cells[4], e["change"], "score")
        _close_interval(row.cells[5], e["lower"], e["upper"], "score")


def test_key_figures_cards_and_table_agree(page, report):
    table = {r.cells[0]: r.cells for r in page.tables["key-figures"]}
    assert len(page.figures) == len(report.key_figures) == len(table)
    for card, figure in zip(page.figures, report.key_figures, strict=True):
        assert card["label"] == figure.label
        assert card["value"] == table[figure.label][1]
    conviction = table["Defendants convicted, of verdicts"]
    j5 = report.justice.row("J5", "all")
    assert j5 is not None
    _close(conviction[1], j5["value"], "percent")


def test_json_twin_holds_the_same_figures(report):
    twin = report.to_dict()
    assert twin["justice"]["indicators"] == report.justice.indicators.to_dicts()
    assert [k["value"] for k in twin["key_figures"]] == [k.value for k in report.key_figures]
    assert twin["prevalence"]["strata"][0]["stratum"] == "all"


def test_methods_appendix_comes_from_the_catalogue(html, report):
    shown = set(report.justice.indicators["indicator"].to_list())
    for m in load_catalogue():
        if m.id in shown:
            assert f'id="metric-{m.id}"' in html
            assert m.numerator.replace("&", "&amp;") in html
    assert "Chan, Silverman" in html and "Turnbull" in html


def test_the_page_is_self_contained(html, page):
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    outside = {u for u in re.findall(r"https?://[^\s\"')]+", html)}
    assert outside <= {"http://www.w3.org/2000/svg"}
    assert html.count("<svg") >= 9
    assert "taken as already linked" in html


@contextmanager
def _quiet() -> Iterator[None]:
    """The estimators' caveats (sparse strata) are shown in the report, not tested here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_highlights_say_the_key_figures_in_words(report):
    verdict = report.justice.funnel.filter(pl.col("stage") == "verdict").row(0, named=True)
    first = report.highlights[0]
    assert first.startswith(f"Of every 100 suspects reported, {100 * verdict['reaching']:.0f} ")
    worst = report.highlights[1]
    assert "verdict→appeal" not in worst and "never moved on" in worst
    overall = report.prevalence.overall()
    assert f"{overall['estimate']:,.0f} victims" in report.highlights[2]
    assert report.highlights[3].endswith(").") and "24 months" in report.highlights[3]
