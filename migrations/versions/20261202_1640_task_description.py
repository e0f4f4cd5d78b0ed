"""tasks.description: what the task centre shows under a task's title

Revision ID: 1640
Revises: 1630
Create Date: 2026-12-02 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '1640'
down_revision = '1630'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.String(length=500), nullable=True))



def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('description')

