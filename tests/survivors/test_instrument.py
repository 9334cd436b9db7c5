"""The shipped instrument matches the synthetic world, and instruments load from YAML."""

from __future__ import annotations

import pytest
import yaml

from uncounted.errors import InvalidInput
from uncounted.simulate.survivors import ASSESSMENT_ITEMS, INSTRUMENT_ID
from uncounted.survivors import (
    DEFAULT_INSTRUMENT_ID,
    default_instrument,
    load_instrument,
    parse_instrument,
)


def test_default_instrument_is_the_one_the_world_uses():
    tool = default_instrument()
    assert tool.id == INSTRUMENT_ID == DEFAULT_INSTRUMENT_ID
    assert {d.id: d.item_ids for d in tool.domains} == ASSESSMENT_ITEMS
    assert (tool.scale.min, tool.scale.max) == (1, 4)
    assert tool.threshold == 3.0 and tool.restoration.threshold_is_assumption
    assert tool.schedule.visit_months(40) == [0, 6, 12, 24, 36]
    assert all(d.support_plan_types for d in tool.domains)
    assert all(i.wording for d in tool.domains for i in d.items)


def test_an_edited_copy_loads_from_a_file(tmp_path):
    raw = default_instrument().model_dump(mode="json")
    raw["id"] = "my-programme-v2"
    raw["restoration"]["threshold"] = 2.5
    raw["schedule"]["visits_months"] = [0, 3, 6]
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(raw), "utf-8")
    tool = load_instrument(path)
    assert tool.id == "my-programme-v2" and tool.threshold == 2.5
    assert tool.schedule.visit_months(20) == [0, 3, 6, 18]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["domains"][0].update(support_plan_types=["Spa"]), "not a support_plan_type"),
        (
            lambda r: r["domains"][1]["items"].append({"id": "safety.housing", "wording": "x"}),
            "appears twice",
        ),
        (lambda r: r["restoration"].update(threshold=5), "threshold must lie on the scale"),
        (lambda r: r["schedule"].update(visits_months=[6, 12]), "must start at 0"),
        (lambda r: r.update(colour="red"), "colour"),
    ],
)
def test_invalid_instruments_are_refused_with_the_field_named(change, message):
    raw = default_instrument().model_dump(mode="json")
    change(raw)
    with pytest.raises(InvalidInput, match=message):
        parse_instrument(yaml.safe_dump(raw), source="mine.yaml")


def test_unreadable_or_malformed_files(tmp_path):
    with pytest.raises(InvalidInput, match="Cannot read the instrument file"):
        load_instrument(tmp_path / "absent.yaml")
    with pytest.raises(InvalidInput, match="YAML mapping"):
        parse_instrument("- just\n- a list\n")
