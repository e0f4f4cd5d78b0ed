"""lottery: lotteries, prizes, seeds (one per period), per-member counters, draws; mall
redemptions gain their origin (mall, or prize: a lottery's gift or coupon)

Revision ID: 1700
Revises: 1640
Create Date: 2026-12-02 20:00:00
"""
import sqlalchemy as sa
from alembic import op

import core.db


revision = '1700'
down_revision = '1640'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mall_redemptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=8), server_default='mall',
                                      nullable=False))
    op.create_table('lotteries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('cost_points', sa.Integer(), nullable=False),
    sa.Column('starts_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('ends_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('daily_limit', sa.Integer(), nullable=True),
    sa.Column('total_limit', sa.Integer(), nullable=True),
    sa.Column('tier_required', sa.String(length=16), nullable=True),
    sa.Column('budget_points', sa.Integer(), nullable=True),
    sa.Column('budget_fen', sa.Integer(), nullable=True),
    sa.Column('awarded_points', sa.Integer(), nullable=False),
    sa.Column('awarded_fen', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lotteries'))
    )
    op.create_table('lottery_prizes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lottery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('stock_total', sa.Integer(), nullable=True),
    sa.Column('stock_left', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('value_fen', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_prizes'))
    )
    op.create_index('ix_lottery_prizes_lottery_id_id', 'lottery_prizes', ['lottery_id', 'id'], unique=False)
    op.create_table('lottery_seeds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lottery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('seed_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('revealed_seed', sa.String(length=64), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('revealed_at', core.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_seeds')),
    sa.UniqueConstraint('lottery_id', 'period', name=op.f('uq_lottery_seeds_lottery_id_period'))
    )
    op.create_table('lottery_stores',
    sa.Column('lottery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['lottery_id'], ['lotteries.id'], name=op.f('fk_lottery_stores_lottery_id_lotteries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_lottery_stores_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lottery_id', 'store_id', name=op.f('pk_lottery_stores'))
    )
    op.create_table('lottery_member_counts',
    sa.Column('lottery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('today', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lottery_member_counts_member_id_members')),
    sa.PrimaryKeyConstraint('lottery_id', 'member_id', name=op.f('pk_lottery_member_counts'))
    )
    op.create_table('lottery_draws',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lottery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('seed_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=True),
    sa.Column('prize_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('prize_name', sa.String(length=64), nullable=True),
    sa.Column('prize_kind', sa.String(length=8), nullable=True),
    sa.Column('points_spent', sa.Integer(), nullable=False),
    sa.Column('points_won', sa.Integer(), nullable=True),
    sa.Column('picks', sa.JSON(), nullable=True),
    sa.Column('redrawn', sa.Boolean(), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('prize_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('redemption_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lottery_draws_member_id_members')),
    sa.ForeignKeyConstraint(['redemption_id'], ['mall_redemptions.id'], name=op.f('fk_lottery_draws_redemption_id_mall_redemptions')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_lottery_draws_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_draws')),
    sa.UniqueConstraint('lottery_id', 'member_id', 'idempotency_key', name=op.f('uq_lottery_draws_lottery_id_member_id_idempotency_key'))
    )
    op.create_index('ix_lottery_draws_lottery_id_id', 'lottery_draws', ['lottery_id', 'id'], unique=False)
    op.create_index('ix_lottery_draws_member_id_id', 'lottery_draws', ['member_id', 'id'], unique=False)
    op.create_index(op.f('ix_lottery_draws_redemption_id'), 'lottery_draws', ['redemption_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_lottery_draws_redemption_id'), table_name='lottery_draws')
    op.drop_index('ix_lottery_draws_member_id_id', table_name='lottery_draws')
    op.drop_index('ix_lottery_draws_lottery_id_id', table_name='lottery_draws')
    op.drop_table('lottery_draws')
    op.drop_table('lottery_member_counts')
    op.drop_table('lottery_stores')
    op.drop_table('lottery_seeds')
    op.drop_index('ix_lottery_prizes_lottery_id_id', table_name='lottery_prizes')
    op.drop_table('lottery_prizes')
    op.drop_table('lotteries')
    with op.batch_alter_table('mall_redemptions', schema=None) as batch_op:
        batch_op.drop_column('origin')
