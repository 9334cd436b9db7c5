"""Importing the register and statement scores: validation with every bad row located,
atomic writes with audit, re-import as update, and access by role."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from uncounted.errors import AccessDenied, ImportRejected
from uncounted.ingest.partners import (
    import_register,
    import_statement_scores,
    read_register,
    read_risk_table,
)
from uncounted.store.access import Principal, Role
from uncounted.store.db import init_database, session_scope
from uncounted.store.partners import read_partners, read_sourcing, read_statement_scores
from uncounted.store.tables import AuditEvent, Partner, PartnerSourcing, StatementScore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "duediligence"
ADMIN = Principal(None, "t", Role.ADMIN)


@pytest.fixture
def engine(settings):
    engine = init_database(settings)
    yield engine
    engine.dispose()


def test_examples_import_and_read_back(engine):
    assert import_register(engine, EXAMPLES / "partners.csv", "test") == {
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "sourcing": 7,
    }
    assert import_statement_scores(engine, EXAMPLES / "statement-scores.csv", "test") == {
        "created": 20,
        "updated": 0,
        "unchanged": 0,
    }
    with session_scope(engine) as s:
        partners = read_partners(s, ADMIN)
        assert partners["partner"].to_list() == ["EX-001", "EX-002", "EX-003", "EX-004"]
        assert partners.row(0, named=True)["sectors"] == ["apparel", "retail"]
        assert partners.row(0, named=True)["tier1_suppliers"] == ["Example Mill Co. (fictional)"]
        sourcing = read_sourcing(s, ADMIN)
        rice = sourcing.filter(sourcing["good"] == "rice").row(0, named=True)
        assert rice["country"] is None and rice["partner"] == "EX-002"
        assert read_statement_scores(s, ADMIN).height == 20
        # every created row audited, plus one import event per file
        audited = s.scalar(select(func.count()).select_from(AuditEvent))
        assert audited == 4 + 7 + 20 + 2
    # re-import: same partners unchanged, sourcing replaced (7 deleted, 7 created)
    assert import_register(engine, EXAMPLES / "partners.csv", "test")["unchanged"] == 4
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(PartnerSourcing)) == 7
        assert s.scalar(select(func.count()).select_from(Partner)) == 4


def test_bad_register_rows_are_all_reported(engine, tmp_path):
    bad = tmp_path / "reg.csv"
    bad.write_text(
        "partner,business,country,sectors,good,source_country,zone,tier1_supplier\n"
        "A,Alpha,AU,food,rice,XX,,\n"
        "A,Alpha Two,AU,food,fish,TH,,\n"
        ",Beta,ZZ,food,tea,IN,,\n"
        "C,Gamma,PH,,,TH,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        import_register(engine, bad, "test")
    found = {(r.line, r.column) for r in caught.value.rows}
    assert found == {
        (2, "source_country"),
        (3, "business"),
        (4, "country"),
        (4, "partner"),
        (5, "good"),
    }
    with session_scope(engine) as s:  # nothing written
        assert s.scalar(select(func.count()).select_from(Partner)) == 0
    with pytest.raises(ImportRejected, match="lack"):
        read_register(EXAMPLES / "risk-table.csv")


def test_bad_scores_are_all_reported(engine, tmp_path):
    import_register(engine, EXAMPLES / "partners.csv", "test")
    bad = tmp_path / "scores.csv"
    bad.write_text(
        "partner,statement,framework,criterion,score,evidence,location,reviewer,second_score,"
        "second_reviewer\n"
        "EX-001,FY24,au-msa-2018-s16,AU-a,4,q,p1,r,,\n"
        "EX-001,FY24,au-msa-2018-s16,UK-a,2,q,p1,r,,\n"
        "EX-001,FY24,fr-2017,AU-a,2,q,p1,r,,\n"
        "EX-001,FY24,au-msa-2018-s16,AU-b,2,,p1,r,,\n"
        "EX-001,FY24,au-msa-2018-s16,AU-c,2,q,p1,r,1,\n"
        "EX-001,FY24,au-msa-2018-s16,AU-c,2,q,p1,r,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        import_statement_scores(engine, bad, "test")
    found = {(r.line, r.column) for r in caught.value.rows}
    assert found == {
        (2, "score"),
        (3, "criterion"),
        (4, "framework"),
        (5, "evidence"),
        (6, "second_reviewer"),
        (7, "criterion"),
    }
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(
        "partner,statement,framework,criterion,score,evidence,location,reviewer\n"
        "NOPE,FY24,au-msa-2018-s16,AU-a,0,,,r\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        import_statement_scores(engine, unknown, "test")
    assert [(r.line, r.column, r.value) for r in caught.value.rows] == [(2, "partner", "NOPE")]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(StatementScore)) == 0


def test_risk_table_example_is_cited():
    table = read_risk_table(EXAMPLES / "risk-table.csv")
    assert table.height == 9
    assert table["url"].null_count() == 0 and table["source"].null_count() == 0
    cn = table.filter((table["country"] == "CN") & table["good"].is_null()).row(0, named=True)
    assert cn["prevalence_per_1000"] == 6.8


def test_risk_table_rows_need_a_fact(tmp_path):
    bad = tmp_path / "risk.csv"
    bad.write_text("source,year,country,good,score\nS,2020,CN,tea,\nS,20x,CN,tea,1.5\n")
    with pytest.raises(ImportRejected) as caught:
        read_risk_table(bad)
    assert {(r.line, r.column) for r in caught.value.rows} == {
        (2, ""),
        (3, "year"),
        (3, "score"),
        (3, ""),
    }


def test_access_by_role(engine):
    import_register(engine, EXAMPLES / "partners.csv", "test")
    with session_scope(engine) as s:
        assert read_partners(s, Principal(1, "v", Role.VIEWER)).height == 4
        with pytest.raises(AccessDenied, match="caseworker role may not read partners"):
            read_partners(s, Principal(2, "c", Role.CASEWORKER, agency_id=1))
    partners, sourcing = read_register(EXAMPLES / "partners.csv")
    from uncounted.store.partners import save_register

    with session_scope(engine) as s, pytest.raises(AccessDenied):
        save_register(s, Principal(1, "v", Role.VIEWER), partners, sourcing)


def test_register_from_xlsx(engine, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Partner", "Business", "Country", "Sectors", "Good", "Source_Country"])
    sheet.append(["X1", "Xlsx Foods (fictional)", "NZ", "food", "fish", "THA"])
    sheet.append(["X1", "Xlsx Foods (fictional)", "NZ", "food", "rice", "Atlantis"])
    path = tmp_path / "register.xlsx"
    book.save(path)
    with pytest.raises(ImportRejected) as caught:
        import_register(engine, path, "test")
    [row] = caught.value.rows
    assert (row.file, row.line, row.column, row.value) == (
        "register.xlsx",
        3,
        "source_country",
        "Atlantis",
    )
    sheet.delete_rows(3)
    book.save(path)
    assert import_register(engine, path, "test")["sourcing"] == 1
    with session_scope(engine) as s:
        assert read_sourcing(s, ADMIN)["country"].to_list() == ["TH"]  # alpha-3 read as alpha-2


@pytest.mark.postgres
def test_examples_on_postgres(fresh_postgres_url):
    from uncounted.duediligence import review_portfolio
    from uncounted.store.db import make_engine, upgrade

    engine = make_engine(fresh_postgres_url)
    try:
        upgrade(engine)
        import_register(engine, EXAMPLES / "partners.csv", "test")
        import_statement_scores(engine, EXAMPLES / "statement-scores.csv", "test")
        with session_scope(engine) as s:
            review = review_portfolio(
                read_partners(s, ADMIN),
                read_sourcing(s, ADMIN),
                read_statement_scores(s, ADMIN),
                read_risk_table(EXAMPLES / "risk-table.csv"),
            )
        assert review.table["status"].to_list() == [
            "not yet eligible",
            "eligible with conditions",
            "eligible with conditions",
            "not yet eligible",
        ]
    finally:
        engine.dispose()
