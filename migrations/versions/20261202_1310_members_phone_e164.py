"""members: phones in E.164 with their country code ("+8613812345678"): WeChat gives foreign
numbers too, and two countries' numbers stored as bare digits could collide

Revision ID: 1310
Revises: 1300
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '1310'
down_revision = '1300'
branch_labels = None
depends_on = None

members = sa.table('members', sa.column('phone', sa.String(20)))


def upgrade():
    # every phone stored so far is a mainland number as WeChat's purePhoneNumber gave it
    op.execute(members.update()
               .where(members.c.phone.is_not(None), ~members.c.phone.like('+%'))
               .values(phone=sa.literal('+86') + members.c.phone))


def downgrade():
    # foreign numbers stay in E.164: bare digits cannot say their country
    op.execute(members.update()
               .where(members.c.phone.like('+86%'))
               .values(phone=sa.func.substr(members.c.phone, 4)))
