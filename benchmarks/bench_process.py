"""Benchmark: ``uncounted`` as a whole process (start-up included), next to R.

Run:  .venv/bin/python benchmarks/bench_process.py [--reps 3] [--data DIR]

Each command runs ``--reps`` times in a fresh process; the table shows the best CPU time
(user + system, from ``wait4``) and the peak resident memory of the child. CPU time, not wall
time, because the machines we share are busy. Baselines measured in the same run:

* ``python -c pass`` (the interpreter alone) and ``uncounted --version``;
* the first run of each command is reported separately when numba had to compile (a new
  install compiles the kernels once and caches them beside the code).

R's figures are from the project's reference notes (R 4.2.2 on this kind of 2-core machine;
Rcapture 1.4-4 ``closedpMS.t(X, dfreq=TRUE, maxorder=2)``; LCMCR 0.4.14 ``lcmCR(K=10,
seed=1234)`` + ``lcmCR_PostSampl(burnin=10000, samples=1000, thinning=100)``, one chain; ours
with ``--set n_chains=1`` beside it, and the default of four chains on its own row). They are the
computation alone, without R's own start-up and package loading, so the ratio flatters R.

With ``--r``, R's LCMCR is also run as a whole process in the same run
(``Rscript benchmarks/r/lcmcr_process.R``; needs R and the LCMCR package, e.g. built from the
CRAN sources into a library named by ``R_LIBS``), which is the fair comparison for a command.

DATA is the folder of the reference capture-history tables (UKdat*.csv, one 0/1 column per
list and a count column); by default the project's reference data folder next to the repo.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

#: R seconds (computation only) from the reference notes.
R_SECONDS = {
    "search UKdat (6 lists, 32 768 models)": 262.0,
    "search UKdat_5 (5 lists, 1 024 models)": 6.4,
    "lcmcr UKdat_4": 0.95,
    "lcmcr UKdat_5": 1.06,
    "lcmcr UKdat": 1.36,
}


def _run(args: list[str]) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of one child process."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE.parent / "shared" / "data" / "mse")
    parser.add_argument("--r", action="store_true", help="also run R's LCMCR as a process")
    opts = parser.parse_args()
    cli = [sys.executable, "-m", "uncounted.cli.main"]
    data = opts.data
    lcmcr_one = ["--method", "lcmcr", "--set", "n_chains=1"]
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "uncounted --version": [*cli, "--version"],
        "uncounted --help": [*cli, "--help"],
        "search UKdat_5 (5 lists, 1 024 models)": [
            *cli, "estimate", str(data / "UKdat_5.csv"), "--criterion", "aic",
        ],
        "search UKdat (6 lists, 32 768 models)": [
            *cli, "estimate", str(data / "UKdat.csv"), "--criterion", "aic",
        ],
        # R's lcmCR runs one chain: the like-for-like command sets one chain too
        "lcmcr UKdat_4": [*cli, "estimate", str(data / "UKdat_4.csv"), *lcmcr_one],
        "lcmcr UKdat_5": [*cli, "estimate", str(data / "UKdat_5.csv"), *lcmcr_one],
        "lcmcr UKdat": [*cli, "estimate", str(data / "UKdat.csv"), *lcmcr_one],
        # the default: four chains, for the convergence diagnostics (four times the sampling)
        "lcmcr UKdat, 4 chains (default)": [
            *cli, "estimate", str(data / "UKdat.csv"), "--method", "lcmcr",
        ],
    }  # fmt: skip
    r_script = HERE / "benchmarks" / "r" / "lcmcr_process.R"
    print(f"{'command':42} {'first CPU s':>11} {'best CPU s':>10} {'peak MB':>8} {'R s':>7} "
          f"{'R / ours':>8} {'R process CPU s':>15}")  # fmt: skip
    started = time.time()
    for label, args in cases.items():
        runs = [_run(args) for _ in range(opts.reps)]
        first = runs[0][0]
        best = min(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        r = R_SECONDS.get(label)
        ratio = f"{r / best:8.1f}" if r else f"{'':8}"
        r_text = f"{r:7.2f}" if r else f"{'':7}"
        same_run = ""
        if opts.r and label.startswith("lcmcr") and "chains" not in label:
            csv = args[args.index("estimate") + 1]
            r_best = min(_run(["Rscript", str(r_script), csv])[0] for _ in range(opts.reps))
            same_run = f"{r_best:15.2f}"
        print(f"{label:42} {first:11.2f} {best:10.2f} {peak:8.0f} {r_text} {ratio} {same_run}")
    print(f"({opts.reps} runs each, {time.time() - started:.0f} s wall)")


if __name__ == "__main__":
    main()
