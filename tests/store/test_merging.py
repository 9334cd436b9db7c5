"""Merging two records of one person: every reference moves, atomic, audited, undone by admin.

Store: the security matrix's (``tests/security/conftest.py``). Persons 1 (victim) and 2
(suspect) of case 1 are both PNP's; 3 and 4 are TH-DSI's. The own case's referral to IACAT is
completed here, so persons 1 and 2 are open to the same agencies (PNP only) unless a test
accepts it again.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from sqlalchemy import delete, event, select

from tests.security.conftest import AGENCIES, DAY, TARGET, end_own_referral, make_store
from uncounted.errors import AccessDenied, AdministratorOnly, InvalidInput
from uncounted.store import merging
from uncounted.store.access import Action, Principal, Resource, Role, person_filter
from uncounted.store.db import session_scope
from uncounted.store.frames import read_table
from uncounted.store.merging import merge_candidates, merge_persons
from uncounted.store.removals import list_removals, restore_record
from uncounted.store.tables import (
    AftercareStep,
    Agency,
    Assessment,
    AuditEvent,
    Case,
    CasePerson,
    CaseShare,
    JusticeEvent,
    LinkageDecision,
    ListMembership,
    Person,
    Referral,
)

OWN, OTHER = TARGET["own"], TARGET["other"]
ADMIN = Principal(1, "admin", Role.ADMIN)
CASEWORKER = Principal(2, "caseworker", Role.CASEWORKER, 1)


@pytest.fixture
def store(tmp_path):
    made = make_store(tmp_path)
    end_own_referral(made.engine)
    yield made
    made.engine.dispose()


def _people_of_case(s, case_id):
    rows = s.execute(
        select(CasePerson.person_id, CasePerson.role).where(CasePerson.case_id == case_id)
    )
    return sorted(rows.all())


def test_merge_moves_every_reference_and_undo_moves_them_back(store):
    with session_scope(store.engine) as s:
        s.get(Person, OWN.suspect).birth_year = 1990
        merge_persons(s, CASEWORKER, OWN.victim, OWN.suspect, "same passport number")
    with session_scope(store.engine) as s:
        assert _people_of_case(s, OWN.case_id) == [(1, "suspect"), (1, "victim")]
        assert s.get(JusticeEvent, OWN.event).person_id == OWN.victim
        assert s.get(Person, OWN.victim).birth_year == 1990  # taken: the kept record lacked it
        decision = s.scalar(select(LinkageDecision))
        assert (decision.person_id_l, decision.person_id_r, decision.decision) == (1, 2, "match")
        merge = s.scalar(select(AuditEvent).where(AuditEvent.action == "merge"))
        assert merge.record_id == "1" and "birth_year" in merge.fields
        assert merge_candidates(s, CASEWORKER) == []  # the merged record is gone
        (removal,) = list_removals(s, ADMIN)
        assert (removal.kind, removal.record_id, removal.merged_into_id) == ("merged", 2, 1)
    assert OWN.suspect not in read_table(store.engine, "persons")["id"].to_list()
    with session_scope(store.engine) as s:
        restore_record(s, ADMIN, removal.id)
    with session_scope(store.engine) as s:
        assert _people_of_case(s, OWN.case_id) == [(1, "victim"), (2, "suspect")]
        assert s.get(JusticeEvent, OWN.event).person_id == OWN.suspect
        assert s.scalar(select(LinkageDecision)) is None
    assert OWN.suspect in read_table(store.engine, "persons")["id"].to_list()


def test_a_failed_merge_leaves_nothing_moved(store, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merging, "record_decision", fail)
    with pytest.raises(RuntimeError), session_scope(store.engine) as s:
        merge_persons(s, CASEWORKER, OWN.victim, OWN.suspect, "same passport number")
    with session_scope(store.engine) as s:
        assert _people_of_case(s, OWN.case_id) == [(1, "victim"), (2, "suspect")]
        assert s.get(JusticeEvent, OWN.event).person_id == OWN.suspect
        assert list_removals(s, ADMIN) == []


@pytest.mark.parametrize(
    ("who", "keep", "other", "error"),
    [
        (CASEWORKER, OTHER.victim, OTHER.suspect, AccessDenied),  # another agency's records
        (ADMIN, OWN.victim, OTHER.victim, InvalidInput),  # two agencies: linkage, not a merge
        (ADMIN, OWN.victim, OWN.victim, InvalidInput),
    ],
)
def test_refused_merges(store, who, keep, other, error):
    with session_scope(store.engine) as s, pytest.raises(error):
        merge_persons(s, who, keep, other, "same passport number")


@pytest.fixture
def reader_calls(monkeypatch) -> list[list[int]]:
    """The person ids of each call of :func:`merging.readers` (which still answers)."""
    calls: list[list[int]] = []
    readers = merging.readers

    def counted(session, person_ids):
        calls.append(sorted(person_ids))
        return readers(session, person_ids)

    monkeypatch.setattr(merging, "readers", counted)
    return calls


@pytest.mark.parametrize("who", [CASEWORKER, ADMIN])
def test_a_merge_reads_the_pairs_readers_once(store, reader_calls, who):
    """The caseworker's check and the widening of an administrator's merge share one read."""
    with session_scope(store.engine) as s:
        merge_persons(s, who, OWN.victim, OWN.suspect, "same passport number")
    assert reader_calls == [[OWN.victim, OWN.suspect]]


@pytest.mark.parametrize("who", [CASEWORKER, ADMIN])
def test_a_merge_preview_reads_the_pairs_readers_once(store, reader_calls, who):
    """The comparison page checks the pair and shows the widening from one read, as the merge
    does."""
    from uncounted.store.merge_review import merge_preview

    with session_scope(store.engine) as s:
        assert merge_preview(s, who, OWN.victim, OWN.suspect).widening == {}
    assert reader_calls == [[OWN.victim, OWN.suspect]]


def test_candidates_come_from_match_decisions(store):
    from uncounted.store.linkage_records import record_decision

    with session_scope(store.engine) as s:
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "match")
        record_decision(s, "reviewer", OWN.victim, OTHER.victim, "match")  # two agencies
    with session_scope(store.engine) as s:
        assert merge_candidates(s, CASEWORKER) == [(1, 2)]
        assert merge_candidates(s, ADMIN) == [(1, 2)]


def test_candidates_are_paged_and_filtered_by_record(store):
    from uncounted.store.linkage_records import record_decision

    with session_scope(store.engine) as s:
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "match")
        record_decision(s, "reviewer", OTHER.victim, OTHER.suspect, "match")
    with session_scope(store.engine) as s:
        assert merge_candidates(s, ADMIN) == [(1, 2), (3, 4)]
        assert merge_candidates(s, ADMIN, limit=1, offset=1) == [(3, 4)]
        assert merge_candidates(s, ADMIN, person_id=OTHER.suspect) == [(3, 4)]
        assert merge_candidates(s, CASEWORKER) == [(1, 2)]  # the other agency's pair: not theirs


def test_names_taken_by_a_merge_find_the_kept_record(store):
    from uncounted.store.person_search import search_persons
    from uncounted.store.tables import PersonIdentity

    with session_scope(store.engine) as s:
        s.get(PersonIdentity, OWN.suspect).given_name = "Analyn"
    with session_scope(store.engine) as s:
        merge_persons(s, CASEWORKER, OWN.victim, OWN.suspect, "same passport", ["given_name"])
    with session_scope(store.engine) as s:
        hits = search_persons(s, CASEWORKER, "Analyn").hits
        assert [h.person_id for h in hits] == [OWN.victim]


def _decision(s):
    row = s.scalar(select(LinkageDecision))
    if row is None:
        return None
    return (row.person_id_l, row.person_id_r, row.decision, row.match_probability,
            row.decided_by, row.decided_at, row.note)  # fmt: skip


@pytest.mark.parametrize("prior", [None, "match", "non-match"])
def test_undoing_a_merge_restores_the_reviewers_decision(store, prior):
    """The merge records its own *match* for the pair; the undo puts back exactly what was
    there before (a reviewer's decision with its reviewer, time and note; or nothing), and the
    audit log shows the merge changing it and the undo changing it back."""
    import datetime as dt

    from uncounted.store.linkage_records import record_decision

    decided_at = dt.datetime(2026, 3, 4, 5, 6, 7)
    if prior is not None:
        with session_scope(store.engine) as s:
            made = record_decision(
                s, "reviewer", OWN.suspect, OWN.victim, prior, match_probability=0.8, note="seen"
            )
            made.decided_at = decided_at
    with session_scope(store.engine) as s:
        before = _decision(s)
        merge_persons(s, CASEWORKER, OWN.victim, OWN.suspect, "same passport number")
    with session_scope(store.engine) as s:
        assert _decision(s)[2:5:2] == ("match", "caseworker")
        (removal,) = list_removals(s, ADMIN)
        restore_record(s, ADMIN, removal.id)
    with session_scope(store.engine) as s:
        assert _decision(s) == before
        if prior is not None:
            assert before == (1, 2, prior, 0.8, "reviewer", decided_at, "seen")
        events = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.resource == "linkage_decisions")
            .order_by(AuditEvent.id)
        ).all()
        actions = [(e.action, e.actor) for e in events]
        if prior is None:
            assert actions == [("create", "caseworker"), ("delete", "admin")]
        else:
            assert actions == [
                ("create", "reviewer"), ("update", "caseworker"), ("update", "admin")
            ]  # fmt: skip
            merged, undone = events[1], events[2]
            assert undone.before == {k: merged.after[k] for k in undone.fields}
            assert undone.after["decided_by"] == "reviewer"
            assert undone.after["note"] == "seen"
            assert undone.after["decided_at"] == decided_at.isoformat()


def test_undo_brings_the_reviewers_decision_back_when_the_merges_is_gone(store):
    from uncounted.store.linkage_records import record_decision

    with session_scope(store.engine) as s:
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "match", note="seen")
    with session_scope(store.engine) as s:
        before = _decision(s)
        merge_persons(s, CASEWORKER, OWN.victim, OWN.suspect, "same passport number")
    with session_scope(store.engine) as s:
        s.delete(s.scalar(select(LinkageDecision)))
    with session_scope(store.engine) as s:
        (removal,) = list_removals(s, ADMIN)
        restore_record(s, ADMIN, removal.id)
    with session_scope(store.engine) as s:
        assert _decision(s) == before


# -- a merge never widens who reads personal data, nor changes what the merger cannot --------


def _share_other_case(s) -> None:
    """TH-DSI shares case 2 (its persons 3 and 4) with PNP, the caseworker's agency."""
    s.add(CaseShare(case_id=OTHER.case_id, agency_id=1, shared_on=DAY))


def _refused(s, keep, other, says):
    with pytest.raises(AccessDenied, match="An administrator must merge these records") as err:
        merge_persons(s, CASEWORKER, keep, other, "same passport number")
    assert says in str(err.value)


def test_a_shared_case_does_not_let_a_caseworker_merge_records_of_unshared_cases(store):
    """The hole: TH-DSI shares one case with PNP; a PNP caseworker merged TH-DSI's two records
    of it, moving person 4's role in TH-DSI's unshared case 3 onto person 3."""
    from uncounted.store.linkage_records import record_decision

    with session_scope(store.engine) as s:
        _share_other_case(s)
        s.get(Referral, OTHER.referral).status = "Completed"  # 3 and 4: TH-DSI and PNP read them
        s.add(CasePerson(case_id=TARGET["ref"].case_id, person_id=OTHER.suspect, role="victim"))
        record_decision(s, "reviewer", OTHER.victim, OTHER.suspect, "match")
    with session_scope(store.engine) as s:
        _refused(s, OTHER.victim, OTHER.suspect, "record 4 has a role in a case you may not")
        assert merge_candidates(s, CASEWORKER) == []  # not offered either
        assert merge_candidates(s, ADMIN) == [(3, 4)]
    with session_scope(store.engine) as s:  # nothing moved
        assert _people_of_case(s, 3) == [(4, "victim"), (5, "victim"), (6, "suspect")]
        assert list_removals(s, ADMIN) == []


@pytest.mark.parametrize(("keep", "other"), [(OWN.victim, OWN.suspect), (OWN.suspect, OWN.victim)])
def test_a_caseworker_may_not_merge_records_open_to_different_agencies(store, keep, other):
    """Person 1 is referred to IACAT (accepted, with consent), person 2 is not: the kept record
    would carry both records' data, so IACAT would newly read person 2's."""
    from uncounted.store.linkage_records import record_decision

    with session_scope(store.engine) as s:
        s.get(Referral, OWN.referral).status = "Accepted"
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "match")
    with session_scope(store.engine) as s:
        _refused(s, keep, other, "not open to the same agencies")
        assert merge_candidates(s, CASEWORKER) == []
        assert merge_candidates(s, CASEWORKER, person_id=OWN.victim) == []


