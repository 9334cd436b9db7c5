"""The contract every population-size estimator follows.

Settings are keyword arguments stored unchanged in ``__init__`` and validated in ``fit``;
``fit(histories)`` returns ``self``; learned values end in ``_``. Subclasses supply only the
maths, in ``_fit``, which must set::

    population_   float                total population (observed + unobserved)
    ci_           tuple[float, float]  interval for the total population, at ``ci_level``
    ci_method_    str                  "profile", "wald", "bca-bootstrap", "credible", ...
    model_        tuple[str, ...]      interaction terms as "A:B" (list names, in list
                                       order); the empty tuple means main effects only,
                                       rendered "()" in ``summary`` / ``to_dict``

The base sets ``histories_``, ``observed_`` and ``warnings_`` (every caveat raised through
:meth:`PopulationEstimator._warn` during the fit, which also emits it as a warning).
Reading a learned attribute, ``summary`` or ``to_dict`` before ``fit`` raises
:class:`~uncounted.errors.NotFitted`.
"""

from __future__ import annotations

import abc
import inspect
import math
import warnings
from typing import Any, ClassVar, Self

import polars as pl

from uncounted.errors import InvalidInput, NotFitted, UncountedWarning
from uncounted.prevalence.assumptions import COMMON, NOT_STATED
from uncounted.prevalence.histories import CaptureHistories, as_histories

__all__ = ["PopulationEstimator", "model_label"]

_REQUIRED = ("population_", "ci_", "ci_method_", "model_")


def model_label(model: tuple[str, ...]) -> str:
    """A model's terms joined with " + ", or "()" for main effects only."""
    return " + ".join(model) if model else "()"


