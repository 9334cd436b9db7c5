"""Issue #15, findings 1 and 2, reproduced as they were found: they must not reproduce.

1. Signed in as a PNP caseworker, an import opened a TH-DSI case (a referral from TH-DSI to
   PNP), renamed an agency, and added persons, an acquittal, a case owned by TH-DSI and
   assessments of TH-DSI survivors — unaudited.
2. A referral opened the sending agency's whole case to the receiving agency (every identity,
   the suspect's too, and the right to edit and close it), whatever its status or consent.
3. A caseworker imported a referral from their own agency as "Accepted" with consent recorded
   (or turned a declined one into that), which opened the referred person to the receiving
   agency without that agency or the person agreeing; the sender's referral form silently
   ignored the status and consent a client posted.
4. PNP shared its case 1 with TH-DSI; a TH-DSI caseworker imported (web upload and
   ``uncounted import --user``) a justice event of TH-DSI's own case 2 for PNP's person 2, whose
   only role is in case 1. The case and the person were each checked, not that the person is
   in the case, which the event form refuses; the event showed on case 2's page, in its
   indicators and on person 2's survivor page.

Each test builds its own store: a regression that reappears cannot spoil the others.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from tests.security.conftest import TARGET, signed_in
from tests.security.test_matrix import IMPORTS
from uncounted.cli.main import main
from uncounted.settings import get_settings
from uncounted.store.audit import REDACTED
from uncounted.store.tables import (
    Agency,
    AuditEvent,
    Case,
    CasePerson,
    JusticeEvent,
    Person,
    Referral,
)

OTHER = TARGET["other"]
OWN = TARGET["own"]
DAY_MIGRATED = dt.date(2024, 5, 1)

REFER_INTO_PNP = (
    "person,person_source,case,case_source,from_agency,to_agency,from_country,to_country,"
    "referred_on,reason,consent_recorded,status\n"
    f"{OTHER.victim_ext},TH-DSI,{OTHER.case_ext},TH-DSI,TH-DSI,PNP,TH,PH,2024-05-01,Other,yes,"
    "Accepted\n"
)


def _counts(store) -> dict[str, int]:
    with store.engine.connect() as conn:
        tables = (Agency, Case, CasePerson, JusticeEvent, Person, Referral)
        counts = {
            t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in tables
        }
        counts["agency names"] = len(set(conn.execute(select(Agency.name)).scalars()))
        counts["changes audited"] = conn.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.in_(("create", "update")))
        ).scalar_one()
    return counts


@contextmanager
def _cli_on(store, monkeypatch) -> Iterator[None]:
    """``uncounted`` commands run (``main``) against ``store``, with wide terminal output."""
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(store.settings.data_dir))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()


def _upload(client, name: str, text: str, kind: str):
    report = client.post(
        "/api/imports",
        data={"record_type": kind},
        files={"file": (name, text.encode(), "text/csv")},
    )
    body = report.json()
    # a file of which nothing could be loaded is answered 422 and not kept (no token to confirm)
    expected = 200 if body["token"] else 422
    assert report.status_code == expected, report.text
    return body


def test_finding_1_a_referral_import_does_not_open_another_agencys_case(fresh_store, fresh_app):
    cw = signed_in(fresh_app, "caseworker")
    assert cw.get(f"/api/cases/{OTHER.case_id}").status_code == 403
    before = _counts(fresh_store)
    report = _upload(cw, "referrals.csv", REFER_INTO_PNP, "referrals")
    # the dry run already names every row and column the caseworker may not load
    problems = {(p["line"], p["column"]) for p in report["result"]["rejected"]}
    assert problems == {
        (2, "from_agency"),
        (2, "case"),
        (2, "person"),
        (2, "status"),  # and it decides for the receiver (finding 3)
        (2, "consent_recorded"),
    }
    # nothing in it could be loaded, so the upload was not even kept for confirmation
    assert report["token"] is None
    assert cw.get(f"/api/cases/{OTHER.case_id}").status_code == 403
    assert cw.get(f"/api/survivors/{OTHER.victim}").status_code == 403
    assert _counts(fresh_store) == before


@pytest.mark.parametrize(
    ("what", "kind", "text"), [(w, k, t) for w, k, t, _ in IMPORTS], ids=[w for w, *_ in IMPORTS]
)
def test_finding_1_no_import_row_reaches_another_agencys_records(
    fresh_store, fresh_app, what, kind, text
):
    """Every attack of the matrix, loaded for real (upload, then confirm), changes nothing."""
    cw = signed_in(fresh_app, "caseworker")
    body = text.format(
        owner="TH-DSI", case_ext=OTHER.case_ext, victim_ext=OTHER.victim_ext, name="other",
        receiver="PNP", stored_to="PNP",
    )  # fmt: skip
    before = _counts(fresh_store)
    report = _upload(cw, f"{kind}.csv", body, kind)
    assert report["result"]["rejected"], what
    if report["token"] is not None:  # some rows looked loadable: confirming still loads none
        done = cw.post(f"/api/imports/{report['token']}/confirm", json={"partial": "yes"})
        assert done.status_code in (200, 422)
    assert _counts(fresh_store) == before, what


def test_an_allowed_import_is_audited_change_by_change_as_the_user(fresh_store, fresh_app):
    cw = signed_in(fresh_app, "caseworker")
    text = f"external_id,family_name,case,role\nNEW-1,Newcomer,{OWN.case_ext},victim\n"
    report = _upload(cw, "persons.csv", text, "persons")
    assert report["result"]["rejected"] == []
    done = cw.post(f"/api/imports/{report['token']}/confirm", json={}).json()
    assert done["status"] == "loaded" and done["rows_created"] == 1
    with fresh_store.engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent).where(AuditEvent.detail.like(f"import batch {done['batch_id']} %"))
        ).all()
    made = {(e.action, e.resource) for e in events}
    assert made == {
        ("create", "persons"),
        ("create", "person_identities"),
        ("create", "case_persons"),
        ("import", "import_batches"),
    }
    assert {e.user_id for e in events} == {fresh_store.user_ids["caseworker"]}
    assert {e.actor for e in events} == {"caseworker"}
    identity = next(e for e in events if e.resource == "person_identities")
    assert identity.after["family_name"] == REDACTED
    assert "Newcomer" not in json.dumps([e.after for e in events])
    new_person = next(e for e in events if e.resource == "persons")
    assert new_person.after["external_id"] == "NEW-1"
    assert new_person.after["source_agency_id"] == 1  # the caseworker's agency


def test_finding_1_cli_import_and_export_under_a_user(fresh_store, tmp_path, monkeypatch, capsys):
    """``uncounted import --user`` is held to the user's scope like the web upload; without
    ``--user`` it is the operator's command."""
    with _cli_on(fresh_store, monkeypatch):
        path = tmp_path / "referrals.csv"
        path.write_text(REFER_INTO_PNP, encoding="utf-8")
        before = _counts(fresh_store)
        assert main(["import", str(path), "--user", "caseworker"]) == 4
        assert "refer people from your own agency only" in capsys.readouterr().err
        assert _counts(fresh_store) == before
        assert main(["import", str(path), "--user", "nobody"]) != 0
        out = tmp_path / "export"
        assert main(["export", "--out", str(out), "--user", "caseworker"]) == 0
        persons = (out / "persons.csv").read_text("utf-8")
        assert OWN.victim_name in persons and OTHER.victim_name not in persons
        assert main(["import", str(path)]) == 0  # the operator's import is not narrowed


