"""``uncounted person merge`` and ``unmerge``: as a named user, with the store's access rules.

Store: the security matrix's (``tests/security/conftest.py``): persons 1 and 2 are PNP's (the
caseworker's agency), 3 and 4 TH-DSI's.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.security.conftest import TARGET, end_own_referral, make_store
from uncounted.cli.main import main
from uncounted.settings import get_settings
from uncounted.store.db import session_scope
from uncounted.store.tables import AuditEvent, CasePerson, PersonIdentity

OWN, OTHER = TARGET["own"], TARGET["other"]
REASON = "same passport number on both"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    made = make_store(tmp_path)
    end_own_referral(made.engine)  # persons 1 and 2: open to PNP only
    with session_scope(made.engine) as s:
        s.get(PersonIdentity, OWN.suspect).phone = "+63 900 000 0002"
    yield made
    made.engine.dispose()
    get_settings.cache_clear()


def _people(store) -> list[tuple[int, str]]:
    with session_scope(store.engine) as s:
        rows = s.execute(
            select(CasePerson.person_id, CasePerson.role).where(CasePerson.case_id == OWN.case_id)
        )
        return sorted(tuple(r) for r in rows)


def test_merge_then_unmerge(store, capsys):
    args = ["person", "merge", str(OWN.victim), str(OWN.suspect), "--reason", REASON]
    assert main([*args, "--take", "family_name", "--user", "caseworker"]) == 0
    out = capsys.readouterr().out
    assert "Merged record 2 into 1 (merge 1;" in out
    assert _people(store) == [(1, "suspect"), (1, "victim")]
    with session_scope(store.engine) as s:
        kept = s.get(PersonIdentity, OWN.victim)
        assert (kept.family_name, kept.phone) == (OWN.suspect_name, None)  # only --take
        merge = s.scalar(select(AuditEvent).where(AuditEvent.action == "merge"))
        assert (merge.actor, merge.fields) == ("caseworker", ["family_name"])
    assert main(["person", "unmerge", "1", "--user", "caseworker"]) == 8  # admins only
    assert "may not" in capsys.readouterr().err
    assert main(["person", "unmerge", "1", "--user", "admin"]) == 0
    assert "record 2 is separate from 1 again" in capsys.readouterr().out
    assert _people(store) == [(1, "victim"), (2, "suspect")]


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        ([str(OTHER.victim), str(OTHER.suspect), "--user", "caseworker"], 8, "only records"),
        ([str(OWN.victim), str(OTHER.victim), "--user", "admin"], 4, "two agencies"),
        ([str(OWN.victim), "99", "--user", "admin"], 7, "no person 99"),
        ([str(OWN.victim), str(OWN.suspect), "--user", "nobody"], 4, "No active user"),
    ],
)
def test_refused_merges_say_why(store, capsys, args, code, says):
    result = main(["person", "merge", *args, "--reason", REASON])
    err = capsys.readouterr().err
    assert says in err
    assert result == code
    assert _people(store) == [(1, "victim"), (2, "suspect")]


def test_unmerge_gives_the_reviewers_decision_back(store, capsys):
    from uncounted.store.linkage_records import record_decision
    from uncounted.store.tables import LinkageDecision

    with session_scope(store.engine) as s:
        record_decision(s, "reviewer", OWN.victim, OWN.suspect, "non-match", note="twins")
    args = ["person", "merge", str(OWN.victim), str(OWN.suspect), "--reason", REASON]
    assert main([*args, "--user", "caseworker"]) == 0
    assert main(["person", "unmerge", "1", "--user", "admin"]) == 0
    with session_scope(store.engine) as s:
        decision = s.scalar(select(LinkageDecision))
        assert (decision.decision, decision.decided_by, decision.note) == (
            "non-match", "reviewer", "twins"
        )  # fmt: skip


def test_a_merge_that_would_widen_readers_is_refused_to_a_caseworker(store, capsys):
    from uncounted.store.tables import Referral

    with session_scope(store.engine) as s:  # person 1 referred to IACAT again, 2 not
        s.get(Referral, OWN.referral).status = "Accepted"
    args = ["person", "merge", str(OWN.victim), str(OWN.suspect), "--reason", REASON]
    assert main([*args, "--user", "caseworker"]) == 8
    assert "An administrator must merge these records" in capsys.readouterr().err
    assert _people(store) == [(1, "victim"), (2, "suspect")]
    assert main([*args, "--user", "admin"]) == 0
    with session_scope(store.engine) as s:
        merge = s.scalar(select(AuditEvent).where(AuditEvent.action == "merge"))
        assert merge.after["newly_read_by"] == {"2": ["IACAT"]}


def test_an_imported_event_of_another_agencys_case_keeps_a_caseworker_from_merging(
    store, tmp_path, capsys
):
    """The command-line way: PNP shares case 1 with TH-DSI; PNP's person 2 is also a suspect
    in TH-DSI's unshared case 2 (an administrator recorded the role), and TH-DSI's caseworker
    imports (``uncounted import --user``) an event of case 2 for person 2. PNP's caseworker
    may not merge person 2 away (exit 8, the reason); an administrator may."""
    from tests.security.conftest import DAY
    from uncounted.store.tables import CasePerson, CaseShare, JusticeEvent

    with session_scope(store.engine) as s:
        s.add(CaseShare(case_id=OWN.case_id, agency_id=2, shared_on=DAY))
        s.add(CasePerson(case_id=OTHER.case_id, person_id=OWN.suspect, role="suspect"))
    events = tmp_path / "justice_events.csv"
    events.write_text(
        "external_id,case,case_source,person,person_source,stage,occurred_on,jurisdiction\n"
        f"E-TH-1,{OTHER.case_ext},TH-DSI,S-own,PNP,arrest,2024-06-01,TH\n",
        encoding="utf-8",
    )
    assert main(["import", str(events), "--user", "caseworker-th"]) == 0
    with session_scope(store.engine) as s:
        stored = s.scalar(select(JusticeEvent).where(JusticeEvent.external_id == "E-TH-1"))
        assert (stored.case_id, stored.person_id) == (OTHER.case_id, OWN.suspect)
    capsys.readouterr()
    args = ["person", "merge", str(OWN.victim), str(OWN.suspect), "--reason", REASON]
    assert main([*args, "--user", "caseworker"]) == 8
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert "record 2 has a role in a case you may not change and a justice event" in err
    assert _people(store) == [(1, "victim"), (2, "suspect")]
    assert main([*args, "--user", "admin"]) == 0
    with session_scope(store.engine) as s:
        assert (
            s.scalar(select(JusticeEvent.person_id).where(JusticeEvent.external_id == "E-TH-1"))
            == OWN.victim
        )
