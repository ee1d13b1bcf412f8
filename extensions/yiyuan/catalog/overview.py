"""Every course at a glance, for administrators: publish state, trainers, enrolment and
completion — published courses from the database, never-published ones from their sources.

One grouped query per figure for all courses together (not one per course), so the page costs
the same with four courses or four hundred.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Account, Course, CourseTrainer, Enrolment, Module
from ..settings import Settings
from . import sources
from .rights import read_sources

#: the states a course line can be in, as the page words them
PUBLISHED, UNPUBLISHED, OFFLINE = "已发布", "未发布", "已下线"


@dataclass
class CourseLine:
    code: str
    title: str
    #: :data:`PUBLISHED`, :data:`UNPUBLISHED` (sources only) or :data:`OFFLINE`
    state: str
    #: ``required`` / ``elective`` ("" before the first publish)
    enrolment: str = ""
    version: int = 0
    published_at: datetime | None = None
    published_by: str = ""
    opens: datetime | None = None
    due: datetime | None = None
    #: trainers' display names (from the published course, else the sources' usernames)
    trainers: list[str] = field(default_factory=list)
    modules: int = 0
    enrolled: int = 0
    completed: int = 0
    #: completed / enrolled, 0–1
    completion_rate: float = 0.0
    #: study hours credited in the course per enrolled learner
    average_hours: float = 0.0
    #: the sources were uploaded by a trainer (not the platform's courses folder)
    uploaded: bool = False

    def as_json(self) -> dict:
        return asdict(self)


def course_lines(session: Session, settings: Settings) -> list[CourseLine]:
    """Published courses (active first, then offline ones) and then sources never published,
    each group by code."""
    courses = list(session.scalars(select(Course).order_by(Course.active.desc(), Course.code)))
    figures = {
        course_id: (enrolled, completed, hours)
        for course_id, enrolled, completed, hours in session.execute(
            select(
                Enrolment.course_id,
                func.count(Enrolment.id),
                func.count(Enrolment.completed_at),
                func.coalesce(func.avg(Enrolment.hours), 0.0),
            )
            .where(Enrolment.active.is_(True))
            .group_by(Enrolment.course_id)
        )
    }
    modules = dict(
        session.execute(
            select(Module.course_id, func.count(Module.id))
            .where(Module.active.is_(True))
            .group_by(Module.course_id)
        ).all()
    )
    trainers: dict[int, list[str]] = {}
    for course_id, name, username in session.execute(
        select(CourseTrainer.course_id, Account.display_name, Account.username)
        .join(Account, Account.id == CourseTrainer.account_id)
        .order_by(CourseTrainer.course_id, Account.username)
    ):
        trainers.setdefault(course_id, []).append(name or username)
    lines = []
    for course in courses:
        enrolled, completed, hours = figures.get(course.id, (0, 0, 0.0))
        lines.append(
            CourseLine(
                code=course.code,
                title=course.title,
                state=PUBLISHED if course.active else OFFLINE,
                enrolment=course.enrolment,
                version=course.version,
                published_at=course.published_at,
                published_by=course.published_by,
                opens=course.opens,
                due=course.due,
                trainers=trainers.get(course.id, []),
                modules=modules.get(course.id, 0),
                enrolled=enrolled,
                completed=completed,
                completion_rate=completed / enrolled if enrolled else 0.0,
                average_hours=round(float(hours), 1),
                uploaded=sources.is_uploaded(settings, course.code),
            )
        )
    lines.extend(_unpublished(session, settings, {course.code for course in courses}))
    return lines


def _unpublished(session: Session, settings: Settings, published: set[str]) -> list[CourseLine]:
    found_sources = [
        found
        for code in sources.all_codes(settings)
        if code not in published and (found := read_sources(settings, code)) is not None
    ]
    usernames = {name for found in found_sources for name in found.trainers or ()}
    names = dict(
        session.execute(
            select(Account.username, Account.display_name).where(Account.username.in_(usernames))
        ).all()
    )
    lines = []
    for found in found_sources:
        lines.append(
            CourseLine(
                code=found.code,
                title=found.title,
                state=UNPUBLISHED,
                trainers=[names.get(name) or name for name in found.trainers or ()],
                uploaded=found.uploaded,
            )
        )
    return lines
