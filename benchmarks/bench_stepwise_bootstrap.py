"""Benchmark: SparseMSE stepwise fit and 1000-replicate BCa bootstrap, ours vs R.

Run:  .venv/bin/python benchmarks/bench_stepwise_bootstrap.py [--reps 3]

Prints, per dataset, our wall time for the stepwise fit (Wald interval) and for the fit with
the 1000-replicate BCa bootstrap (seed 1234), against

* R: SparseMSE 2.0.1 ``estimatepopulation(dat, nboot=1000, pthresh=0.02, iseed=1234)``,
  times from ../shared/data/README.md (R 4.2.2 on this kind of 2-core machine);
* a baseline measured in this run: SparseMSE's algorithm transcribed literally into Python
  (every candidate checked by the linear program at every step, every model fitted from
  R's starting values) — for the fit, and for the bootstrap extrapolated from 20 replicates.

Times are the best of ``--reps`` runs; each run builds a fresh estimator (no warm caches).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from uncounted.prevalence import CaptureHistories, StepwiseEstimator
from uncounted.prevalence._stepwise_literal import stepwise_literal
from uncounted.prevalence.bootstrap import multinomial_resamples

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mse"

# README: R seconds for the fit alone and for the fit with the 1000-replicate bootstrap.
R_SECONDS = {
    "UKdat": (0.21, 270.0),
    "UKdat_5": (0.13, 135.0),
    "UKdat_4": (0.03, 27.0),
    "Ned": (0.23, 271.0),
    "Ned_5": (0.09, 95.0),
}


def literal_stepwise(patterns: np.ndarray, counts: np.ndarray) -> float:
    """The population estimate of SparseMSE's stepwisefit transcribed literally."""
    return stepwise_literal(patterns, counts)[1]


def best_of(reps: int, fn: object) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="runs per timing (best kept)")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"reference data folder {DATA} is absent", file=sys.stderr)
        return 1

    t0 = time.perf_counter()
    warm = CaptureHistories.from_frame(pl.read_csv(DATA / "MadiganYork_3.csv"))
    StepwiseEstimator().fit(warm)  # loads the compiled IRLS (numba cache)
    print(f"first fit in this process (loads compiled code): {time.perf_counter() - t0:.2f} s\n")

    header = (
        f"{'dataset':<9} {'fit ours':>9} {'fit lit.':>9} {'fit R':>7} {'R/ours':>7} "
        f"{'boot ours':>10} {'boot lit.*':>11} {'boot R':>8} {'R/ours':>7} {'lit/ours':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, (r_fit, r_boot) in R_SECONDS.items():
        h = CaptureHistories.from_frame(pl.read_csv(DATA / f"{name}.csv"))
        patterns, counts = h.complete()
        fit = best_of(args.reps, lambda h=h: StepwiseEstimator().fit(h))
        lit_fit = best_of(1, lambda p=patterns, c=counts: literal_stepwise(p, c))
        boot = best_of(
            args.reps,
            lambda h=h: StepwiseEstimator(ci="bootstrap", n_boot=1000, random_state=1234).fit(h),
        )
        # literal bootstrap: 20 replicates + the jackknife, scaled to 1000 replicates
        samples = multinomial_resamples(counts, 20, np.random.default_rng(1234))
        t1 = time.perf_counter()
        for row in samples:
            literal_stepwise(patterns, row)
        per_rep = (time.perf_counter() - t1) / len(samples)
        lit_boot = per_rep * (1000 + int((counts > 0).sum()) + 1)
        print(
            f"{name:<9} {fit:>8.3f}s {lit_fit:>8.3f}s {r_fit:>6.2f}s {r_fit / fit:>6.0f}x "
            f"{boot:>9.2f}s {lit_boot:>10.1f}s {r_boot:>7.0f}s {r_boot / boot:>6.0f}x "
            f"{lit_boot / boot:>7.0f}x"
        )
    print("\n* literal bootstrap extrapolated from 20 replicates (+ jackknife fits).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
