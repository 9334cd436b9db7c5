"""Fixtures of the store tests: a synthetic world with a row in every table."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from uncounted.simulate import WorldConfig, simulate_world


@pytest.fixture(scope="module")
def world():
    """A small world plus one row for each table the simulator does not fill."""
    w = simulate_world(WorldConfig(seed=7, n_victims=400))
    when = dt.datetime(2025, 1, 2, 3, 4, 5)
    w.frames["users"] = pl.DataFrame(
        {
            "id": [1],
            "username": ["ana"],
            "password_hash": ["$argon2id$v=19$m=65536,t=3,p=4$x$y"],
            "role": ["caseworker"],
            "agency_id": [1],
            "active": [True],
            "failed_logins": [0],
            "locked_until": [None],
            "created_at": [when],
        },
        schema_overrides={"locked_until": pl.Datetime},
    )
    w.frames["audit_events"] = pl.DataFrame(
        {
            "id": [1],
            "at": [when],
            "user_id": [1],
            "actor": ["ana"],
            "action": ["read"],
            "resource": ["persons"],
            "record_id": ["12"],
            "fields": [["given_name"]],
            "before": [{"a": "1"}],
            "after": [{"a": "2"}],
            "detail": [None],
        },
        schema_overrides={"detail": pl.String},
    )
    w.frames["web_sessions"] = pl.DataFrame(
        {"id": ["a" * 64], "user_id": [1], "created_at": [when], "seen_at": [when]}
    )
    w.frames["password_resets"] = pl.DataFrame(
        {"id": ["c" * 64], "user_id": [1], "created_at": [when], "expires_at": [when]}
    )
    w.frames["sign_in_throttle"] = pl.DataFrame(
        {
            "key": ["b" * 64],
            "failures": [6],
            "last_failure": [when],
            "not_before": [when],
            "known": [False],
        }
    )
    w.frames["case_notes"] = pl.DataFrame(
        {
            "id": [1],
            "case_id": [1],
            "author_user_id": [1],
            "author": ["ana"],
            "agency_id": [1],
            "written_at": [when],
            "body": ["Met her at the shelter."],
        }
    )
    w.frames["case_shares"] = pl.DataFrame(
        {"case_id": [1], "agency_id": [2], "shared_on": [dt.date(2025, 1, 2)]}
    )
    w.frames["linkage_decisions"] = pl.DataFrame(
        {
            "id": [1],
            "person_id_l": [1],
            "person_id_r": [2],
            "decision": ["non-match"],
            "match_probability": [0.62],
            "decided_by": ["ana"],
            "decided_at": [when],
            "note": [None],
        },
        schema_overrides={"note": pl.String},
    )
    w.frames["import_batches"] = pl.DataFrame(
        {
            "id": [1],
            "file_name": ["lists.csv"],
            "sha256": ["0" * 64],
            "record_type": ["list_memberships"],
            "source_agency_id": [1],
            "actor": ["cli"],
            "started_at": [when],
            "finished_at": [when],
            "status": ["loaded"],
            "rows_total": [3],
            "rows_created": [3],
            "rows_updated": [0],
            "rows_unchanged": [0],
            "rows_rejected": [0],
        }
    )
    w.frames["dd_partners"] = pl.DataFrame(
        {
            "id": [1],
            "code": ["EX-001"],
            "business": ["Example Apparel (fictional)"],
            "country": ["AU"],
            "sectors": [["apparel", "retail"]],
            "tier1_suppliers": [["Mill A"]],
        }
    )
    w.frames["dd_sourcing"] = pl.DataFrame(
        {
            "id": [1, 2],
            "partner_id": [1, 1],
            "good": ["textiles", "rice"],
            "country": ["CN", None],
            "zone": [None, "Mekong fishing corridor"],
            "tier1_supplier": ["Mill A", None],
        }
    )
    w.frames["dd_statement_scores"] = pl.DataFrame(
        {
            "id": [1],
            "partner_id": [1],
            "statement": ["FY2024"],
            "framework": ["au-msa-2018-s16"],
            "criterion": ["AU-d"],
            "score": [2],
            "evidence": ["We audit every mill"],
            "location": ["p. 3 ¶1"],
            "reviewer": ["ana"],
            "second_score": [None],
            "second_reviewer": [None],
        },
        schema_overrides={"second_score": pl.Int64, "second_reviewer": pl.String},
    )
    return w
