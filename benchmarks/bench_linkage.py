"""Benchmark: link 100 000 and 1 000 000 agencies' records on DuckDB, and 100 000 on Spark.

Each job runs in a fresh process (so peak memory — the resident set size, ``ru_maxrss`` of the
child — is the job's own) on records from ``simulate.agency_records.population_records`` with
the default noise, and prints records linked per second (normalise + train + score + cluster;
generating the records is not timed), the time of each step, peak memory, the number of
scored pairs and the pairwise precision and recall against the truth at the default threshold.

Baseline, measured in the same run on the same records: deterministic linkage on exact
equality of the name key and birth year (a Polars self-join and the same clustering) — what a
spreadsheet de-duplication does. Goal (issue 6): 1 M records in under 10 minutes on 2 cores
with DuckDB.

    .venv/bin/python benchmarks/bench_linkage.py [--sizes 100000,1000000] [--spark 100000]
        [--noise default|heavy]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _job(size: int, backend: str, noise: str = "default") -> dict[str, object]:
    import polars as pl

    from uncounted.linkage import (
        LinkageSettings,
        cluster_records,
        link_records,
        pairwise_accuracy,
        prepare_records,
    )
    from uncounted.simulate.agency_records import RecordNoise, population_records

    people = int(size / 0.875)  # about 0.875 records per person with the default lists
    profile = RecordNoise.heavy() if noise == "heavy" else RecordNoise()
    world = population_records(people, seed=1, noise=profile)
    records = world.records
    truth = records.select(pl.col("record_id").alias("unique_id"), "person")
    out: dict[str, object] = {"records": records.height, "backend": backend}

    start = time.perf_counter()
    prepared = prepare_records(records)
    exact = (
        prepared.filter(pl.col("name_key").is_not_null())
        .join(prepared, on=["name_key", "birth_year"], suffix="_r")
        .filter(pl.col("unique_id") < pl.col("unique_id_r"))
        .select(
            pl.col("unique_id").alias("unique_id_l"),
            "unique_id_r",
            pl.lit(1.0).alias("match_probability"),
        )
    )
    base = pairwise_accuracy(cluster_records(prepared["unique_id"], exact, 0.5), truth)
    out["baseline_seconds"] = time.perf_counter() - start
    out["baseline_precision"], out["baseline_recall"] = base.precision, base.recall

    start = time.perf_counter()
    run = link_records(records, LinkageSettings(backend=backend))
    seconds = time.perf_counter() - start
    acc = pairwise_accuracy(run.clusters, truth)
    out.update(
        seconds=seconds,
        steps=run.scored.timings,
        pairs=run.scored.pairs.height,
        precision=acc.precision,
        recall=acc.recall,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    return out


def _child(size: int, backend: str, noise: str = "default") -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(size), "--backend", backend, "--noise", noise],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        lines = proc.stderr.strip().splitlines()
        errors = [line for line in lines if "Error" in line or "Exception" in line]
        return {"records": size, "backend": backend, "error": (errors or lines or [""])[-1][:400]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--spark", default="100000", help="Sizes on Spark (empty: none).")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="duckdb", help=argparse.SUPPRESS)
    parser.add_argument("--noise", default="default", choices=("default", "heavy"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_job(args.child, args.backend, args.noise)))
        return
    jobs = [(int(s), "duckdb") for s in args.sizes.split(",") if s]
    jobs += [(int(s), "spark") for s in args.spark.split(",") if s]
    header = (
        f"{'backend':8} {'records':>9} {'seconds':>8} {'rec/s':>8} {'peak MB':>8} "
        f"{'pairs':>10} {'prec':>6} {'recall':>6} | {'exact-key baseline s':>20} "
        f"{'prec':>6} {'recall':>6}"
    )
    print(header)
    print("-" * len(header))
    for size, backend in jobs:
        r = _child(size, backend, args.noise)
        if "error" in r:
            print(f"{backend:8} {size:>9} failed: {r['error']}")
            continue
        secs = float(r["seconds"])
        print(
            f"{backend:8} {r['records']:>9} {secs:>8.1f} {int(r['records']) / secs:>8.0f} "
            f"{float(r['peak_mb']):>8.0f} {r['pairs']:>10} {float(r['precision']):>6.3f} "
            f"{float(r['recall']):>6.3f} | {float(r['baseline_seconds']):>20.1f} "
            f"{float(r['baseline_precision']):>6.3f} {float(r['baseline_recall']):>6.3f}"
        )
        steps = r["steps"]
        print(f"{'':8} steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))


if __name__ == "__main__":
    main()
