"""privacy (PIPL): legal documents and members' consents with their versions, account deletion
requests with a cooling-off period; members.token_version (a deleted account's tokens are
refused) and members.signup_invite_code (kept while registration waits for consent)

Revision ID: 1600
Revises: 1500
Create Date: 2026-12-02 18:00:00
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '1600'
down_revision = '1500'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('legal_documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=512), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('effective_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('published_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['staff.id'], name=op.f('fk_legal_documents_published_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_documents')),
    sa.UniqueConstraint('kind', 'version', name=op.f('uq_legal_documents_kind_version'))
    )
    op.create_table('member_consents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('accepted_at', core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_consents_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_consents')),
    sa.UniqueConstraint('member_id', 'kind', 'version', name=op.f('uq_member_consents_member_id_kind_version'))
    )
    op.create_table('member_deletions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('open_member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('completes_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('completed_at', core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_deletions_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_deletions')),
    sa.UniqueConstraint('open_member_id', name=op.f('uq_member_deletions_open_member_id'))
    )
    with op.batch_alter_table('member_deletions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_deletions_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_member_deletions_status_completes', ['status', 'completes_at'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('signup_invite_code', sa.String(length=32), nullable=True))



def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('signup_invite_code')
        batch_op.drop_column('token_version')

    with op.batch_alter_table('member_deletions', schema=None) as batch_op:
        batch_op.drop_index('ix_member_deletions_status_completes')
        batch_op.drop_index(batch_op.f('ix_member_deletions_member_id'))

    op.drop_table('member_deletions')
    op.drop_table('member_consents')
    op.drop_table('legal_documents')
