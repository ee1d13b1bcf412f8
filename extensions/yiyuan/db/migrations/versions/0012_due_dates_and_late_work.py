"""due dates per module and the course's 迟交 policy

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMNs (nullable): a batch copy of courses would cascade-delete its modules
    # on SQLite; None reads as "the course's due date" and "refuse late work", as before
    op.add_column("modules", sa.Column("due", sa.DateTime(), nullable=True))
    op.add_column("courses", sa.Column("late_policy", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("courses", "late_policy")
    op.drop_column("modules", "due")
