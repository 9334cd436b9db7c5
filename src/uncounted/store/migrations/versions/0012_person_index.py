"""person search: the blind index of names and identity numbers

``person_index`` holds, per person, HMAC-SHA256 tokens (under the index key, apart from the
data key) of the normalised words of their names, their romanisation keys and their
normalised identity number, so a caseworker can find a person without names being stored in
clear or decrypted wholesale. The table is filled by ``uncounted init`` (or ``uncounted
reindex``) once the index key exists.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_index",
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_person_index_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("token", "person_id", name="pk_person_index"),
    )
    op.create_index("ix_person_index_person_id", "person_index", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_person_index_person_id", table_name="person_index")
    op.drop_table("person_index")
