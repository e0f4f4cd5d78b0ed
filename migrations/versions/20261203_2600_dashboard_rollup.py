"""dashboard: the daily rollup per store, POS day totals, and the day-range indexes its reads use

Revision ID: 2600
Revises: 2500
Create Date: 2026-12-03 26:00:00
"""
from alembic import op
import sqlalchemy as sa

import core.db


revision = '2600'
down_revision = '2500'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = core.db.UTCDateTime()
INDEXES = (
    ("ix_points_entries_created_kind", "points_entries",
     ["created_at", "kind", "store_id", "delta", "member_id"]),
    ("ix_members_created", "members", ["created_at", "registered_store_id"]),
    ("ix_orders_created", "orders", ["created_at", "store_id", "amount_fen"]),
    ("ix_task_checkins_day", "task_checkins", ["day"]),
    ("ix_referrals_created", "referrals", ["created_at"]),
    ("ix_mall_redemptions_created", "mall_redemptions", ["created_at"]),
)


def _count(name):
    return sa.Column(name, sa.Integer(), nullable=False)


def _figures():
    return [*(_count(name) for name in ("points_issued", "points_spent", "points_expired",
                                        "members_registered", "members_active", "orders")),
            sa.Column("orders_fen", ID, nullable=False),
            sa.Column("pos_orders", sa.Integer(), nullable=True),
            *(_count(name) for name in ("checkins", "referrals", "redemptions"))]


def upgrade():
    op.create_table(
        "dashboard_days",
        sa.Column("day", sa.Date(), nullable=False),
        *_figures(),
        sa.Column("computed_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_dashboard_days")))
    op.create_table(
        "dashboard_store_days",
        *_figures(),
        sa.Column("store_key", ID, nullable=False, autoincrement=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_key", "day", name=op.f("pk_dashboard_store_days")))
    op.create_index("ix_dashboard_store_days_day", "dashboard_store_days", ["day"])
    op.create_table(
        "dashboard_product_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("store_key", ID, nullable=False, autoincrement=False),
        sa.Column("product_id", ID, nullable=False, autoincrement=False),
        sa.Column("title", sa.String(100), nullable=False),
        _count("quantity"), _count("points"),
        sa.PrimaryKeyConstraint("day", "store_key", "product_id",
                                name=op.f("pk_dashboard_product_days")))
    op.create_table(
        "pos_day_totals",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("amount_fen", ID, nullable=False),
        sa.Column("reported_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"],
                                name=op.f("fk_pos_day_totals_store_id_stores")),
        sa.PrimaryKeyConstraint("day", "store_id", name=op.f("pk_pos_day_totals")))
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_index("ix_dashboard_store_days_day", table_name="dashboard_store_days")
    for table in ("pos_day_totals", "dashboard_product_days", "dashboard_store_days",
                  "dashboard_days"):
        op.drop_table(table)
