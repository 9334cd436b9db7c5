"""The demo's headline estimate comes from the agencies' raw records, linked."""

from __future__ import annotations

import re

from uncounted.demo import linked_headline
from uncounted.simulate import WorldConfig, simulate_world


def test_the_headline_links_raw_records_and_shows_the_truth_and_the_accuracy():
    world = simulate_world(WorldConfig(seed=4, n_victims=800))
    lines = linked_headline(world)
    records = world.frames["list_memberships"].height
    summary = lines["estimate from the agencies' linked records (headline)"]
    linked, individuals = (int(x.replace(",", "")) for x in re.findall(r"[\d,]+", summary))
    assert linked == records  # one raw record per sighting, none pre-linked
    seen = world.frames["list_memberships"]["person_id"].n_unique()
    assert 0.8 * seen <= individuals < records  # the records were linked, not left apart
    assert lines["  true number of victims (known only in this synthetic world)"] == "800"
    estimate = next(v for k, v in lines.items() if k.startswith("  Mth Darroch"))
    est, low, high = (float(x.replace(",", "")) for x in re.findall(r"[\d,.]+", estimate))
    assert low <= est <= high and est >= individuals
    precision, recall = (
        float(x) for x in lines[next(k for k in lines if "accuracy" in k)].split(" / ")
    )
    assert precision > 0.8 and recall > 0.7
