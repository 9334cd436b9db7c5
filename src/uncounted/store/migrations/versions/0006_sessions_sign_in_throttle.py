"""server-side web sessions, sign-in delays, and no password hash in the audit log

``web_sessions`` holds signed-in sessions (the SHA-256 of the cookie's token) so that signing
out, a password change or a role change ends them at once. ``sign_in_throttle`` counts failed
sign-ins per account, address and pair, for growing delays instead of an account lockout.

Audit events written by earlier versions copied ``password_hash`` values of ``users`` into
``before``/``after``; they are replaced by the redaction marker.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: ``uncounted.store.audit.REDACTED`` when this migration was written.
_REDACTED = "[redacted]"


def _scrub_password_hashes() -> None:
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer),
        sa.column("resource", sa.String),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(events.c.id, events.c.before, events.c.after).where(events.c.resource == "users")
    ).all()
    for event_id, before, after in rows:
        changed = False
        for values in (before, after):
            if isinstance(values, dict) and values.get("password_hash") not in (None, _REDACTED):
                values["password_hash"] = _REDACTED
                changed = True
        if changed:
            conn.execute(
                sa.update(events).where(events.c.id == event_id).values(before=before, after=after)
            )


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_web_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.DateTime(), nullable=True),
        sa.Column("not_before", sa.DateTime(), nullable=True),
        sa.Column("known", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sign_in_throttle"),
    )
    _scrub_password_hashes()


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
