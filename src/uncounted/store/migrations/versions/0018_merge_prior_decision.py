"""a merge keeps the pair's linkage decision from before it, for the undo

``record_removals.prior_decision`` holds, for a merge, the reviewer's decision on the pair
that the merge replaced with its own ``match`` (decision, probability, reviewer, time, note);
undoing the merge puts it back. Merges made before this revision have none: their undo
deletes the merge's decision, as it did then.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("record_removals") as batch:
        batch.add_column(sa.Column("prior_decision", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("record_removals") as batch:
        batch.drop_column("prior_decision")
