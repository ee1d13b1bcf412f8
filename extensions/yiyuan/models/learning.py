"""Courses as published, enrolments, submissions, grading jobs, results and study hours.

The course sources (``courses/<id>.yml`` and notebooks) are the trainer's; these tables record
what the platform has published from them and everything learners did since. Nothing here is
deleted: a withdrawn course or a left learner keeps its history for the reports.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import Account
from .base import Base, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=20,
        create_constraint=True,
        name=name,
        values_callable=lambda e: [item.value for item in e],
    )


class Course(Base):
    """A published course: the manifest as it was at the last publish."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the manifest's ``id`` (e.g. ``shufa-jianshang``); also nbgrader's course id
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    #: ``required`` (target learners enrolled at publish) or ``elective`` (they may enrol)
    enrolment: Mapped[str] = mapped_column(String(20), default="elective")
    opens: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the manifest's 迟交 policy (yiyuan.completion.lateness.LatePolicy.as_dict); {}: refuse
    late_policy: Mapped[dict | None] = mapped_column(JSON, default=dict)
    #: the manifest as published (JSON), for audit and for rules not kept in columns
    manifest: Mapped[dict] = mapped_column(JSON, default=dict)
    #: bumped by every publish
    version: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", lazy="selectin"
    )
    trainers: Mapped[list[CourseTrainer]] = relationship(
        back_populates="course", cascade="all, delete-orphan", lazy="selectin"
    )


