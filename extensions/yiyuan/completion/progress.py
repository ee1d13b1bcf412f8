"""A learner's progress as plain data: courses, modules with status, score and feedback,
study hours this year. Read-only; shared by the service's API and pages.

A handful of queries per learner, whatever the number of modules: results, latest submissions
and grades are fetched for all the learner's modules at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import local_zone
from ..models import (
    Attendance,
    CompletionEvent,
    Course,
    CourseCompletion,
    Enrolment,
    Grade,
    GradingJob,
    Module,
    ModuleResult,
    OnsiteSession,
    ResultStatus,
    StudyHours,
    Submission,
)
from .lateness import LatePolicy, judge
from .rollup import refresh_enrolments

#: shown for a module opened but not submitted yet (not a result: an ``opened`` event)
IN_PROGRESS = "in-progress"

STATUS_LABELS = {
    IN_PROGRESS: "学习中",
    ResultStatus.not_started: "未开始",
    ResultStatus.submitted: "已提交",
    ResultStatus.passed: "已通过",
    ResultStatus.failed: "未通过",
}


@dataclass
class ModuleProgress:
    code: str
    title: str
    kind: str
    hours: float
    required: bool
    status: str
    status_label: str
    score: float | None = None
    released: bool = False
    submission_id: int | None = None
    submitted_at: datetime | None = None
    #: queued / running / done / failed (the latest submission's grading)
    grading: str = ""
    grading_error: str = ""
    #: reflections waiting for the trainer
    awaiting_trainer: bool = False
    feedback: bool = False
    #: feedback pages, one per lesson (``<lesson>.html``), once there is feedback
    feedback_files: list[str] = field(default_factory=list)
    #: on-site modules: place, starts, hours (as in the manifest)
    session: dict = field(default_factory=dict)
    #: on-site modules: their sessions (place, starts, starts_local, attended)
    sessions: list[dict] = field(default_factory=list)
    #: on-site modules: recorded present (at any session)
    attended: bool = False


@dataclass
class CourseProgress:
    code: str
    title: str
    enrolment: str
    due: datetime | None
    hours: float
    completed_at: datetime | None
    modules: list[ModuleProgress] = field(default_factory=list)
    #: the course's 迟交 policy
    late: LatePolicy = field(default_factory=LatePolicy)

    @property
    def passed(self) -> int:
        return sum(m.status == ResultStatus.passed for m in self.modules)

    @property
    def percent(self) -> int:
        return round(100 * self.passed / len(self.modules)) if self.modules else 0

    @property
    def next_module(self) -> ModuleProgress | None:
        """The learner's next step: the first released online module not passed yet."""
        for module in self.modules:
            if module.kind == "online" and module.released and module.status != "passed":
                return module
        return None

    def due_state(self, now: datetime | None = None) -> str:
        """``overdue``, ``soon`` (within 14 days) or "" — nothing once completed."""
        if self.due is None or self.completed_at is not None:
            return ""
        left = self.due - (now or datetime.now(UTC))
        if left.total_seconds() < 0:
            return "overdue"
        return "soon" if left.days < 14 else ""

    def closed(self, now: datetime | None = None) -> bool:
        """Past its due date, and no late work taken any more (the 迟交 policy)."""
        if self.due is None or self.completed_at is not None:
            return False
        return not judge(self.due, self.late, now or datetime.now(UTC)).accepted

    def overdue_text(self, now: datetime | None = None) -> str:
        """What a learner is told once the course is past its due date."""
        if self.closed(now):
            return "已过截止日期，不能再提交。如有特殊情况，请联系任课教师。"
        return f"已过截止日期。{self.late.describe()}。"


#: the event the lesson player records when a learner opens a module
OPENED = "opened"


def record_opened(session: Session, account_id: int, module: Module) -> bool:
    """Record that the learner opened ``module``; True the first time."""
    seen = session.scalar(
        select(CompletionEvent.id)
        .where(
            CompletionEvent.account_id == account_id,
            CompletionEvent.module_id == module.id,
            CompletionEvent.kind == OPENED,
        )
        .limit(1)
    )
    if seen is not None:
        return False
    session.add(
        CompletionEvent(
            account_id=account_id, kind=OPENED, course_id=module.course_id, module_id=module.id
        )
    )
    session.flush()
    refresh_enrolments(session, account_id=account_id, course_ids=[module.course_id])
    return True


def hours_this_year(session: Session, account_id: int, now: datetime | None = None) -> float:
    now = (now or datetime.now(UTC)).astimezone(local_zone())
    start = datetime(now.year, 1, 1, tzinfo=local_zone())
    total = session.scalar(
        select(func.coalesce(func.sum(StudyHours.hours), 0.0)).where(
            StudyHours.account_id == account_id, StudyHours.credited_at >= start
        )
    )
    return round(float(total or 0.0), 2)


