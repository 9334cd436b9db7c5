"""Fixtures of the ingest tests: a migrated SQLite store with two agencies, and file writers."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from uncounted.ingest import import_file
from uncounted.store.db import make_engine, upgrade

#: "Today" for every test, so that "not in the future" does not depend on the clock.
TODAY = dt.date(2026, 6, 30)

AGENCIES = "code,name,org_type,country\nNGO-A,Hope NGO,NGO,PH\nPNP,Police,LawEnforcement,PH\n"
CASES = (
    "external_id,status,exploitation_type,jurisdiction,opened_on,closed_on\n"
    "C1,Active,ForcedLabour,PH,2024-01-05,\n"
    "C2,Closed,SexualExploitation,PH-CEB,2023-03-01,2023-09-01\n"
)
PERSONS = (
    "external_id,sex,citizenship,given_name,case,role\n"
    "P1,Female,PH,Ana,C1,victim\n"
    "P2,Male,TH,Bo,C1,suspect\n"
)


def _engine(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "store.sqlite"
    _engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def engine(tmp_path: Path, _template: Path) -> Iterator[Engine]:
    """An empty migrated SQLite store (a copy of one migrated once per session)."""
    target = tmp_path / "store.sqlite"
    shutil.copyfile(_template, target)
    e = make_engine(f"sqlite:///{target}")
    yield e
    e.dispose()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(name, text or bytes) -> path of a new file in a fresh folder."""
    folder = tmp_path / "files"
    folder.mkdir()

    def _write(name: str, content: str | bytes) -> Path:
        path = folder / name
        if isinstance(content, str):
            path.write_text(content, "utf-8")
        else:
            path.write_bytes(content)
        return path

    return _write


@pytest.fixture
def loaded(engine: Engine, write: Callable[..., Path]) -> Engine:
    """A store with agencies NGO-A and PNP, cases C1 and C2 and persons P1, P2 of PNP."""
    import_file(engine, write("agencies.csv", AGENCIES), today=TODAY)
    import_file(engine, write("cases.csv", CASES), source="PNP", today=TODAY)
    import_file(engine, write("persons.csv", PERSONS), source="PNP", today=TODAY)
    return engine
