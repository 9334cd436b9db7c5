"""A jurisdiction and a period narrow every section; a linkage-sensitivity table is shown."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from uncounted.errors import InvalidInput
from uncounted.justice import JusticeData, indicators
from uncounted.report import build_report


@pytest.fixture(scope="module")
def thai(world):
    return build_report(world.frames, period="2023:2024", jurisdiction="TH", n_bootstrap=50)


def test_justice_figures_are_those_of_the_jurisdiction_and_period(world, thai):
    data = JusticeData.from_tables(world.frames)
    expected = indicators(data, period="2023:2024", by=["jurisdiction"]).filter(
        pl.col("jurisdiction") == "TH"
    )
    assert_frame_equal(thai.justice.indicators, expected.drop("jurisdiction"))
    assert thai.period == "2023:2024" and thai.jurisdiction == "TH"


def test_prevalence_uses_the_lists_of_agencies_based_there(world, thai):
    thai_agencies = world.frames["agencies"].filter(pl.col("country") == "TH")["code"]
    assert set(thai.prevalence.lists) <= set(thai_agencies.to_list())
    years = set(thai.prevalence.strata["stratum"].to_list()) - {"all", "Female", "Male"}
    assert years == {"year 2023", "year 2024"}


def test_without_the_survivors_frame_the_cohort_is_the_period_only(world, thai):
    intake = world.frames["assessments"].group_by("person_id").agg(pl.col("assessed_on").min())
    in_period = intake.filter(pl.col("assessed_on").dt.year().is_between(2023, 2024)).height
    assert thai.survivors.survivors == in_period


def test_unknown_jurisdiction_is_refused(world):
    with pytest.raises(InvalidInput, match="ZZ"):
        build_report(world.frames, jurisdiction="ZZ")


def test_an_empty_database_gives_a_report_that_says_what_is_missing(tmp_path):
    from uncounted.report import report_tables
    from uncounted.store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    try:
        upgrade(engine)
        tables = report_tables(engine)
    finally:
        engine.dispose()
    report = build_report(tables)
    html = report.to_html()
    assert "no agency list records anyone" in html
    assert "too few to summarise" in html
    assert report.key_figures[0].value == 0


def test_a_single_year_is_not_repeated_as_a_stratum(world):
    report = build_report(world.frames, period="2024Q3", n_bootstrap=50)
    strata = report.prevalence.strata["stratum"].to_list()
    assert strata[0] == "all" and not any(s.startswith("year") for s in strata)
