"""ledger: every lot records who funds its points (funder_store_id; null = HQ). Every lot
that exists already is HQ-funded: store campaigns did not exist when it was credited, so the
column is added empty (null) and stays so for them

Revision ID: 2100
Revises: 2010
Create Date: 2026-12-03 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '2100'
down_revision = '2010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("points_lots") as batch:
        batch.add_column(sa.Column("funder_store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                   nullable=True))
        batch.create_foreign_key("fk_points_lots_funder_store_id_stores", "stores",
                                 ["funder_store_id"], ["id"])
    # existing lots stay null: HQ-funded (no UPDATE of a table of millions of lots needed)


def downgrade():
    with op.batch_alter_table("points_lots") as batch:
        batch.drop_constraint("fk_points_lots_funder_store_id_stores", type_="foreignkey")
        batch.drop_column("funder_store_id")
