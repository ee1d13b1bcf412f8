"""wrong check-in codes: counted in the database, shared by the service's processes and replicas

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wrong_checkin_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_wrong_checkin_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wrong_checkin_codes")),
    )
    op.create_index(
        "ix_wrong_checkin_codes_account_id_entered_at",
        "wrong_checkin_codes",
        ["account_id", "entered_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_wrong_checkin_codes_account_id_entered_at", table_name="wrong_checkin_codes")
    op.drop_table("wrong_checkin_codes")