def test_a_caseworker_merges_another_agencys_records_of_a_case_shared_whole(store):
    """Both records only in the case shared with PNP, open to TH-DSI and PNP alike: allowed
    once TH-DSI's own referral, assessment and list membership of person 3 are gone (while
    they are there, the merge would make them about another record: not PNP's to do)."""
    from uncounted.store.linkage_records import record_decision

    with session_scope(store.engine) as s:
        _share_other_case(s)
        s.get(Referral, OTHER.referral).status = "Completed"
        record_decision(s, "reviewer", OTHER.victim, OTHER.suspect, "match")
    with session_scope(store.engine) as s:
        _refused(
            s, OTHER.victim, OTHER.suspect,
            "record 3 has a referral sent by another agency or in a case you may not change, "
            "an assessment recorded by another agency and a membership of another agency's "
            "list; a merge would change them too",
        )  # fmt: skip
        assert merge_candidates(s, CASEWORKER) == []
        for table in (Referral, Assessment, ListMembership):
            s.execute(delete(table).where(table.person_id == OTHER.victim))
    with session_scope(store.engine) as s:
        assert merge_candidates(s, CASEWORKER) == [(3, 4)]
        merge_persons(s, CASEWORKER, OTHER.victim, OTHER.suspect, "same passport number")
    with session_scope(store.engine) as s:
        assert _people_of_case(s, OTHER.case_id) == [(3, "suspect"), (3, "victim")]
        merge = s.scalar(select(AuditEvent).where(AuditEvent.action == "merge"))
        assert "newly_read_by" not in merge.after