def courses_of(session: Session, account_id: int) -> list[CourseProgress]:
    """Courses the learner is actively enrolled in, each with its active modules."""
    courses = session.scalars(
        select(Course)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.account_id == account_id, Enrolment.active, Course.active)
        .order_by(Course.code)
    ).all()
    if not courses:
        return []
    course_ids = [course.id for course in courses]
    results = {
        r.module_id: r
        for r in session.scalars(
            select(ModuleResult)
            .join(Module, Module.id == ModuleResult.module_id)
            .where(ModuleResult.account_id == account_id, Module.course_id.in_(course_ids))
        )
    }
    latest_ids = (
        select(func.max(Submission.id))
        .join(Module, Module.id == Submission.module_id)
        .where(Submission.account_id == account_id, Module.course_id.in_(course_ids))
        .group_by(Submission.module_id)
    )
    latest = {
        s.module_id: s
        for s in session.scalars(select(Submission).where(Submission.id.in_(latest_ids)))
    }
    submission_ids = [s.id for s in latest.values()]
    grades = {
        g.submission_id: g
        for g in session.scalars(select(Grade).where(Grade.submission_id.in_(submission_ids)))
    }
    jobs = {
        j.submission_id: j
        for j in session.scalars(
            select(GradingJob).where(GradingJob.submission_id.in_(submission_ids))
        )
    }
    opened = set(
        session.scalars(
            select(CompletionEvent.module_id).where(
                CompletionEvent.account_id == account_id,
                CompletionEvent.kind == OPENED,
                CompletionEvent.course_id.in_(course_ids),
            )
        )
    )
    completions = dict(
        session.execute(
            select(CourseCompletion.course_id, CourseCompletion.completed_at).where(
                CourseCompletion.account_id == account_id,
                CourseCompletion.course_id.in_(course_ids),
            )
        ).all()
    )
    sittings, presence = _onsite(session, account_id, course_ids)
    progress = []
    for course in courses:
        item = CourseProgress(
            code=course.code,
            title=course.title,
            enrolment=course.enrolment,
            due=course.due,
            hours=sum(m.hours for m in course.modules if m.active),
            completed_at=completions.get(course.id),
            late=LatePolicy.of(course.late_policy),
        )
        for module in course.modules:
            if not module.active:
                continue
            result = results.get(module.id)
            status = result.status if result else ResultStatus.not_started
            if status == ResultStatus.not_started and module.id in opened:
                status = IN_PROGRESS
            submission = latest.get(module.id)
            grade = grades.get(submission.id) if submission else None
            job = jobs.get(submission.id) if submission else None
            item.modules.append(
                ModuleProgress(
                    code=module.code,
                    title=module.title,
                    kind=module.kind.value,
                    hours=module.hours,
                    required=module.required,
                    status=str(status),
                    status_label=STATUS_LABELS[status],
                    score=result.score if result else None,
                    released=module.release > 0 and module.released_at is not None,
                    submission_id=submission.id if submission else None,
                    submitted_at=submission.submitted_at if submission else None,
                    grading=job.state.value if job else "",
                    grading_error=job.error if job else "",
                    awaiting_trainer=bool(grade and grade.needs_manual),
                    feedback=bool(grade and grade.feedback_path),
                    feedback_files=[
                        lesson.removesuffix(".ipynb") + ".html" for lesson in module.lessons
                    ]
                    if grade and grade.feedback_path
                    else [],
                    session=dict(module.session or {}),
                    sessions=[
                        {
                            "code": sitting.code,
                            "place": sitting.place,
                            "starts": sitting.starts_at,
                            "starts_local": sitting.starts_at.astimezone(local_zone()).strftime(
                                "%Y-%m-%d %H:%M"
                            )
                            if sitting.starts_at
                            else "",
                            "attended": presence.get(module.id) == sitting.id,
                        }
                        for sitting in sittings.get(module.id, [])
                    ],
                    attended=module.id in presence,
                )
            )
        progress.append(item)
    return progress


def _onsite(session: Session, account_id: int, course_ids: list[int]):
    """Active sessions by module, and module → session id (or None) the learner was present
    at: two queries for all the learner's courses."""
    sittings: dict[int, list[OnsiteSession]] = {}
    for sitting in session.scalars(
        select(OnsiteSession)
        .join(Module, Module.id == OnsiteSession.module_id)
        .where(Module.course_id.in_(course_ids), OnsiteSession.active)
        .order_by(OnsiteSession.module_id, OnsiteSession.position)
    ):
        sittings.setdefault(sitting.module_id, []).append(sitting)
    presence = dict(
        session.execute(
            select(Attendance.module_id, Attendance.session_id)
            .join(Module, Module.id == Attendance.module_id)
            .where(
                Attendance.account_id == account_id,
                Attendance.present,
                Module.course_id.in_(course_ids),
            )
        ).all()
    )
    return sittings, presence


def as_json(progress: list[CourseProgress]) -> list[dict]:
    def course_dict(course: CourseProgress) -> dict:
        data = asdict(course)
        data["passed"] = course.passed
        data["total"] = len(course.modules)
        return data

    return [course_dict(course) for course in progress]
