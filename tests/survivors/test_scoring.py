"""Scoring worked by hand: domain means, the half-answered rule, status, flags, rejections."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from uncounted.errors import DataQualityWarning, ImportRejected, NotFound
from uncounted.survivors import (
    case_plan_flags,
    default_instrument,
    latest_case_plan,
    score_assessment,
    score_domains,
    score_profiles,
)

TOOL = default_instrument()

#: A hand-worked assessment (survivor 7). Domain by domain:
#: safety (4, 3, 2) → 9/3 = 3.0, stable (3.0 is at the threshold);
#: legal (1, 2, 2) → 5/3 ≈ 1.667, below; mental (3, 3, 4, 4) → 14/4 = 3.5, stable;
#: economic (2, 3, —) → 2 of 3 answered (≥ half) → 5/2 = 2.5, below;
#: social (4, —, —) → 1 of 3 answered (< half) → missing; physical (3, 3, 3) → 3.0, stable.
WORKED = {
    "safety.housing": 4,
    "safety.threat": 3,
    "safety.risk_awareness": 2,
    "legal.documents": 1,
    "legal.case_support": 2,
    "legal.rights": 2,
    "mental.mood": 3,
    "mental.trauma": 3,
    "mental.coping": 4,
    "mental.self_worth": 4,
    "economic.income": 2,
    "economic.skills": 3,
    "economic.education": None,
    "social.family": 4,
    "physical.health": 3,
    "physical.access_care": 3,
    "physical.basic_needs": 3,
}


def test_hand_worked_profile():
    p = score_assessment(WORKED, TOOL, survivor=7)
    assert p.scores == pytest.approx(
        {
            "safety": 3.0,
            "legal": 5 / 3,
            "mental_wellbeing": 3.5,
            "economic": 2.5,
            "social": None,
            "physical": 3.0,
        }
    )
    assert p.status == {
        "safety": "stable",
        "legal": "below_threshold",
        "mental_wellbeing": "stable",
        "economic": "below_threshold",
        "social": "missing",
        "physical": "stable",
    }
    assert p.notes == {"social": "1 of 3 items answered; at least half are needed"}
    assert p.restored is False
    assert p.support_plan_types == {
        "legal": ["Legal"],
        "economic": ["Livelihood", "Education", "Financial"],
    }
    assert p.suggested_services == ["Legal", "Livelihood", "Education", "Financial"]


def test_half_the_items_is_enough_and_a_missing_domain_leaves_restoration_unknown():
    scores = {i: 3 for d in TOOL.domains for i in d.item_ids}
    scores.update({"mental.mood": 4, "mental.trauma": 3, "mental.coping": None})
    del scores["mental.self_worth"]  # 2 of 4 answered: (4 + 3) / 2 = 3.5
    assert score_assessment(scores, TOOL).scores["mental_wellbeing"] == 3.5
    assert score_assessment(scores, TOOL).restored is True
    scores.update({"legal.documents": None, "legal.case_support": None})  # 1 of 3: missing
    p = score_assessment(scores, TOOL)
    assert p.scores["legal"] is None and p.restored is None
    assert p.support_plan_types == {}


def test_out_of_range_and_unknown_items_are_rejected_with_survivor_item_and_value():
    bad = {**WORKED, "safety.threat": 5, "legal.rights": 0, "safety.weather": 2}
    with pytest.raises(ImportRejected) as caught:
        score_assessment(bad, TOOL, survivor=42)
    rows = caught.value.rows
    assert [(r.line, r.column, r.value) for r in rows] == [
        (2, "score", "5"),
        (6, "score", "0"),
        (18, "item", "safety.weather"),
    ]
    assert rows[0].reason == (
        "survivor 42, assessment 1, item 'safety.threat': score 5 is not on the 1–4 scale"
    )
    assert "unknown item 'safety.weather'" in rows[2].reason
    assert "survivor 42" in str(caught.value) and "3 item score(s) rejected" in str(caught.value)
    with pytest.raises(ImportRejected, match=re.escape("2.5 is not on the 1–4 scale")):
        score_assessment({"safety.housing": 2.5}, TOOL)  # type: ignore[dict-item]


def test_frames_score_many_assessments_and_skip_other_instruments():
    assessments = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "person_id": [10, 10, 11],
            "instrument_id": [TOOL.id, TOOL.id, "other-tool"],
            "assessed_on": [dt.date(2024, 1, 1), dt.date(2024, 7, 1), dt.date(2024, 1, 1)],
        }
    )
    items = pl.DataFrame(
        {
            "assessment_id": [1, 1, 2, 2, 3],
            "item": ["safety.housing", "safety.threat", "safety.housing", "safety.threat", "x"],
            "score": [1, 2, 4, 3, 99],
        }
    )
    with pytest.warns(DataQualityWarning, match="1 assessment"):
        domains = score_domains(assessments, items, TOOL)
    assert domains.height == 2 * len(TOOL.domains)
    safety = domains.filter(pl.col("domain") == "safety")
    assert safety["score"].to_list() == [1.5, 3.5]
    profiles = score_profiles(domains, TOOL)
    assert profiles["safety"].to_list() == [1.5, 3.5]
    assert profiles["restored"].to_list() == [False, None]
    flags = case_plan_flags(domains, TOOL)
    assert flags.select("assessment_id", "domain").rows() == [(1, "safety")]
    assert flags["support_plan_types"].to_list() == [["Safety", "Shelter"]]


def test_latest_case_plan_uses_the_latest_assessment():
    assessments = pl.DataFrame(
        {
            "id": [1, 2],
            "person_id": [7, 7],
            "instrument_id": [TOOL.id, TOOL.id],
            "assessed_on": [dt.date(2024, 7, 1), dt.date(2024, 1, 1)],
        }
    )
    items = pl.DataFrame(
        {
            "assessment_id": [1] * len(WORKED) + [2],
            "item": [*WORKED, "safety.housing"],
            "score": [*WORKED.values(), 1],
        }
    )
    plan = latest_case_plan(assessments, items, TOOL, 7)
    assert (plan.assessment_id, plan.assessed_on, plan.assessments) == (1, dt.date(2024, 7, 1), 2)
    assert plan.profile == score_assessment(WORKED, TOOL, survivor=7, assessed_on=plan.assessed_on)
    with pytest.raises(NotFound, match="Survivor 8 has no assessment"):
        latest_case_plan(assessments, items, TOOL, 8)
