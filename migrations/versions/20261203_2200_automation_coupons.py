"""analytics automations: the coupon action's mall product

Revision ID: 2200
Revises: 2130
Create Date: 2026-12-03 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '2200'
down_revision = '2130'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("analytics_automations") as batch:
        batch.add_column(sa.Column("product_id", ID, nullable=True))


def downgrade():
    with op.batch_alter_table("analytics_automations") as batch:
        batch.drop_column("product_id")
