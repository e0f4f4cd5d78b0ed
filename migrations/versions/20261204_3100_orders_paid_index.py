"""orders: an index on paid_at covering what a promotion's cost preview sums per store and per
member (store_id, member_id, points_earned), so a preview over a past period reads that
period's index entries instead of scanning every order (10M orders for a 28-day period)

Revision ID: 3100
Revises: 3000
Create Date: 2026-12-04 08:00:00
"""
from alembic import op


revision = '3100'
down_revision = '3000'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_orders_paid", "orders",
                    ["paid_at", "store_id", "member_id", "points_earned"])


def downgrade():
    op.drop_index("ix_orders_paid", table_name="orders")
