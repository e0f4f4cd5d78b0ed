"""programme: member_tier_changes, each change of a member's tier (earned, review, merge,
rules) for the member's record, the admin API and the member's data copy

Revision ID: 3000
Revises: 2910
Create Date: 2026-12-04 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import core.db


revision = '3000'
down_revision = '2910'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_tier_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("from_code", sa.String(length=16), nullable=True),
        sa.Column("to_code", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=8), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_member_tier_changes_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_tier_changes")))
    op.create_index("ix_member_tier_changes_member_id_id", "member_tier_changes",
                    ["member_id", "id"], unique=False)


def downgrade():
    op.drop_table("member_tier_changes")
