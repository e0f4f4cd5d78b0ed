"""bulk points imports: the uploaded file and its rows

Revision ID: 2500
Revises: 2200
Create Date: 2026-12-03 25:00:00
"""
from alembic import op
import sqlalchemy as sa

import core.db


revision = '2500'
down_revision = '2200'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "points_imports",
        sa.Column("id", ID, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_ok", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", ID, nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("started_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("finished_at", core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["staff.id"],
                                name=op.f("fk_points_imports_uploaded_by_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_imports")),
    )
    op.create_index(op.f("ix_points_imports_sha256"), "points_imports", ["sha256"], unique=False)
    op.create_table(
        "points_import_rows",
        sa.Column("id", ID, nullable=False),
        sa.Column("import_id", ID, nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(64), nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("delta", ID, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("result", sa.String(20), nullable=True),
        sa.Column("balance_after", ID, nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["points_imports.id"],
                                name=op.f("fk_points_import_rows_import_id_points_imports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_import_rows")),
        sa.UniqueConstraint("import_id", "row_no",
                            name=op.f("uq_points_import_rows_import_id_row_no")),
    )
    op.create_index("ix_points_import_rows_import_outcome", "points_import_rows",
                    ["import_id", "outcome"], unique=False)


def downgrade():
    op.drop_table("points_import_rows")
    op.drop_table("points_imports")
