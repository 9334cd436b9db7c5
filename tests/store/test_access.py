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
    permitted_ids,
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
cases             rcud    rcud        r        -
persons           rcud    rcud        r        -
identities        rcud    rcu         -        -
justice_events    rcud    rcud        r        -
referrals         rcud    rcu         r        -
assessments       rcud    rcu         r        -
agencies          rcud    r           r        -
indicators        rcud    r           r        r
metrics           rcud    r           r        r
prevalence        rcud    r           rc       r
imports           rcud    rc          -        -
users             rcud    -           -        -
audit             rcud    -           -        -
partners          rcud    -           rcu      r
removals          rcud    -           -        -
reports           rcud    -           r        r
open_data         rcud    -           rc       -
linkage           rcud    -           rcu      -
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
    agency 2 with an accepted, consented referral of its victim (person 3) to agency 3, case 4
    by agency 3; case 5 by agency 2 whose victim (person 5) was referred to agency 3 and
    declined without consent."""
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
            "persons": pl.DataFrame({"id": [1, 2, 3, 4, 5, 6], "sex": ["Female"] * 6}),
            "person_identities": pl.DataFrame(
                {"person_id": [1, 2, 3, 4, 5, 6], "given_name": ["W", "X", "Y", "Z", "V", "S"]}
            ),
            "cases": pl.DataFrame(
                {"id": [1, 2, 3, 4, 5], "reference": ["c1", "c2", "c3", "c4", "c5"],
                 "status": ["Active"] * 5, "exploitation_type": ["ForcedLabour"] * 5,
                 "owning_agency_id": [1, 2, 2, 3, 2], "jurisdiction_id": [1] * 5,
                 "opened_on": [day] * 5, "extra": [{}] * 5}
            ),
            "case_shares": pl.DataFrame({"case_id": [2], "agency_id": [1], "shared_on": [day]}),
            "case_persons": pl.DataFrame(
                {"id": [1, 2, 3, 4, 5, 6], "case_id": [1, 2, 3, 4, 5, 3],
                 "person_id": [1, 2, 3, 4, 5, 6],
                 "role": ["victim"] * 5 + ["suspect"], "methods_of_control": [[]] * 6}
            ),
            "justice_events": pl.DataFrame(
                {"id": [1, 2, 3, 4, 5], "case_id": [1, 2, 3, 4, 5], "stage": ["arrest"] * 5,
                 "occurred_on": [day] * 5, "jurisdiction_id": [1] * 5}
            ),
            "referrals": pl.DataFrame(
                {"id": [1, 2], "case_id": [3, 5], "person_id": [3, 5], "from_agency_id": [2, 2],
                 "to_agency_id": [3, 3], "from_country": ["IN"] * 2, "to_country": ["IN"] * 2,
                 "referred_on": [day] * 2, "reason": ["Other"] * 2,
                 "consent_recorded": [True, False], "status": ["Accepted", "Declined"]}
            ),
            "assessments": pl.DataFrame(
                {"id": [1, 2, 3, 4, 5], "person_id": [1, 2, 3, 4, 5], "instrument_id": ["x"] * 5,
                 "assessed_on": [day] * 5, "assessor": ["a"] * 5}
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
# (role, agency) -> resource -> ids visible. Agency 3 received person 3 by an accepted,
# consented referral: it reads that person (identity, assessments) and nothing else of case 3
# (not the case, its suspect 6 or its events); the declined referral of person 5 opens nothing.
ALL = {1, 2, 3, 4, 5}
SCOPE = [
    (Role.CASEWORKER, 1, {"cases": {1, 2}, "persons": {1, 2}, "identities": {1, 2},
                          "justice_events": {1, 2}, "assessments": {1, 2}, "referrals": set()}),
    (Role.CASEWORKER, 2, {"cases": {2, 3, 5}, "persons": {2, 3, 5, 6},
                          "identities": {2, 3, 5, 6}, "justice_events": {2, 3, 5},
                          "assessments": {2, 3, 5}, "referrals": {1, 2}}),
    (Role.CASEWORKER, 3, {"cases": {4}, "persons": {3, 4}, "identities": {3, 4},
                          "justice_events": {4}, "assessments": {3, 4}, "referrals": {1}}),
    (Role.CASEWORKER, None, {r.value: set() for r in MODELS}),
    (Role.ADMIN, None, {"cases": ALL, "persons": ALL | {6}, "identities": ALL | {6},
                        "justice_events": ALL, "assessments": ALL, "referrals": {1, 2}}),
    (Role.ANALYST, None, {"cases": ALL, "persons": ALL | {6}, "identities": set(),
                          "justice_events": ALL, "assessments": ALL, "referrals": {1, 2}}),
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


def test_a_referral_opens_the_person_to_read_never_to_change_nor_the_case(engine):
    """Agency 3 reads the referred person (accepted, with consent) and may record their
    assessments, but may not change the person, nor read or change the sending agency's case
    or the referral's record of it."""
    who = Principal(9, "u", Role.CASEWORKER, 3)
    with session_scope(engine) as s:

        def ids(resource, action, key=Person.id):
            return set(s.scalars(select(key).where(scope_filter(who, resource, action))))

        assert ids(Resource.PERSONS, Action.READ) == {3, 4}
        assert ids(Resource.PERSONS, Action.UPDATE) == {4}
        assert ids(Resource.CASES, Action.UPDATE, Case.id) == {4}
        assert ids(Resource.REFERRALS, Action.UPDATE, Referral.id) == set()
        assert permitted_ids(s, who, Resource.PERSONS, Action.CREATE, [3, 4, 5],
                             of_persons=Resource.ASSESSMENTS) == {3, 4}  # fmt: skip
        assert permitted_ids(s, who, Resource.PERSONS, Action.UPDATE, [3, 4, 5]) == {4}
