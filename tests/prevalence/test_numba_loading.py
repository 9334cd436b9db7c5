"""The compiled kernels load numba without SciPy's ``scipy.linalg`` package (see
``uncounted.prevalence._numba``), and SciPy works as usual when something imports it later."""

from __future__ import annotations

import json
import subprocess
import sys

_KERNELS_THEN_SCIPY = """
import json, sys
import numpy as np
from uncounted.prevalence._lcm_kernels import run_sampler
from uncounted.prevalence._engine import fit_batch, full_design

patterns = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.int64)
counts = np.array([30, 40, 12], dtype=np.int64)
draws = run_sampler(patterns, counts, 2, 0.25, 0.25, 50, 20, 1, np.random.default_rng(7))[0]
X = full_design(np.array([[1, 0], [0, 1], [1, 1]]))[:, :3]
fit = fit_batch(X, counts.astype(float), np.ones((1, 3), dtype=bool))
before = sorted(m for m in sys.modules if m.startswith("scipy.linalg"))

import scipy.linalg
import scipy.optimize
import scipy.stats
from scipy.linalg import cython_blas

solved = float(scipy.linalg.solve([[2.0, 0.0], [0.0, 4.0]], [1.0, 1.0])[1])
lp = scipy.optimize.linprog([1.0], bounds=[(2.0, 5.0)]).x[0]
print(json.dumps({
    "before": before, "draws": int(draws.size), "solved": solved, "lp": float(lp),
    "ppf": float(scipy.stats.norm.ppf(0.975)),
    "same_module": cython_blas is sys.modules["scipy.linalg.cython_blas"],
}))
"""


def test_kernels_load_without_the_linalg_package_and_scipy_still_works():
    done = subprocess.run(
        [sys.executable, "-c", _KERNELS_THEN_SCIPY], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["before"] == ["scipy.linalg.cython_blas", "scipy.linalg.cython_lapack"]
    assert result["draws"] == 20
    assert result["solved"] == 0.25
    assert result["lp"] == 2.0
    assert abs(result["ppf"] - 1.959964) < 1e-6
    assert result["same_module"]


def test_nothing_is_loaded_when_the_linalg_package_is_there_already():
    code = (
        "import sys, scipy.linalg; before = sys.modules['scipy.linalg.cython_blas'] "
        "if 'scipy.linalg.cython_blas' in sys.modules else None\n"
        "from uncounted.prevalence import _numba\n"
        "_numba.load_blas_wrappers()\n"
        "print(sys.modules.get('scipy.linalg.cython_blas') is before)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