def _event_of_other_case(pid):  # the hole: TH-DSI's event in its unshared case 2
    return JusticeEvent(case_id=OTHER.case_id, person_id=pid, stage="arrest", occurred_on=DAY,
                        jurisdiction_id=2, source_agency_id=2)  # fmt: skip


def _referral(pid, sender, case):
    return Referral(case_id=case, person_id=pid, from_agency_id=sender, to_agency_id=3,
                    from_country="PH", to_country="PH", referred_on=DAY, reason="Other",
                    consent_recorded=False, status="Requested")  # fmt: skip


def _aftercare(pid, recorder, case, provider=None):
    return AftercareStep(source_agency_id=recorder, person_id=pid, case_id=case, step="shelter",
                         occurred_on=DAY, country="PH", agency_id=provider)  # fmt: skip


def _assessment(pid, agency):
    return Assessment(person_id=pid, instrument_id="uncounted-restoration-v1", assessed_on=DAY,
                      assessor="b", agency_id=agency)  # fmt: skip


#: Rows about a person that a PNP caseworker may not change, with how a refusal names one.
#: Each leaves the agencies reading the person as they are (no referral opens anything).
OUTSIDE_ROWS = {
    "justice event of another agency's case": (
        _event_of_other_case, "a justice event in a case you may not change"),
    "referral sent by another agency": (
        lambda pid: _referral(pid, 2, None),
        "a referral sent by another agency or in a case you may not change"),
    "own referral in another agency's case": (
        lambda pid: _referral(pid, 1, OTHER.case_id),
        "a referral sent by another agency or in a case you may not change"),
    "assessment recorded by another agency": (
        lambda pid: _assessment(pid, 2), "an assessment recorded by another agency"),
    "assessment recorded by no agency": (
        lambda pid: _assessment(pid, None), "an assessment recorded by another agency"),
    "membership of another agency's list": (
        lambda pid: ListMembership(person_id=pid, agency_id=2, period="2023"),
        "a membership of another agency's list"),
    "aftercare step recorded by another agency": (
        lambda pid: _aftercare(pid, 2, None),
        "an aftercare step recorded by another agency or in a case you may not change"),
    "own aftercare step provided by another agency": (
        lambda pid: _aftercare(pid, 1, OWN.case_id, provider=2),
        "an aftercare step recorded by another agency or in a case you may not change"),
    "own aftercare step in another agency's case": (
        lambda pid: _aftercare(pid, 1, OTHER.case_id),
        "an aftercare step recorded by another agency or in a case you may not change"),
}  # fmt: skip


