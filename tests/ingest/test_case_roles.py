"""An import holds the forms' rule: a justice event's person has a role in the event's case.

The role is either stored or added by a person row of the same import (a workbook's sheets are
loaded persons first, whatever their order in the workbook). The operator's import is held to
it like any other: it keeps the data whole. The store of ``loaded``: cases C1 (P1 victim, P2
suspect) and C2 (nobody), all of PNP.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from uncounted.errors import ImportRejected, RejectedRow
from uncounted.ingest import import_file, validate_file
from uncounted.store.tables import CasePerson, ImportBatch, JusticeEvent

from .conftest import TODAY

EVENTS = "external_id,case,person,stage,occurred_on,jurisdiction\n"
#: P1 is a victim of C1 only: an event of C2 for them is refused
OUTSIDE = "E2,C2,P1,identification,2024-02-01,PH\n"
NO_ROLE = "person P1 has no role in case C2; add their role in the case first"


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _book(path, sheets: dict[str, list[list[object]]]):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_an_event_for_a_person_with_no_role_in_its_case_refuses_the_file(loaded, write):
    path = write("justice_events.csv", EVENTS + "E1,C1,P2,arrest,2024-02-01,PH\n" + OUTSIDE)
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, path, source="PNP", today=TODAY)
    assert caught.value.rows == [RejectedRow("justice_events.csv", 3, "person", "P1", NO_ROLE)]
    assert _count(loaded, JusticeEvent) == 0  # the good row was not loaded either
    with Session(loaded) as session:
        batch = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (batch.status, batch.rows_total, batch.rows_rejected) == ("rejected", 2, 1)
    dry = validate_file(loaded, path, source="PNP", today=TODAY)
    assert dry.rejected == caught.value.rows


def test_partial_sets_the_row_aside_and_loads_the_others(loaded, write):
    path = write("justice_events.csv", EVENTS + "E1,C1,P2,arrest,2024-02-01,PH\n" + OUTSIDE)
    result = import_file(loaded, path, source="PNP", partial=True, today=TODAY)
    assert (result.rows_created, result.rows_rejected) == (1, 1)
    rejects = (path.parent / "justice_events.rejects.csv").read_text("utf-8")
    assert rejects.splitlines()[1:] == [OUTSIDE.strip()]
    with Session(loaded) as session:
        assert session.scalars(select(JusticeEvent.external_id)).all() == ["E1"]


def test_an_event_against_persons_unknown_needs_no_role(loaded, write):
    path = write("justice_events.csv", EVENTS + "E3,C2,,investigation,2024-02-01,PH\n")
    assert import_file(loaded, path, source="PNP", today=TODAY).rows_created == 1


def test_a_stored_event_cannot_be_moved_to_a_person_with_no_role(loaded, write):
    import_file(
        loaded, write("justice_events.csv", EVENTS + "E2,C1,P1,identification,2024-02-01,PH\n"),
        source="PNP", today=TODAY,
    )  # fmt: skip
    with pytest.raises(ImportRejected) as caught:
        import_file(
            loaded, write("again.csv", EVENTS + OUTSIDE), "justice_events", source="PNP",
            today=TODAY,
        )  # fmt: skip
    assert [(r.line, r.column, r.reason) for r in caught.value.rows] == [(2, "person", NO_ROLE)]
    with Session(loaded) as session:
        assert session.scalars(select(JusticeEvent.case_id)).all() == [1]


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_role_added_by_the_same_workbook_counts_whatever_the_sheet_order(
    loaded, tmp_path, dry_run
):
    """The events sheet comes first in the workbook; the persons sheet gives P1 a role in C2
    and adds P3 to C2. Checked (dry run) and loaded as one file, persons first."""
    path = _book(
        tmp_path / "book.xlsx",
        {
            "justice_events": [
                EVENTS.strip().split(","),
                ["E2", "C2", "P1", "identification", "2024-02-01", "PH"],
                ["E4", "C2", "P3", "arrest", "2024-02-03", "PH"],
            ],
            "persons": [
                ["external_id", "sex", "case", "role"],
                ["P1", "Female", "C2", "victim"],
                ["P3", "Male", "C2", "suspect"],
            ],
        },
    )
    result = import_file(loaded, path, source="PNP", dry_run=dry_run, today=TODAY)
    assert result.rejected == []
    if not dry_run:
        with Session(loaded) as session:
            events = session.execute(
                select(JusticeEvent.external_id, JusticeEvent.case_id).order_by(JusticeEvent.id)
            ).all()
        assert [tuple(e) for e in events] == [("E2", 2), ("E4", 2)]


def test_a_role_in_another_case_or_on_a_refused_row_does_not_count(loaded, tmp_path):
    """P3 comes with a role in C1 only; P1's role in C2 is on a refused row (a bad sex)."""
    path = _book(
        tmp_path / "book.xlsx",
        {
            "persons": [
                ["external_id", "sex", "case", "role"],
                ["P1", "Femal", "C2", "victim"],
                ["P3", "Male", "C1", "suspect"],
            ],
            "justice_events": [
                EVENTS.strip().split(","),
                ["E2", "C2", "P1", "identification", "2024-02-01", "PH"],
                ["E4", "C2", "P3", "arrest", "2024-02-03", "PH"],
            ],
        },
    )
    roles = _count(loaded, CasePerson)
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, path, source="PNP", today=TODAY)
    problems = sorted((r.file, r.line, r.column, r.value, r.reason) for r in caught.value.rows)
    assert problems == [
        ("book.xlsx[justice_events]", 2, "person", "P1", NO_ROLE),
        (
            "book.xlsx[justice_events]",
            3,
            "person",
            "P3",
            "person P3 has no role in case C2; add their role in the case first",
        ),
        ("book.xlsx[persons]", 2, "sex", "Femal", problems[-1][-1]),
    ]
    assert _count(loaded, CasePerson) == roles and _count(loaded, JusticeEvent) == 0


