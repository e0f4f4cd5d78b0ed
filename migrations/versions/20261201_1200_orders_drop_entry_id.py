"""orders: drop entry_id; an order's credit is found by its unique key (order:<order id>), so
recording an order no longer needs a second write to its row once the credit exists

Revision ID: 1200
Revises: 1100
Create Date: 2026-12-01 10:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = '1200'
down_revision = '1100'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint('fk_orders_entry_id_points_entries', type_='foreignkey')
        batch_op.drop_column('entry_id')


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.create_foreign_key('fk_orders_entry_id_points_entries', 'points_entries',
                                    ['entry_id'], ['id'])
    op.execute("UPDATE orders SET entry_id = (SELECT id FROM points_entries "
               "WHERE idempotency_key = CONCAT('order:', orders.id))"
               if op.get_bind().dialect.name != "sqlite" else
               "UPDATE orders SET entry_id = (SELECT id FROM points_entries "
               "WHERE idempotency_key = 'order:' || orders.id)")
