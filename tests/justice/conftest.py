"""A hand-worked fixture of twelve cases (see test_indicators.py for every number by hand).

Jurisdictions: 1 = TH, 2 = KH. Observation date (as_of) 2024-12-31. Day offsets are written
next to each date so the hand calculations can be checked at a glance.

case  jur  type  suspects (path)                                              victims
  1   TH   SE    S101 report 01-01 +10 inv +20 arr +30 charge(T) +30 trial     V1 F minor
                 +90 verdict conv(T) +10 sentence 60m custodial, appeal +90 upheld
  2   TH   FL    S102 report 02-01 +10 inv(joint) +20 arr +30 charge(T) +30     V2 M adult (KH)
                 trial +120 verdict conv(OTHER: lesser charge) +10 sentence 24m custodial
  3   KH   FL    S103 report 03-01 +10 inv +30 arr +30 charge(T) +30 trial      (linked to case 2)
                 +90 verdict ACQUITTED
  4   TH   SE    S104 report 04-01 +10 inv +20 arr +30 charge(T) +30 trial      V3 F adult
                 +90 verdict DISMISSED
  5   TH   SE    S105 report 05-01 +10 inv +30 arr +30 charge(T) +30 trial      V4 F minor
                 (OPEN: no verdict by 12-31)
  6   TH   FL    S106 report 06-01 +10 inv(joint) +20 arr, not charged          V5 M adult
  7   TH   SE    S107 report 07-01 +10 inv, not arrested                        V6 F adult
  8   TH   OT    S108 report 08-01, not investigated                            V7 F minor
  9   KH   SE    S109 report 01-15 +10 inv +20 arr +30 charge(OTHER) +30 trial  V8 F minor
                 +90 verdict conv(OTHER) +10 sentence 0m non-custodial, appeal +90 OVERTURNED
 10   KH   FL    S110 report 09-01 +10 inv +20 arr (OPEN); S111 report 09-01    V9 M adult
                 +10 inv (OPEN)
 11   TH   SE    S112 report 2023-11-01 +10 inv +20 arr +35 charge(T) 2024-01-05  V10 F adult
                 +30 trial +90 verdict conv(T) +10 sentence 48m custodial, appeal +90 upheld
 12   TH   FL    S113 report 10-01 +10 inv (OPEN)                               V11 M adult
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from uncounted.justice import JusticeData

AS_OF = dt.date(2024, 12, 31)


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _plus(day: dt.date, n: int) -> dt.date:
    return day + dt.timedelta(days=n)


def _suspect_events(
    case: int, person: int, jur: int, report: str, steps: list[tuple[str, int, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Events of one suspect: each step is (stage, days after the previous *main* stage, extras).

    Sentence and appeal offsets are counted from the verdict."""
    rows = [{"case_id": case, "person_id": person, "stage": "report", "occurred_on": _d(report)}]
    on, verdict_on = _d(report), None
    for stage, days, extra in steps:
        base = verdict_on if stage in ("sentence", "appeal") and verdict_on else on
        when = _plus(base, days)
        rows.append(
            {"case_id": case, "person_id": person, "stage": stage, "occurred_on": when, **extra}
        )
        if stage not in ("sentence", "appeal"):
            on = when
        if stage == "verdict":
            verdict_on = when
    for r in rows:
        r["jurisdiction_id"] = jur
    return rows


T, OTH = {"offence": "trafficking"}, {"offence": "other"}


def _full(charge: dict[str, Any], verdict: dict[str, Any], v_days: int) -> list[Any]:
    return [("trial", 30, charge), ("verdict", v_days, verdict)]


