"""A small demo database, and signed-in clients for every demo role."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from uncounted.demo import DEMO_PASSWORD, build_demo, demo_keyring, demo_url
from uncounted.settings import Settings
from uncounted.simulate import WorldConfig
from uncounted.store.access import Principal, Resource, Role, scope_filter
from uncounted.store.db import make_engine, session_scope
from uncounted.store.tables import Assessment, Case, CasePerson, Person, PersonIdentity
from uncounted.web import create_app

ROLES = ("admin", "caseworker", "analyst", "viewer")


@dataclass
class Demo:
    settings: Settings
    own_case: int  # a case of the caseworker's agency (PNP, id 1), with identified people
    other_case: int  # a case outside the caseworker's scope
    names: list[str]  # identifying names of people in own_case
    survivor: int  # an assessed person in the caseworker's scope
    other_survivor: int  # an assessed person outside it


@pytest.fixture(scope="package")
def demo(tmp_path_factory) -> Demo:
    settings = Settings(data_dir=tmp_path_factory.mktemp("webdemo"))
    build_demo(settings, WorldConfig(seed=11, n_victims=500), link=False)
    engine = make_engine(demo_url(settings), demo_keyring(settings))
    cw = Principal(None, "cw", Role.CASEWORKER, 1)
    with session_scope(engine) as s:
        mine = set(s.scalars(select(Case.id).where(scope_filter(cw, Resource.CASES))))
        own = min(
            cid
            for cid in s.scalars(
                select(CasePerson.case_id).join(
                    PersonIdentity, PersonIdentity.person_id == CasePerson.person_id
                )
            )
            if cid in mine
        )
        other = min(set(s.scalars(select(Case.id))) - mine)
        names = [
            n
            for n in s.scalars(
                select(PersonIdentity.family_name)
                .join(CasePerson, CasePerson.person_id == PersonIdentity.person_id)
                .where(CasePerson.case_id == own)
            )
            if n
        ]
        people = set(s.scalars(select(Person.id).where(scope_filter(cw, Resource.PERSONS))))
        assessed = set(s.scalars(select(Assessment.person_id)))
        survivor = min(assessed & people)
        other_survivor = min(assessed - people)
    engine.dispose()
    assert names, "the demo world should name the people of a case"
    return Demo(settings, own, other, names, survivor, other_survivor)


@pytest.fixture(scope="package")
def app(demo):
    return create_app(
        demo.settings, database_url=demo_url(demo.settings), keyring=demo_keyring(demo.settings)
    )


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD):
    token = csrf_of(client.get("/signin").text)
    return client.post(
        "/signin",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


@pytest.fixture(scope="package")
def clients(app) -> dict[str, TestClient]:
    out = {}
    for role in ROLES:
        client = TestClient(app)
        assert sign_in(client, role).status_code == 303
        client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
        out[role] = client
    return out
