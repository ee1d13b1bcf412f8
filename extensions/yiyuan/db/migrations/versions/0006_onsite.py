"""onsite sessions, check-in codes, attendance per session, and the audit log

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_audit_log_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_audit_log_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_action_at", ["action", "at"], unique=False)
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_log_course_at", ["course_id", "at"], unique=False)

    op.create_table(
        "onsite_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("checkin_code", sa.String(length=12), nullable=False),
        sa.Column("checkin_opens_at", sa.DateTime(), nullable=True),
        sa.Column("checkin_closes_at", sa.DateTime(), nullable=True),
        sa.Column("checkin_opened_by", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"], ["modules.id"], name=op.f("fk_onsite_sessions_module_id_modules")
        ),
        sa.ForeignKeyConstraint(
            ["trainer_id"], ["accounts.id"], name=op.f("fk_onsite_sessions_trainer_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onsite_sessions")),
        sa.UniqueConstraint("module_id", "code", name=op.f("uq_onsite_sessions_module_id_code")),
    )
    with op.batch_alter_table("onsite_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onsite_sessions_checkin_code"), ["checkin_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_onsite_sessions_module_id"), ["module_id"], unique=False
        )

    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("method", sa.String(length=20), server_default="roster", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_attendance_session_id"), ["session_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_attendance_session_id_onsite_sessions"),
            "onsite_sessions",
            ["session_id"],
            ["id"],
        )

    # the trainer workspace's per-module figures, read from indexes alone
    with op.batch_alter_table("module_results", schema=None) as batch_op:
        batch_op.drop_index("ix_module_results_module_id")
        batch_op.create_index(
            "ix_module_results_module_status", ["module_id", "status", "account_id"], unique=False
        )
    with op.batch_alter_table("completion_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_completion_events_module_kind", ["module_id", "kind", "account_id"], unique=False
        )
    _sessions_from_modules()


def _sessions_from_modules() -> None:
    """On-site modules published before sessions existed: their manifest ``session`` becomes
    session ``s1`` (publishing again keeps it in step with the manifest)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, session FROM modules WHERE kind = 'onsite'")).all()
    for module_id, raw in rows:
        data = raw if isinstance(raw, dict) else json.loads(raw or "{}")
        starts = None
        try:
            if data.get("starts"):
                starts = datetime.fromisoformat(str(data["starts"])).astimezone(UTC)
                starts = starts.replace(tzinfo=None)
        except ValueError:
            starts = None
        bind.execute(
            sa.text(
                "INSERT INTO onsite_sessions (module_id, code, position, place, starts_at, hours,"
                " active, checkin_code, checkin_opened_by)"
                " VALUES (:m, 's1', 0, :place, :starts, :hours, :active, '', '')"
            ),
            {
                "m": module_id,
                "place": str(data.get("place", ""))[:200],
                "starts": starts,
                "hours": float(data.get("hours") or 0),
                "active": True,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("completion_events", schema=None) as batch_op:
        batch_op.drop_index("ix_completion_events_module_kind")
    with op.batch_alter_table("module_results", schema=None) as batch_op:
        batch_op.drop_index("ix_module_results_module_status")
        batch_op.create_index("ix_module_results_module_id", ["module_id"], unique=False)
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_attendance_session_id_onsite_sessions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_attendance_session_id"))
        batch_op.drop_column("method")
        batch_op.drop_column("session_id")

    with op.batch_alter_table("onsite_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onsite_sessions_module_id"))
        batch_op.drop_index(batch_op.f("ix_onsite_sessions_checkin_code"))

    op.drop_table("onsite_sessions")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_course_at")
        batch_op.drop_index("ix_audit_log_at")
        batch_op.drop_index("ix_audit_log_action_at")

    op.drop_table("audit_log")
