"""Confidence intervals for proportions and counts, vectorised over NumPy arrays.

- Wilson score interval (Wilson 1927, JASA 22:209; recommended by Brown, Cai & DasGupta 2001,
  Statistical Science 16:101) for rates such as arrests / suspects:
  ``(p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)``.
- Clopper–Pearson exact binomial interval: ``Beta(α/2; x, n−x+1)`` to ``Beta(1−α/2; x+1, n−x)``.
- Garwood exact Poisson interval for counts: ``χ²(α/2; 2x)/2`` to ``χ²(1−α/2; 2x+2)/2``.

Empty denominators give NaN bounds (there is nothing to estimate), never an error.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from uncounted.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise InvalidInput(f"A confidence level must lie between 0 and 1, not {level}.")
    return float(stats.norm.ppf(0.5 + level / 2.0))


def wilson_interval(
    successes: npt.ArrayLike, trials: npt.ArrayLike, level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for ``successes / trials`` (arrays, element-wise)."""
    z = _z(level)
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lower = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    upper = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lower, upper


def exact_binomial_interval(
    successes: npt.ArrayLike, trials: npt.ArrayLike, level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Clopper–Pearson interval for ``successes / trials`` (arrays, element-wise)."""
    alpha = 1.0 - level
    _z(level)
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(x > 0, stats.beta.ppf(alpha / 2, x, n - x + 1), 0.0)
        upper = np.where(x < n, stats.beta.ppf(1 - alpha / 2, x + 1, n - x), 1.0)
    return np.where(n > 0, lower, np.nan), np.where(n > 0, upper, np.nan)


def poisson_interval(counts: npt.ArrayLike, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Garwood exact interval for a Poisson count (arrays, element-wise)."""
    alpha = 1.0 - level
    _z(level)
    x = np.asarray(counts, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, stats.chi2.ppf(alpha / 2, 2 * x) / 2, 0.0)
        upper = stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    return lower, upper


__all__ = ["exact_binomial_interval", "poisson_interval", "wilson_interval"]
