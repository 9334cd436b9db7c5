"""what data hubs such as CTDC record: age band, minor status, several exploitation types

A victim's age band (CTDC ``ageBroad``) and whether they were a minor when identified
(``majorityStatus``) are kept on the person; every exploitation type of a victim in a case is
kept (``exploitation_types``; ``exploitation_type`` stays the first one, for the indexes);
methods of control may be "not recorded" (null) rather than "none"; an international
organisation (a data hub such as CTDC or IOM) has no country.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("age_band", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("minor_at_identification", sa.Boolean(), nullable=True))
    with op.batch_alter_table("case_persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exploitation_types", sa.JSON(), nullable=True))
        batch_op.alter_column("methods_of_control", existing_type=sa.JSON(), nullable=True)
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.alter_column("country", existing_type=sa.String(length=2), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.alter_column("country", existing_type=sa.String(length=2), nullable=False)
    with op.batch_alter_table("case_persons", schema=None) as batch_op:
        batch_op.alter_column("methods_of_control", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("exploitation_types")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("minor_at_identification")
        batch_op.drop_column("age_band")
