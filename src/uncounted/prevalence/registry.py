"""The estimator registry: the one list of multiple-systems methods the CLI, the web app, the
panel and the report read.

An estimator offers itself by its class: the metadata it declares (``method``, ``label``,
``assumes``, ``n_lists``, ``options``, ``ci_methods``; see
:class:`~uncounted.prevalence.PopulationEstimator`) and the decorator :func:`register`.
Adding a method is one class (and its test) and, for a method that ships with Uncounted, its
line in :data:`BUILTIN`: ``uncounted estimate --method NAME``, the web form's method list,
the panel (``estimate_panel(h, [NAME])``), the report's methods appendix and the contract
test (``tests/prevalence/test_contract.py``) pick it up from here.

The built-in estimators' modules are imported when first needed, not with the package: a
command that fits the log-linear model does not pay for the latent class sampler's compiled
kernels, nor the sampler for SciPy's optimisers (start-up, issue #18). :data:`BUILTIN` names
each method's module; :func:`get_spec` imports the one asked for, :func:`estimators` all of
them. Any other class registers itself when its module is imported.

A method name means one thing everywhere: the estimator with its own defaults. In
particular ``loglinear`` is :class:`~uncounted.prevalence.LogLinearEstimator()`, the
independence model; a search over models is explicit (``criterion="aic"``, ``--criterion
aic`` in the CLI, ``criterion=aic`` in the web app).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from uncounted.errors import InvalidInput
from uncounted.prevalence._base import PopulationEstimator

__all__ = [
    "BUILTIN",
    "EstimatorSpec",
    "estimator_names",
    "estimators",
    "get_spec",
    "make_estimator",
    "register",
    "unregister",
]

E = TypeVar("E", bound=type[PopulationEstimator])


@dataclass(frozen=True)
class EstimatorSpec:
    """A registered estimator: its name, label and class, the settings a user may give by
    name (``options``) and their defaults, and the lists it takes."""

    name: str
    label: str
    cls: type[PopulationEstimator]
    options: tuple[str, ...]
    defaults: dict[str, Any]
    n_lists: tuple[int, int | None]
    ci_methods: tuple[str, ...]

    @property
    def assumes(self) -> str:
        """The one-sentence assumptions of the estimator with its defaults."""
        return self.cls().assumptions["summary"]

    def takes(self, n_lists: int) -> bool:
        """Whether the estimator takes ``n_lists`` lists."""
        low, high = self.n_lists
        return n_lists >= low and (high is None or n_lists <= high)

    def check_lists(self, n_lists: int) -> None:
        """:class:`~uncounted.errors.InvalidInput` unless the estimator takes ``n_lists``."""
        if not self.takes(n_lists):
            low, high = self.n_lists
            needed = (
                f"{low} or more"
                if high is None
                else str(low)
                if low == high
                else f"{low} to {high}"
            )
            raise InvalidInput(f"{self.label} takes {needed} lists, not {n_lists}.")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON): name, label, options with defaults, lists, assumptions."""
        from uncounted.prevalence._base import _jsonable

        return {
            "name": self.name,
            "label": self.label,
            "options": {k: _jsonable(self.defaults.get(k)) for k in self.options},
            "n_lists": list(self.n_lists),
            "assumes": self.assumes,
        }


_REGISTRY: dict[str, EstimatorSpec] = {}

#: The estimators that ship with Uncounted: method name -> the module that registers it, in
#: the order of ``uncounted estimate --method``, the web form and the panel's extra methods.
BUILTIN: dict[str, str] = {
    "loglinear": "uncounted.prevalence.loglinear",
    "stepwise": "uncounted.prevalence.stepwise",
    "heterogeneity": "uncounted.prevalence.heterogeneity",
    "lcmcr": "uncounted.prevalence.bayesian",
    "dga": "uncounted.prevalence.dga",
    "lincoln-petersen": "uncounted.prevalence.twolist",
    "chapman": "uncounted.prevalence.twolist",
}


def _load(name: str) -> None:
    module = BUILTIN.get(name)
    if module is not None and name not in _REGISTRY:
        importlib.import_module(module)


