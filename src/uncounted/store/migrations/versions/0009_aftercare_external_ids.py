"""aftercare steps keep the agency's own id

An aftercare or repatriation step has no natural key (the same step can happen twice on one
day), so, like cases and justice events, it keeps ``source_agency_id`` + ``external_id``
(unique together) and a re-import updates it instead of adding a duplicate.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("aftercare_steps") as batch:
        batch.add_column(sa.Column("source_agency_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_aftercare_steps_source_agency_id_agencies"),
            "agencies",
            ["source_agency_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            batch.f("uq_aftercare_steps_source_agency_id"), ["source_agency_id", "external_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("aftercare_steps") as batch:
        batch.drop_constraint(batch.f("uq_aftercare_steps_source_agency_id"), type_="unique")
        batch.drop_constraint(
            batch.f("fk_aftercare_steps_source_agency_id_agencies"), type_="foreignkey"
        )
        batch.drop_column("external_id")
        batch.drop_column("source_agency_id")
