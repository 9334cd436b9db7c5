"""Every indicator on the twelve hand-worked cases of conftest.py, each number worked by hand.

Period 2024, observed to 2024-12-31. Suspects S101…S113, victims V1…V11 (see conftest.py).
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint

from uncounted.errors import InvalidInput
from uncounted.justice import indicators


def _get(table: pl.DataFrame, indicator: str, variant: str, **keys: object) -> dict[str, float]:
    hit = table.filter((pl.col("indicator") == indicator) & (pl.col("variant") == variant))
    for k, v in keys.items():
        hit = hit.filter(pl.col(k) == v)
    assert hit.height == 1, (indicator, variant, keys, hit)
    return hit.row(0, named=True)


@pytest.fixture()
def period(hand_data):
    return indicators(hand_data, period="2024")


@pytest.fixture()
def cohort(hand_data):
    return indicators(hand_data, period="2024", basis="cohort")


def test_j1_victims_identified(hand_data, period):
    # V1–V9 and V11 identified in 2024; V10 in 2023 → 10.
    assert _get(period, "J1", "count")["value"] == 10
    # Per 100 000: 10 / (1 000 000 + 500 000) × 100 000 = 0.6667.
    per = _get(period, "J1", "per 100 000")
    assert per["value"] == pytest.approx(10 / 1.5e6 * 1e5)
    assert per["lower"] < per["value"] < per["upper"]
    by = indicators(hand_data, period="2024", by=["jurisdiction"])
    # TH: V1 V2 V3 V4 V5 V6 V7 V11 = 8 → 0.8 per 100 000; KH: V8 V9 = 2 → 0.4.
    assert _get(by, "J1", "per 100 000", jurisdiction="TH")["value"] == pytest.approx(0.8)
    assert _get(by, "J1", "per 100 000", jurisdiction="KH")["value"] == pytest.approx(0.4)


def test_j2_investigation_rate(period, cohort):
    # Cases reported in 2024: 1–10 and 12 = 11 (case 11 reported 2023-11-01).
    # Investigated in 2024: all of them but case 8 = 10.
    for table in (period, cohort):
        row = _get(table, "J2", "all")
        assert (row["numerator"], row["denominator"]) == (10, 11)
    lo, hi = proportion_confint(10, 11, alpha=0.05, method="wilson")
    row = _get(period, "J2", "all")
    assert (row["lower"], row["upper"]) == pytest.approx((lo, hi))


def test_j3_arrest_rate(hand_data, period):
    # Suspects reported in 2024: all but S112 = 12; arrested in 2024: S101–S106, S109, S110 = 8.
    row = _get(period, "J3", "all")
    assert (row["numerator"], row["denominator"]) == (8, 12)
    by = indicators(hand_data, period="2024", by=["jurisdiction"])
    # TH reported: S101 S102 S104 S105 S106 S107 S108 S113 = 8, arrested S101 S102 S104–S106 = 5.
    th = _get(by, "J3", "all", jurisdiction="TH")
    assert (th["numerator"], th["denominator"]) == (5, 8)
    # KH reported: S103 S109 S110 S111 = 4, arrested S103 S109 S110 = 3.
    kh = _get(by, "J3", "all", jurisdiction="KH")
    assert (kh["numerator"], kh["denominator"]) == (3, 4)


def test_j4_charging_rate_period_and_cohort(period, cohort):
    # Period: arrested in 2024 = 8; charged in 2024 = S101–S105, S109, S112 = 7
    # (S112 was arrested in 2023 but charged 2024-01-05: period counts are flows).
    # Trafficking charges: all but S109 = 6; other offence: S109 = 1.
    expected = {"all": (7, 8), "trafficking": (6, 8), "other": (1, 8)}
    for variant, pair in expected.items():
        row = _get(period, "J4", variant)
        assert (row["numerator"], row["denominator"]) == pair
    # Cohort: of the 8 arrested in 2024, S101–S105 and S109 were charged by 12-31 = 6;
    # trafficking S101–S105 = 5, other S109 = 1.
    expected = {"all": (6, 8), "trafficking": (5, 8), "other": (1, 8)}
    for variant, pair in expected.items():
        row = _get(cohort, "J4", variant)
        assert (row["numerator"], row["denominator"]) == pair


def test_j5_conviction_rate_by_offence(period):
    # Verdicts in 2024: S101 conv(T), S102 conv(other — a lesser charge than the trafficking
    # charge), S103 acquitted(T), S104 dismissed(T), S109 conv(other), S112 conv(T) = 6;
    # 4 convicted.
    row = _get(period, "J5", "all")
    assert (row["numerator"], row["denominator"]) == (4, 6)
    # Trafficking verdicts: S101 S103 S104 S112 = 4, convicted S101 S112 = 2.
    row = _get(period, "J5", "trafficking")
    assert (row["numerator"], row["denominator"]) == (2, 4)
    # Other offence: S102 S109, both convicted.
    row = _get(period, "J5", "other")
    assert (row["numerator"], row["denominator"]) == (2, 2)
    lo, hi = proportion_confint(4, 6, method="wilson")
    assert (
        _get(period, "J5", "all")["lower"],
        _get(period, "J5", "all")["upper"],
    ) == pytest.approx((lo, hi))


def test_j6_convictions_per_victim(period):
    # 4 convictions in 2024 / 10 victims identified in 2024 = 0.4.
    assert _get(period, "J6", "all")["value"] == pytest.approx(0.4)


def test_j7_attrition_kaplan_meier(period):
    # report→investigation: 12 reported in 2024, 11 investigated after 10 days, S108 censored
    # at 152 days (open path). S(10) = 1 − 11/12 → attrition 1/12.
    assert _get(period, "J7", "report→investigation")["value"] == pytest.approx(1 / 12)
    # investigation→arrest: 11 investigated in 2024; arrested after 20 days: S101 S102 S104 S106
    # S109 S110 (6), after 30: S103 S105 (2); S107, S111, S113 censored at 173, 111, 81 days.
    # S(20) = 5/11, S(30) = 5/11 × 3/5 = 3/11 → attrition 3/11.
    assert _get(period, "J7", "investigation→arrest")["value"] == pytest.approx(3 / 11)
    # arrest→charge: 8 arrested in 2024, 6 charged after 30 days, S106 and S110 open → 2/8.
    assert _get(period, "J7", "arrest→charge")["value"] == pytest.approx(0.25)
    # charge→trial: all 7 charged in 2024 were tried → 0.
    assert _get(period, "J7", "charge→trial")["value"] == pytest.approx(0.0)
    # …at the boundary, where Greenwood's band is undefined: no interval, not "0–0"
    assert _get(period, "J7", "charge→trial")["lower"] is None
    assert _get(period, "J7", "charge→trial")["upper"] is None
    # trial→verdict: 7 tried; verdict after 90 days for 5, after 120 for S102; S105 censored at
    # 144. S(90) = 2/7, S(120) = 2/7 × 1/2 = 1/7 → attrition 1/7 (open S105 censored, not lost).
    assert _get(period, "J7", "trial→verdict")["value"] == pytest.approx(1 / 7)
    # verdict→appeal: 6 verdicts; appeals after 90 days for S101 S109 S112; S102 S103 S104
    # censored at 124, 115, 94 days. S(90) = 1/2.
    row = _get(period, "J7", "verdict→appeal")
    assert row["value"] == pytest.approx(0.5)
    assert row["lower"] < 0.5 < row["upper"]
    # Cumulative: 1 − 11/12 × 8/11 × 6/8 × 1 × 6/7 = 1 − 3/7 = 4/7 to the verdict.
    assert _get(period, "J7", "cumulative to arrest")["value"] == pytest.approx(1 / 3)
    assert _get(period, "J7", "cumulative to charge")["value"] == pytest.approx(0.5)
    assert _get(period, "J7", "cumulative to verdict")["value"] == pytest.approx(4 / 7)


def test_j8_appeals_upheld(period):
    # Appeals against convictions decided in 2024: S101 upheld, S109 overturned, S112 upheld.
    row = _get(period, "J8", "convictions upheld")
    assert (row["numerator"], row["denominator"]) == (2, 3)


def test_j9_significant_sentences(hand_data, period):
    # Sentences in 2024: S101 60 m custodial, S102 24 m custodial, S109 non-custodial, S112 48 m
    # custodial. ≥ 48 months custodial: S101 and S112 (48 is at the benchmark) → 2/4.
    row = _get(period, "J9", "custodial ≥ 48 months")
    assert (row["numerator"], row["denominator"]) == (2, 4)
    # With a 24-month benchmark S102 counts too → 3/4.
    other = indicators(hand_data, period="2024", sentence_benchmark_months=24)
    assert _get(other, "J9", "custodial ≥ 24 months")["numerator"] == 3


def test_j10_time_to_disposition(period):
    # report→arrest among those arrested (reported 2024): 30 days for S101 S102 S104 S106 S109
    # S110, 40 for S103 S105; every window to 12-31 is ≥ 121 days, so no truncation binds and
    # F(30) = 1 − 2/8 = 0.75: median 30, P75 30, P90 40.
    assert _get(period, "J10", "report→arrest median")["value"] == 30
    assert _get(period, "J10", "report→arrest P75")["value"] == 30
    assert _get(period, "J10", "report→arrest P90")["value"] == 40
    # arrest→charge: six delays of 30 days → 30.
    assert _get(period, "J10", "arrest→charge median")["value"] == 30
    # charge→verdict: 120 days for S101 S103 S104 S109 S112, 150 for S102 → F(120) = 5/6:
    # median 120, P90 150 (open S105 is not among those who reached a verdict).
    assert _get(period, "J10", "charge→verdict median")["value"] == 120
    assert _get(period, "J10", "charge→verdict P90")["value"] == 150
    # verdict→appeal: 90 days for the three appeals.
    assert _get(period, "J10", "verdict→appeal median")["value"] == 90


def test_j11_within_time_standard(period):
    # Charged in 2024: 7; KM of charge→verdict: S(120) = 2/7, S(150) = 1/7 (S105 censored at
    # 174). Within 365 days: 1 − 1/7 = 6/7.
    assert _get(period, "J11", "within 365 days")["value"] == pytest.approx(6 / 7)


def test_j12_clearance(period):
    # Verdicts in 2024 (6) / charges filed in 2024 (7).
    assert _get(period, "J12", "verdicts / charges")["value"] == pytest.approx(6 / 7)


def test_j13_pending_caseload(period):
    # Charged and without a verdict on 2024-12-31: S105, charged 2024-07-10 → 174 days.
    assert _get(period, "J13", "pending")["value"] == 1
    assert _get(period, "J13", "age median")["value"] == 174


def test_j14_protection_and_compensation(period):
    # Victims who testified in 2024 in prosecuted cases: V1 V2 V3 V4 V8 V10 = 6.
    # Protective measures: V1 V3 V4 V10 = 4; compensation: V1 V8 = 2.
    row = _get(period, "J14", "protective measures")
    assert (row["numerator"], row["denominator"]) == (4, 6)
    row = _get(period, "J14", "compensation")
    assert (row["numerator"], row["denominator"]) == (2, 6)


def test_j15_days_to_aftercare_and_repatriation(period):
    # Aftercare after 10 (V1), 20 (V2), 30 (V4), 10 (V8), 7 (V11) days: F(7) = 0.2,
    # F(10) = 0.6, F(20) = 0.8 → median 10, P75 20, P90 30.
    assert _get(period, "J15", "identification→aftercare median")["value"] == 10
    assert _get(period, "J15", "identification→aftercare P75")["value"] == 20
    assert _get(period, "J15", "identification→aftercare P90")["value"] == 30
    # Repatriation: V2 only (KH citizen exploited in TH), after 60 days.
    assert _get(period, "J15", "identification→repatriated median")["value"] == 60


def test_j16_j17_cooperation(period):
    # Cases entering in 2024: 1–10 and 12 = 11; linked across the border: cases 2 and 3 → 2/11.
    row = _get(period, "J16", "cross-border cooperation")
    assert (row["numerator"], row["denominator"]) == (2, 11)
    # Investigated in 2024: cases 1–7, 9, 10, 12 = 10; joint operations in cases 2 and 6 → 2/10.
    row = _get(period, "J17", "joint operations")
    assert (row["numerator"], row["denominator"]) == (2, 10)


def test_every_catalogue_metric_is_computed(period):
    from uncounted.metrics import load_catalogue

    assert {m.id for m in load_catalogue()} == set(period["indicator"].unique())


def test_disaggregation_by_sex_and_minor(hand_data):
    table = indicators(hand_data, period="2024", by=["sex", "minor"])
    # Minor victims identified in 2024: V1 V4 V7 V8 (all female) = 4.
    assert _get(table, "J1", "count", sex="Female", minor=True)["value"] == 4
    # Adult female victims in 2024: V3 V6 = 2; adult male: V2 V5 V9 V11 = 4.
    assert _get(table, "J1", "count", sex="Female", minor=False)["value"] == 2
    assert _get(table, "J1", "count", sex="Male", minor=False)["value"] == 4


def test_all_time_and_quarters(hand_data):
    everything = indicators(hand_data)
    # All time: 11 victims identified (V10 in 2023 included).
    assert _get(everything, "J1", "count")["value"] == 11
    quarters = indicators(hand_data, period="2024Q1", by=["quarter"])
    # Q1 2024: V1 (01-01), V2 (02-01), V8 (01-15) → 3.
    assert _get(quarters, "J1", "count", quarter="2024Q1")["value"] == 3


@pytest.mark.parametrize(
    "kwargs",
    [{"period": "2024-13"}, {"by": ["colour"]}, {"basis": "rolling"}, {"time_standard_days": 0}],
)
def test_bad_arguments_say_what_to_do(hand_data, kwargs):
    with pytest.raises(InvalidInput):
        indicators(hand_data, **kwargs)


def test_no_infinite_values(period):
    values = period["value"].drop_nulls().to_list()
    assert all(math.isfinite(v) for v in values)


def test_j5_competing_outcomes_after_trial(period):
    # Aalen–Johansen from the start of trial (7 tried in 2024; S105 still open at 144 days).
    # t = 90: 7 at risk; S101 S109 S112 convicted, S103 acquitted, S104 dismissed →
    #   CIF(conviction) = 3/7, CIF(acquittal) = 1/7, CIF(dismissal) = 1/7; S(90) = 2/7.
    # t = 120: 2 at risk (S102, S105); S102 convicted → + 2/7 × 1/2 = 1/7 → conviction 4/7.
    assert _get(period, "J5", "convicted after trial")["value"] == pytest.approx(4 / 7)
    assert _get(period, "J5", "acquitted after trial")["value"] == pytest.approx(1 / 7)
    assert _get(period, "J5", "dismissed after trial")["value"] == pytest.approx(1 / 7)
    row = _get(period, "J5", "convicted after trial")
    assert row["lower"] < 4 / 7 < row["upper"]


def test_j1_and_j6_count_a_person_identified_in_two_cases_once(hand_data):
    from uncounted.justice import JusticeData

    from .conftest import AS_OF, build_tables

    tables = build_tables()
    events = tables["justice_events"]
    again = pl.DataFrame(  # V2 (case 2) identified again in case 3, in 2024
        [{"case_id": 3, "person_id": 2, "stage": "identification",
          "occurred_on": events["occurred_on"].max(), "jurisdiction_id": 2}],
        schema={c: events.schema[c] for c in
                ("case_id", "person_id", "stage", "occurred_on", "jurisdiction_id")},
    )  # fmt: skip
    tables["justice_events"] = pl.concat([events, again], how="diagonal")
    roles = tables["case_persons"]
    tables["case_persons"] = pl.concat(
        [
            roles,
            roles.filter(pl.col("person_id") == 2).with_columns(
                pl.lit(3, roles.schema["case_id"]).alias("case_id")
            ),
        ]
    )
    twice = indicators(JusticeData.from_tables(tables, as_of=AS_OF), period="2024")
    once = indicators(hand_data, period="2024")
    assert _get(twice, "J1", "count")["value"] == _get(once, "J1", "count")["value"] == 10
    assert _get(twice, "J6", "all")["denominator"] == 10


def test_a_store_with_victims_but_no_events_says_why_the_indicators_are_empty(hand_data):
    from uncounted.justice import JusticeData, empty_reason

    from .conftest import build_tables

    assert empty_reason(hand_data) is None
    tables = build_tables()
    tables["justice_events"] = tables["justice_events"].clear()
    reason = empty_reason(JusticeData.from_tables(tables))
    assert reason is not None
    assert reason.startswith(
        "The justice indicators are empty: the store holds 11 victim(s) in 12 case(s) but no "
        "justice events."
    )


def test_j2_and_j17_count_cases_with_no_named_suspect():
    import datetime as dt

    from uncounted.justice import JusticeData

    from .conftest import AS_OF, build_tables

    tables = build_tables()
    events = tables["justice_events"]
    columns = ("case_id", "person_id", "stage", "occurred_on", "jurisdiction_id", "joint_operation")
    unnamed = pl.DataFrame(
        [
            # case 13: reported and investigated (jointly), nobody named
            (13, None, "report", dt.date(2024, 3, 1), 1, None),
            (13, None, "investigation", dt.date(2024, 3, 5), 1, True),
            # case 8 (reported, suspect not investigated): an investigation naming nobody
            (8, None, "investigation", dt.date(2024, 8, 5), 1, None),
        ],
        schema={c: events.schema[c] for c in columns},
        orient="row",
    )
    tables["justice_events"] = pl.concat([events, unnamed], how="diagonal")
    cases = tables["cases"]
    tables["cases"] = pl.concat(
        [
            cases,
            cases.filter(pl.col("id") == 1).with_columns(
                pl.lit(13, cases.schema["id"]).alias("id")
            ),
        ]
    )
    table = indicators(JusticeData.from_tables(tables, as_of=AS_OF), period="2024")
    # J2: the 11 cases reported in 2024 and case 13 → 12; investigated: 10 + 13 + 8 → 12.
    j2 = _get(table, "J2", "all")
    assert (j2["numerator"], j2["denominator"]) == (12, 12)
    # J17: investigated cases 10 + 2 = 12, joint operations 2 (cases 2 and 6) + case 13 = 3.
    j17 = _get(table, "J17", "joint operations")
    assert (j17["numerator"], j17["denominator"]) == (3, 12)


def test_value_is_says_whether_a_value_is_estimated_or_observed(period):
    is_ = {
        (r["indicator"], r["method"]): r["value_is"]
        for r in period.select("indicator", "method", "value_is").unique().to_dicts()
    }
    assert is_[("J7", "kaplan-meier")] == is_[("J11", "kaplan-meier")] == "estimated"
    assert is_[("J5", "aalen-johansen")] == is_[("J10", "truncation-corrected product-limit")]
    assert is_[("J1", "count")] == is_[("J3", "wilson")] == is_[("J13", "empirical")] == "observed"
    # J11: the numerator is every verdict observed, the value the estimate within 365 days
    j11 = _get(period, "J11", "within 365 days")
    assert j11["numerator"] <= j11["denominator"]


def test_every_row_without_an_interval_has_a_reason(period):
    """The reason a figure has no interval comes from the library (the web page and its JSON
    show it): every method that leaves rows without an interval has its own sentence."""
    from uncounted.justice import no_interval_reason
    from uncounted.justice.indicators import NO_INTERVAL

    bare = period.filter(pl.col("lower").is_null() & pl.col("value").is_not_null())
    assert bare.height > 0
    assert set(bare["method"]) <= set(NO_INTERVAL)
    assert "count of the records" in no_interval_reason("count")
    assert "boundary" in no_interval_reason("kaplan-meier")
    assert no_interval_reason(None) == "no interval is defined for this figure"
