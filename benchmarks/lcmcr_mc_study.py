"""Monte Carlo error of LCMCR summaries: the spread of (2.5 %, 50 %, 97.5 %) over seeds.

R's LCMCR numbers in ../shared/data/mse/README.md come from one chain (seed 1234, K = 10,
burn-in 10 000, 1 000 draws thinned by 100). Ours cannot reproduce its digits (another RNG),
only its distribution, so the reference tests need to know how much one chain's summaries
vary from seed to seed. This script runs ``LatentClassEstimator`` with R's settings for
seeds 0..S-1 on each dataset and prints, per summary, the mean, standard deviation, minimum
and maximum over seeds, the median ESS and how many chains tripped the convergence warning.
The numbers it printed are recorded in tests/reference/test_lcmcr.py.

Run: ``.venv/bin/python benchmarks/lcmcr_mc_study.py [n_seeds] [dataset ...]``
(about 1 s of CPU per chain).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import polars as pl

from uncounted.prevalence import CaptureHistories
from uncounted.prevalence.bayesian import LatentClassEstimator

MSE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mse"
DATASETS = (
    "UKdat",
    "UKdat_5",
    "UKdat_4",
    "Ned",
    "Ned_5",
    "Rcapture_HIV",
    "Rcapture_lesbian",
    "Rcapture_diabetes",
    "MadiganYork_3",
    "Kosovo",
)


def study(name: str, n_seeds: int) -> dict[str, object]:
    frame = pl.read_csv(MSE_DIR / f"{name}.csv")
    histories = CaptureHistories.from_frame(frame, source=name)
    rows = []
    draws = []
    warned = 0
    for seed in range(n_seeds):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = LatentClassEstimator(random_state=seed, n_chains=1).fit(histories)
        warned += bool(caught)
        q = np.quantile(fit.posterior_, [0.025, 0.5, 0.975])
        rows.append([*q, fit.ess_, fit.geweke_z_])
        draws.append(fit.posterior_)
    arr = np.array(rows)
    pooled = np.quantile(np.concatenate(draws), [0.025, 0.5, 0.975])
    out: dict[str, object] = {"dataset": name, "seeds": n_seeds, "warned": warned}
    for i, label in enumerate(("q025", "median", "q975")):
        col = arr[:, i]
        out[label] = {
            "mean": float(col.mean()),
            "sd": float(col.std(ddof=1)),
            "min": float(col.min()),
            "max": float(col.max()),
            "pooled": float(pooled[i]),
            "per_seed": [round(float(v), 1) for v in col],
        }
    out["ess_median"] = float(np.median(arr[:, 3]))
    return out


def main(argv: list[str]) -> None:
    n_seeds = int(argv[0]) if argv else 20
    names = argv[1:] or list(DATASETS)
    results = [study(name, n_seeds) for name in names]
    print(
        f"{'dataset':18s} {'summary':7s} {'mean':>10s} {'sd':>9s} {'min':>10s} {'max':>10s}"
        f" {'pooled':>10s}"
    )
    for r in results:
        for label in ("q025", "median", "q975"):
            s = r[label]
            assert isinstance(s, dict)
            print(
                f"{r['dataset']:18s} {label:7s} {s['mean']:10.1f} {s['sd']:9.1f} "
                f"{s['min']:10.1f} {s['max']:10.1f} {s['pooled']:10.1f}"
            )
        print(
            f"{'':18s} ESS median {r['ess_median']:.0f}; chains warned: {r['warned']}/{r['seeds']}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
