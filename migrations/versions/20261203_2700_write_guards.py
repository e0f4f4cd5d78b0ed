"""write guards: rows that transactions deciding on the same rows all write (Galera)

Revision ID: 2700
Revises: 2600
Create Date: 2026-12-03 27:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '2700'
down_revision = '2600'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "write_guards",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_write_guards")),
    )


def downgrade():
    op.drop_table("write_guards")
