"""soft delete and merge of records: the record_removals tombstone table

A person, case or justice event that is deleted (with a reason) or, for a person, merged into
another is listed in ``record_removals`` and left out of every read; an administrator restores
it by deleting the row. A tombstone table instead of ``deleted_at`` columns leaves the existing
tables and their covering indexes unchanged (see ``store/tables.py``, ``RecordRemoval``).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("removed_by", sa.String(80), nullable=False),
        sa.Column("removed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["removed_by_user_id"], ["users.id"], name="fk_record_removals_removed_by_user_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["persons.id"], name="fk_record_removals_merged_into_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_record_removals"),
        sa.UniqueConstraint("resource", "record_id", name="uq_record_removals_resource"),
    )


def downgrade() -> None:
    op.drop_table("record_removals")
