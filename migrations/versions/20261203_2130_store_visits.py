"""store campaigns: members' visits to stores (到店打卡), once per business day per store

Revision ID: 2130
Revises: 2120
Create Date: 2026-12-03 21:30:00
"""
from alembic import op
import sqlalchemy as sa

import core.db


revision = '2130'
down_revision = '2120'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "store_visits",
        sa.Column("id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_store_visits_member_id_members")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_store_visits_store_id_stores")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_store_visits_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_visits")),
        sa.UniqueConstraint("member_id", "store_id", "day",
                            name=op.f("uq_store_visits_member_id_store_id_day")),
    )
    op.create_index(op.f("ix_store_visits_store_id"), "store_visits", ["store_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_store_visits_store_id"), table_name="store_visits")
    op.drop_table("store_visits")
