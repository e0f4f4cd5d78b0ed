"""analytics tags: the members a rule tag's rule matched at its last evaluation (a scratch
table: the rule is evaluated once per night, not once per statement that compares it with the
tag's members)

Revision ID: 2910
Revises: 2900
Create Date: 2026-12-03 23:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '2910'
down_revision = '2900'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analytics_tag_matches",
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tag_id", "member_id", name="pk_analytics_tag_matches"))


def downgrade():
    op.drop_table("analytics_tag_matches")
