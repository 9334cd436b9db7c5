"""referral decisions with consent; case notes

``referrals`` gains the service asked for, the person's consent as the receiving agency
recorded it when accepting (how, the day it was given, who recorded it and when) and the
decision (who, when, and the reason for a decline, encrypted). ``case_notes`` holds
caseworkers' notes on a case, encrypted, append-only, with author and time.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_REFERRAL_COLUMNS = (
    ("service", sa.String(200)),
    ("consent_method", sa.String(20)),
    ("consent_given_on", sa.Date()),
    ("consent_recorded_by", sa.String(80)),
    ("consent_recorded_at", sa.DateTime()),
    ("decided_by", sa.String(80)),
    ("decided_at", sa.DateTime()),
    ("decline_reason", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        for name, kind in _REFERRAL_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_notes_case_id_cases"),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name="fk_case_notes_author_user_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_case_notes_agency_id_agencies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_notes"),
    )
    op.create_index("ix_case_notes_case_id_written_at", "case_notes", ["case_id", "written_at"])


def downgrade() -> None:
    op.drop_index("ix_case_notes_case_id_written_at", table_name="case_notes")
    op.drop_table("case_notes")
    with op.batch_alter_table("referrals") as batch:
        for name, _kind in reversed(_REFERRAL_COLUMNS):
            batch.drop_column(name)