def _refer(client) -> int:
    values = {
        "person_id": OWN.victim, "to_agency_id": 2, "from_country": "PH", "to_country": "TH",
        "referred_on": "2025-02-06", "reason": "Other",
    }  # fmt: skip
    response = client.post(f"/api/cases/{OWN.case_id}/referrals/new", json=values)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_finding_2_a_referral_opens_only_the_person_while_accepted_with_consent(
    fresh_store, fresh_app
):
    pnp, th = signed_in(fresh_app, "caseworker"), signed_in(fresh_app, "caseworker-th")
    close = {
        "reference": "REF-own", "status": "Closed", "exploitation_type": "ForcedLabour",
        "jurisdiction": "PH", "opened_on": "2024-03-01", "closed_on": "2025-03-01",
    }  # fmt: skip

    def th_sees() -> dict[str, int]:
        return {
            "case": th.get(f"/api/cases/{OWN.case_id}").status_code,
            "person": th.get(f"/api/survivors/{OWN.victim}").status_code,
            "suspect": th.get(f"/api/survivors/{OWN.suspect}").status_code,
            "close": th.post(f"/api/cases/{OWN.case_id}/edit", json=close).status_code,
        }

    closed = {"case": 403, "person": 403, "suspect": 403, "close": 403}
    referral = _refer(pnp)
    assert th_sees() == closed  # requested: nothing opens
    decline = th.post(f"/api/referrals/{referral}/decline", json={"reason": "no place"})
    assert decline.status_code == 200, decline.text
    assert th_sees() == closed
    consent = {"consent": "yes", "consent_method": "Written", "consent_given_on": "2025-02-05"}
    # declined: it cannot be accepted until the sender sends it again
    assert th.post(f"/api/referrals/{referral}/accept", json=consent).status_code == 422
    assert th.post(f"/api/referrals/{referral}/resend").status_code == 403  # not the sender
    assert pnp.post(f"/api/referrals/{referral}/resend").status_code == 200
    # the sender cannot accept for the receiver, and the receiver must confirm consent
    assert pnp.post(f"/api/referrals/{referral}/accept", json=consent).status_code == 403
    unconfirmed = th.post(f"/api/referrals/{referral}/accept", json={**consent, "consent": ""})
    assert unconfirmed.status_code == 422 and "consent" in unconfirmed.json()["problems"]
    assert th_sees() == closed
    assert th.post(f"/api/referrals/{referral}/accept", json=consent).status_code == 200
    assert th_sees() == {**closed, "person": 200}
    page = th.get(f"/api/survivors/{OWN.victim}").json()
    assert page["label"] == OWN.victim_name and page["cases"] == []
    assert OWN.suspect_name not in json.dumps(page)
    assert th.get(f"/cases/{OWN.case_id}").status_code == 403
    sent = pnp.get(f"/api/cases/{OWN.case_id}").json()["referrals"]
    assert [r["status"] for r in sent if r["id"] == referral] == ["Accepted"]
    done = th.post(f"/api/referrals/{referral}/complete", json={"confirm": "yes"})
    assert done.status_code == 200
    assert th_sees() == closed
    assert pnp.get(f"/api/cases/{OWN.case_id}").json()["case"]["status"] == "Active"


