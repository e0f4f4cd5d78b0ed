"""stores: address, GCJ-02 latitude/longitude, hours, phone, pickup (GET /stores); tiers:
benefits and icon_url (GET /tiers); media_uploads (uploaded images)

Revision ID: 1610
Revises: 1600
Create Date: 2026-12-02 19:00:00
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '1610'
down_revision = '1600'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media_uploads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('owner_type', sa.String(length=8), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_uploads')),
    sa.UniqueConstraint('key', name=op.f('uq_media_uploads_key'))
    )
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('hours', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('pickup', sa.Boolean(), server_default=sa.text('1'), nullable=False))

    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('benefits', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('icon_url', sa.String(length=512), nullable=True))



def downgrade():
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.drop_column('icon_url')
        batch_op.drop_column('benefits')

    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_column('pickup')
        batch_op.drop_column('phone')
        batch_op.drop_column('hours')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('address')

    op.drop_table('media_uploads')