class PopulationEstimator(abc.ABC):
    """Base of every multiple-systems (population size) estimator.

    Subclasses define ``__init__`` storing their settings unchanged (including
    ``ci_level``), optionally ``_validate`` (raise :class:`~uncounted.errors.InvalidInput`
    for bad settings; call ``super()._validate()``) and ``_fit(histories)``, and the
    metadata the registry (:mod:`uncounted.prevalence.registry`) gives the CLI, the web app,
    the panel and the report:

    ``method``     the short name (``--method``, the JSON ``method``);
    ``label``      a label for people (the web form, the panel, the report);
    ``assumes``    ``(dependence, heterogeneity, one-sentence summary)`` for
                   :attr:`assumptions` (override :meth:`_assumption_parts` when they depend
                   on the settings);
    ``n_lists``    the least and most lists it takes (``None``: no most);
    ``options``    the settings a user may give by name (``None``: every ``__init__``
                   setting);
    ``ci_methods`` the interval methods it gives, for an estimator without a ``ci`` setting.

    Decorate the class with :func:`uncounted.prevalence.registry.register` to offer it.
    """

    method: ClassVar[str] = "base"
    label: ClassVar[str] = ""
    assumes: ClassVar[tuple[str, str, str] | None] = None
    n_lists: ClassVar[tuple[int, int | None]] = (2, None)
    options: ClassVar[tuple[str, ...] | None] = None
    ci_methods: ClassVar[tuple[str, ...]] = ()

    # learned attributes (declared for type checkers; set by fit)
    histories_: CaptureHistories
    observed_: int
    population_: float
    ci_: tuple[float, float]
    ci_method_: str
    model_: tuple[str, ...]
    warnings_: list[str]
    ci_level: float

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: a learned attribute before fit. After fit,
        # a learned attribute this method does not have is a plain AttributeError, so that
        # getattr(est, "ranking_", None) works on every fitted estimator.
        fitted = "population_" in self.__dict__
        if name.endswith("_") and not name.startswith("_") and not fitted:
            raise NotFitted(
                f"{type(self).__name__}.{name} is not available: call fit(histories) first."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ------------------------------------------------------------------ settings
    @classmethod
    def _setting_names(cls) -> list[str]:
        params = inspect.signature(cls.__init__).parameters
        return [
            p.name
            for p in params.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The settings, as given to ``__init__``."""
        return {name: getattr(self, name) for name in self._setting_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        text = f"{type(self).__name__}({args})"
        if "population_" not in self.__dict__:
            return text
        low, high = self.ci_
        level = round(100 * float(self.ci_level))
        return (
            f"{text}\n  estimate {self.population_:,.0f} ({level} % {self.ci_method_} interval "
            f"{low:,.0f}–{high:,.0f}); {self.observed_:,} observed on "
            f"{len(self.histories_.lists)} lists; model {model_label(self.model_)}"
        )

    def _validate(self) -> None:
        """Check settings; subclasses extend (and call ``super()._validate()``)."""
        level = getattr(self, "ci_level", 0.95)
        if (
            isinstance(level, bool)
            or not isinstance(level, int | float)
            or not 0.0 < float(level) < 1.0
        ):
            raise InvalidInput(
                f"{type(self).__name__}: ci_level must be a number strictly between 0 and 1 "
                f"(e.g. 0.95), got {level!r}."
            )

    # ------------------------------------------------------------------ fitting
    def fit(self, histories: CaptureHistories | Any) -> Self:
        """Estimate the population size from ``histories``; returns ``self``.

        ``histories`` is :class:`CaptureHistories` or a table with one 0/1 column per list
        and a ``count`` column: a Polars or pandas DataFrame, a PyArrow table, or a dict of
        columns (see :func:`~uncounted.prevalence.histories.as_histories`).
        """
        histories = as_histories(histories)
        self._validate()
        for name in (*_REQUIRED, "histories_", "observed_", "warnings_"):
            self.__dict__.pop(name, None)
        self.warnings_ = []
        self.histories_ = histories
        self.observed_ = histories.n_observed
        try:
            self._fit(histories)
        except BaseException:
            for name in (*_REQUIRED, "histories_", "observed_", "warnings_"):
                self.__dict__.pop(name, None)
            raise
        missing = [name for name in _REQUIRED if name not in self.__dict__]
        if missing:  # a programming error in a subclass, not a user error
            raise NotImplementedError(f"{type(self).__name__}._fit did not set {missing}")
        if self.model_ == ("()",):
            self.model_ = ()
        return self

    @abc.abstractmethod
    def _fit(self, histories: CaptureHistories) -> None:
        """Set ``population_``, ``ci_``, ``ci_method_`` and ``model_`` (and extras)."""

    def _warn(self, message: str, category: type[UncountedWarning] = UncountedWarning) -> None:
        """Record a caveat in ``warnings_`` and emit it as a warning."""
        self.warnings_.append(message)
        warnings.warn(message, category, stacklevel=3)

    # ------------------------------------------------------------------ results
    @property
    def dark_figure_(self) -> float:
        """Estimated number of people on no list: ``population_ - observed_``."""
        return float(self.population_) - float(self.observed_)

    @property
    def model_text_(self) -> str:
        """The fitted model in words for ``summary`` and ``to_dict``: the log-linear terms
        (``model_label``), or what a method that has no terms fitted (overridden)."""
        return model_label(self.model_)

    def _ci_note(self) -> str | None:
        """Why an end of ``ci_`` is not a finite number (JSON writes it as ``null``), or
        ``None`` when both ends are finite. Subclasses that know the reason override."""
        low, high = self.ci_
        if math.isfinite(float(low)) and math.isfinite(float(high)):
            return None
        return f"the {self.ci_method_} interval has no finite end there: the data do not bound it."

    @property
    def assumptions(self) -> dict[str, str]:
        """What the method assumes (closed population, perfect linkage, the dependence and
        heterogeneity it allows, and a one-sentence summary); see
        :mod:`uncounted.prevalence.assumptions`."""
        dependence, heterogeneity, summary = self._assumption_parts()
        return {
            **COMMON,
            "dependence": dependence,
            "heterogeneity": heterogeneity,
            "summary": summary,
        }

    def _assumption_parts(self) -> tuple[str, str, str]:
        """``(dependence, heterogeneity, summary)``: the class's ``assumes`` by default."""
        return self.assumes or NOT_STATED

    def _extra_dict(self) -> dict[str, Any]:
        """Method-specific, JSON-serialisable extras for :meth:`to_dict`."""
        return {}

    @property
    def summary(self) -> pl.DataFrame:
        """One row: method, lists, observed, estimate, dark_figure, ci_low, ci_high, model."""
        low, high = self.ci_
        return pl.DataFrame(
            {
                "method": [self.method],
                "lists": [" ".join(self.histories_.lists)],
                "observed": [int(self.observed_)],
                "estimate": [float(self.population_)],
                "dark_figure": [self.dark_figure_],
                "ci_low": [float(low)],
                "ci_high": [float(high)],
                "ci_level": [float(self.ci_level)],
                "ci_method": [self.ci_method_],
                "model": [self.model_text_],
            }
        )

    def to_frame(self) -> pl.DataFrame:
        """The result as a one-row frame (the same as :attr:`summary`)."""
        return self.summary

    def plot(self, ax: Any = None) -> Any:
        """The estimate and its interval beside the number observed (matplotlib axes).

        Needs matplotlib (``pip install 'uncounted[plot]'``); draws on ``ax`` when given.
        """
        from uncounted._plot import interval_chart

        low, high = self.ci_
        return interval_chart(
            [self.method],
            [float(self.population_)],
            [float(low)],
            [float(high)],
            ax=ax,
            title=f"Population estimate ({model_label(self.model_)})",
            xlabel="people",
            reference=float(self.observed_),
            reference_label="observed",
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable result (non-finite numbers become ``None``)."""
        low, high = self.ci_
        out: dict[str, Any] = {
            "method": self.method,
            "lists": list(self.histories_.lists),
            "observed": int(self.observed_),
            "estimate": _num(self.population_),
            "dark_figure": _num(self.dark_figure_),
            "ci_low": _num(low),
            "ci_high": _num(high),
            "ci_level": float(self.ci_level),
            "ci_method": self.ci_method_,
            "model": self.model_text_,
            "terms": list(self.model_),
            "ci_note": self._ci_note(),
            "warnings": list(self.warnings_),
            "assumptions": self.assumptions,
            "settings": {k: _jsonable(v) for k, v in self.get_params().items()},
        }
        out.update(self._extra_dict())
        return out


def _num(x: float) -> float | None:
    value = float(x)
    return value if math.isfinite(value) else None


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)