def test_a_caseworker_reimports_their_assessments_unchanged(fresh_store, tmp_path):
    """A caseworker's assessments are recorded as their agency's, so importing the same file
    again finds them theirs and changes nothing."""
    from tests.security.test_matrix import _who
    from uncounted.ingest import import_file

    path = tmp_path / "assessments.csv"
    path.write_text(
        "person,instrument_id,assessed_on,assessor,item_safety.housing\n"
        f"{OWN.victim_ext},uncounted-restoration-v1,2024-08-01,me,3\n",
        encoding="utf-8",
    )
    who = _who(fresh_store, "caseworker")
    first = import_file(fresh_store.engine, path, "assessments", who=who)
    again = import_file(fresh_store.engine, path, "assessments", who=who)
    assert (first.rows_created, again.rows_unchanged, again.rejected) == (1, 1, [])


def test_the_imports_page_lists_only_the_agencys_batches(fresh_store, fresh_app, tmp_path):
    from tests.security.test_matrix import _who
    from uncounted.ingest import import_file

    path = tmp_path / "th-cases.csv"
    path.write_text(
        "external_id,status,exploitation_type,jurisdiction,opened_on\n"
        "TH-NEW,Active,ForcedLabour,TH,2024-03-01\n",
        encoding="utf-8",
    )
    import_file(fresh_store.engine, path, "cases", source="TH-DSI", who=_who(fresh_store, "admin"))
    seen = {
        name: [
            b["file_name"] for b in signed_in(fresh_app, name).get("/api/imports").json()["batches"]
        ]
        for name in ("admin", "caseworker", "caseworker-th")
    }
    assert seen == {"admin": ["th-cases.csv"], "caseworker": [], "caseworker-th": ["th-cases.csv"]}