@pytest.mark.parametrize("pid", [OWN.suspect, OWN.victim], ids=["merged away", "kept"])
@pytest.mark.parametrize("kind", list(OUTSIDE_ROWS))
def test_a_caseworker_may_not_merge_a_record_with_rows_they_may_not_change(store, kind, pid):
    """Persons 1 and 2 are PNP's, both only in PNP's case 1, open to PNP alone: a caseworker
    merges them, unless either record has a row that is not PNP's to change. The merge would
    move the merged record's rows to the kept one, and the kept record's rows would then
    describe a record holding the other's data too (either may be kept: the check is the
    same both ways). An administrator merges them, and the rows move."""
    from uncounted.store.linkage_records import record_decision

    make, says = OUTSIDE_ROWS[kind]
    with session_scope(store.engine) as s:
        row = make(pid)
        s.add(row)
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "match")
        s.flush()
        table, row_id = type(row), row.id
    with session_scope(store.engine) as s:
        assert merging.outside_rows(s, CASEWORKER, (1, 2)) == {pid: {table.__tablename__: 1}}
        for keep, other in ((OWN.victim, OWN.suspect), (OWN.suspect, OWN.victim)):
            _refused(s, keep, other, f"record {pid} has {says}; a merge would change it too")
        assert merge_candidates(s, CASEWORKER) == []
        assert merge_candidates(s, CASEWORKER, person_id=OWN.victim) == []
        assert merge_candidates(s, ADMIN) == [(1, 2)]
        assert s.get(table, row_id).person_id == pid  # nothing moved
        assert list_removals(s, ADMIN) == []
    with session_scope(store.engine) as s:
        merge_persons(s, ADMIN, OWN.victim, OWN.suspect, "same passport number")
    with session_scope(store.engine) as s:
        assert s.get(table, row_id).person_id == OWN.victim


