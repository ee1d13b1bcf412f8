"""associations, and the association an association manager's role covers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "associations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("short_name", sa.String(length=20), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_associations")),
        sa.UniqueConstraint("code", name=op.f("uq_associations_code")),
        sa.UniqueConstraint("full_name", name=op.f("uq_associations_full_name")),
        sa.UniqueConstraint("short_name", name=op.f("uq_associations_short_name")),
    )
    # A manager holds one role row per association they cover.
    with op.batch_alter_table("account_roles") as batch:
        batch.add_column(sa.Column("association_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_account_roles_association_id_associations"),
            "associations",
            ["association_id"],
            ["id"],
        )
        batch.drop_constraint(op.f("uq_account_roles_account_id_role"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_account_roles_account_id_role_association_id"),
            ["account_id", "role", "association_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("account_roles") as batch:
        batch.drop_constraint(
            op.f("uq_account_roles_account_id_role_association_id"), type_="unique"
        )
        batch.drop_constraint(
            op.f("fk_account_roles_association_id_associations"), type_="foreignkey"
        )
        batch.drop_column("association_id")
        batch.create_unique_constraint(
            op.f("uq_account_roles_account_id_role"), ["account_id", "role"]
        )
    op.drop_table("associations")