REFER_OWN_VICTIM_TO_TH = (
    "person,person_source,case,case_source,from_agency,to_agency,from_country,to_country,"
    "referred_on,reason,consent_recorded,status\n"
    f"{OWN.victim_ext},PNP,{OWN.case_ext},PNP,PNP,TH-DSI,PH,TH,2024-05-01,Other,{{consent}},"
    "{status}\n"
)
#: TH-DSI's declined referral of its victim to PNP (the "declined" target), re-imported by its
#: sender as accepted with consent
ACCEPT_DECLINED = (
    "person,person_source,case,case_source,from_agency,to_agency,from_country,to_country,"
    "referred_on,reason,consent_recorded,status\n"
    f"{TARGET['declined'].victim_ext},TH-DSI,{TARGET['declined'].case_ext},TH-DSI,TH-DSI,PNP,"
    "PH,PH,2024-03-01,Other,yes,Accepted\n"
)


def test_finding_3_a_referral_imported_as_accepted_opens_nothing(fresh_store, fresh_app):
    """Web upload: the sender's own referral, new or stored, cannot be imported as decided."""
    pnp, th = signed_in(fresh_app, "caseworker"), signed_in(fresh_app, "caseworker-th")
    assert th.get(f"/api/survivors/{OWN.victim}").status_code == 403
    before = _counts(fresh_store)
    accepted = REFER_OWN_VICTIM_TO_TH.format(consent="yes", status="Accepted")
    report = _upload(pnp, "referrals.csv", accepted, "referrals")
    rejected = {(p["line"], p["column"]) for p in report["result"]["rejected"]}
    assert rejected == {(2, "status"), (2, "consent_recorded")}
    assert all("receiving agency" in p["reason"] for p in report["result"]["rejected"])
    assert report["token"] is None
    # an update of a stored referral may not decide it either (declined -> accepted)
    report = _upload(th, "referrals.csv", ACCEPT_DECLINED, "referrals")
    assert {(p["line"], p["column"]) for p in report["result"]["rejected"]} == {
        (2, "status"),
        (2, "consent_recorded"),
    }
    assert _counts(fresh_store) == before
    assert th.get(f"/api/survivors/{OWN.victim}").status_code == 403
    assert pnp.get(f"/api/survivors/{TARGET['declined'].victim}").status_code == 403
    # a request is what a sender may import; the receiver then decides in its inbox
    requested = REFER_OWN_VICTIM_TO_TH.format(consent="no", status="Requested")
    report = _upload(pnp, "referrals.csv", requested, "referrals")
    assert report["result"]["rejected"] == []
    done = pnp.post(f"/api/imports/{report['token']}/confirm", json={}).json()
    assert (done["status"], done["rows_created"]) == ("loaded", 1)
    inbox = th.get("/api/referrals").json()["by_status"]["Requested"]
    assert [r["person_id"] for r in inbox] == [OWN.victim]
    assert th.get(f"/api/survivors/{OWN.victim}").status_code == 403


