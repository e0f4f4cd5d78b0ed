"""console: the audit log remembers the store a change was made at (a store manager reads
their stores' entries), with indexes for a store's and one person's entries, newest first

Revision ID: 1800
Revises: 1700
Create Date: 2026-12-03 18:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '1800'
down_revision = '1700'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index('ix_audit_log_store_id_id', ['store_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_log_actor_name_id', ['actor_name', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor_name_id')
        batch_op.drop_index('ix_audit_log_store_id_id')
        batch_op.drop_column('store_id')
