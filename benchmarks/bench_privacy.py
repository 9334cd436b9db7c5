"""Benchmark: keyed Bloom-filter encoding (``encode_records``) of 50 000 to 1 000 000 records.

The records are those of ``benchmarks/bench_linkage.py`` (six lists, ``RecordNoise.heavy()``,
seed 1), prepared once (``prepare_records``, not timed) and written to a temporary Parquet
file. Each job encodes them in a fresh process (so peak memory — ``ru_maxrss`` of the child —
is the job's own) with the default settings (balanced filters of 1 024 bits, k = 15) and a
random secret shared by the jobs of one size, and prints the wall and CPU time of the
encoding (CPU time is the steadier figure on a shared machine), the peak memory of the
process, the memory the encoding added (peak minus the resident set size just before it) and
whether the output is identical to the baseline's.

Baseline, in the same run on the same records: the record-by-record encoder kept unchanged
in ``tests/linkage/privacy_reference.py`` (one HMAC per distinct name word and value, but
Python lists for every record and filter) — the encoder before the vectorised one.

    PYTHONPATH=src python benchmarks/bench_privacy.py [--sizes 50000,200000,1000000]
        [--no-before 1000000]

Jobs over 200 000 records should run one at a time on a shared machine (wrap the command in
``flock``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _job(path: str, implementation: str) -> dict[str, object]:
    """One encoding in this process; the secret comes on standard input (never in argv,
    which any user of the machine can read in ``ps``)."""
    import polars as pl

    secret_hex = sys.stdin.readline().strip()

    if implementation == "before":
        sys.path.insert(0, str(ROOT))
        from tests.linkage.privacy_reference import encode_records_reference as encode
    else:
        from uncounted.linkage.privacy import encode_records as encode
    prepared = pl.read_parquet(path)
    before = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    encoded = encode(prepared, bytes.fromhex(secret_hex))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    digest = hashlib.sha256(encoded.hash_rows(seed=1).to_numpy().tobytes()).hexdigest()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak,
        "added_mb": peak - before,
        "rows": encoded.height,
        "digest": digest,
    }


def _child(path: Path, secret: bytes, implementation: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", str(path), implementation]
    proc = subprocess.run(
        cmd, input=secret.hex() + "\n", capture_output=True, text=True, check=False
    )
    if proc.returncode:
        lines = proc.stderr.strip().splitlines()
        return {"error": (lines or [""])[-1][:400]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _prepared(size: int, folder: Path) -> tuple[Path, int]:
    from bench_linkage import SIX_LISTS

    from uncounted.linkage import prepare_records
    from uncounted.simulate.agency_records import RecordNoise, population_records

    world = population_records(int(size / 1.05), seed=1, noise=RecordNoise.heavy(), lists=SIX_LISTS)
    prepared = prepare_records(world.records)
    path = folder / f"prepared-{size}.parquet"
    prepared.write_parquet(path)
    return path, prepared.height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50000,200000,1000000")
    parser.add_argument("--no-before", default="", help="Sizes run without the baseline.")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_job(*args.child)))
        return
    skip = {int(s) for s in args.no_before.split(",") if s}
    header = (
        f"{'records':>9} {'encoder':8} {'seconds':>8} {'CPU s':>7} {'peak MB':>8} {'added MB':>9} "
        f"{'speed-up':>8} {'same output':>11}"
    )
    print("six lists, heavy noise, seed 1; balanced filters, 1 024 bits, k = 15")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",") if s):
            path, rows = _prepared(size, Path(tmp))
            secret = secrets.token_bytes(32)
            runs = {"before": _child(path, secret, "before")} if size not in skip else {}
            runs["after"] = _child(path, secret, "after")
            path.unlink()
            base: dict[str, Any] = runs.get("before", {})
            for name, r in runs.items():
                if "error" in r:
                    print(f"{rows:>9} {name:8} failed: {r['error']}")
                    continue
                speed = (
                    f"{base['seconds'] / r['seconds']:>7.1f}x"
                    if name == "after" and "seconds" in base
                    else ""
                )
                same = (
                    ("yes" if r["digest"] == base["digest"] else "NO")
                    if name == "after" and "digest" in base
                    else ""
                )
                print(
                    f"{rows:>9} {name:8} {r['seconds']:>8.1f} {r['cpu_seconds']:>7.1f} "
                    f"{r['peak_mb']:>8.0f} {r['added_mb']:>9.0f} "
                    f"{speed:>8} {same:>11}"
                )


if __name__ == "__main__":
    main()
