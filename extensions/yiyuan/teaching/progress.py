"""What a trainer sees of a course: enrolment and completion, per-module figures, and the
learners who are stuck.

Every figure is a SQL aggregate over *active* enrolments (a learner an administrator removed
from the course no longer counts), one query per concern, whatever the number of learners.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..catalog import enrolment
from ..models import (
    Account,
    Attendance,
    CompletionEvent,
    Course,
    CourseTrainer,
    Enrolment,
    Grade,
    GradingJob,
    JobState,
    Module,
    ModuleKind,
    ModuleResult,
    ResultStatus,
    Role,
    Submission,
)
from ..models.base import UTCDateTime

#: why a learner is on the stuck list (Chinese, as the page shows it)
FAILED = "未通过，尚未重做"
GRADING_FAILED = "评分出错"
OVERDUE = "已逾期"


def idle_reason(idle_days: int) -> str:
    return f"超过 {idle_days} 天没有学习"


@dataclass
class ModuleFigures:
    code: str
    title: str
    kind: str
    required: bool
    #: learners who opened the module (an ``opened`` event) or submitted it
    opened: int = 0
    #: latest submission waiting for grading or for the trainer (status 已提交)
    submitted: int = 0
    passed: int = 0
    failed: int = 0
    #: latest graded submissions whose reflections wait for the trainer (the grading queue)
    awaiting_trainer: int = 0
    #: on-site modules: learners recorded present (None for online modules)
    attended: int | None = None
    #: learners who have submitted at all, whatever came of it (what 已提交 means to a
    #: reader beside 已通过); None for on-site modules
    handed_in: int | None = None


@dataclass
class CourseOverview:
    code: str
    title: str
    enrolment: str
    due: datetime | None
    enrolled: int
    completed: int
    #: completed / enrolled, 0–1 (0 when nobody is enrolled)
    completion_rate: float
    #: study hours credited in this course, per enrolled learner
    average_hours: float
    modules: list[ModuleFigures] = field(default_factory=list)

    @property
    def awaiting_trainer(self) -> int:
        return sum(m.awaiting_trainer for m in self.modules)

    def as_json(self) -> dict:
        data = asdict(self)
        data["awaiting_trainer"] = self.awaiting_trainer
        return data


@dataclass(frozen=True)
class StuckLearner:
    display_name: str
    username: str
    #: the module concerned ("" when the reason is about the whole course)
    module_code: str
    module_title: str
    reason: str


def _active_learners(course: Course):
    """Account ids with an active enrolment in the course (a subquery)."""
    return select(Enrolment.account_id).where(
        Enrolment.course_id == course.id, Enrolment.active.is_(True)
    )


def _by_module(session: Session, statement) -> dict[int, int]:
    return {module_id: count for module_id, count in session.execute(statement)}


def course_overview(session: Session, course: Course) -> CourseOverview:
    """Enrolment, completion and hours of the course, and per active module (in order):
    opened, submitted, passed, failed, awaiting the trainer, attendance (on-site)."""
    enrolled, completed, hours = session.execute(
        select(
            func.count(Enrolment.id),
            func.count(Enrolment.completed_at),
            func.coalesce(func.avg(Enrolment.hours), 0.0),
        ).where(Enrolment.course_id == course.id, Enrolment.active.is_(True))
    ).one()
    modules = list(
        session.scalars(
            select(Module)
            .where(Module.course_id == course.id, Module.active.is_(True))
            .order_by(Module.position, Module.id)
        )
    )
    ids = [m.id for m in modules]
    learners = _active_learners(course)

    statuses: dict[tuple[int, ResultStatus], int] = {
        (module_id, status): count
        for module_id, status, count in session.execute(
            select(ModuleResult.module_id, ModuleResult.status, func.count())
            .where(ModuleResult.module_id.in_(ids), ModuleResult.account_id.in_(learners))
            .group_by(ModuleResult.module_id, ModuleResult.status)
        )
    }
    # opened: an ``opened`` event or a submission (the lesson player may not have reported)
    touched = (
        select(CompletionEvent.module_id.label("module_id"), CompletionEvent.account_id)
        .where(CompletionEvent.kind == "opened", CompletionEvent.module_id.in_(ids))
        .union(
            select(Submission.module_id.label("module_id"), Submission.account_id).where(
                Submission.module_id.in_(ids)
            )
        )
        .subquery()
    )
    opened = _by_module(
        session,
        select(touched.c.module_id, func.count())
        .where(touched.c.account_id.in_(learners))
        .group_by(touched.c.module_id),
    )
    # the grading queue's rule (grading.manual.manual_queue): the latest graded submission
    # of each learner and module, still needing the trainer
    latest = (
        select(func.max(Submission.id).label("id"))
        .join(Grade, Grade.submission_id == Submission.id)
        .where(Submission.module_id.in_(ids))
        .group_by(Submission.account_id, Submission.module_id)
        .subquery()
    )
    awaiting = _by_module(
        session,
        select(Submission.module_id, func.count())
        .join(latest, latest.c.id == Submission.id)
        .join(Grade, Grade.submission_id == Submission.id)
        .where(Grade.needs_manual.is_(True), Submission.account_id.in_(learners))
        .group_by(Submission.module_id),
    )
    attended = _by_module(
        session,
        select(Attendance.module_id, func.count(func.distinct(Attendance.account_id)))
        .where(
            Attendance.module_id.in_(ids),
            Attendance.present.is_(True),
            Attendance.account_id.in_(learners),
        )
        .group_by(Attendance.module_id),
    )
    return CourseOverview(
        code=course.code,
        title=course.title,
        enrolment=course.enrolment,
        due=course.due,
        enrolled=enrolled,
        completed=completed,
        completion_rate=round(completed / enrolled, 4) if enrolled else 0.0,
        average_hours=round(float(hours), 2),
        modules=[
            ModuleFigures(
                code=m.code,
                title=m.title,
                kind=m.kind.value,
                required=m.required,
                opened=opened.get(m.id, 0),
                submitted=statuses.get((m.id, ResultStatus.submitted), 0),
                passed=statuses.get((m.id, ResultStatus.passed), 0),
                failed=statuses.get((m.id, ResultStatus.failed), 0),
                awaiting_trainer=awaiting.get(m.id, 0),
                attended=attended.get(m.id, 0) if m.kind == ModuleKind.onsite else None,
                handed_in=None
                if m.kind == ModuleKind.onsite
                else sum(
                    statuses.get((m.id, status), 0)
                    for status in (ResultStatus.submitted, ResultStatus.passed, ResultStatus.failed)
                ),
            )
            for m in modules
        ],
    )


def stuck_learners(
    session: Session, course: Course, now: datetime, idle_days: int = 14
) -> list[StuckLearner]:
    """Learners of the course (active, not completed) who need the trainer's attention; a
    learner with several reasons is listed once per reason. Ordered by learner, then reason.

    - failed a module and not resubmitted since (未通过，尚未重做);
    - their latest submission of a module could not be graded (评分出错);
    - no activity for ``idle_days`` (the latest event, else the enrolment date);
    - a required course past its due date (已逾期).
    """
    stuck = (
        select(Enrolment.account_id)
        .where(
            Enrolment.course_id == course.id,
            Enrolment.active.is_(True),
            Enrolment.completed_at.is_(None),
        )
        .subquery()
    )
    who = (Account.display_name, Account.username)
    rows: list[StuckLearner] = []

    later = aliased(Submission)
    failed = session.execute(
        select(*who, Module.code, Module.title)
        .select_from(ModuleResult)
        .join(stuck, stuck.c.account_id == ModuleResult.account_id)
        .join(Account, Account.id == ModuleResult.account_id)
        .join(Module, Module.id == ModuleResult.module_id)
        .where(
            Module.course_id == course.id,
            Module.active.is_(True),
            ModuleResult.status == ResultStatus.failed,
            # a resubmission not graded yet (or results not recomputed yet) is a redo
            ~exists().where(
                later.account_id == ModuleResult.account_id,
                later.module_id == ModuleResult.module_id,
                or_(ModuleResult.submission_id.is_(None), later.id > ModuleResult.submission_id),
            ),
        )
    )
    rows += [StuckLearner(n or u, u, c, t, FAILED) for n, u, c, t in failed]

    latest = (
        select(func.max(Submission.id).label("id"))
        .join(Module, Module.id == Submission.module_id)
        .where(Module.course_id == course.id, Module.active.is_(True))
        .group_by(Submission.account_id, Submission.module_id)
        .subquery()
    )
    broken = session.execute(
        select(*who, Module.code, Module.title)
        .select_from(Submission)
        .join(latest, latest.c.id == Submission.id)
        .join(GradingJob, GradingJob.submission_id == Submission.id)
        .join(stuck, stuck.c.account_id == Submission.account_id)
        .join(Account, Account.id == Submission.account_id)
        .join(Module, Module.id == Submission.module_id)
        .where(GradingJob.state == JobState.failed)
    )
    rows += [StuckLearner(n or u, u, c, t, GRADING_FAILED) for n, u, c, t in broken]

    last_seen = func.coalesce(Enrolment.last_active_at, Enrolment.enrolled_at, type_=UTCDateTime)
    idle = session.execute(
        select(*who)
        .select_from(Enrolment)
        .join(stuck, stuck.c.account_id == Enrolment.account_id)
        .join(Account, Account.id == Enrolment.account_id)
        .where(Enrolment.course_id == course.id, last_seen < now - timedelta(days=idle_days))
    )
    reason = idle_reason(idle_days)
    rows += [StuckLearner(n or u, u, "", "", reason) for n, u in idle]

    if course.enrolment == "required" and course.due is not None and course.due < now:
        late = session.execute(select(*who).join(stuck, stuck.c.account_id == Account.id))
        rows += [StuckLearner(n or u, u, "", "", OVERDUE) for n, u in late]

    order = {FAILED: 0, GRADING_FAILED: 1, reason: 2, OVERDUE: 3}
    return sorted(rows, key=lambda r: (r.username, order[r.reason], r.module_code))


def trainer_courses(session: Session, account: Account) -> list[Course]:
    """The active courses the account may see as a trainer: their own; every course for an
    administrator."""
    query = select(Course).where(Course.active.is_(True)).order_by(Course.code)
    if not account.has_role(Role.administrator):
        query = query.where(
            Course.id.in_(
                select(CourseTrainer.course_id).where(CourseTrainer.account_id == account.id)
            )
        )
    return list(session.scalars(query))


def may_view(session: Session, course: Course, account: Account) -> bool:
    """Whether the account sees the course's trainer view (its trainers, administrators)."""
    return account.has_role(Role.administrator) or enrolment.is_trainer(
        session, course.id, account.id
    )


__all__ = [
    "FAILED",
    "GRADING_FAILED",
    "OVERDUE",
    "CourseOverview",
    "ModuleFigures",
    "StuckLearner",
    "course_overview",
    "idle_reason",
    "may_view",
    "stuck_learners",
    "trainer_courses",
]