OWN_ROWS = {
    "referral sent by the caseworker's agency": lambda pid: _referral(pid, 1, OWN.case_id),
    "another agency's event in the caseworker's case": lambda pid: JusticeEvent(
        case_id=OWN.case_id, person_id=pid, stage="charge", occurred_on=DAY, jurisdiction_id=1,
        source_agency_id=2, agency_id=2),
    "aftercare step of the caseworker's agency": lambda pid: _aftercare(pid, 1, OWN.case_id, 1),
    "assessment of the caseworker's agency": lambda pid: _assessment(pid, 1),
    "membership of the caseworker's agency's list": lambda pid: ListMembership(
        person_id=pid, agency_id=1, period="2023"),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(OWN_ROWS))
def test_a_caseworker_merges_records_whose_rows_are_theirs(store, kind):
    """A referral PNP sent (to another agency, not accepted), an event of PNP's case recorded
    by a partner it shared nothing with but the case, PNP's aftercare step, assessment and
    list: PNP's to change, so the caseworker merges, and the row moves."""
    with session_scope(store.engine) as s:
        row = OWN_ROWS[kind](OWN.suspect)
        s.add(row)
        s.flush()
        table, row_id = type(row), row.id
    with session_scope(store.engine) as s:
        assert merging.outside_rows(s, CASEWORKER, (1, 2)) == {}
        merge_persons(s, CASEWORKER, OWN.victim, OWN.suspect, "same passport number")
    with session_scope(store.engine) as s:
        assert s.get(table, row_id).person_id == OWN.victim


