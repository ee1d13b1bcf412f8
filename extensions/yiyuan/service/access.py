"""Who may see what: one place for the service's permission rules on courses and submissions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, defaultload

from ..exchange.names import BadName, check_id
from ..models import Account, Course, Module, Submission
from .base import ApiError


def course_by_code(session: Session, code: str) -> Course:
    try:
        check_id(code, "课程代码")
    except BadName as error:
        raise ApiError(400, str(error), "bad-name") from None
    course = session.scalars(select(Course).where(Course.code == code)).one_or_none()
    if course is None or not course.active:
        raise ApiError(404, f"没有课程“{code}”，或它已下线。", "no-course")
    return course


def module_by_code(session: Session, course: Course, code: str) -> Module:
    try:
        check_id(code, "单元代码")
    except BadName as error:
        raise ApiError(400, str(error), "bad-name") from None
    module = session.scalars(
        select(Module).where(Module.course_id == course.id, Module.code == code)
    ).one_or_none()
    if module is None or not module.active:
        raise ApiError(404, f"课程“{course.title}”中没有单元“{code}”。", "no-module")
    return module


def module_by_codes(session: Session, course_code: str, module_code: str) -> Module:
    """The module and its course in one query, without the course's other modules and
    trainers (what a lesson's every save and page view needs, and no more)."""
    try:
        check_id(course_code, "课程代码")
        check_id(module_code, "单元代码")
    except BadName as error:
        raise ApiError(400, str(error), "bad-name") from None
    course = contains_eager(Module.course)
    module = session.scalars(
        select(Module)
        .join(Module.course)
        .where(Course.code == course_code, Module.code == module_code)
        .options(course.lazyload(Course.modules), course.lazyload(Course.trainers))
    ).one_or_none()
    if module is None or not module.active or not module.course.active:
        raise ApiError(
            404, f"没有找到课程“{course_code}”的单元“{module_code}”，或它已下线。", "no-module"
        )
    return module


def is_trainer(session: Session, course_id: int, account: Account) -> bool:
    from ..catalog.enrolment import is_trainer as trainer_of

    return trainer_of(session, course_id, account.id)


def require_trainer(session: Session, course: Course, account: Account) -> None:
    if not is_trainer(session, course.id, account):
        raise ApiError(403, f"只有课程“{course.title}”的任课教师可以进行此操作。", "not-trainer")


def submission_for(session: Session, submission_id: int, account: Account) -> Submission:
    """The submission, if the caller is its learner or a trainer of its course; else 404
    (learners must not learn that someone else's submission exists)."""
    course = defaultload(Submission.module).defaultload(Module.course)
    submission = session.get(
        Submission,
        submission_id,
        # polled every few seconds while grading: the course's modules and trainers stay unread
        options=[course.lazyload(Course.modules), course.lazyload(Course.trainers)],
    )
    if submission is None or not (
        submission.account_id == account.id
        or is_trainer(session, submission.module.course_id, account)
    ):
        raise ApiError(404, "找不到这份提交。", "no-submission")
    return submission
