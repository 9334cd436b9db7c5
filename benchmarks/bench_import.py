"""Benchmark: import 1 000 000 list memberships and 200 000 justice events into SQLite.

Prints rows per second and peak memory (resident set size) of each import, each run in a fresh
process, next to a baseline measured in the same run: the same rows written with
``store.bulk.insert_frames`` (no reading, no validation, no upserts). Goal (issue 3):
≥ 20 000 rows/s with memory under 1 GB.

    .venv/bin/python benchmarks/bench_import.py [--memberships 1000000] [--events 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("report", "investigation", "arrest", "charge", "trial", "verdict", "sentence")
LISTS = ("NGO-A", "NGO-B", "POLICE", "LABOUR", "HOTLINE")


def _write_files(folder: Path, memberships: int, events: int) -> dict[str, Path]:
    persons = max(memberships // 2, events // 4)
    cases = max(1, events // 10)
    files = {
        name: folder / f"{name}.csv"
        for name in ("agencies", "persons", "cases", "list_memberships", "justice_events")
    }
    with files["agencies"].open("w") as f:
        f.write("code,name,org_type,country\n")
        for code in LISTS:
            f.write(f"{code},{code} agency,NGO,PH\n")
    with files["persons"].open("w") as f:  # the two people of each case's events are in it
        f.write("external_id,sex,birth_year,citizenship,case,role\n")
        for i in range(persons):
            role = f"C{i // 2},suspect" if i < 2 * cases else ","
            f.write(f"P{i},{'Female' if i % 3 else 'Male'},{1960 + i % 50},PH,{role}\n")
    with files["cases"].open("w") as f:
        f.write("external_id,status,exploitation_type,jurisdiction,opened_on\n")
        for i in range(cases):
            f.write(f"C{i},Active,ForcedLabour,PH,2020-01-01\n")
    with files["list_memberships"].open("w") as f:
        f.write("person,list,period,recorded_on\n")
        n = 0
        for year in range(2000, 2100):
            for code in LISTS:
                for i in range(persons):
                    if n >= memberships:
                        break
                    if (i + year) % 2 == 0:
                        f.write(f"P{i},{code},{year},{min(year, 2025)}-03-01\n")
                        n += 1
                if n >= memberships:
                    break
            if n >= memberships:
                break
    with files["justice_events"].open("w") as f:
        f.write("external_id,case,person,stage,occurred_on,jurisdiction\n")
        start = dt.date(2020, 1, 1)
        for n in range(events):
            case, k = divmod(n, 10)
            person = f"P{case * 2 + k // len(STAGES)}"
            stage = STAGES[k % len(STAGES)]
            on = start + dt.timedelta(days=30 * (k % len(STAGES)) + case % 365)
            f.write(f"E{n},C{case},{person},{stage},{on},PH\n")
    return files


def _child(url: str, step: str, path: str, source: str | None) -> None:
    """Run one import (or the bulk baseline) and print its timing and peak memory as JSON."""
    from uncounted.ingest import import_file
    from uncounted.store.db import make_engine

    engine = make_engine(url)
    started, cpu = time.perf_counter(), time.process_time()
    if step == "baseline":
        _baseline(engine, Path(path))
        with Path(path).open() as f:
            rows = sum(1 for _ in f) - 1
    else:
        result = import_file(engine, path, step, source=source)
        rows = result.rows_total
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb}))


def _baseline(engine: object, path: Path) -> None:
    """The same list memberships through ``insert_frames``: ids resolved in Polars, no checks."""
    import polars as pl

    from uncounted.store.bulk import insert_frames
    from uncounted.store.frames import read_table

    members = pl.read_csv(path, try_parse_dates=True)
    persons = read_table(engine, "persons").select(  # type: ignore[arg-type]
        pl.col("id").alias("person_id"), pl.col("external_id").alias("person")
    )
    agencies = read_table(engine, "agencies").select(  # type: ignore[arg-type]
        pl.col("id").alias("agency_id"), pl.col("code").alias("list")
    )
    frame = (
        members.join(persons, on="person")
        .join(agencies, on="list")
        .select("person_id", "agency_id", pl.col("period").cast(pl.String), "recorded_on")
    )
    insert_frames(engine, {"list_memberships": frame})  # type: ignore[arg-type]


def _run(url: str, step: str, path: Path, source: str | None = None) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", url, step, str(path), source or ""]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--memberships", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, step, path, source = args.child
        _child(url, step, path, source or None)
        return
    from uncounted.store.db import make_engine, upgrade

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _write_files(folder, args.memberships, args.events)
        urls = {k: f"sqlite:///{folder / (k + '.sqlite')}" for k in ("import", "baseline")}
        for url in urls.values():
            upgrade(make_engine(url))
        table = []
        for step in ("agencies", "cases", "persons", "list_memberships", "justice_events"):
            source = None if step == "agencies" else "NGO-A"
            got = _run(urls["import"], step, files[step], source)
            table.append((f"import {step}", got))
            if step == "persons":  # the baseline store needs the same agencies and persons
                _run(urls["baseline"], "agencies", files["agencies"])
                _run(urls["baseline"], "cases", files["cases"], "NGO-A")
                _run(urls["baseline"], "persons", files["persons"], "NGO-A")
        base = _run(urls["baseline"], "baseline", files["list_memberships"])
        table.append(("baseline: insert_frames of list_memberships", base))
        again = _run(urls["import"], "list_memberships", files["list_memberships"], "NGO-A")
        table.append(("re-import list_memberships (unchanged)", again))
    print(
        f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
        "(CPU seconds show the cost without the wait for a shared machine)"
    )
    print(
        f"{'step':44} {'rows':>10} {'wall s':>7} {'rows/s':>8} {'CPU s':>7} "
        f"{'rows/CPU s':>10} {'peak MB':>8}"
    )
    for name, got in table:
        rate = got["rows"] / got["seconds"] if got["seconds"] else float("nan")
        cpu_rate = got["rows"] / got["cpu"] if got["cpu"] else float("nan")
        print(
            f"{name:44} {got['rows']:>10,.0f} {got['seconds']:>7.1f} {rate:>8,.0f} "
            f"{got['cpu']:>7.1f} {cpu_rate:>10,.0f} {got['peak_mb']:>8.0f}"
        )
    members = dict(table)["import list_memberships"]
    ratio = (members["cpu"] / members["rows"]) / (base["cpu"] / base["rows"])
    print(f"\nimport_file costs {ratio:.1f}x the CPU time per row of the unchecked bulk insert.")


if __name__ == "__main__":
    main()
