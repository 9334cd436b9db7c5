"""Benchmark: screening 10 million payments, Polars (streaming) against a plain pandas version.

    .venv/bin/python benchmarks/bench_screening.py [--rows 10000000] [--data DIR]

Generates synthetic traffic once (uncounted.simulate.payments, seed 2026) into a Parquet file
in a temporary directory (or DIR, reused if present), then runs, each in its own child
process so that memory is measured separately and caches are cold:

- ``polars``: ``screen_file`` = read + validate every row through the column mapping, one
  streaming pass for the corridor/card/first-seen inputs, all typologies, scoring, alerts;
- ``polars-nv``: the same without the validation pass (``screen(pl.scan_parquet(path))``),
  i.e. the same work as the pandas version;
- ``pandas``: a straightforward pandas implementation of the same rules (``read_parquet``,
  boolean masks, ``groupby``), with no validation pass and no alert text.

Printed per engine: wall time, CPU time (user + system, less sensitive to other load on
the machine), peak resident memory of the child process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes Arrow/Polars native
allocations), and the number of indicators; then the speed ratio and whether both engines
fired the same (role, party, indicator) set. Threads: POLARS_MAX_THREADS=2 (the goal is
under 30 s on 2 cores and at least 10x the baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 2026
PER_SENDER = 52.8  # payments per sender in simulate_payments (measured)


def generate(path: Path, rows: int) -> int:
    from uncounted.simulate.payments import simulate_payments

    n_senders = max(int(rows / PER_SENDER * 1.03), 1000)
    world = simulate_payments(n_senders, n_senders // 100, random_state=SEED)
    payments = world.payments.head(rows)
    payments.write_parquet(path, row_group_size=1_000_000)
    return payments.height


def run_polars(path: Path) -> set[tuple[str, str, str]]:
    from uncounted.screening import screen_file

    result = screen_file(path)
    ind = result.indicators.filter(result.indicators["indicator"] != "paid_by_alerted_senders")
    return set(ind.select("party_role", "party_id", "indicator").iter_rows())


def run_polars_unchecked(path: Path) -> set[tuple[str, str, str]]:
    """The same rules without the row-by-row validation pass (the pandas baseline's work)."""
    import polars as pl

    from uncounted.screening import screen

    result = screen(pl.scan_parquet(path))
    ind = result.indicators.filter(result.indicators["indicator"] != "paid_by_alerted_senders")
    return set(ind.select("party_role", "party_id", "indicator").iter_rows())


def run_pandas(path: Path) -> set[tuple[str, str, str]]:
    import numpy as np
    import pandas as pd

    from uncounted.screening import ScreeningConfig
    from uncounted.screening.typologies import merchant_pattern

    c = ScreeningConfig()
    r = c.rules
    df = pd.read_parquet(path)
    rate = df["currency"].map(c.fx_rates)
    df["amount_ref"] = df["amount"] * rate
    corr = df[
        df["channel"].isin(c.transfer_channels)
        & df["beneficiary_country"].isin(c.high_risk_countries)
        & (df["sender_country"] != df["beneficiary_country"])
        & df["amount_ref"].between(c.min_amount, c.max_amount)
    ].copy()
    hour = corr["timestamp"].dt.tz_convert(c.default_timezone).dt.hour
    for country, tz in c.sender_timezones.items():
        mask = corr["sender_country"] == country
        hour[mask] = corr.loc[mask, "timestamp"].dt.tz_convert(tz).dt.hour
    corr["local_hour"] = hour
    unit = r.round_amounts.unit
    corr["is_round"] = ((corr["amount"] / unit).round() * unit - corr["amount"]).abs() < 0.005
    out: set[tuple[str, str, str]] = set()

    def add(role: str, ids: pd.Index, name: str) -> None:
        out.update((role, str(i), name) for i in ids)

    us_day = 86_400 * 1e6
    g = corr.groupby("sender_id")
    for party, role, name in (
        ("sender_id", "sender", "low_value_corridor"),
        ("beneficiary_id", "beneficiary", "low_value_inflow"),
    ):
        a = corr.groupby(party).agg(
            n=("amount_ref", "size"),
            med=("amount_ref", "median"),
            first=("timestamp", "min"),
            last=("timestamp", "max"),
        )
        span = ((a["last"] - a["first"]).dt.total_seconds() * 1e6 / us_day).clip(lower=30.0)
        rate30 = a["n"] / span * 30
        ok = (
            (a["n"] >= r.low_value_corridor.min_count)
            & (rate30 >= r.low_value_corridor.min_per_30_days)
            & (a["med"] <= r.low_value_corridor.max_median_amount)
        )
        add(role, a.index[ok], name)
    h = corr["local_hour"]
    n = r.night_payments
    corr["night"] = (h >= n.start_hour) | (h < n.end_hour)
    a = g.agg(k=("night", "sum"), n=("night", "size"))
    add(
        "sender",
        a.index[(a["k"] >= n.min_count) & (a["k"] / a["n"] >= n.min_share)],
        "night_payments",
    )
    nb = g["beneficiary_id"].nunique()
    add("sender", nb.index[nb >= r.many_beneficiaries.min_beneficiaries], "many_beneficiaries")
    ns = corr.groupby("beneficiary_id")["sender_id"].nunique()
    shared = ns.index[ns >= r.many_senders.min_senders]
    add("beneficiary", shared, "many_senders")
    add(
        "sender",
        pd.Index(corr.loc[corr["beneficiary_id"].isin(shared), "sender_id"].unique()),
        "pays_shared_beneficiary",
    )
    e = r.escalating_amounts
    first = g["timestamp"].transform("min")
    last = g["timestamp"].transform("max")
    corr["t"] = (corr["timestamp"] - first).dt.total_seconds()
    corr["late"] = (corr["timestamp"] - first) * 2 > (last - first)
    a = corr.groupby("sender_id").apply(
        lambda x: pd.Series(
            {
                "n": len(x),
                "r": x["amount_ref"].corr(x["t"]) if len(x) > 1 else np.nan,
                "ratio": x.loc[x["late"], "amount_ref"].mean()
                / x.loc[~x["late"], "amount_ref"].mean(),
            }
        ),
        include_groups=False,
    )
    add(
        "sender",
        a.index[
            (a["n"] >= e.min_count) & (a["r"] >= e.min_correlation) & (a["ratio"] >= e.min_ratio)
        ],
        "escalating_amounts",
    )
    words = "|".join(re.escape(k.lower()) for k in r.innocuous_descriptions.keywords)
    hit = corr["description"].str.contains(rf"(?i)(?:^|[\W\d_])(?:{words})", regex=True)
    k = hit.fillna(False).astype(int).groupby(corr["sender_id"]).sum()
    add("sender", k.index[k >= r.innocuous_descriptions.min_count], "innocuous_descriptions")
    ns_ = r.new_sender_burst
    seen = df.groupby("sender_id")["timestamp"].min()
    start = df["timestamp"].min()
    x = corr.join(seen.rename("first_seen"), on="sender_id")
    x = x[(x["first_seen"] - start) >= pd.Timedelta(days=ns_.min_history_days)]
    x["first_corr"] = x.groupby("sender_id")["timestamp"].transform("min")
    x = x[
        ((x["first_corr"] - x["first_seen"]) <= pd.Timedelta(days=ns_.max_days_to_start))
        & ((x["timestamp"] - x["first_corr"]) < pd.Timedelta(days=ns_.window_days))
    ]
    k = x.groupby("sender_id").size()
    add("sender", k.index[k >= ns_.min_count], "new_sender_burst")
    m = r.risky_merchants
    cards = df[
        (df["channel"] == c.card_channel)
        & df["merchant_category"]
        .str.lower()
        .str.contains(merchant_pattern(m.categories), regex=True, na=False)
    ]
    k = cards.groupby("sender_id").size()
    t = g.size()
    both = k.to_frame("k").join(t.rename("t"), how="inner")
    add(
        "sender",
        both.index[(both["k"] >= m.min_purchases) & (both["t"] >= m.min_corridor_transfers)],
        "risky_merchants",
    )
    ra = r.round_amounts
    a = g.agg(k=("is_round", "sum"), n=("is_round", "size"))
    add(
        "sender",
        a.index[(a["k"] >= ra.min_count) & (a["k"] / a["n"] >= ra.min_share)],
        "round_amounts",
    )
    return out


def child(engine: str, path: Path, result_file: Path) -> None:
    import warnings

    warnings.simplefilter("ignore")  # numpy's divide warnings in pandas' corr of flat groups
    start = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = start.ru_utime + start.ru_stime
    t0 = time.perf_counter()
    runner = {"polars": run_polars, "polars-nv": run_polars_unchecked, "pandas": run_pandas}
    found = runner[engine](path)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu0
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(path).metadata.num_rows
    result_file.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_mb": usage.ru_maxrss / 1024,
                "rows": rows,
                "found": sorted(found),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--child", choices=["polars", "polars-nv", "pandas"], default=None)
    parser.add_argument("--result", type=Path, default=None)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.result)
        return
    if args.generate:
        t0 = time.perf_counter()
        n = generate(args.data, args.rows)
        print(f"generated {n:,} payments in {time.perf_counter() - t0:.1f} s -> {args.data}")
        return
    tmp = tempfile.TemporaryDirectory() if args.data is None else None
    folder = Path(tmp.name) if tmp else args.data
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"payments_{args.rows}.parquet"
    if not path.exists():  # in a child process, so its memory is not inherited by the others
        cmd = [
            sys.executable,
            __file__,
            "--generate",
            "--rows",
            str(args.rows),
            "--data",
            str(path),
        ]
        subprocess.run(cmd, check=True)
    env = dict(os.environ, POLARS_MAX_THREADS="2", OMP_NUM_THREADS="2")
    load = os.getloadavg()
    results = {}
    engines = ["polars", "polars-nv"] + ([] if args.skip_pandas else ["pandas"])
    for engine in engines:
        out = folder / f"result_{engine}.json"
        cmd = [
            sys.executable,
            __file__,
            "--child",
            engine,
            "--data",
            str(path),
            "--result",
            str(out),
        ]
        subprocess.run(cmd, check=True, env=env)
        results[engine] = json.loads(out.read_text())
    rows = results["polars"]["rows"]
    print(f"\nScreening {rows:,} payments, all rules (POLARS_MAX_THREADS=2, cpus={os.cpu_count()})")
    print(f"load average before the run: {load[0]:.1f} (wall time suffers on a busy machine)")
    print(f"{'engine':<10} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} {'indicators':>11}")
    for engine, res in results.items():
        print(
            f"{engine:<10} {res['seconds']:>8.1f} {res['cpu_seconds']:>8.1f} "
            f"{res['peak_mb']:>12.0f} {len(res['found']):>11,}"
        )
    if "pandas" in results:
        base = results["pandas"]
        for engine in ("polars", "polars-nv"):
            res = results[engine]
            same = {tuple(x) for x in res["found"]} == {tuple(x) for x in base["found"]}
            print(
                f"speed-up {engine} vs pandas: {base['seconds'] / res['seconds']:.1f}x wall, "
                f"{base['cpu_seconds'] / res['cpu_seconds']:.1f}x CPU; same indicators: {same}"
            )
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
