"""The same model on Splink's Spark backend (local mode), on a small job."""

from __future__ import annotations

import os

import polars as pl
import pytest

from uncounted.linkage import LinkageSettings, link_records, pairwise_accuracy
from uncounted.simulate.agency_records import population_records

pytest.importorskip("pyspark")


@pytest.mark.slow
@pytest.mark.skipif(
    not (os.environ.get("UNCOUNTED_SPARK_TESTS") or os.environ.get("CI")),
    reason="Spark local mode takes about 40 s here for 700 records (a JVM and dozens of Spark "
    "jobs per Splink step); CI runs it, and UNCOUNTED_SPARK_TESTS=1 runs it here.",
)
def test_spark_backend_links_like_duckdb():
    """Linked in a process whose Spark session was started before without Splink's jar (as
    the screening module's is): the linkage adds the jar its string similarities need."""
    from pyspark.sql import SparkSession

    SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    world = population_records(700, seed=5)
    truth = world.records.select(pl.col("record_id").alias("unique_id"), "person")
    results = {}
    for backend in ("duckdb", "spark"):
        run = link_records(world.records, LinkageSettings(backend=backend, spark_partitions=2))
        results[backend] = pairwise_accuracy(run.clusters, truth)
        assert run.summary()["backend"] == backend
    print({k: (round(v.precision, 3), round(v.recall, 3)) for k, v in results.items()})
    assert results["spark"].recall >= 0.9
    assert results["spark"].precision >= 0.9
    assert abs(results["spark"].recall - results["duckdb"].recall) < 0.03