def test_a_refusal_counts_the_rows_of_each_record_and_names_nothing_else(store):
    with session_scope(store.engine) as s:
        s.add_all([_event_of_other_case(OWN.suspect), _event_of_other_case(OWN.suspect),
                   _assessment(OWN.victim, 2)])  # fmt: skip
    with session_scope(store.engine) as s:
        _refused(
            s, OWN.victim, OWN.suspect,
            "because record 1 has an assessment recorded by another agency and record 2 has 2 "
            "justice events in cases you may not change; a merge would change them too.",
        )  # fmt: skip


def test_an_administrators_merge_that_widens_readers_is_shown_and_audited(store):
    from uncounted.store.merge_review import merge_preview

    with session_scope(store.engine) as s:
        s.get(Referral, OWN.referral).status = "Accepted"
    with session_scope(store.engine) as s:
        assert merging.widening(s, OWN.victim, OWN.suspect) == {OWN.suspect: ["IACAT"]}
        assert merging.widening(s, OWN.suspect, OWN.victim) == {OWN.suspect: ["IACAT"]}
        preview = merge_preview(s, ADMIN, OWN.victim, OWN.suspect).to_dict()
        assert preview["widening"] == [{"record": OWN.suspect, "agencies": ["IACAT"]}]
        merge_persons(s, ADMIN, OWN.victim, OWN.suspect, "same passport number")
    with session_scope(store.engine) as s:
        merge = s.scalar(select(AuditEvent).where(AuditEvent.action == "merge"))
        assert merge.after["newly_read_by"] == {"2": ["IACAT"]}
        assert "IACAT newly read 2's data" in merge.detail


# -- a caseworker's candidates: the administrator's pairs that the caseworker may merge ------


def _add_agencies(s, count: int, seed: int) -> None:
    """``count`` more agencies, each with two cases and four people of its own (a reviewer
    matched every two of them), each person referred to another agency with one of the
    statuses, with or without consent; at random, roles in other agencies' cases and cases
    shared with other agencies. A person no agency recorded has a role in a case; the first new
    agency's first case is deleted (hiding its referrals; a person of the second agency has a
    role in it); a person is merged away."""
    from uncounted.store.linkage_records import record_decision
    from uncounted.store.removals import delete_record

    rng = random.Random(seed)
    new = list(range(len(AGENCIES) + 1, len(AGENCIES) + 1 + count))
    s.add_all(Agency(id=a, code=f"A{a}", name=f"Agency {a}", org_type="NGO") for a in new)
    cases = {
        a: [Case(reference=f"R{a}-{i}", status="Active", exploitation_type="ForcedLabour",
                 owning_agency_id=a, jurisdiction_id=1, opened_on=DAY) for i in range(2)]
        for a in new
    }  # fmt: skip
    people = {a: [Person(source_agency_id=a) for _ in range(4)] for a in new}
    s.add_all([*itertools.chain(*cases.values()), *itertools.chain(*people.values())])
    s.flush()
    every_agency = [*AGENCIES, *new]
    every_case = [t.case_id for t in TARGET.values()] + [c.id for a in new for c in cases[a]]
    statuses = itertools.cycle(
        itertools.product(("Requested", "Accepted", "Declined", "Completed"), (True, False))
    )
    for a in new:
        for i, person in enumerate(people[a]):
            case = cases[a][i % 2].id
            s.add(CasePerson(case_id=case, person_id=person.id, role="victim"))
            if rng.random() < 0.3:
                elsewhere = rng.choice(every_case)
                s.add(CasePerson(case_id=elsewhere, person_id=person.id, role="suspect"))
            status, consent = next(statuses)
            s.add(Referral(
                case_id=case, person_id=person.id, from_agency_id=a,
                to_agency_id=rng.choice([b for b in every_agency if b != a]),
                from_country="PH", to_country="PH", referred_on=DAY, reason="Other",
                consent_recorded=consent, status=status,
            ))  # fmt: skip
        for case in cases[a]:
            for other in every_agency:
                if other != a and rng.random() < 0.25:
                    s.add(CaseShare(case_id=case.id, agency_id=other, shared_on=DAY))
        for left, right in itertools.combinations(people[a], 2):
            record_decision(s, "reviewer", left.id, right.id, "match")
    gone = cases[new[0]][0].id
    s.add(CasePerson(case_id=gone, person_id=people[new[1]][2].id, role="suspect"))
    unrecorded = Person(source_agency_id=None)  # read through its case only
    s.add(unrecorded)
    s.flush()
    s.add(CasePerson(case_id=cases[new[2]][1].id, person_id=unrecorded.id, role="victim"))
    s.flush()
    delete_record(s, ADMIN, "cases", gone, "opened twice")
    merge_persons(s, ADMIN, people[new[1]][0].id, people[new[1]][1].id, "same passport")


