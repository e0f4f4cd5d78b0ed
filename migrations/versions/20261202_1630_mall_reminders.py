"""mall_reminders: the at-most-once record of pickup and coupon-expiry reminders

Revision ID: 1630
Revises: 1620
Create Date: 2026-12-02 21:00:00
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '1630'
down_revision = '1620'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mall_reminders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('errcode', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mall_reminders_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_reminders')),
    sa.UniqueConstraint('purpose', 'subject_id', 'template_id', name=op.f('uq_mall_reminders_purpose_subject_id_template_id'))
    )
    with op.batch_alter_table('mall_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_reminders_member_id'), ['member_id'], unique=False)



def downgrade():
    with op.batch_alter_table('mall_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_reminders_member_id'))

    op.drop_table('mall_reminders')
