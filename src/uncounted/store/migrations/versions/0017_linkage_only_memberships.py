"""agencies' raw records kept for linkage only

``list_memberships.linkage_only`` marks a membership of an agency's raw record of someone the
store already counts on the lists through a linked person record: linkage reads it, the
stored lists (and the estimate from them) leave it out. Existing rows are counted as before
(``false``).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_memberships") as batch:
        batch.add_column(
            sa.Column("linkage_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("list_memberships") as batch:
        batch.drop_column("linkage_only")
