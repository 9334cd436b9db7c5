"""indexes for the case list and caseworker scope

The case list (newest first, filtered by status, type, place and agency) reads a covering
index instead of a row per case (all cases, or one agency's); "has this case reached stage
S" and "was this case referred to agency A" are answered from two-column indexes. The
single-column indexes these replace are dropped (each is the first column of its
replacement).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 15:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NEWEST = ["opened_on", "id", "owning_agency_id", "status", "exploitation_type", "jurisdiction_id"]
_AGENCY_NEWEST = [
    "owning_agency_id",
    "opened_on",
    "id",
    "status",
    "exploitation_type",
    "jurisdiction_id",
]


def upgrade() -> None:
    op.create_index("ix_cases_newest", "cases", _NEWEST)
    op.drop_index("ix_cases_opened_on", table_name="cases")
    op.create_index("ix_cases_agency_newest", "cases", _AGENCY_NEWEST)
    op.drop_index("ix_cases_owning_agency_id", table_name="cases")
    op.create_index("ix_justice_events_case_id_stage", "justice_events", ["case_id", "stage"])
    op.drop_index("ix_justice_events_case_id", table_name="justice_events")
    op.create_index("ix_referrals_case_id_to_agency_id", "referrals", ["case_id", "to_agency_id"])
    op.drop_index("ix_referrals_case_id", table_name="referrals")


def downgrade() -> None:
    op.create_index("ix_referrals_case_id", "referrals", ["case_id"])
    op.drop_index("ix_referrals_case_id_to_agency_id", table_name="referrals")
    op.create_index("ix_justice_events_case_id", "justice_events", ["case_id"])
    op.drop_index("ix_justice_events_case_id_stage", table_name="justice_events")
    op.create_index("ix_cases_owning_agency_id", "cases", ["owning_agency_id"])
    op.drop_index("ix_cases_agency_newest", table_name="cases")
    op.create_index("ix_cases_opened_on", "cases", ["opened_on"])
    op.drop_index("ix_cases_newest", table_name="cases")
