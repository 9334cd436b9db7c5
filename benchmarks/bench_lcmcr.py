"""LCMCR speed: Uncounted's numba sampler against R's LCMCR 0.4.14 and a NumPy baseline.

R's wall seconds come from ../shared/data/mse/README.md (K = 10, burn-in 10 000, 1 000 draws
thinned by 100, i.e. 110 000 sweeps; R also runs 500 warm-up sweeps, as we do). For each
dataset we time one fit with the same settings (wall and CPU seconds; the kernels compiled
beforehand) and report R seconds / our seconds.

Compilation is reported separately, in fresh processes: once with an empty numba cache
(the one-off cost after installing or changing the kernels) and once with the cache filled
(every later process).

Baseline measured in the same run: a straightforward per-individual Gibbs sampler in NumPy
(one categorical draw per observed and per imputed person each sweep, vectorised over
people). It is far too slow for 110 000 sweeps, so it runs ``BASELINE_SWEEPS`` sweeps and
the time is EXTRAPOLATED linearly to 110 500 sweeps (labelled "extrapolated").

Run: ``.venv/bin/python benchmarks/bench_lcmcr.py [dataset ...]``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

from uncounted.prevalence import CaptureHistories, LatentClassEstimator

MSE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mse"
R_SECONDS = {
    "UKdat": 1.36,
    "UKdat_5": 1.06,
    "UKdat_4": 0.95,
    "Ned": 1.40,
    "Ned_5": 1.12,
    "Rcapture_HIV": 0.82,
    "Rcapture_lesbian": 1.20,
    "Rcapture_diabetes": 1.09,
    "MadiganYork_3": 0.64,
}
TOTAL_SWEEPS = 500 + 10000 + 1000 * 100
BASELINE_SWEEPS = 300

COMPILE_SNIPPET = """
import time, numpy as np
t, c = time.perf_counter(), time.process_time()
from uncounted.prevalence._lcm_kernels import run_sampler
patterns = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.int64)
counts = np.array([5, 4, 2], dtype=np.int64)
run_sampler(patterns, counts, 10, 0.25, 0.25, 1, 20, 1, np.random.default_rng(1))
print(time.perf_counter() - t, time.process_time() - c)
"""


def load(name: str) -> CaptureHistories:
    return CaptureHistories.from_frame(pl.read_csv(MSE_DIR / f"{name}.csv"), source=name)


def compile_seconds() -> list[tuple[float, float]]:
    """[(wall, CPU) cold compile, (wall, CPU) load from the filled cache], fresh processes;
    both include importing numpy, numba and the package."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = []
        for _ in range(2):
            done = subprocess.run(
                [sys.executable, "-c", COMPILE_SNIPPET],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            wall, cpu = (float(v) for v in done.stdout.split())
            out.append((wall, cpu))
    return out


def numpy_gibbs(histories: CaptureHistories, sweeps: int, K: int = 10, seed: int = 0) -> float:
    """Per-individual LCMCR sweeps in plain NumPy; returns CPU seconds per sweep."""
    rng = np.random.default_rng(seed)
    x = np.repeat(histories.patterns.astype(np.float64), histories.counts, axis=0)
    n = x.shape[0]
    lam = np.tile(x.mean(axis=0)[:, None], (1, K))
    nu = np.full(K, 1.0 / K)
    alpha, n0 = 0.3 / K, 0
    z0 = np.zeros(0, dtype=np.int64)
    start = time.process_time()
    for _ in range(sweeps):
        logp = x @ np.log(lam) + (1 - x) @ np.log1p(-lam) + np.log(np.maximum(nu, 1e-300))
        p = np.exp(logp - logp.max(axis=1, keepdims=True))
        cum = np.cumsum(p, axis=1)
        z = (cum < rng.random(n)[:, None] * cum[:, -1:]).sum(axis=1)
        onehot = np.zeros((n, K))
        onehot[np.arange(n), z] = 1.0
        on = x.T @ onehot
        count = onehot.sum(axis=0) + np.bincount(z0, minlength=K)
        lam = rng.beta(1 + on, 1 + count - on)
        v = rng.beta(1 + count[:-1], alpha + count.sum() - np.cumsum(count)[:-1])
        nu = np.append(v, 1.0) * np.concatenate(([1.0], np.cumprod(1 - v)))
        q0 = nu * np.prod(1 - lam, axis=0)
        n0 = int(rng.negative_binomial(n, 1 - q0.sum()))
        cum0 = np.cumsum(q0)
        z0 = (cum0[None, :] < rng.random(n0)[:, None] * cum0[-1]).sum(axis=1)
        alpha = rng.gamma(0.25 + K - 1, 1 / (0.25 - np.log(max(nu[-1], 1e-300))))
    return (time.process_time() - start) / sweeps


def main(names: list[str]) -> None:
    (cold, cold_cpu), (warm, warm_cpu) = compile_seconds()
    print(
        f"numba kernels, in fresh processes (imports included; not included below): cold "
        f"compile {cold:.1f} s wall / {cold_cpu:.1f} s CPU; load from cache {warm:.1f} s wall "
        f"/ {warm_cpu:.1f} s CPU"
    )
    print(
        f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(R's seconds were wall time; on a busy machine compare R with our CPU seconds)\n"
    )
    with warnings.catch_warnings():  # a 20-draw warm-up chain warns of its own shortness
        warnings.simplefilter("ignore")
        LatentClassEstimator(burnin=10, samples=20, thinning=1, n_chains=1, random_state=0).fit(
            load("Korea")
        )
    header = (
        f"{'dataset':18s} {'R s':>6s} {'ours wall':>10s} {'ours CPU':>9s} {'R/wall':>7s} "
        f"{'R/CPU':>6s} {'NumPy CPU s (extrapolated)':>27s} {'NumPy/ours CPU':>15s}"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        histories = load(name)
        est = LatentClassEstimator(random_state=1234, n_chains=1)  # one chain, as R
        wall, cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(histories)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        baseline = numpy_gibbs(histories, BASELINE_SWEEPS) * TOTAL_SWEEPS
        r = R_SECONDS.get(name)
        r_text = f"{r:6.2f}" if r else f"{'-':>6s}"
        ratios = f"{r / wall:7.2f} {r / cpu:6.2f}" if r else f"{'-':>7s} {'-':>6s}"
        print(
            f"{name:18s} {r_text} {wall:10.2f} {cpu:9.2f} {ratios} {baseline:27.1f} "
            f"{baseline / cpu:15.0f}"
        )
    print(
        f"\nNumPy baseline: {BASELINE_SWEEPS} sweeps timed (CPU), extrapolated to "
        f"{TOTAL_SWEEPS} sweeps."
    )


if __name__ == "__main__":
    main(sys.argv[1:] or [*R_SECONDS, "Kosovo"])
