"""The demo stores the agencies' raw records; its headline and ``uncounted link run --demo``
link those stored records, and agree."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from uncounted.cli.main import main
from uncounted.demo import build_demo, demo_keyring, demo_url
from uncounted.linkage import pairwise_accuracy
from uncounted.linkage.pipeline import estimate_saved_run
from uncounted.prevalence import LogLinearEstimator
from uncounted.settings import Settings, get_settings
from uncounted.simulate import WorldConfig
from uncounted.store.db import make_engine
from uncounted.store.linkage_records import record_lists

pytestmark = pytest.mark.slow  # links a small world twice: about 30 s on two shared cores


@pytest.fixture
def linked_demo(tmp_path, monkeypatch):
    """A small demo built with its headline linked, as ``uncounted demo`` builds it."""
    data = tmp_path / "data"
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(data))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    result = build_demo(Settings(data_dir=data), WorldConfig(seed=4, n_victims=800))
    yield result
    get_settings.cache_clear()


def test_the_headline_links_the_stored_records_and_link_run_agrees(linked_demo, capsys):
    result = linked_demo
    lines = result.headlines
    memberships = result.world.frames["list_memberships"]
    summary = lines["estimate from the agencies' linked records (headline)"]
    linked, individuals = (int(x.replace(",", "")) for x in re.findall(r"[\d,]+", summary))
    assert linked == memberships.height == result.record_truth.height == 403
    seen = memberships["person_id"].n_unique()
    assert 0.8 * seen <= individuals < linked  # the records were linked, not left apart
    assert 290 <= individuals <= 310  # measured: 299 (403 records of 293 people)
    assert lines["  true number of victims (known only in this synthetic world)"] == "800"
    blocking = lines["  true pairs the blocking rules compare (estimated)"]
    assert blocking.endswith("; the rest drawn too") and 80 <= int(blocking.split("%")[0]) <= 100
    estimate = next(v for k, v in lines.items() if k.startswith("  Mth Darroch"))
    est, low, high = (float(x.replace(",", "")) for x in re.findall(r"[\d,.]+", estimate))
    assert low <= est <= high and est >= individuals
    precision, recall = (
        float(x) for x in lines[next(k for k in lines if "accuracy" in k)].split(" / ")
    )
    assert precision > 0.95 and recall > 0.85  # measured: 0.992 / 0.918

    # `uncounted link run --demo` links the same stored records into the same individuals
    assert main(["link", "run", "--demo", "--format", "json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["records"] == linked and run["individuals"] == individuals
    folder = get_settings().data_dir / "linkage"
    saved = sorted(folder.iterdir())[-1]
    clusters = pl.read_parquet(saved / "clusters.parquet")
    accuracy = pairwise_accuracy(clusters, result.record_truth)
    assert (round(accuracy.precision, 3), round(accuracy.recall, 3)) == (precision, recall)
    assert accuracy.precision > 0.95 and accuracy.recall > 0.85

    # the review queue of that run, and the estimate from it (what the web page shows)
    assert main(["link", "review", "--demo", "--limit", "2", "--format", "json"]) == 0
    queue = json.loads(capsys.readouterr().out)["rows"]
    stored = set(result.record_truth["unique_id"])
    assert queue and {str(r["record_l"]) for r in queue} <= stored
    engine = make_engine(demo_url(get_settings()), demo_keyring(get_settings()))
    try:
        lists = record_lists(engine)
    finally:
        engine.dispose()
    assert lists.height == linked
    from_run = estimate_saved_run(lists, saved, LogLinearEstimator, draws=0)
    assert from_run.individuals == individuals and from_run.records == linked