def _readers_agency_by_agency(s, ids) -> dict[int, frozenset[int]]:
    """:func:`merging.readers` as it was: :func:`person_filter` asked for each agency."""
    found: dict[int, set[int]] = {pid: set() for pid in ids}
    for agency in s.scalars(select(Agency.id)):
        reader = Principal(None, "", Role.CASEWORKER, agency)
        query = select(Person.id).where(
            Person.id.in_(ids), person_filter(reader, Resource.PERSONS, Action.READ)
        )
        for pid in s.scalars(query):
            found[pid].add(agency)
    return {pid: frozenset(agencies) for pid, agencies in found.items()}


def _outcome(s, who, pair) -> str:
    try:
        merging.mergeable_pair(s, who, *pair)
    except AdministratorOnly as refused:
        return "other readers" if "not open to the same" in str(refused) else "other cases"
    except AccessDenied:
        return "out of scope"
    return "mergeable"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_caseworker_is_offered_the_administrators_pairs_they_may_merge(store, seed):
    """For every agency's caseworker, on a store of eight agencies: the pairs offered are
    those of the administrator's that :func:`mergeable_pair` lets the caseworker merge, and
    the agencies reading each record are :func:`person_filter`'s, agency by agency."""
    with session_scope(store.engine) as s:
        _add_agencies(s, 5, seed)
    with session_scope(store.engine) as s:
        every = merge_candidates(s, ADMIN)
        ids = s.scalars(select(Person.id).order_by(Person.id)).all()  # the merged one too
        assert merging.readers(s, ids) == _readers_agency_by_agency(s, ids)
        outcomes: Counter[str] = Counter()
        for agency in s.scalars(select(Agency.id)).all():
            who = Principal(None, f"caseworker-{agency}", Role.CASEWORKER, agency)
            told = {pair: _outcome(s, who, pair) for pair in every}
            outcomes.update(told.values())
            mergeable = [pair for pair in every if told[pair] == "mergeable"]
            assert merge_candidates(s, who) == mergeable
            assert merge_candidates(s, who, limit=2, offset=1) == mergeable[1:3]
            for pid in ids:
                mine = [pair for pair in mergeable if pid in pair]
                assert merge_candidates(s, who, person_id=pid) == mine
    assert set(outcomes) == {"mergeable", "out of scope", "other cases", "other readers"}


def _statements(engine, run) -> int:
    """How many SQL statements ``run()`` sends."""
    sent = []

    def count(conn, cursor, statement, *rest) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def test_a_caseworkers_candidates_cost_the_same_queries_however_many_agencies(store):
    from uncounted.store.linkage_records import record_decision

    with session_scope(store.engine) as s:
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "match")
    counts = []
    for more in (0, 10):
        with session_scope(store.engine) as s:
            s.add_all(Agency(id=100 + i, code=f"X{i}", name="x", org_type="NGO")
                      for i in range(more))  # fmt: skip
        with session_scope(store.engine) as s:
            s.scalar(select(Agency.id))  # the session's connection, before counting
            counts.append(_statements(store.engine, lambda: merge_candidates(s, CASEWORKER)))
            assert merge_candidates(s, CASEWORKER) == [(1, 2)]
    assert counts[0] == counts[1] == 3  # the pairs, the cases outside, who reads the records


# -- undoing chained merges: B into A, then A into C ------------------------------------------


