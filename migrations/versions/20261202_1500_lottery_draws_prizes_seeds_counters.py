"""lottery: lotteries, prizes, seeds (one per period), per-member counters, draws; mall
redemptions gain their origin (mall, or prize: a lottery's gift or coupon)

Revision ID: 1500
Revises: 1400
Create Date: 2026-12-02 20:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '1500'
down_revision = '1400'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mall_redemptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=8), server_default='mall',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('mall_redemptions', schema=None) as batch_op:
        batch_op.drop_column('origin')
