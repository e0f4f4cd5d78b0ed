"""tasks: a per-member limit on the points a task pays, and its counter

Revision ID: 1000
Revises: 0900
Create Date: 2026-11-22 18:10:00
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '1000'
down_revision = '0900'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_limit_points', sa.Integer(), nullable=True))
    op.create_table('task_member_totals',
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('task_id', 'member_id', name=op.f('pk_task_member_totals'))
    )


def downgrade():
    op.drop_table('task_member_totals')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('member_limit_points')