class CourseTrainer(Base):
    __tablename__ = "course_trainers"
    __table_args__ = (UniqueConstraint("course_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)

    course: Mapped[Course] = relationship(back_populates="trainers")
    account: Mapped[Account] = relationship(lazy="joined")


class ModuleKind(enum.StrEnum):
    online = "online"
    onsite = "onsite"


class Module(Base):
    """A module (单元) of a published course; online modules are nbgrader assignments."""

    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    #: the manifest's module ``id``; nbgrader's assignment id
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ModuleKind] = mapped_column(_enum(ModuleKind, "module_kind"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the manifest's ``pass`` rule, e.g. ``{"quiz": 60, "reflection": true}``
    pass_rule: Mapped[dict] = mapped_column(JSON, default=dict)
    #: question ids of the module's reflections (from the lessons' source)
    reflections: Mapped[list] = mapped_column(JSON, default=list)
    #: lesson notebook names, in order
    lessons: Mapped[list] = mapped_column(JSON, default=list)
    #: on-site session as in the manifest (place, starts, hours)
    session: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the module's own due date (end of that day in the city); None: the course's
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: release number in the exchange (0: not released); bumped when the files change
    release: Mapped[int] = mapped_column(Integer, default=0)
    #: sha256 of the released archive, to tell whether a publish changed anything
    release_checksum: Mapped[str] = mapped_column(String(64), default="")
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: False when a later publish no longer lists this module (kept for its history)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    course: Mapped[Course] = relationship(back_populates="modules", lazy="joined")


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("course_id", "account_id"),
        # covers the reports' per-learner scan: read from the index alone, in learner order
        Index(
            "ix_enrolments_report",
            "account_id",
            "active",
            "course_id",
            "modules_passed",
            "score_sum",
            "score_count",
            "hours",
            "completed_at",
            "last_active_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    #: ``rule`` (targeted by the manifest), ``self`` (elective chosen by the learner), ``admin``
    source: Mapped[str] = mapped_column(String(20), default="rule")
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A rollup of this learner's results in this course, kept by the completion engine
    # (yiyuan.completion.rollup) so that participation reports over a million module results
    # aggregate one row per enrolment instead.
    modules_passed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    score_sum: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    score_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hours: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the learner's latest activity in the course (any completion event)
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(lazy="joined")
    account: Mapped[Account] = relationship(lazy="joined")


class Submission(Base):
    """One submission of a module by a learner; every one is kept, the latest counts."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_account_module", "account_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    #: the service's clock, never the learner's
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: what the learner's machine claimed (kept for support, never used)
    client_timestamp: Mapped[str] = mapped_column(String(64), default="")
    #: the module's release the learner worked on
    release: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    checksum: Mapped[str] = mapped_column(String(64), default="")
    #: archive path relative to the exchange root
    path: Mapped[str] = mapped_column(String(300), default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    module: Mapped[Module] = relationship(lazy="joined")
    account: Mapped[Account] = relationship(lazy="joined")


class JobState(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class GradingJob(Base):
    """Autograding of one submission, claimed by one worker at a time."""

    __tablename__ = "grading_jobs"
    __table_args__ = (Index("ix_grading_jobs_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    state: Mapped[JobState] = mapped_column(_enum(JobState, "job_state"), default=JobState.queued)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: ``host:pid`` of the worker holding the job
    worker: Mapped[str] = mapped_column(String(100), default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: refreshed while a worker runs the job; a stale one means the worker died
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Chinese sentence for the learner when grading failed; details go to the log
    error: Mapped[str] = mapped_column(Text, default="")

    submission: Mapped[Submission] = relationship(lazy="joined")


class Grade(Base):
    """Scores of one submission: autograded parts, then manual parts once graded."""

    __tablename__ = "grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    auto_score: Mapped[float] = mapped_column(Float, default=0.0)
    auto_max: Mapped[float] = mapped_column(Float, default=0.0)
    manual_score: Mapped[float | None] = mapped_column(Float)
    manual_max: Mapped[float] = mapped_column(Float, default=0.0)
    #: True while a reflection (or other manual item) awaits the trainer
    needs_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    #: per question (grade_id): {"score", "max", "auto", "comment"}
    items: Mapped[dict] = mapped_column(JSON, default=dict)
    #: reflection ids written by the learner (non-empty answers)
    reflections_written: Mapped[list] = mapped_column(JSON, default=list)
    #: feedback folder relative to the exchange root ("" until generated)
    feedback_path: Mapped[str] = mapped_column(String(300), default="")
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    manual_graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manual_graded_by: Mapped[str] = mapped_column(String(32), default="")

    submission: Mapped[Submission] = relationship(lazy="joined")


class ResultStatus(enum.StrEnum):
    not_started = "not-started"  # 未开始
    submitted = "submitted"  # 已提交 (grading, or awaiting the trainer)
    passed = "passed"  # 已通过
    failed = "failed"  # 未通过 (may redo)


class ModuleResult(Base):
    """A learner's standing in one module, kept by the completion engine."""

    __tablename__ = "module_results"
    __table_args__ = (
        UniqueConstraint("account_id", "module_id"),
        # modules passed per week (reports), from the index alone
        Index("ix_module_results_passed", "status", "passed_at", "account_id", "module_id"),
        # a course's results by module and status (the trainer workspace), from the index alone
        Index("ix_module_results_module_status", "module_id", "status", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    status: Mapped[ResultStatus] = mapped_column(
        _enum(ResultStatus, "result_status"), default=ResultStatus.not_started
    )
    #: the submission the status is computed from (the latest one)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    #: quiz score in percent of the autograded points (None: no quiz / not graded)
    score: Mapped[float | None] = mapped_column(Float)
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    module: Mapped[Module] = relationship(lazy="joined")


class CourseCompletion(Base):
    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("account_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attendance(Base):
    """Presence at an on-site module (recorded by a trainer or by check-in)."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("account_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_by: Mapped[str] = mapped_column(String(32), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the sitting attended (None: recorded before sessions existed, or not tied to one)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("onsite_sessions.id"), index=True)
    #: ``roster`` (the trainer's list), ``checkin`` (the learner entered the code)
    method: Mapped[str] = mapped_column(String(20), default="roster", server_default="roster")


class StudyHours(Base):
    """The study-hours ledger (学时): one row per credit, never edited, only reversed."""

    __tablename__ = "study_hours"
    __table_args__ = (
        Index("ix_study_hours_account_credited", "account_id", "credited_at"),
        # hours credited per week (reports), from the index alone
        Index("ix_study_hours_credited", "credited_at", "account_id", "module_id", "hours"),
        # hours of a module (rollups) and hand-entered credits (module_id NULL) at a seek
        Index("ix_study_hours_module", "module_id", "account_id", "credited_at", "hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    hours: Mapped[float] = mapped_column(Float)
    #: ``module`` (a passed module), ``manual`` (entered by an administrator)
    source: Mapped[str] = mapped_column(String(20), default="module")
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"))
    #: the rule that produced the figure, in words (e.g. "单元学时 1.0（通过）")
    rule: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    approved_by: Mapped[str] = mapped_column(String(32), default="")
    credited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CompletionEvent(Base):
    """What happened when, for the timeline and the reports (submitted, graded, passed…)."""

    __tablename__ = "completion_events"
    __table_args__ = (
        # the weekly trend reads a window of events from this index alone
        Index("ix_completion_events_week", "at", "account_id", "kind", "course_id"),
        # a learner's latest activity in a course, for the enrolment rollups
        Index("ix_completion_events_account_course_at", "account_id", "course_id", "at"),
        # who opened a module (the trainer workspace), from the index alone
        Index("ix_completion_events_module_kind", "module_id", "kind", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    #: opened, submitted, graded, grading-failed, manual-graded, module-passed, module-failed,
    #: course-completed, hours-credited, hours-reversed
    kind: Mapped[str] = mapped_column(String(30))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
