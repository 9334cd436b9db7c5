"""The public ``__all__`` lists are honest: every name resolves, and no public name is missing."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import uncounted

PACKAGES = sorted(
    m.name
    for m in pkgutil.iter_modules(uncounted.__path__, "uncounted.")
    if m.ispkg and m.name not in {"uncounted.cli", "uncounted.web"}
)


def _public_defined(module: ModuleType) -> set[str]:
    """Public classes and functions that the module itself defines."""
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if getattr(value, "__module__", None) == module.__name__ and callable(value):
            names.add(name)
    return names


def test_top_level_all_resolves():
    for name in uncounted.__all__:
        assert getattr(uncounted, name) is not None, name
    assert len(set(uncounted.__all__)) == len(uncounted.__all__)


def test_top_level_has_no_unlisted_public_names():
    defined = {
        n
        for n, v in vars(uncounted).items()
        if not n.startswith("_")
        and not isinstance(v, ModuleType)
        and getattr(v, "__module__", None) not in {"typing", "__future__"}
        and n != "annotations"
    }
    assert defined - set(uncounted.__all__) == set()


def test_unknown_top_level_name():
    with pytest.raises(AttributeError):
        _ = uncounted.NoSuchThing  # type: ignore[attr-defined]


@pytest.mark.parametrize("package", PACKAGES)
def test_package_all_resolves(package):
    mod = importlib.import_module(package)
    exported = getattr(mod, "__all__", None)
    assert exported is not None, f"{package} has no __all__"
    for name in exported:
        assert hasattr(mod, name), f"{package}.{name}"


@pytest.mark.parametrize("package", PACKAGES)
def test_public_module_all_lists_what_it_defines(package):
    """Each public module's ``__all__`` lists every public class and function it defines."""
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__, package + "."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.ispkg:
            continue
        mod = importlib.import_module(info.name)
        exported = set(getattr(mod, "__all__", []))
        missing = _public_defined(mod) - exported
        assert not missing, f"{info.name} defines public {sorted(missing)} not in __all__"
