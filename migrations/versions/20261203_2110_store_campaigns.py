"""store campaigns: a promotion may belong to a store (which funds it) and waits for HQ's
approval (status; existing promotions are HQ's and approved); each store's monthly points
budget spent (store_budget_months)

Revision ID: 2110
Revises: 2100
Create Date: 2026-12-03 21:10:00
"""
from alembic import op
import sqlalchemy as sa

import core.db


revision = '2110'
down_revision = '2100'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("promotions") as batch:
        batch.add_column(sa.Column("store_id", ID, nullable=True))
        batch.add_column(sa.Column("status", sa.String(16), server_default="approved",
                                   nullable=False))
        batch.add_column(sa.Column("review_reason", sa.String(255), nullable=True))
        batch.add_column(sa.Column("reviewed_by_id", ID, nullable=True))
        batch.add_column(sa.Column("reviewed_at", core.db.UTCDateTime(), nullable=True))
        batch.create_foreign_key("fk_promotions_store_id_stores", "stores", ["store_id"], ["id"])
        batch.create_foreign_key("fk_promotions_reviewed_by_id_staff", "staff",
                                 ["reviewed_by_id"], ["id"])
    op.create_table(
        "store_budget_months",
        sa.Column("store_id", ID, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("spent_points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"],
                                name=op.f("fk_store_budget_months_store_id_stores")),
        sa.PrimaryKeyConstraint("store_id", "month", name=op.f("pk_store_budget_months")),
    )


def downgrade():
    op.drop_table("store_budget_months")
    with op.batch_alter_table("promotions") as batch:
        batch.drop_constraint("fk_promotions_reviewed_by_id_staff", type_="foreignkey")
        batch.drop_constraint("fk_promotions_store_id_stores", type_="foreignkey")
        for column in ("reviewed_at", "reviewed_by_id", "review_reason", "status", "store_id"):
            batch.drop_column(column)
