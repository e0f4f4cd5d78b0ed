"""tasks: active_kind (= kind while a check-in or referral task is active), unique, so "one
active task of a kind" is a database fact; where two were active, all but the newest are
deactivated first

Revision ID: 1300
Revises: 1200
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '1300'
down_revision = '1200'
branch_labels = None
depends_on = None

ONE_ACTIVE = ('checkin', 'referral')
tasks = sa.table('tasks', sa.column('id', sa.BigInteger()), sa.column('kind', sa.String()),
                 sa.column('active', sa.Boolean()), sa.column('active_kind', sa.String()))


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active_kind', sa.String(length=16), nullable=True))
    keep_newest_active(op.get_bind())
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_tasks_active_kind'), ['active_kind'])


def keep_newest_active(conn):
    """Of each kind's active tasks keep the newest active (marked in active_kind); deactivate
    the others, which a race could have created."""
    for kind in ONE_ACTIVE:
        ids = conn.scalars(sa.select(tasks.c.id).where(tasks.c.kind == kind,
                                                       tasks.c.active.is_(True))
                           .order_by(tasks.c.id.desc())).all()
        if ids[1:]:
            conn.execute(sa.update(tasks).where(tasks.c.id.in_(ids[1:])).values(active=False))
        if ids:
            conn.execute(sa.update(tasks).where(tasks.c.id == ids[0]).values(active_kind=kind))


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_tasks_active_kind'), type_='unique')
        batch_op.drop_column('active_kind')