def test_finding_3_library_and_cli_refuse_a_decided_referral_whole(
    fresh_store, tmp_path, monkeypatch, capsys
):
    from tests.security.test_matrix import _who
    from uncounted.errors import ImportRejected
    from uncounted.ingest import import_file

    path = tmp_path / "referrals.csv"
    # a good request on line 2, the decided referral on line 3: nothing of the file is loaded
    good = REFER_OWN_VICTIM_TO_TH.format(consent="no", status="Requested")
    bad = REFER_OWN_VICTIM_TO_TH.format(consent="yes", status="Completed").splitlines()[1]
    path.write_text(good + bad.replace("2024-05-01", "2024-06-01") + "\n", encoding="utf-8")
    before = _counts(fresh_store)
    with pytest.raises(ImportRejected) as caught:
        import_file(fresh_store.engine, path, "referrals", who=_who(fresh_store, "caseworker"))
    assert {(r.file, r.line, r.column, r.value) for r in caught.value.rows} == {
        ("referrals.csv", 3, "status", "Completed"),
        ("referrals.csv", 3, "consent_recorded", "True"),
    }
    assert _counts(fresh_store) == before
    with _cli_on(fresh_store, monkeypatch):
        assert main(["import", str(path), "--user", "caseworker"]) == 4
        err = capsys.readouterr().err
        assert "Rejected rows (2 problems)" in err and "receiving" in err
        assert _counts(fresh_store) == before
        # --partial sets the decided row aside and loads the request
        assert main(["import", str(path), "--user", "caseworker", "--partial"]) == 0
        with fresh_store.engine.connect() as conn:
            stored = conn.execute(
                select(Referral.status, Referral.consent_recorded).where(
                    Referral.person_id == OWN.victim, Referral.to_agency_id == 2
                )
            ).all()
        assert stored == [("Requested", False)]


