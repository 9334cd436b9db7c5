"""Benchmark: link 50 000 and 1 000 000 agencies' records from six lists on DuckDB.

Each job runs in a fresh process (so peak memory — the resident set size, ``ru_maxrss`` of the
child — is the job's own) on records from ``simulate.agency_records.population_records`` with
six lists (the five default ones and a shelter list) and the heavy noise profile
(``RecordNoise.heavy()``; ``--noise default`` for the default one). It prints the wall time
of the whole linkage (normalise + train + score + cluster; generating the records is not
timed), the time of each step, peak memory, the number of scored pairs, and against the
truth at the match threshold:

- pairwise precision and recall (every pair of records in one cluster is a predicted match;
  Christen 2012, §7.3) of the clusters the library gives (one list holds a person once,
  ``resolve_clusters``) and, for comparison, of plain connected components of the same pairs;
- B-cubed precision, recall and F1 (Bagga & Baldwin 1998; ``bcubed_accuracy``).

``--encoded`` also links the same records through keyed, hardened Bloom-filter encodings
(``encode_records`` with a random project secret) and prints the same figures for them.

Baseline, measured in the same run on the same records: deterministic linkage on exact
equality of the name key and birth year (a Polars self-join, connected components) — what a
spreadsheet de-duplication does. Targets: precision, recall and B-cubed F1 >= 0.95 at a
million records in under 10 minutes on 2 cores with DuckDB.

    .venv/bin/python benchmarks/bench_linkage.py [--sizes 50000,1000000] [--spark ""]
        [--noise heavy|default] [--threshold 0.9] [--seed 1] [--encoded 50000] [--drop phone]
"""

from __future__ import annotations

import argparse
import json
import resource
import secrets
import subprocess
import sys
import time

#: The five default lists and a sixth, a shelters' list across the region.
SIX_LISTS: tuple[tuple[str, str, float], ...] = (
    ("POLICE-PH", "PH", 0.9),
    ("POLICE-TH", "TH", 0.8),
    ("NGO-SEA", "", 0.25),
    ("LAB-INSP", "", 0.2),
    ("IOM-RET", "", 0.15),
    ("SHELTER", "", 0.2),
)


