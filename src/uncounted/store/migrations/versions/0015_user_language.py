"""each user's language for the web app

``users.language`` holds the language a user reads the web app in (a code with a catalogue in
``web/locale``: ``en``, ``fil``, ``th``, ``km``); ``NULL`` means the browser's language.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