REFERRALS = (
    "person,case,from_agency,to_agency,from_country,to_country,referred_on,reason,"
    "consent_recorded,status\n"
)


def test_a_referral_names_a_case_its_person_is_in_or_none(loaded, write):
    """As the referral form: a referral made from a case refers a person of that case."""
    refer = "P1,{case},PNP,NGO-A,PH,PH,2024-03-0{day},Other,no,Requested\n"
    path = write("referrals.csv", REFERRALS + refer.format(case="C2", day=1))
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, path, source="PNP", today=TODAY)
    assert caught.value.rows == [RejectedRow("referrals.csv", 2, "person", "P1", NO_ROLE)]
    rows = refer.format(case="C1", day=1) + refer.format(case="", day=2)
    path = write("ok.csv", REFERRALS + rows)
    assert import_file(loaded, path, "referrals", source="PNP", today=TODAY).rows_created == 2


REGISTER_MAPPING = """
record_types: [justice_events, persons]
persons:
  columns: {external_id: Person, case: Case, role: Role}
justice_events:
  columns:
    {external_id: Event, case: Case, person: Person, stage: Stage, occurred_on: Date,
     jurisdiction: Place}
"""


def test_a_mapping_reads_the_people_of_a_row_before_its_events(loaded, write):
    """A register whose every row is a person's role and an event of theirs: the mapping names
    the events first, and the roles are still loaded (and counted) before the events."""
    mapping = write("register.yaml", REGISTER_MAPPING)
    path = write(
        "register.csv",
        "Person,Case,Role,Event,Stage,Date,Place\n"
        "P1,C2,victim,E2,identification,2024-02-01,PH\n"
        "P5,C2,suspect,E5,arrest,2024-02-03,PH\n",
    )
    result = import_file(loaded, path, mapping=mapping, source="PNP", today=TODAY)
    assert result.record_types == ("persons", "justice_events")
    assert (result.rejected, result.rows_created) == ([], 3)  # P5 and the two events
    with Session(loaded) as session:
        assert session.scalars(select(JusticeEvent.case_id)).all() == [2, 2]