def build_tables() -> dict[str, pl.DataFrame]:
    ev: list[dict[str, Any]] = []
    ev += _suspect_events(
        1,
        101,
        1,
        "2024-01-01",
        [
            ("investigation", 10, {"joint_operation": False}),
            ("arrest", 20, {}),
            ("charge", 30, T),
            *_full(T, {**T, "outcome": "convicted"}, 90),
            ("sentence", 10, {**T, "sentence_months": 60, "custodial": True}),
            ("appeal", 90, {"outcome": "upheld"}),
        ],
    )
    ev += _suspect_events(
        2,
        102,
        1,
        "2024-02-01",
        [
            ("investigation", 10, {"joint_operation": True}),
            ("arrest", 20, {}),
            ("charge", 30, T),
            *_full(T, {**OTH, "outcome": "convicted"}, 120),
            ("sentence", 10, {**OTH, "sentence_months": 24, "custodial": True}),
        ],
    )
    ev += _suspect_events(
        3,
        103,
        2,
        "2024-03-01",
        [
            ("investigation", 10, {}),
            ("arrest", 30, {}),
            ("charge", 30, T),
            *_full(T, {**T, "outcome": "acquitted"}, 90),
        ],
    )
    ev += _suspect_events(
        4,
        104,
        1,
        "2024-04-01",
        [
            ("investigation", 10, {}),
            ("arrest", 20, {}),
            ("charge", 30, T),
            *_full(T, {**T, "outcome": "dismissed"}, 90),
        ],
    )
    ev += _suspect_events(
        5,
        105,
        1,
        "2024-05-01",
        [
            ("investigation", 10, {}),
            ("arrest", 30, {}),
            ("charge", 30, T),
            ("trial", 30, T),
        ],
    )
    ev += _suspect_events(
        6,
        106,
        1,
        "2024-06-01",
        [
            ("investigation", 10, {"joint_operation": True}),
            ("arrest", 20, {}),
        ],
    )
    ev += _suspect_events(7, 107, 1, "2024-07-01", [("investigation", 10, {})])
    ev += _suspect_events(8, 108, 1, "2024-08-01", [])
    ev += _suspect_events(
        9,
        109,
        2,
        "2024-01-15",
        [
            ("investigation", 10, {}),
            ("arrest", 20, {}),
            ("charge", 30, OTH),
            *_full(OTH, {**OTH, "outcome": "convicted"}, 90),
            ("sentence", 10, {**OTH, "sentence_months": 0, "custodial": False}),
            ("appeal", 90, {"outcome": "overturned"}),
        ],
    )
    ev += _suspect_events(10, 110, 2, "2024-09-01", [("investigation", 10, {}), ("arrest", 20, {})])
    ev += _suspect_events(10, 111, 2, "2024-09-01", [("investigation", 10, {})])
    ev += _suspect_events(
        11,
        112,
        1,
        "2023-11-01",
        [
            ("investigation", 10, {}),
            ("arrest", 20, {}),
            ("charge", 35, T),
            *_full(T, {**T, "outcome": "convicted"}, 90),
            ("sentence", 10, {**T, "sentence_months": 48, "custodial": True}),
            ("appeal", 90, {"outcome": "upheld"}),
        ],
    )
    ev += _suspect_events(12, 113, 1, "2024-10-01", [("investigation", 10, {})])
    trial_of = {e["case_id"]: e["occurred_on"] for e in ev if e["stage"] == "trial"}
    # victims: (id, case, jurisdiction, sex, minor, citizenship, identified,
    #           testified protective/compensation or None, days to aftercare, days to repatriation)
    victims = [
        (1, 1, 1, "Female", True, "TH", "2024-01-01", (True, True), 10, None),
        (2, 2, 1, "Male", False, "KH", "2024-02-01", (False, False), 20, 60),
        (3, 4, 1, "Female", False, "TH", "2024-04-01", (True, False), None, None),
        (4, 5, 1, "Female", True, "TH", "2024-05-01", (True, False), 30, None),
        (5, 6, 1, "Male", False, "TH", "2024-06-01", None, None, None),
        (6, 7, 1, "Female", False, "TH", "2024-07-01", None, None, None),
        (7, 8, 1, "Female", True, "TH", "2024-08-01", None, None, None),
        (8, 9, 2, "Female", True, "KH", "2024-01-15", (False, True), 10, None),
        (9, 10, 2, "Male", False, "KH", "2024-09-01", None, None, None),
        (10, 11, 1, "Female", False, "TH", "2023-11-01", (True, False), None, None),
        (11, 12, 1, "Male", False, "TH", "2024-10-01", None, 7, None),
    ]
    steps: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    for vid, case, jur, sex, minor, citizen, ident, testified, care, home in victims:
        on = _d(ident)
        ev.append(
            {
                "case_id": case,
                "person_id": vid,
                "stage": "identification",
                "occurred_on": on,
                "jurisdiction_id": jur,
            }
        )
        if testified is not None:
            ev.append(
                {
                    "case_id": case,
                    "person_id": vid,
                    "stage": "trial",
                    "occurred_on": trial_of[case],
                    "jurisdiction_id": jur,
                    "protective_measures": testified[0],
                    "compensation": testified[1],
                }
            )
        if care is not None:
            steps.append(
                {
                    "person_id": vid,
                    "case_id": case,
                    "step": "ShelterPlacement",
                    "occurred_on": _plus(on, care),
                }
            )
        if home is not None:
            steps.append(
                {
                    "person_id": vid,
                    "case_id": case,
                    "step": "Repatriated",
                    "occurred_on": _plus(on, home),
                }
            )
        people.append({"id": vid, "sex": sex, "citizenship": citizen})
        roles.append(
            {"case_id": case, "person_id": vid, "role": "victim", "minor_at_exploitation": minor}
        )
    suspects = sorted({(e["case_id"], e["person_id"]) for e in ev if e["person_id"] > 100})
    for case, pid in suspects:
        people.append({"id": pid, "sex": "Female" if pid == 103 else "Male", "citizenship": None})
        roles.append(
            {"case_id": case, "person_id": pid, "role": "suspect", "minor_at_exploitation": None}
        )
    kinds = {
        1: "SE",
        2: "FL",
        3: "FL",
        4: "SE",
        5: "SE",
        6: "FL",
        7: "SE",
        8: "OT",
        9: "SE",
        10: "FL",
        11: "SE",
        12: "FL",
    }
    names = {"SE": "SexualExploitation", "FL": "ForcedLabour", "OT": "Other"}
    open_cases = {5, 10, 12}
    cases = [
        {
            "id": c,
            "status": "Active" if c in open_cases else "Closed",
            "exploitation_type": names[k],
            "jurisdiction_id": 2 if c in (3, 9, 10) else 1,
            "opened_on": min(e["occurred_on"] for e in ev if e["case_id"] == c),
        }
        for c, k in kinds.items()
    ]
    event_schema = {
        "case_id": pl.Int64,
        "person_id": pl.Int64,
        "stage": pl.String,
        "occurred_on": pl.Date,
        "jurisdiction_id": pl.Int64,
        "outcome": pl.String,
        "offence": pl.String,
        "sentence_months": pl.Int64,
        "custodial": pl.Boolean,
        "protective_measures": pl.Boolean,
        "compensation": pl.Boolean,
        "joint_operation": pl.Boolean,
    }
    full = [{k: e.get(k) for k in event_schema} for e in ev]
    return {
        "justice_events": pl.DataFrame(full, schema=event_schema, orient="row"),
        "case_persons": pl.DataFrame(roles),
        "persons": pl.DataFrame(
            people, schema={"id": pl.Int64, "sex": pl.String, "citizenship": pl.String}
        ),
        "cases": pl.DataFrame(cases),
        "case_links": pl.DataFrame({"id": [1], "case_id": [2], "linked_case_id": [3]}),
        "aftercare_steps": pl.DataFrame(steps),
        "jurisdictions": pl.DataFrame(
            {"id": [1, 2], "country": ["TH", "KH"], "subdivision": [None, None]},
            schema_overrides={"subdivision": pl.String},
        ),
    }


@pytest.fixture()
def hand_data() -> JusticeData:
    """The twelve hand-worked cases, observed to 2024-12-31, with a population table."""
    population = pl.DataFrame(
        {"jurisdiction": ["TH", "KH"], "year": [2024, 2024], "population": [1_000_000, 500_000]}
    )
    return JusticeData.from_tables(build_tables(), population=population, as_of=AS_OF)
