"""due diligence: partner register, sourcing and statement scores

Candidate business partners, the goods they source and where from, and reviewers' scores of
their modern slavery statements (``uncounted.duediligence``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dd_partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("business", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("tier1_suppliers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dd_partners")),
        sa.UniqueConstraint("code", name=op.f("uq_dd_partners_code")),
    )
    with op.batch_alter_table("dd_partners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dd_partners_country"), ["country"], unique=False)

    op.create_table(
        "dd_sourcing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("good", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("zone", sa.String(length=200), nullable=True),
        sa.Column("tier1_supplier", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["dd_partners.id"], name=op.f("fk_dd_sourcing_partner_id_dd_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dd_sourcing")),
    )
    with op.batch_alter_table("dd_sourcing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dd_sourcing_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_dd_sourcing_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "dd_statement_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.String(length=40), nullable=False),
        sa.Column("framework", sa.String(length=40), nullable=False),
        sa.Column("criterion", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=100), nullable=True),
        sa.Column("reviewer", sa.String(length=80), nullable=False),
        sa.Column("second_score", sa.Integer(), nullable=True),
        sa.Column("second_reviewer", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["dd_partners.id"],
            name=op.f("fk_dd_statement_scores_partner_id_dd_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dd_statement_scores")),
        sa.UniqueConstraint(
            "partner_id",
            "statement",
            "framework",
            "criterion",
            name=op.f("uq_dd_statement_scores_partner_id"),
        ),
    )
    with op.batch_alter_table("dd_statement_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dd_statement_scores_partner_id"), ["partner_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dd_statement_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dd_statement_scores_partner_id"))
    op.drop_table("dd_statement_scores")
    with op.batch_alter_table("dd_sourcing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dd_sourcing_partner_id"))
        batch_op.drop_index(batch_op.f("ix_dd_sourcing_country"))
    op.drop_table("dd_sourcing")
    with op.batch_alter_table("dd_partners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dd_partners_country"))
    op.drop_table("dd_partners")