def _rows_of(s) -> dict[str, list[tuple[int, int]]]:
    """Every row of the tables a merge moves: (row id, person id), by table."""
    return {
        name: sorted((int(i), p) for i, p in s.execute(select(table.id, table.person_id)))
        for name, (table, _) in merging.MOVED.items()
    }


def _chain(store) -> tuple[int, int, int, dict[str, list[tuple[int, int]]]]:
    """Person 5 of PNP (C, the victim of case 1 too, on PNP's 2023 list), then person 2 (B)
    merged into 1 (A), then 1 into 5: the two merges' ids and C, with every row before them."""
    with session_scope(store.engine) as s:
        c = Person(source_agency_id=1)
        s.add(c)
        s.flush()
        s.add_all([CasePerson(case_id=OWN.case_id, person_id=c.id, role="victim"),
                   ListMembership(person_id=c.id, agency_id=1, period="2023")])  # fmt: skip
        c_id = c.id
    with session_scope(store.engine) as s:
        before = _rows_of(s)
        first = merge_persons(s, CASEWORKER, OWN.victim, OWN.suspect, "same passport number")
        s.flush()
        first_id = first.id
    with session_scope(store.engine) as s:
        second = merge_persons(s, CASEWORKER, c_id, OWN.victim, "same fingerprint record")
        s.flush()
        second_id = second.id
    with session_scope(store.engine) as s:  # B's event and role went to A, then on to C
        assert s.get(JusticeEvent, OWN.event).person_id == c_id
    return first_id, second_id, c_id, before


def test_undoing_chained_merges_latest_first_puts_every_row_back(store):
    first, second, _, before = _chain(store)
    with session_scope(store.engine) as s:
        restore_record(s, ADMIN, second)
    with session_scope(store.engine) as s:
        assert s.get(JusticeEvent, OWN.event).person_id == OWN.victim  # back where A had it
        restore_record(s, ADMIN, first)
    with session_scope(store.engine) as s:
        assert _rows_of(s) == before
        assert list_removals(s, ADMIN) == []


def test_undoing_the_earlier_of_chained_merges_first_is_refused(store):
    """Undoing B into A while A is merged into C would take B's rows from C, and the later
    undo of A into C would then move them to A: refused, saying which merge to undo first;
    nothing moves. Undone latest first, every row is back where it was."""
    first, second, c_id, before = _chain(store)
    with session_scope(store.engine) as s:
        during = _rows_of(s)
        with pytest.raises(InvalidInput) as refused:
            restore_record(s, ADMIN, first)
        assert f"Record 1 was since merged into record {c_id}" in str(refused.value)
        assert f"undo that merge ({second}) first" in str(refused.value)
    with session_scope(store.engine) as s:
        assert _rows_of(s) == during
        assert {r.id for r in list_removals(s, ADMIN)} == {first, second}
        restore_record(s, ADMIN, second)
        restore_record(s, ADMIN, first)
    with session_scope(store.engine) as s:
        assert _rows_of(s) == before


def test_an_undo_is_refused_while_a_row_it_moved_is_on_another_record(store):
    """A row the merge moved that was put on another record since stays there: the undo is
    refused rather than taking it back."""
    with session_scope(store.engine) as s:
        removal = merge_persons(s, CASEWORKER, OWN.victim, OWN.suspect, "same passport number")
        s.flush()
        s.get(JusticeEvent, OWN.event).person_id = OTHER.suspect  # corrected since
        removal_id = removal.id
    with session_scope(store.engine) as s, pytest.raises(InvalidInput, match="1 of the rows"):
        restore_record(s, ADMIN, removal_id)
    with session_scope(store.engine) as s:
        assert s.get(JusticeEvent, OWN.event).person_id == OTHER.suspect
        assert _people_of_case(s, OWN.case_id) == [(1, "suspect"), (1, "victim")]
        s.get(JusticeEvent, OWN.event).person_id = OWN.victim  # put back on the kept record
    with session_scope(store.engine) as s:
        restore_record(s, ADMIN, removal_id)
    with session_scope(store.engine) as s:
        assert s.get(JusticeEvent, OWN.event).person_id == OWN.suspect
