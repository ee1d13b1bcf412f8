"""cohorts: target associations and standings, a description

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # server defaults: cohorts made before this revision (synthetic data, tests) target nobody
    # by rule and stay valid
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("associations", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("standings", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("description", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_column("description")
        batch_op.drop_column("standings")
        batch_op.drop_column("associations")
