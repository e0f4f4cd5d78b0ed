"""ledger: drop ix_points_lots_expiry_remaining; ix_points_lots_expiry_order starts with the
same column and serves every query it did, and each index on `remaining` is one more write per
lot on every debit, credit and expiry

Revision ID: 1100
Revises: 1000
Create Date: 2026-12-01 08:15:00
"""
from alembic import op


revision = '1100'
down_revision = '1000'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('points_lots', schema=None) as batch_op:
        batch_op.drop_index('ix_points_lots_expiry_remaining')


def downgrade():
    with op.batch_alter_table('points_lots', schema=None) as batch_op:
        batch_op.create_index('ix_points_lots_expiry_remaining', ['expires_at', 'remaining'],
                              unique=False)
