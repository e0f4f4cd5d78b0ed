"""analytics automations: the message action's subscribe template, and why an action did not
reach a member (the WeChat errcode of a refused or failed message)

Revision ID: 2900
Revises: 2700
Create Date: 2026-12-03 23:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '2900'
down_revision = '2700'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("analytics_automations") as batch:
        batch.add_column(sa.Column("template_id", sa.String(64), nullable=True))
    with op.batch_alter_table("analytics_automation_actions") as batch:
        batch.add_column(sa.Column("errcode", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("analytics_automation_actions") as batch:
        batch.drop_column("errcode")
    with op.batch_alter_table("analytics_automations") as batch:
        batch.drop_column("template_id")
