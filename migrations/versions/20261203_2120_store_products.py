"""mall: a product may be a store's own (a gift its manager runs, picked up at that store);
existing products are HQ's (null)

Revision ID: 2120
Revises: 2110
Create Date: 2026-12-03 21:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '2120'
down_revision = '2110'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mall_products") as batch:
        batch.add_column(sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                   nullable=True))
        batch.create_foreign_key("fk_mall_products_store_id_stores", "stores", ["store_id"], ["id"])


def downgrade():
    with op.batch_alter_table("mall_products") as batch:
        batch.drop_constraint("fk_mall_products_store_id_stores", type_="foreignkey")
        batch.drop_column("store_id")
