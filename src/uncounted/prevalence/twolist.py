"""Two-list capture–recapture: Lincoln–Petersen and Chapman.

With ``n1`` people on the first list, ``n2`` on the second and ``m`` on both, and the two
lists independent in a closed population:

- Lincoln–Petersen (Petersen 1896; Lincoln 1930): ``N = n1 n2 / m``, with variance
  ``n1 n2 (n1 - m)(n2 - m) / m^3`` (Seber 1982, *The Estimation of Animal Abundance*,
  2nd ed., eq. 3.2). It is infinite when ``m = 0``.
- Chapman (1951): ``N = (n1 + 1)(n2 + 1) / (m + 1) - 1``, nearly unbiased when
  ``m >= 7`` (Robson & Regier 1964), with Seber's (1970) variance
  ``(n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)^2 (m + 2))``.

Interval (``ci="lognormal"``, the default): Chao's (1987, Biometrics 43:783-791, eq. 12)
log-normal interval for the number unseen ``f0 = N - n`` (``n = n1 + n2 - m`` observed),
``[n + f0 / C, n + f0 C]`` with ``C = exp(z sqrt(log(1 + var / f0^2)))``; it never falls
below ``n`` (Rcapture uses the same construction for its ``closedp`` intervals).
``ci="wald"`` gives ``N -/+ z sqrt(var)``, truncated below at ``n``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from scipy.special import ndtri

from uncounted.errors import InvalidInput, NotIdentifiable, SparseDataWarning
from uncounted.prevalence._base import PopulationEstimator
from uncounted.prevalence.assumptions import INDEPENDENT_TWO_LISTS
from uncounted.prevalence.histories import CaptureHistories
from uncounted.prevalence.registry import register

__all__ = ["Chapman", "LincolnPetersen"]


class _TwoList(PopulationEstimator):
    n_lists: ClassVar[tuple[int, int | None]] = (2, 2)
    assumes: ClassVar[tuple[str, str, str] | None] = INDEPENDENT_TWO_LISTS

    def __init__(self, ci: str = "lognormal", ci_level: float = 0.95) -> None:
        self.ci = ci
        self.ci_level = ci_level

    def _validate(self) -> None:
        super()._validate()
        if self.ci not in ("lognormal", "wald"):
            raise InvalidInput(
                f"{type(self).__name__}: ci must be 'lognormal' or 'wald', got {self.ci!r}."
            )

    def _counts(self, histories: CaptureHistories) -> tuple[int, int, int]:
        if histories.n_lists != 2:
            raise InvalidInput(
                f"{type(self).__name__} takes exactly 2 lists, got {histories.n_lists} "
                f"({', '.join(histories.lists)}); pick two with histories.subset([...]) or "
                "merge lists with histories.merge_lists(...), or use LogLinearEstimator."
            )
        sizes = histories.list_sizes
        n1, n2 = (sizes[name] for name in histories.lists)
        both = histories.patterns.sum(axis=1) == 2
        m = int(histories.counts[both].sum())
        a, b = histories.lists
        if n1 == 0 or n2 == 0:
            raise NotIdentifiable(
                f"list {a if n1 == 0 else b} recorded nobody; two-list estimation needs "
                "people on both lists."
            )
        return n1, n2, m

    def _estimate(self, n1: int, n2: int, m: int) -> tuple[float, float]:
        raise NotImplementedError

    def _fit(self, histories: CaptureHistories) -> None:
        n1, n2, m = self._counts(histories)
        self.n1_, self.n2_, self.m_ = n1, n2, m
        if m < 7:
            self._warn(
                f"only {m} people are on both {' and '.join(histories.lists)}: two-list "
                "estimates are unstable and biased with fewer than 7 in the overlap "
                "(Robson & Regier 1964).",
                SparseDataWarning,
            )
        estimate, variance = self._estimate(n1, n2, m)
        self.population_ = estimate
        self.variance_ = variance
        self.stderr_ = math.sqrt(variance)
        n = n1 + n2 - m
        z = float(ndtri(0.5 + float(self.ci_level) / 2.0))
        if self.ci == "wald":
            low = max(estimate - z * self.stderr_, float(n))
            high = estimate + z * self.stderr_
        else:
            f0 = estimate - n
            if f0 <= 0:
                low = high = float(n)
            else:
                c = math.exp(z * math.sqrt(math.log(1.0 + variance / f0**2)))
                low, high = n + f0 / c, n + f0 * c
        self.ci_ = (low, high)
        self.ci_method_ = self.ci
        self.model_ = ()

    def _extra_dict(self) -> dict[str, Any]:
        return {"n1": self.n1_, "n2": self.n2_, "m": self.m_, "stderr": self.stderr_}


@register
class LincolnPetersen(_TwoList):
    """Lincoln–Petersen: ``N = n1 n2 / m``; variance ``n1 n2 (n1 - m)(n2 - m) / m^3``.

    Source: Seber (1982), *The Estimation of Animal Abundance*, §3.1.1. Interval: Chao
    (1987) log-normal (default) or Wald. Raises NotIdentifiable when nobody is on both.
    """

    method: ClassVar[str] = "lincoln-petersen"
    label: ClassVar[str] = "Lincoln–Petersen (two lists)"

    def _estimate(self, n1: int, n2: int, m: int) -> tuple[float, float]:
        if m == 0:
            raise NotIdentifiable(
                "nobody is on both lists, so the Lincoln-Petersen estimate n1*n2/m is "
                "infinite; use Chapman's estimator (finite but very uncertain) or find the "
                "overlap (record linkage)."
            )
        return n1 * n2 / m, n1 * n2 * (n1 - m) * (n2 - m) / m**3


@register
class Chapman(_TwoList):
    """Chapman (1951): ``N = (n1+1)(n2+1)/(m+1) - 1``.

    Variance: Seber (1970) ``(n1+1)(n2+1)(n1-m)(n2-m) / ((m+1)^2 (m+2))``. Interval: Chao
    (1987) log-normal (default) or Wald.
    """

    method: ClassVar[str] = "chapman"
    label: ClassVar[str] = "Chapman (two lists)"

    def _estimate(self, n1: int, n2: int, m: int) -> tuple[float, float]:
        estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
        variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
        return estimate, variance
