"""console: indexes for a store's day at the till (orders, refunds, deductions, pickups and
coupons by store and time), so the shift's check-out sheet reads one day, not a store's history

Revision ID: 1500
Revises: 1400
Create Date: 2026-12-03 09:00:00
"""
from alembic import op


revision = '1500'
down_revision = '1400'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_orders_store_created", "orders", ["store_id", "created_at"]),
    ("ix_order_refunds_created_at", "order_refunds", ["created_at"]),
    ("ix_deductions_store_created", "deductions", ["store_id", "created_at"]),
    ("ix_mall_redemptions_fulfilled_store_at", "mall_redemptions",
     ["fulfilled_store_id", "fulfilled_at"]),
    ("ix_mall_coupons_used_store_at", "mall_coupons", ["used_store_id", "used_at"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