def _job(  # type: ignore[type-arg]
    size: int,
    backend: str,
    noise_name: str,
    threshold: float,
    encoded: bool,
    seed: int = 1,
    also: tuple[float, ...] = (),
    drop: tuple[str, ...] = (),
) -> dict:
    from dataclasses import replace

    import polars as pl

    from uncounted.linkage import (
        LinkageSettings,
        bcubed_accuracy,
        cluster_records,
        link_records,
        pairwise_accuracy,
        prepare_records,
    )
    from uncounted.linkage.pipeline import individuals
    from uncounted.simulate.agency_records import RecordNoise, population_records

    noise = RecordNoise.heavy() if noise_name == "heavy" else RecordNoise()
    people = int(size / 1.05)  # about 1.05 records per person with these six lists
    world = population_records(people, seed=seed, noise=noise, lists=SIX_LISTS)
    records = world.records
    if drop:  # a field no agency recorded: blank in every record
        records = records.with_columns(pl.lit(None, dtype=records.schema[c]).alias(c) for c in drop)
    truth = records.select(pl.col("record_id").alias("unique_id"), "person")
    out: dict[str, object] = {
        "records": records.height,
        "backend": backend,
        "mode": "encoded" if encoded else "plain",
        "seed": seed,
    }

    if not encoded:
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
    settings = LinkageSettings(backend=backend, match_threshold=threshold)
    secret = secrets.token_bytes(32) if encoded else None
    run = link_records(records, settings, secret=secret)
    seconds = time.perf_counter() - start
    prepared_ids = records.select(pl.col("record_id").cast(pl.String).alias("unique_id"), "agency")
    acc = pairwise_accuracy(run.clusters, truth)
    b3 = bcubed_accuracy(run.clusters, truth)
    components = cluster_records(run.clusters["unique_id"], run.pairs, threshold)
    cc = pairwise_accuracy(components, truth)
    out.update(
        seconds=seconds,
        individuals=run.individuals,
        people=truth["person"].n_unique(),
        steps=run.scored.timings,
        pairs=run.scored.pairs.height,
        precision=acc.precision,
        recall=acc.recall,
        b3_precision=b3.precision,
        b3_recall=b3.recall,
        b3_f1=b3.f1,
        cc_precision=cc.precision,
        cc_recall=cc.recall,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    # the same scored pairs re-clustered at other thresholds (cheap): the trade-off curve
    others: dict[str, list[float]] = {}
    for t in also:
        moved = individuals(prepared_ids, run.pairs, replace(settings, match_threshold=t))
        a, b = pairwise_accuracy(moved, truth), bcubed_accuracy(moved, truth)
        others[str(t)] = [a.precision, a.recall, b.f1]
    out["thresholds"] = others
    return out


def _child(size: int, backend: str, args: argparse.Namespace, encoded: bool) -> dict:  # type: ignore[type-arg]
    cmd = [sys.executable, __file__, "--child", str(size), "--backend", backend]
    cmd += ["--noise", args.noise, "--threshold", str(args.threshold), "--seed", str(args.seed)]
    cmd += ["--also", args.also, "--drop", args.drop]
    if encoded:
        cmd.append("--child-encoded")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        lines = proc.stderr.strip().splitlines()
        errors = [line for line in lines if "Error" in line or "Exception" in line]
        return {"records": size, "backend": backend, "error": (errors or lines or [""])[-1][:400]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50000,1000000")
    parser.add_argument("--spark", default="", help="Sizes on Spark (empty: none).")
    parser.add_argument("--encoded", default="", help="Sizes also linked on encodings.")
    parser.add_argument("--noise", default="heavy", choices=("heavy", "default"))
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=1, help="Seed of the simulated records.")
    parser.add_argument(
        "--also", default="", help="Other thresholds to re-cluster the same pairs at (0.5,0.7)."
    )
    parser.add_argument(
        "--drop", default="", help="Fields blanked in every record (e.g. phone), comma-separated."
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-encoded", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="duckdb", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = _job(
            args.child,
            args.backend,
            args.noise,
            args.threshold,
            args.child_encoded,
            args.seed,
            tuple(float(t) for t in args.also.split(",") if t),
            tuple(c for c in args.drop.split(",") if c),
        )
        print(json.dumps(result))
        return
    jobs = [(int(s), "duckdb", False) for s in args.sizes.split(",") if s]
    jobs += [(int(s), "duckdb", True) for s in args.encoded.split(",") if s]
    jobs += [(int(s), "spark", False) for s in args.spark.split(",") if s]
    dropped = f", without {args.drop}" if args.drop else ""
    print(
        f"noise {args.noise}, six lists, seed {args.seed}, match threshold {args.threshold}"
        + dropped
    )
    header = (
        f"{'backend':8} {'mode':7} {'records':>9} {'seconds':>8} {'peak MB':>8} {'pairs':>10} "
        f"{'prec':>6} {'recall':>6} {'B3 P':>6} {'B3 R':>6} {'B3 F1':>6} | "
        f"{'CC prec':>7} {'CC rec':>6} | {'exact-key s':>11} {'prec':>6} {'recall':>6}"
    )
    print(header)
    print("-" * len(header))
    for size, backend, encoded in jobs:
        r = _child(size, backend, args, encoded)
        if "error" in r:
            print(f"{backend:8} {size:>9} failed: {r['error']}")
            continue
        baseline = (
            f"{float(r['baseline_seconds']):>11.1f} {float(r['baseline_precision']):>6.3f} "
            f"{float(r['baseline_recall']):>6.3f}"
            if "baseline_seconds" in r
            else ""
        )
        print(
            f"{backend:8} {r['mode']!s:7} {r['records']:>9} {float(r['seconds']):>8.1f} "
            f"{float(r['peak_mb']):>8.0f} {r['pairs']:>10} {float(r['precision']):>6.3f} "
            f"{float(r['recall']):>6.3f} {float(r['b3_precision']):>6.3f} "
            f"{float(r['b3_recall']):>6.3f} {float(r['b3_f1']):>6.3f} | "
            f"{float(r['cc_precision']):>7.3f} {float(r['cc_recall']):>6.3f} | {baseline}"
        )
        print(f"{'':8} individuals {r['individuals']} for {r['people']} people")
        steps = r["steps"]
        print(f"{'':8} steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
        for t, (p, rec, f1) in r.get("thresholds", {}).items():
            print(f"{'':8} at threshold {t}: precision {p:.3f}, recall {rec:.3f}, B3 F1 {f1:.3f}")


if __name__ == "__main__":
    main()
