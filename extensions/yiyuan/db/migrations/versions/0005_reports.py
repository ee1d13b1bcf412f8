"""reports: programmes and cohorts, enrolment rollups, an activity index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

REPORT_COLUMNS = [
    "account_id",
    "active",
    "course_id",
    "modules_passed",
    "score_sum",
    "score_count",
    "hours",
    "completed_at",
    "last_active_at",
]


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("code", name=op.f("uq_programmes_code")),
    )
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_cohorts_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
        sa.UniqueConstraint("code", name=op.f("uq_cohorts_code")),
    )
    op.create_index(op.f("ix_cohorts_programme_id"), "cohorts", ["programme_id"], unique=False)
    op.create_table(
        "cohort_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_cohort_members_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_members_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_members")),
        sa.UniqueConstraint(
            "cohort_id", "account_id", name=op.f("uq_cohort_members_cohort_id_account_id")
        ),
    )
    op.create_index(
        op.f("ix_cohort_members_account_id"), "cohort_members", ["account_id"], unique=False
    )
    op.create_table(
        "cohort_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_courses_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_cohort_courses_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_courses")),
        sa.UniqueConstraint(
            "cohort_id", "course_id", name=op.f("uq_cohort_courses_cohort_id_course_id")
        ),
    )
    op.create_index(
        op.f("ix_cohort_courses_course_id"), "cohort_courses", ["course_id"], unique=False
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("modules_passed", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("score_sum", sa.Float(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("score_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("hours", sa.Float(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_active_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_enrolments_report", REPORT_COLUMNS, unique=False)
    with op.batch_alter_table("completion_events", schema=None) as batch_op:
        batch_op.drop_index("ix_completion_events_at")
        batch_op.create_index(
            "ix_completion_events_week", ["at", "account_id", "kind", "course_id"], unique=False
        )
        batch_op.create_index(
            "ix_completion_events_account_course_at",
            ["account_id", "course_id", "at"],
            unique=False,
        )
    with op.batch_alter_table("module_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_module_results_passed",
            ["status", "passed_at", "account_id", "module_id"],
            unique=False,
        )
    with op.batch_alter_table("study_hours", schema=None) as batch_op:
        batch_op.create_index(
            "ix_study_hours_credited",
            ["credited_at", "account_id", "module_id", "hours"],
            unique=False,
        )
        batch_op.create_index(
            "ix_study_hours_module",
            ["module_id", "account_id", "credited_at", "hours"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("study_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_study_hours_module")
        batch_op.drop_index("ix_study_hours_credited")
    with op.batch_alter_table("module_results", schema=None) as batch_op:
        batch_op.drop_index("ix_module_results_passed")
    with op.batch_alter_table("completion_events", schema=None) as batch_op:
        batch_op.drop_index("ix_completion_events_account_course_at")
        batch_op.drop_index("ix_completion_events_week")
        batch_op.create_index("ix_completion_events_at", ["at"], unique=False)
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrolments_report")
        batch_op.drop_column("last_active_at")
        batch_op.drop_column("completed_at")
        batch_op.drop_column("hours")
        batch_op.drop_column("score_count")
        batch_op.drop_column("score_sum")
        batch_op.drop_column("modules_passed")
    op.drop_index(op.f("ix_cohort_courses_course_id"), table_name="cohort_courses")
    op.drop_table("cohort_courses")
    op.drop_index(op.f("ix_cohort_members_account_id"), table_name="cohort_members")
    op.drop_table("cohort_members")
    op.drop_index(op.f("ix_cohorts_programme_id"), table_name="cohorts")
    op.drop_table("cohorts")
    op.drop_table("programmes")
