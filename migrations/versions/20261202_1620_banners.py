"""banners: the home page's banners and announcements (image, link, stores, window, order)

Revision ID: 1620
Revises: 1610
Create Date: 2026-12-02 20:00:00
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '1620'
down_revision = '1610'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('banners',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('image_url', sa.String(length=512), nullable=False),
    sa.Column('link_type', sa.String(length=8), nullable=False),
    sa.Column('link_target', sa.String(length=256), nullable=True),
    sa.Column('store_codes', sa.JSON(), nullable=False),
    sa.Column('starts_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('ends_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_banners'))
    )


def downgrade():
    op.drop_table('banners')
