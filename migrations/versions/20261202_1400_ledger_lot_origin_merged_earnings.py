"""ledger: points_lots.origin_lot_id (a moved or returned lot remembers where its points came
from); a merged account keeps no earnings: its monthly tier earnings move to the member it
joined and its lifetime_earned (already added there) goes to 0

Revision ID: 1400
Revises: 1310
Create Date: 2026-12-02 18:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '1400'
down_revision = '1310'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('points_lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_lot_id', sa.BigInteger().with_variant(
            sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_points_lots_origin_lot_id'), ['origin_lot_id'],
                              unique=False)
    move_merged_earnings(op.get_bind())


def move_merged_earnings(bind):
    """Earlier merges left a merged member's earnings behind (issue: a merge dropped the tier)."""
    merged = bind.execute(sa.text(
        "SELECT id, merged_into_id FROM members WHERE status = 'merged' "
        "AND merged_into_id IS NOT NULL")).all()
    for source, target in merged:
        months = bind.execute(sa.text("SELECT month, points FROM points_earned_monthly "
                                      "WHERE member_id = :m"), {"m": source}).all()
        for month, points in months:
            updated = bind.execute(sa.text(
                "UPDATE points_earned_monthly SET points = points + :p "
                "WHERE member_id = :t AND month = :month"),
                {"p": points, "t": target, "month": month}).rowcount
            if not updated:
                bind.execute(sa.text("INSERT INTO points_earned_monthly (member_id, month, points) "
                                     "VALUES (:t, :month, :p)"),
                             {"p": points, "t": target, "month": month})
        bind.execute(sa.text("DELETE FROM points_earned_monthly WHERE member_id = :m"),
                     {"m": source})
        bind.execute(sa.text("UPDATE points_accounts SET lifetime_earned = 0 "
                             "WHERE member_id = :m"), {"m": source})


def downgrade():
    with op.batch_alter_table('points_lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_lots_origin_lot_id'))
        batch_op.drop_column('origin_lot_id')
