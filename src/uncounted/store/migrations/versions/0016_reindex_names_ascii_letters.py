"""the person search's index is rebuilt with letters spelt in ASCII

Name normalisation now spells the letters that Unicode does not decompose in ASCII
(Vietnamese "Đặng" → "dang", "ø" → "o", "ß" → "ss"; ``domain/names.py``), so tokens made
before this revision no longer match the searches made after it. The index is emptied here;
``uncounted init`` (which runs the migrations) then finds it empty while people have identities
and rebuilds it under the index key (the migration has no keys, so it cannot rebuild it
itself). Downgrading empties it too, for the same reason.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 00:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM person_index")


def downgrade() -> None:
    op.execute("DELETE FROM person_index")
