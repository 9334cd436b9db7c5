"""Monte Carlo error of the stepwise BCa limits (tolerances of tests/reference/test_sparsemse.py).

Run:  .venv/bin/python benchmarks/stepwise_bca_mc_error.py [--seeds 20] [--n-boot 1000]

For each dataset with SparseMSE bootstrap numbers, refits the 1000-replicate BCa interval
with seeds 0..seeds-1 and prints the mean, standard deviation (absolute and relative) and
range of each limit, and where SparseMSE's limit (iseed 1234) falls, in standard deviations.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl

from uncounted.prevalence import CaptureHistories, StepwiseEstimator

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mse"

R_BCA = {
    "UKdat": (9267.0, 14306.8),
    "UKdat_5": (8784.8, 14700.5),
    "UKdat_4": (9027.8, 13481.6),
    "Ned": (45758.9, 171107.9),
    "Ned_5": (47393.1, 162845.5),
    "Rcapture_HIV": (8550.4, 13498.6),
    "Rcapture_lesbian": (4356.9, 7299.9),
    "Rcapture_diabetes": (2253.9, 2310.6),
    "MadiganYork_3": (708.6, 756.5),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--n-boot", type=int, default=1000)
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"reference data folder {DATA} is absent", file=sys.stderr)
        return 1
    print(
        f"{'dataset':<18} {'limit':<5} {'mean':>10} {'sd':>8} {'sd/mean':>8} "
        f"{'min':>10} {'max':>10} {'R':>10} {'(R-mean)/sd':>11}"
    )
    for name, r_limits in R_BCA.items():
        h = CaptureHistories.from_frame(pl.read_csv(DATA / f"{name}.csv"))
        ends = np.array(
            [
                StepwiseEstimator(ci="bootstrap", n_boot=args.n_boot, random_state=s).fit(h).ci_
                for s in range(args.seeds)
            ]
        )
        for k, label in enumerate(("low", "high")):
            x = ends[:, k]
            mean, sd = float(x.mean()), float(x.std(ddof=1))
            print(
                f"{name:<18} {label:<5} {mean:>10.1f} {sd:>8.1f} {sd / mean:>8.2%} "
                f"{x.min():>10.1f} {x.max():>10.1f} {r_limits[k]:>10.1f} "
                f"{(r_limits[k] - mean) / sd:>11.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
