"""login throttles (per account, unknown name, client address, known client) and known
clients (device cookies); failed_logins / locked_until move off accounts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KIND = sa.Enum(
    "account",
    "name",
    "address",
    "client",
    name="kind",
    native_enum=False,
    create_constraint=True,
    length=16,
)


def upgrade() -> None:
    op.create_table(
        "known_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("first_login_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=False),
        sa.Column("last_address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_known_clients_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_clients")),
        sa.UniqueConstraint(
            "account_id", "token_hash", name=op.f("uq_known_clients_account_id_token_hash")
        ),
    )
    throttles = op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.Column("last_address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_login_throttles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_login_throttles_kind_key")),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttles_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_login_throttles_last_failure_at", ["last_failure_at"], unique=False
        )

    # an account locked or counting failures at upgrade time stays so, as an account counter
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.Integer()),
        sa.column("failed_logins", sa.Integer()),
        sa.column("locked_until", sa.DateTime()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(accounts.c.id, accounts.c.failed_logins, accounts.c.locked_until).where(
            sa.or_(accounts.c.failed_logins > 0, accounts.c.locked_until.is_not(None))
        )
    ).all()
    if rows:
        op.bulk_insert(
            throttles,
            [
                {
                    "kind": "account",
                    "key": str(account_id),
                    "account_id": account_id,
                    "failures": failures,
                    "refused": 0,
                    # the old table kept no time of the last failure: count it from the lock
                    "last_failure_at": locked_until,
                    "blocked_until": locked_until,
                    "last_address": "",
                }
                for account_id, failures, locked_until in rows
            ],
        )

    # ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35), never batch mode: batch copies
    # and drops the accounts table, and with foreign keys on, dropping it would cascade to
    # every account's roles, member record and cohort places
    op.drop_column("accounts", "failed_logins")
    op.drop_column("accounts", "locked_until")


def downgrade() -> None:
    op.add_column("accounts", sa.Column("locked_until", sa.DateTime(), nullable=True))
    op.add_column(
        "accounts", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
    )
    # the account counters go back onto their accounts; the rest has no place there
    op.execute(
        "UPDATE accounts SET "
        "failed_logins = COALESCE((SELECT t.failures FROM login_throttles t "
        "WHERE t.kind = 'account' AND t.account_id = accounts.id), 0), "
        "locked_until = (SELECT t.blocked_until FROM login_throttles t "
        "WHERE t.kind = 'account' AND t.account_id = accounts.id)"
    )

    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index("ix_login_throttles_last_failure_at")
        batch_op.drop_index(batch_op.f("ix_login_throttles_account_id"))

    op.drop_table("login_throttles")
    op.drop_table("known_clients")