def _load_all() -> None:
    for name in BUILTIN:
        _load(name)


def _ordered() -> dict[str, EstimatorSpec]:
    _load_all()
    first = {name: _REGISTRY[name] for name in BUILTIN if name in _REGISTRY}
    return {**first, **{n: s for n, s in _REGISTRY.items() if n not in first}}


def _spec(cls: type[PopulationEstimator]) -> EstimatorSpec:
    params = inspect.signature(cls.__init__).parameters
    settings = cls._setting_names()
    options = tuple(cls.options) if cls.options is not None else tuple(settings)
    unknown = [o for o in options if o not in settings]
    if unknown:
        raise TypeError(f"{cls.__name__}.options names no setting of __init__: {unknown}")
    defaults = {
        name: params[name].default
        for name in settings
        if params[name].default is not inspect.Parameter.empty
    }
    return EstimatorSpec(
        name=cls.method,
        label=cls.label or cls.__name__,
        cls=cls,
        options=options,
        defaults=defaults,
        n_lists=cls.n_lists,
        ci_methods=cls.ci_methods,
    )


def register(cls: E) -> E:
    """Class decorator: offer ``cls`` under its ``method`` name (a programming error if the
    name is taken by another class)."""
    name = cls.method
    if not name or name in ("base", "panel"):
        raise TypeError(f"{cls.__name__}: set a method name (not {name!r}) to register it.")
    held = _REGISTRY.get(name)
    if held is not None and held.cls.__qualname__ != cls.__qualname__:
        raise TypeError(f"method {name!r} is already registered by {held.cls.__name__}.")
    _REGISTRY[name] = _spec(cls)
    return cls


def unregister(name: str) -> None:
    """Withdraw the method ``name`` (for tests that register a toy estimator)."""
    _REGISTRY.pop(name, None)


def estimators() -> dict[str, EstimatorSpec]:
    """The registered estimators by name: the built-in ones in :data:`BUILTIN` order, then
    the others in registration order (imports every built-in estimator's module)."""
    return _ordered()


def estimator_names() -> tuple[str, ...]:
    """The method names, in the order of :func:`estimators` (imports no estimator module)."""
    return tuple(dict.fromkeys([*BUILTIN, *_REGISTRY]))


def get_spec(name: str) -> EstimatorSpec:
    """The registered estimator ``name``; :class:`~uncounted.errors.InvalidInput` if none."""
    _load(name)
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InvalidInput(
            f"Unknown method {name!r}; choose one of {', '.join(estimator_names())}."
        ) from None


def _applies_to(option: str) -> str:
    names = sorted(n for n, s in estimators().items() if option in s.options)
    return " or ".join(names) if names else "no method"


def make_estimator(
    name: str,
    options: dict[str, Any] | None = None,
    *,
    ci: str | None = None,
    soft: dict[str, Any] | None = None,
    flag: Callable[[str], str] = lambda option: option,
) -> PopulationEstimator:
    """An unfitted, validated estimator ``name`` with ``options``.

    ``options`` must be settings the method takes (an option that does not apply is an
    error rather than silently ignored); ``soft`` settings (a seed, a bootstrap size, the
    interval level) are passed only to the methods that take them. ``ci`` is the interval
    method: a setting for methods that have one, else checked against ``ci_methods``.
    ``flag`` names an option in messages (the CLI passes ``--criterion`` for ``criterion``).
    Settings are validated now, before any data are read.
    """
    spec = get_spec(name)
    given = {k: v for k, v in (options or {}).items() if v is not None}
    for option in given:
        if option not in spec.options:
            raise InvalidInput(
                f"{flag(option)} does not apply to --method {name}; it applies to --method "
                f"{_applies_to(option)} only."
            )
    if ci is not None:
        if "ci" in spec.options:
            given["ci"] = ci
        elif ci not in spec.ci_methods:
            choices = " or ".join(spec.ci_methods) or "its own"
            raise InvalidInput(f"--method {name} gives a {choices} interval only, not {ci!r}.")
    for option, value in (soft or {}).items():
        if option in spec.options and value is not None and option not in given:
            given[option] = value
    estimator = spec.cls(**given)
    estimator._validate()
    return estimator
