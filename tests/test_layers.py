"""Imports point one way, downward (DESIGN.md §2), checked on the source with ``ast``.

cli/  web/                      thin layers
report/  publish/  demo         presentation and release
ingest/                         loading files into the store
justice/ prevalence/ linkage/ survivors/ evaluation/ screening/ metrics/ simulate/
duediligence/
store/                          the only package that touches the case database
domain/  errors  settings  _extras  _plot  _tables  _i18n   import nothing of ours above them

And one data path to the database: outside ``store/`` no module builds a query (only the
``Engine``/``Connection``/``Session`` types and ``sqlalchemy.exc`` may be imported), names a
table class or ``audit_events``, and ``web/``, ``cli/`` and ``ingest/`` run no statement
themselves (no ``execute``/``scalar``/``exec_driver_sql`` calls): they call ``store/``, whose
``access.py`` decides what a user may reach and whose ``audit.py`` is the one audit writer.
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
BASE = {"domain", "errors", "settings", "_extras", "_plot", "_tables", "_i18n"}

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


# -- one data path to the database ------------------------------------------------------------

#: What a module outside store/ may import from SQLAlchemy: types to pass along, and errors.
SQLALCHEMY_ALLOWED = {
    "sqlalchemy": {"Engine", "Connection"},
    "sqlalchemy.orm": {"Session"},
    "sqlalchemy.exc": None,  # any exception
}
#: Packages that must not run statements themselves (method names of sessions and connections).
NO_STATEMENTS = TOP | INGEST
STATEMENT_CALLS = {"execute", "exec_driver_sql", "scalar", "scalars", "execution_options"}


def _data_path_problems(path: Path, package: str) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            problems += [
                f"line {node.lineno}: import {a.name}"
                for a in node.names
                if a.name.split(".")[0] == "sqlalchemy" or a.name == "uncounted.store.tables"
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = {a.name for a in node.names}
            if node.module.split(".")[0] == "sqlalchemy":
                allowed = SQLALCHEMY_ALLOWED.get(node.module, set())
                bad = set() if allowed is None else names - allowed
                if bad:
                    problems.append(f"line {node.lineno}: {node.module} {sorted(bad)}")
            if node.module == "uncounted.store.tables" or (
                node.module == "uncounted.store" and "tables" in names
            ):
                problems.append(f"line {node.lineno}: imports the table classes")
        elif isinstance(node, ast.Constant) and node.value == "audit_events":
            problems.append(f"line {node.lineno}: names audit_events")
        elif (
            package in NO_STATEMENTS
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in STATEMENT_CALLS
        ):
            problems.append(f"line {node.lineno}: .{node.func.attr}(...)")
    return problems


OUTSIDE_STORE = [p for p in SOURCES if _package_of(p) not in STORE]


@pytest.mark.parametrize("path", OUTSIDE_STORE, ids=lambda p: str(p.relative_to(SRC)))
def test_only_store_touches_the_database(path):
    package = _package_of(path)
    problems = _data_path_problems(path, package)
    assert not problems, f"{path.relative_to(SRC)} ({package}) goes around store/: {problems}"


@pytest.mark.parametrize(
    ("source", "package", "caught"),
    [
        ("from sqlalchemy import select\n", "web", True),
        ("from sqlalchemy import Engine, text\n", "report", True),
        ("import sqlalchemy\n", "cli", True),
        ("from sqlalchemy.orm import Session, joinedload\n", "ingest", True),
        ("from uncounted.store.tables import Agency\n", "web", True),
        ("from uncounted.store import tables\n", "cli", True),
        ("x = 'audit_events'\n", "ingest", True),
        ("conn.exec_driver_sql('DELETE FROM cases')\n", "ingest", True),
        ("session.scalar(q)\n", "web", True),
        ("from sqlalchemy import Connection, Engine\n", "ingest", False),
        ("from sqlalchemy.orm import Session\n", "web", False),
        ("from sqlalchemy.exc import OperationalError\n", "web", False),
        ("from uncounted.store.casebook import get_case\n", "web", False),
        ("con.execute('SELECT 1')\n", "linkage", False),  # its own DuckDB, not the case database
    ],
)
def test_the_data_path_checker_catches_a_detour(tmp_path, source, package, caught):
    fake = tmp_path / "x.py"
    fake.write_text(source)
    assert bool(_data_path_problems(fake, package)) is caught
