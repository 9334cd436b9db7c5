"""Access control, cell by cell: role × resource × action, then agency scope on real rows."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import select

from uncounted.errors import AccessDenied
from uncounted.store.access import (
    Action,
    Principal,
    Resource,
    Role,
    allowed,
    check,
    scope_filter,
    sees_identities,
)
from uncounted.store.bulk import insert_frames
from uncounted.store.db import init_database, session_scope
from uncounted.store.tables import (
    Assessment,
    Case,
    JusticeEvent,
    Person,
    PersonIdentity,
    Referral,
)

# One row per resource; letters r c u d for the actions each role has ("-" for none).
#                 admin   caseworker  analyst  viewer
EXPECTED = """
cases             rcud    rcu         r        -
persons           rcud    rcu         r        -
identities        rcud    rcu         -        -
justice_events    rcud    rcu         r        -
referrals         rcud    rcu         r        -
assessments       rcud    rcu         r        -
indicators        rcud    r           r        r
metrics           rcud    r           r        r
prevalence        rcud    r           rc       r
imports           rcud    rc          -        -
users             rcud    -           -        -
audit             rcud    -           -        -
partners          rcud    -           rcu      r
"""
ROLES = [Role.ADMIN, Role.CASEWORKER, Role.ANALYST, Role.VIEWER]
LETTER = {"r": Action.READ, "c": Action.CREATE, "u": Action.UPDATE, "d": Action.DELETE}


def _cells():
    for line in EXPECTED.strip().splitlines():
        resource, *grants = line.split()
        for role, grant in zip(ROLES, grants, strict=True):
            for letter, action in LETTER.items():
                yield Resource(resource), role, action, letter in grant


CELLS = list(_cells())


def test_the_table_covers_every_cell():
    assert len(CELLS) == len(Resource) * len(Role) * len(Action)


@pytest.mark.parametrize(("resource", "role", "action", "expected"), CELLS)
def test_policy_cell(resource, role, action, expected):
    who = Principal(1, "u", role, agency_id=1)
    assert allowed(who, resource, action) is expected
    if expected:
        check(who, resource, action)
    else:
        with pytest.raises(AccessDenied):
            check(who, resource, action)


def test_only_admin_and_caseworker_see_identities():
    assert [sees_identities(Principal(1, "u", r, 1)) for r in ROLES] == [True, True, False, False]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """Three agencies; case 1 owned by agency 1, case 2 by agency 2 shared with 1, case 3 by
    agency 2 with a referral of its victim to agency 3, case 4 by agency 3."""
    from uncounted.settings import Settings

    engine = init_database(Settings(data_dir=tmp_path_factory.mktemp("access")))
    day = dt.date(2025, 3, 1)
    insert_frames(
        engine,
        {
            "agencies": pl.DataFrame(
                {"id": [1, 2, 3], "code": ["A", "B", "C"], "name": ["A", "B", "C"],
                 "org_type": ["NGO"] * 3, "country": ["NP", "IN", "IN"]}
            ),
            "jurisdictions": pl.DataFrame({"id": [1], "country": ["NP"], "name": ["Nepal"]}),
            "persons": pl.DataFrame({"id": [1, 2, 3, 4], "sex": ["Female"] * 4}),
            "person_identities": pl.DataFrame(
                {"person_id": [1, 2, 3, 4], "given_name": ["W", "X", "Y", "Z"]}
            ),
            "cases": pl.DataFrame(
                {"id": [1, 2, 3, 4], "reference": ["c1", "c2", "c3", "c4"],
                 "status": ["Active"] * 4, "exploitation_type": ["ForcedLabour"] * 4,
                 "owning_agency_id": [1, 2, 2, 3], "jurisdiction_id": [1] * 4,
                 "opened_on": [day] * 4, "extra": [{}] * 4}
            ),
            "case_shares": pl.DataFrame({"case_id": [2], "agency_id": [1], "shared_on": [day]}),
            "case_persons": pl.DataFrame(
                {"id": [1, 2, 3, 4], "case_id": [1, 2, 3, 4], "person_id": [1, 2, 3, 4],
                 "role": ["victim"] * 4, "methods_of_control": [[]] * 4}
            ),
            "justice_events": pl.DataFrame(
                {"id": [1, 2, 3, 4], "case_id": [1, 2, 3, 4], "stage": ["arrest"] * 4,
                 "occurred_on": [day] * 4, "jurisdiction_id": [1] * 4}
            ),
            "referrals": pl.DataFrame(
                {"id": [1], "case_id": [3], "person_id": [3], "from_agency_id": [2],
                 "to_agency_id": [3], "from_country": ["IN"], "to_country": ["IN"],
                 "referred_on": [day], "reason": ["Other"], "consent_recorded": [True],
                 "status": ["Accepted"]}
            ),
            "assessments": pl.DataFrame(
                {"id": [1, 2, 3, 4], "person_id": [1, 2, 3, 4], "instrument_id": ["x"] * 4,
                 "assessed_on": [day] * 4, "assessor": ["a"] * 4}
            ),
        },
    )  # fmt: skip
    yield engine
    engine.dispose()


MODELS = {
    Resource.CASES: (Case, Case.id),
    Resource.PERSONS: (Person, Person.id),
    Resource.IDENTITIES: (PersonIdentity, PersonIdentity.person_id),
    Resource.JUSTICE_EVENTS: (JusticeEvent, JusticeEvent.id),
    Resource.ASSESSMENTS: (Assessment, Assessment.id),
    Resource.REFERRALS: (Referral, Referral.id),
}
# (role, agency) -> resource -> ids visible
SCOPE = [
    (Role.CASEWORKER, 1, {"cases": {1, 2}, "persons": {1, 2}, "identities": {1, 2},
                          "justice_events": {1, 2}, "assessments": {1, 2}, "referrals": set()}),
    (Role.CASEWORKER, 2, {"cases": {2, 3}, "persons": {2, 3}, "identities": {2, 3},
                          "justice_events": {2, 3}, "assessments": {2, 3}, "referrals": {1}}),
    (Role.CASEWORKER, 3, {"cases": {3, 4}, "persons": {3, 4}, "identities": {3, 4},
                          "justice_events": {3, 4}, "assessments": {3, 4}, "referrals": {1}}),
    (Role.CASEWORKER, None, {r.value: set() for r in MODELS}),
    (Role.ADMIN, None, {"cases": {1, 2, 3, 4}, "persons": {1, 2, 3, 4},
                        "identities": {1, 2, 3, 4}, "justice_events": {1, 2, 3, 4},
                        "assessments": {1, 2, 3, 4}, "referrals": {1}}),
    (Role.ANALYST, None, {"cases": {1, 2, 3, 4}, "persons": {1, 2, 3, 4}, "identities": set(),
                          "justice_events": {1, 2, 3, 4}, "assessments": {1, 2, 3, 4},
                          "referrals": {1}}),
    (Role.VIEWER, None, {r.value: set() for r in MODELS}),
]  # fmt: skip


@pytest.mark.parametrize(("role", "agency", "visible"), SCOPE)
def test_scope_filter_returns_exactly_the_records_in_scope(engine, role, agency, visible):
    who = Principal(9, "u", role, agency)
    with session_scope(engine) as s:
        for resource, (_model, key) in MODELS.items():
            got = set(s.scalars(select(key).where(scope_filter(who, resource))))
            assert got == visible[resource.value], resource


def test_write_scope_is_narrower_than_nothing_for_viewers(engine):
    who = Principal(9, "v", Role.ANALYST, None)
    with session_scope(engine) as s:
        assert (
            list(s.scalars(select(Case.id).where(scope_filter(who, Resource.CASES, Action.UPDATE))))
            == []
        )
