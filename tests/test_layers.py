"""Imports point one way, downward (DESIGN.md §2), checked on the source with ``ast``.

cli/  web/                      thin layers
report/  publish/  demo         presentation and release
ingest/                         loading files into the store
justice/ prevalence/ linkage/ survivors/ evaluation/ screening/ metrics/ simulate/
duediligence/
store/                          the only package that touches the case database
domain/  errors  settings  _extras  _plot   import nothing of ours above them
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "uncounted"

TOP = {"cli", "web"}
PRESENTATION = {"report", "publish", "demo"}
INGEST = {"ingest"}
ANALYSIS = {
    "justice",
    "prevalence",
    "linkage",
    "survivors",
    "evaluation",
    "screening",
    "metrics",
    "simulate",
    "duediligence",
}
STORE = {"store"}
BASE = {"domain", "errors", "settings", "_extras", "_plot", "_tables"}

#: For each layer, the packages it must not import.
FORBIDDEN: dict[str, set[str]] = {
    **{p: set() for p in TOP},
    **{p: TOP for p in PRESENTATION},
    **{p: TOP | PRESENTATION for p in INGEST},
    **{p: TOP | PRESENTATION | INGEST | STORE for p in ANALYSIS},
    **{p: TOP | PRESENTATION | INGEST | ANALYSIS for p in STORE},
    **{p: TOP | PRESENTATION | INGEST | ANALYSIS | STORE for p in BASE},
}


def _package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "uncounted" and len(parts) > 1:
                found.add(parts[1])
    return found


SOURCES = sorted(p for p in SRC.rglob("*.py") if p.parent != SRC or p.name != "__init__.py")


def test_every_package_has_a_layer():
    packages = {_package_of(p) for p in SOURCES}
    assert packages <= set(FORBIDDEN), sorted(packages - set(FORBIDDEN))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_downward(path):
    package = _package_of(path)
    bad = _imported_packages(path) & FORBIDDEN.get(package, set())
    assert not bad, f"{path.relative_to(SRC)} ({package}) imports {sorted(bad)}"


def test_the_checker_catches_an_upward_import(tmp_path):
    fake = tmp_path / "x.py"
    fake.write_text("from uncounted.store.db import make_engine\nimport uncounted.cli.main\n")
    assert _imported_packages(fake) == {"store", "cli"}
