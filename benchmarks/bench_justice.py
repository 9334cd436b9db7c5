"""Benchmark: all justice indicators on 1 M cases / ~10 M events, vs a plain pandas version.

Run:  .venv/bin/python benchmarks/bench_justice.py [--cases 1000000]

Each implementation runs in a fresh process on the same tables (written once to Parquet), so
its wall and CPU time, peak resident memory and the load average it ran under are its own.
The machine may be shared: compare the two rows of one run, not runs on different days.

The synthetic tables are generated vectorised here (``simulate_world`` builds cases one by one
and is meant for realism, not volume) with the stage probabilities and gamma delays of
:class:`uncounted.simulate.JusticeTruth`, censored at the end date. Both implementations
compute, over all time: the per-suspect and per-victim stage dates (pivot), J1–J6, J8, J9,
J12–J14, J16, J17 counts and rates, and the Kaplan–Meier conversion of every stage
transition plus J11 (J7) — the pandas baseline with ``lifelines.KaplanMeierFitter``, which
is what a straightforward implementation would use. The Uncounted timing is the public
``uncounted.justice.indicators`` (which also computes the truncation-corrected J10/J15
delays and intervals the baseline skips). Goal (issue 4): < 5 s and ≥ 10× on 2 cores.
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

import numpy as np
import pandas as pd
import polars as pl

from uncounted.justice import JusticeData, indicators
from uncounted.simulate import JusticeTruth

START, END = dt.date(2018, 1, 1), dt.date(2025, 6, 30)
STAGES = ("report", "investigation", "arrest", "charge", "trial", "verdict", "sentence", "appeal")


def generate(n_cases: int, seed: int = 1) -> dict[str, pl.DataFrame]:
    """Tables shaped like the store's, with about 10 events per case."""
    rng = np.random.default_rng(seed)
    t = JusticeTruth()
    span = (END - START).days
    end = span
    opened = rng.integers(0, span, n_cases)
    jur = rng.integers(1, 8, n_cases)
    etype = rng.choice(np.array(["SexualExploitation", "ForcedLabour", "Other"]), n_cases)
    n_sus = rng.integers(1, 4, n_cases)
    case_of_s = np.repeat(np.arange(1, n_cases + 1), n_sus)
    ns = case_of_s.size
    sus_id = np.arange(1, ns + 1) + 10 * n_cases
    start = opened[case_of_s - 1]
    events: list[pl.DataFrame] = []

    def emit(mask: np.ndarray, stage: str, day: np.ndarray, **extra: np.ndarray) -> None:
        keep = mask & (day <= end)
        idx = np.flatnonzero(keep)
        cols = {
            "case_id": case_of_s[idx],
            "person_id": sus_id[idx],
            "stage": np.full(idx.size, stage),
            "day": day[idx],
            "jurisdiction_id": jur[case_of_s[idx] - 1],
        }
        cols.update({k: v[idx] for k, v in extra.items()})
        events.append(pl.DataFrame(cols))

    def gap(key: str) -> np.ndarray:
        mean = t.mean_days[key]
        return np.maximum(1, np.round(rng.gamma(2.0, mean / 2.0, ns))).astype(np.int64)

    alive = np.ones(ns, bool)
    emit(alive, "report", start)
    day = start.copy()
    chain = [
        ("investigation", t.p_investigation, "report->investigation"),
        ("arrest", t.p_arrest, "investigation->arrest"),
        ("charge", t.p_charge, "arrest->charge"),
        ("trial", t.p_trial, "charge->trial"),
        ("verdict", 1.0, "trial->verdict"),
    ]
    offence = np.where(rng.random(ns) < t.p_trafficking_charge, "trafficking", "other")
    u = rng.random(ns)
    outcome = np.where(
        u < t.p_convicted,
        "convicted",
        np.where(u < t.p_convicted + t.p_acquitted, "acquitted", "dismissed"),
    )
    for stage, p, key in chain:
        alive &= (rng.random(ns) < p) & (day <= end)
        day = day + gap(key)
        extra: dict[str, np.ndarray] = {}
        if stage in ("charge", "trial", "verdict"):
            extra["offence"] = offence
        if stage == "verdict":
            extra["outcome"] = outcome
        if stage == "investigation":
            extra["joint_operation"] = rng.random(ns) < 0.2
        emit(alive, stage, day, **extra)
    verdict_day = day
    convicted = alive & (outcome == "convicted") & (verdict_day <= end)
    custodial = rng.random(ns) < t.p_custodial
    months = np.where(custodial, rng.integers(24, 180, ns), 0)
    emit(
        convicted,
        "sentence",
        verdict_day + gap("verdict->sentence"),
        offence=offence,
        sentence_months=months,
        custodial=custodial,
    )
    appealed = alive & (verdict_day <= end) & (rng.random(ns) < t.p_appeal)
    upheld = np.where(rng.random(ns) < t.p_upheld, "upheld", "overturned")
    emit(appealed, "appeal", verdict_day + gap("verdict->appeal"), outcome=upheld)
    # victims: 1–2 per case, identified, half of them testify when the case is tried
    n_vic = rng.integers(1, 3, n_cases)
    case_of_v = np.repeat(np.arange(1, n_cases + 1), n_vic)
    nv = case_of_v.size
    vic_id = np.arange(1, nv + 1)
    ident = opened[case_of_v - 1] + rng.integers(0, 10, nv)
    testify = (rng.random(nv) < 0.5) & (ident + 200 <= end)
    for mask, stage, day_v, extra_v in (
        (ident <= end, "identification", ident, {}),
        (
            testify,
            "trial",
            ident + 200,
            {"protective_measures": rng.random(nv) < 0.5, "compensation": rng.random(nv) < 0.15},
        ),
    ):
        idx = np.flatnonzero(mask)
        cols = {
            "case_id": case_of_v[idx],
            "person_id": vic_id[idx],
            "stage": np.full(idx.size, stage),
            "day": day_v[idx],
            "jurisdiction_id": jur[case_of_v[idx] - 1],
        }
        cols.update({k: v[idx] for k, v in extra_v.items()})
        events.append(pl.DataFrame(cols))
    base = pl.lit(START)
    ev = pl.concat(events, how="diagonal_relaxed").with_columns(
        (base + pl.duration(days=pl.col("day"))).alias("occurred_on")
    )
    for col, dtype in (
        ("outcome", pl.String),
        ("offence", pl.String),
        ("sentence_months", pl.Int64),
        ("custodial", pl.Boolean),
        ("protective_measures", pl.Boolean),
        ("compensation", pl.Boolean),
        ("joint_operation", pl.Boolean),
    ):
        if col not in ev.columns:
            ev = ev.with_columns(pl.lit(None, dtype).alias(col))
    ev = ev.drop("day")
    place = rng.integers(0, 30, nv)
    steps = pl.DataFrame(
        {
            "person_id": vic_id,
            "case_id": case_of_v,
            "step": "ShelterPlacement",
            "day": ident + place,
        }
    ).filter(pl.col("day") <= end)
    steps = steps.with_columns((base + pl.duration(days=pl.col("day"))).alias("occurred_on")).drop(
        "day"
    )
    persons = pl.DataFrame(
        {
            "id": np.concatenate([vic_id, sus_id]),
            "sex": rng.choice(np.array(["Female", "Male"]), nv + ns),
            "citizenship": rng.choice(np.array(["PH", "KH", "TH"]), nv + ns),
        }
    )
    case_persons = pl.concat(
        [
            pl.DataFrame(
                {
                    "case_id": case_of_v,
                    "person_id": vic_id,
                    "role": "victim",
                    "minor_at_exploitation": rng.random(nv) < 0.25,
                }
            ),
            pl.DataFrame(
                {
                    "case_id": case_of_s,
                    "person_id": sus_id,
                    "role": "suspect",
                    "minor_at_exploitation": None,
                },
                schema_overrides={"minor_at_exploitation": pl.Boolean},
            ),
        ]
    )
    cases = pl.DataFrame(
        {
            "id": np.arange(1, n_cases + 1),
            "status": "Active",
            "exploitation_type": etype,
            "jurisdiction_id": jur,
        }
    ).with_columns((base + pl.duration(days=pl.lit(0))).alias("opened_on"))
    linked = rng.choice(np.arange(1, n_cases + 1), n_cases // 10, replace=False)
    links = pl.DataFrame(
        {"case_id": linked[::2], "linked_case_id": linked[1::2][: linked[::2].size]}
    )
    places = pl.DataFrame(
        {"id": np.arange(1, 8), "country": ["PH", "KH", "TH", "MY", "ID", "MM", "AU"]}
    )
    return {
        "justice_events": ev,
        "case_persons": case_persons,
        "persons": persons,
        "cases": cases,
        "case_links": links,
        "aftercare_steps": steps,
        "jurisdictions": places,
    }


def pandas_baseline(tables: dict[str, pl.DataFrame], as_of: dt.date) -> dict[str, float]:
    """A straightforward pandas + lifelines implementation of the same measures."""
    from lifelines import KaplanMeierFitter

    ev = tables["justice_events"].to_pandas()
    roles = tables["case_persons"].to_pandas()[["case_id", "person_id", "role"]]
    ev = ev.merge(roles, on=["case_id", "person_id"], how="left")
    ev["occurred_on"] = pd.to_datetime(ev["occurred_on"])
    sus = ev[ev["role"] == "suspect"]
    dates = sus.pivot_table(
        index=["case_id", "person_id"], columns="stage", values="occurred_on", aggfunc="min"
    )
    first = sus.sort_values("occurred_on").groupby(["case_id", "person_id", "stage"]).first()
    out: dict[str, float] = {}
    vic = ev[ev["role"] == "victim"]
    out["J1"] = float((vic["stage"] == "identification").sum())
    cases = dates.groupby(level="case_id").min()
    out["J2"] = cases["investigation"].notna().sum() / cases["report"].notna().sum()
    out["J3"] = dates["arrest"].notna().sum() / dates["report"].notna().sum()
    out["J4"] = dates["charge"].notna().sum() / dates["arrest"].notna().sum()
    verdicts = first.xs("verdict", level="stage")
    out["J5"] = (verdicts["outcome"] == "convicted").mean()
    out["J6"] = (verdicts["outcome"] == "convicted").sum() / out["J1"]
    sentences = first.xs("sentence", level="stage")
    out["J9"] = ((sentences["custodial"] == True) & (sentences["sentence_months"] >= 48)).mean()  # noqa: E712
    appeals = first.xs("appeal", level="stage").join(verdicts[["outcome"]], rsuffix="_verdict")
    conv = appeals[appeals["outcome_verdict"] == "convicted"]
    out["J8"] = (conv["outcome"] == "upheld").mean()
    out["J12"] = dates["verdict"].notna().sum() / dates["charge"].notna().sum()
    ref = pd.Timestamp(as_of)
    pending = dates[dates["charge"].notna() & dates["verdict"].isna()]
    out["J13"] = float(((ref - pending["charge"]).dt.days).median())
    trials = vic[vic["stage"] == "trial"]
    out["J14"] = trials["protective_measures"].astype(bool).mean()
    kmf = KaplanMeierFitter()
    pairs = [
        ("report", "investigation"),
        ("investigation", "arrest"),
        ("arrest", "charge"),
        ("charge", "trial"),
        ("trial", "verdict"),
        ("verdict", "appeal"),
    ]
    for a, b in pairs:
        started = dates[dates[a].notna()]
        done = started[b].notna()
        t = (started[b].fillna(ref) - started[a]).dt.days.clip(lower=0)
        kmf.fit(t, done)
        out[f"J7 {a}->{b}"] = 1 - float(kmf.survival_function_.iloc[-1, 0])
        if (a, b) == ("charge", "trial"):
            pass
    started = dates[dates["charge"].notna()]
    t = (started["verdict"].fillna(ref) - started["charge"]).dt.days.clip(lower=0)
    kmf.fit(t, started["verdict"].notna())
    out["J11"] = 1 - float(kmf.survival_function_at_times(365).iloc[0])
    return out


def _resident_mb() -> float:
    """The current resident set (Linux), else the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_one(which: str, folder: str) -> None:
    """Child process: read the tables, time one implementation, print one JSON line."""
    tables = {f.stem: pl.read_parquet(f) for f in Path(folder).glob("*.parquet")}
    rss_loaded = _resident_mb()
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    if which == "uncounted":
        out = indicators(JusticeData.from_tables(tables, as_of=END))
        j5 = out.filter((pl.col("indicator") == "J5") & (pl.col("variant") == "all"))["value"][0]
    else:
        j5 = pandas_baseline(tables, END)["J5"]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": peak, "loaded_mb": rss_loaded,
                      "load": load, "load_end": os.getloadavg()[0], "j5": j5}))  # fmt: skip


def _child(which: str, folder: str) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", which, "--tables", folder]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--child", choices=("uncounted", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--tables", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _run_one(args.child, args.tables)
        return
    t0 = time.perf_counter()
    tables = generate(args.cases)
    gen = time.perf_counter() - t0
    n_events = tables["justice_events"].height
    with tempfile.TemporaryDirectory() as folder:
        for name, frame in tables.items():
            frame.write_parquet(Path(folder) / f"{name}.parquet")
        del tables
        # Each implementation in a fresh process on the same tables, one after the other.
        ours = _child("uncounted", folder)
        base = _child("pandas", folder)
    print(f"cases {args.cases:,}  events {n_events:,}  (generated in {gen:.1f} s)")
    print(f"{os.cpu_count()} CPUs; POLARS_MAX_THREADS={os.environ.get('POLARS_MAX_THREADS', '-')}")
    head = f"{'implementation':<30}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}{'tables MB':>10}"
    print(head + f"{'load avg (start→end)':>22}")
    for label, r in (("uncounted.justice.indicators", ours), ("pandas + lifelines", base)):
        print(
            f"{label:<30}{r['wall']:>8.2f}{r['cpu']:>8.2f}{r['peak_mb']:>9.0f}"
            f"{r['loaded_mb']:>10.0f}{r['load']:>14.1f} → {r['load_end']:.1f}"
        )
    ratio, cpu_ratio = base["wall"] / ours["wall"], base["cpu"] / ours["cpu"]
    print(f"speed-up (baseline / uncounted): wall {ratio:.1f}x, CPU time {cpu_ratio:.1f}x")
    print(f"check: J5 conviction rate uncounted {ours['j5']:.4f}  pandas {base['j5']:.4f}")
    print(
        f"goal: < 5 s -> {'met' if ours['wall'] < 5 else 'NOT met'}; >= 10x -> "
        f"{'met' if ratio >= 10 else 'NOT met'} (peak MB = the process's maximum resident "
        "set, reading the tables included; 'tables MB' = resident after reading them)"
    )


if __name__ == "__main__":
    main()