def test_finding_3_an_admin_migrates_decided_referrals_only_with_complete_consent(
    fresh_store, tmp_path
):
    from tests.security.test_matrix import _who
    from uncounted.errors import ImportRejected
    from uncounted.ingest import import_file

    admin = _who(fresh_store, "admin")
    path = tmp_path / "referrals.csv"
    path.write_text(REFER_OWN_VICTIM_TO_TH.format(consent="yes", status="Accepted"), "utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_file(fresh_store.engine, path, "referrals", who=admin)
    assert {r.column for r in caught.value.rows} == {
        "consent_method",
        "consent_given_on",
        "consent_recorded_by",
    }
    header, row = REFER_OWN_VICTIM_TO_TH.format(consent="yes", status="Accepted").splitlines()
    path.write_text(
        f"{header},consent_method,consent_given_on,consent_recorded_by\n"
        f"{row},Written,2024-04-30,m.santos (old case system)\n",
        "utf-8",
    )
    done = import_file(fresh_store.engine, path, "referrals", who=admin)
    assert done.rows_created == 1
    with fresh_store.engine.connect() as conn:
        stored = conn.execute(select(Referral).where(Referral.referred_on == DAY_MIGRATED)).one()
        audited = conn.execute(
            select(AuditEvent).where(
                AuditEvent.resource == "referrals", AuditEvent.action == "create"
            )
        ).all()
    assert (stored.status, stored.consent_recorded, stored.consent_method) == (
        "Accepted",
        True,
        "Written",
    )
    assert stored.consent_given_on.isoformat() == "2024-04-30"
    assert stored.consent_recorded_by == "m.santos (old case system)"
    assert stored.consent_recorded_at is None  # when it was imported: the audit event's time
    (event,) = audited
    assert event.actor == "admin"
    assert event.after["consent_method"] == "Written" and event.after["status"] == "Accepted"
    # the sender re-imports it as stored, without consent columns: it stays as it is
    path.write_text(REFER_OWN_VICTIM_TO_TH.format(consent="yes", status="Accepted"), "utf-8")
    again = import_file(fresh_store.engine, path, "referrals", who=_who(fresh_store, "caseworker"))
    assert (again.rows_unchanged, again.rejected) == (1, [])
    with fresh_store.engine.connect() as conn:
        kept = conn.execute(select(Referral).where(Referral.referred_on == DAY_MIGRATED)).one()
    assert (kept.consent_method, kept.consent_recorded_by) == (
        "Written",
        "m.santos (old case system)",
    )


def test_finding_3_the_senders_form_refuses_status_and_consent(fresh_store, fresh_app):
    pnp = signed_in(fresh_app, "caseworker")
    values = {
        "person_id": OWN.victim, "to_agency_id": 2, "from_country": "PH", "to_country": "TH",
        "referred_on": "2025-02-06", "reason": "Other",
        "consent_recorded": "yes", "status": "Accepted",
    }  # fmt: skip
    before = _counts(fresh_store)
    response = pnp.post(f"/api/cases/{OWN.case_id}/referrals/new", json=values)
    assert response.status_code == 422, response.text
    assert set(response.json()["problems"]) == {"status", "consent_recorded"}
    edit = pnp.post(
        f"/api/cases/{OWN.case_id}/referrals/{OWN.referral}/edit",
        json={**values, "status": "Completed", "consent_recorded": ""},
    )
    assert edit.status_code == 422 and set(edit.json()["problems"]) == {"status"}
    # a hand-made post to the page (not the JSON twin) is refused the same way, and says why
    page = pnp.post(f"/cases/{OWN.case_id}/referrals/new", data=values)
    assert page.status_code == 422
    assert 'data-field="status"' in page.text and "referral inbox" in page.text
    assert _counts(fresh_store) == before


def test_finding_3_an_admins_undecided_row_clears_the_consent_it_replaces(fresh_store, tmp_path):
    """An administrator re-importing an accepted referral as requested (or declined) leaves no
    consent behind: a referral without consent recorded holds no how, day or recorder."""
    from tests.security.test_matrix import _who
    from uncounted.ingest import import_file

    admin = _who(fresh_store, "admin")
    header, row = REFER_OWN_VICTIM_TO_TH.format(consent="yes", status="Accepted").splitlines()
    path = tmp_path / "referrals.csv"
    path.write_text(
        f"{header},consent_method,consent_given_on,consent_recorded_by\n"
        f"{row},Written,2024-04-30,m.santos (old case system)\n",
        "utf-8",
    )
    import_file(fresh_store.engine, path, "referrals", who=admin)
    for status in ("Requested", "Declined"):
        path.write_text(REFER_OWN_VICTIM_TO_TH.format(consent="no", status=status), "utf-8")
        done = import_file(fresh_store.engine, path, "referrals", who=admin)
        assert (done.rows_updated, done.rejected) == (1, [])
        with fresh_store.engine.connect() as conn:
            stored = conn.execute(
                select(Referral).where(Referral.referred_on == DAY_MIGRATED)
            ).one()
        assert (stored.status, stored.consent_recorded) == (status, False)
        assert (stored.consent_method, stored.consent_given_on, stored.consent_recorded_by) == (
            None,
            None,
            None,
        )
        assert stored.consent_recorded_at is None


def test_finding_3_exported_referrals_import_back_unchanged(fresh_store, tmp_path):
    """The referral export carries the consent columns, so an administrator's export of decided
    referrals imports back (it needs them complete), and a sender's own export re-imports
    unchanged (consent columns equal to the stored ones are not a decision)."""
    from tests.security.test_matrix import _who
    from uncounted.ingest import import_file
    from uncounted.ingest.export import export_records

    admin, pnp = _who(fresh_store, "admin"), _who(fresh_store, "caseworker")
    header, row = REFER_OWN_VICTIM_TO_TH.format(consent="yes", status="Accepted").splitlines()
    path = tmp_path / "referrals.csv"
    path.write_text(
        f"{header},consent_method,consent_given_on,consent_recorded_by\n"
        f"{row},Verbal,2024-04-29,k.wong\n",
        "utf-8",
    )
    import_file(fresh_store.engine, path, "referrals", who=admin)
    for who in (admin, pnp):
        (exported,) = export_records(
            fresh_store.engine, tmp_path / who.username, "csv", ["referrals"], who=who
        )
        text = exported.read_text("utf-8-sig")
        assert "consent_method,consent_given_on,consent_recorded_by" in text.splitlines()[0]
        assert "Verbal,2024-04-29,k.wong" in text
        before = _counts(fresh_store)
        if who is pnp:  # what it sent (its export also lists referrals it received)
            lines = text.splitlines()
            sent = [line for line in lines[1:] if ",PNP,TH-DSI," in line or ",PNP,PNP," in line]
            exported.write_text("\n".join([lines[0], *sent]) + "\n", "utf-8")
        again = import_file(fresh_store.engine, exported, "referrals", who=who)
        assert again.rejected == [] and again.rows_created == again.rows_updated == 0
        assert _counts(fresh_store) == before
    # but a sender may not change the consent the receiving agency recorded
    changed = exported.read_text("utf-8-sig").replace("Verbal,2024-04-29", "Written,2024-04-29")
    exported.write_text(changed, "utf-8")
    from uncounted.errors import ImportRejected

    with pytest.raises(ImportRejected) as caught:
        import_file(fresh_store.engine, exported, "referrals", who=pnp)
    assert {r.column for r in caught.value.rows} == {"consent_method"}


def test_a_caseworker_may_not_take_memberships_out_of_the_stored_lists(fresh_store, tmp_path):
    """``linkage_only`` takes a list membership out of every agency's prevalence estimate: a
    caseworker's import may leave it out or repeat the stored value, not change it; an
    administrator may set it, and a caseworker's later import without it leaves it set."""
    from tests.security.test_matrix import _who
    from uncounted.errors import ImportRejected
    from uncounted.ingest import import_file
    from uncounted.store.tables import ListMembership

    header = "person,person_source,list,period,linkage_only\n"
    row = f"{OWN.victim_ext},PNP,PNP,2019,{{flag}}\n"
    path = tmp_path / "list_memberships.csv"
    pnp, admin = _who(fresh_store, "caseworker"), _who(fresh_store, "admin")

    def flag() -> list[bool]:
        with fresh_store.engine.connect() as conn:
            return list(
                conn.execute(
                    select(ListMembership.linkage_only).where(
                        ListMembership.person_id == OWN.victim, ListMembership.period == "2019"
                    )
                ).scalars()
            )

    path.write_text(header + row.format(flag="true"), "utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_file(fresh_store.engine, path, "list_memberships", who=pnp)
    assert [(r.line, r.column) for r in caught.value.rows] == [(2, "linkage_only")]
    assert "administrator" in caught.value.rows[0].reason
    path.write_text(header + row.format(flag="false"), "utf-8")
    assert import_file(fresh_store.engine, path, "list_memberships", who=pnp).rows_created == 1
    assert flag() == [False]
    path.write_text(header + row.format(flag="true"), "utf-8")
    assert import_file(fresh_store.engine, path, "list_memberships", who=admin).rows_updated == 1
    assert flag() == [True]
    for text in (row.format(flag=""), row.format(flag="true")):  # left out, or as stored
        path.write_text(header + text, "utf-8")
        done = import_file(fresh_store.engine, path, "list_memberships", who=pnp)
        assert done.rejected == [] and flag() == [True]
    path.write_text(header + row.format(flag="false"), "utf-8")
    with pytest.raises(ImportRejected):
        import_file(fresh_store.engine, path, "list_memberships", who=pnp)
    assert flag() == [True]


def test_an_import_naming_a_deleted_record_says_it_was_deleted(fresh_store, tmp_path):
    """A row that refers to a person or case the caseworker's own agency deleted is refused
    because the record was deleted (and can be restored), not because it is out of scope."""
    from tests.security.test_matrix import _who
    from uncounted.errors import ImportRejected
    from uncounted.ingest import import_file
    from uncounted.store.db import session_scope
    from uncounted.store.removals import delete_record

    pnp = _who(fresh_store, "caseworker")
    with session_scope(fresh_store.engine) as s:
        delete_record(s, pnp, "persons", OWN.victim, "entered twice by mistake")
    path = tmp_path / "list_memberships.csv"
    path.write_text(f"person,person_source,list,period\n{OWN.victim_ext},PNP,PNP,2018\n", "utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_file(fresh_store.engine, path, "list_memberships", who=pnp)
    (problem,) = caught.value.rows
    assert problem.column == "person" and "deleted" in problem.reason
    assert "scope" not in problem.reason and "restore" in problem.reason
    # another agency learns nothing of it: the record is out of its scope, as before
    with pytest.raises(ImportRejected) as caught:
        import_file(
            fresh_store.engine, path, "list_memberships", who=_who(fresh_store, "caseworker-th")
        )
    assert all("deleted" not in r.reason for r in caught.value.rows)


#: A justice event of TH-DSI's own case for PNP's suspect, who has no role in that case.
EVENT_OF_ANOTHER_CASE = (
    "external_id,case,case_source,person,person_source,stage,occurred_on,jurisdiction\n"
    f"E-TH-1,{OTHER.case_ext},TH-DSI,S-own,PNP,arrest,2024-06-01,TH\n"
)
NO_ROLE = f"person S-own has no role in case {OTHER.case_ext}; add their role in the case first"


def test_finding_4_an_event_names_only_a_person_of_its_case(
    fresh_store, fresh_app, tmp_path, monkeypatch, capsys
):
    """The finding as reproduced, through every way in: the web upload and ``uncounted import
    --user`` as TH-DSI's caseworker, an administrator's import and the operator's. Each refuses
    the file with the line, the column and the reason, and writes nothing."""
    from tests.security.test_matrix import _who
    from uncounted.errors import ImportRejected
    from uncounted.ingest import import_file
    from uncounted.store.db import session_scope
    from uncounted.store.tables import CaseShare

    with session_scope(fresh_store.engine) as s:
        s.add(CaseShare(case_id=OWN.case_id, agency_id=2, shared_on=DAY_MIGRATED))
    th = signed_in(fresh_app, "caseworker-th")
    assert th.get(f"/api/survivors/{OWN.suspect}").status_code == 200  # through the share
    before = _counts(fresh_store)
    report = _upload(th, "justice_events.csv", EVENT_OF_ANOTHER_CASE, "justice_events")
    assert report["token"] is None  # nothing in it could be loaded
    assert report["result"]["rejected"] == [
        {"file": "justice_events.csv", "line": 2, "column": "person", "value": "S-own",
         "reason": NO_ROLE}
    ]  # fmt: skip
    path = tmp_path / "justice_events.csv"
    path.write_text(EVENT_OF_ANOTHER_CASE, "utf-8")
    for who in ("caseworker-th", "admin", None):
        with pytest.raises(ImportRejected) as caught:
            import_file(
                fresh_store.engine, path, "justice_events",
                who=_who(fresh_store, who) if who else None,
            )  # fmt: skip
        assert [(r.line, r.column, r.reason) for r in caught.value.rows] == [
            (2, "person", NO_ROLE)
        ], who
    with _cli_on(fresh_store, monkeypatch):
        assert main(["import", str(path), "--user", "caseworker-th"]) == 4
    assert "has no role in case" in capsys.readouterr().err
    assert _counts(fresh_store) == before
    timeline = th.get(f"/api/cases/{OTHER.case_id}").json()["timeline"]  # with linked case 1's
    events = [e["person_id"] for e in timeline if e["case_id"] == OTHER.case_id]
    assert events == [OTHER.suspect]


def test_finding_4_a_referral_from_a_case_names_only_a_person_of_it(fresh_store, tmp_path):
    """The same for a referral: TH-DSI may not refer PNP's person, reachable through the
    share, from its own case 2, where that person has no role."""
    from tests.security.test_matrix import _who
    from uncounted.errors import ImportRejected
    from uncounted.ingest import import_file
    from uncounted.store.db import session_scope
    from uncounted.store.tables import CaseShare

    with session_scope(fresh_store.engine) as s:
        s.add(CaseShare(case_id=OWN.case_id, agency_id=2, shared_on=DAY_MIGRATED))
    path = tmp_path / "referrals.csv"
    path.write_text(
        "person,person_source,case,case_source,from_agency,to_agency,from_country,to_country,"
        "referred_on,reason,consent_recorded,status\n"
        f"S-own,PNP,{OTHER.case_ext},TH-DSI,TH-DSI,IACAT,TH,PH,2024-05-01,Other,no,Requested\n",
        "utf-8",
    )
    before = _counts(fresh_store)
    with pytest.raises(ImportRejected) as caught:
        import_file(fresh_store.engine, path, "referrals", who=_who(fresh_store, "caseworker-th"))
    assert [(r.line, r.column, r.reason) for r in caught.value.rows] == [(2, "person", NO_ROLE)]
    assert _counts(fresh_store) == before
