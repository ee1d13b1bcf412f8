"""Who may see what: one place for the service's permission rules on courses and submissions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, defaultload

from ..exchange.names import BadName, check_id
from ..i18n import get_catalogue
from ..models import Account, Course, Module, Submission
from .base import ApiError

words = get_catalogue()


def course_by_code(session: Session, code: str) -> Course:
    try:
        check_id(code, words.svc_course_code)
    except BadName as error:
        raise ApiError(400, str(error), "bad-name") from None
    course = session.scalars(select(Course).where(Course.code == code)).one_or_none()
    if course is None or not course.active:
        raise ApiError(404, words.format("svc_no_course", code=code), "no-course")
    return course


def module_by_code(session: Session, course: Course, code: str) -> Module:
    try:
        check_id(code, words.svc_module_code)
    except BadName as error:
        raise ApiError(400, str(error), "bad-name") from None
    module = session.scalars(
        select(Module).where(Module.course_id == course.id, Module.code == code)
    ).one_or_none()
    if module is None or not module.active:
        raise ApiError(
            404, words.format("svc_no_module", course=course.title, code=code), "no-module"
        )
    return module


def module_by_codes(session: Session, course_code: str, module_code: str) -> Module:
    """The module and its course in one query, without the course's other modules and
    trainers (what a lesson's every save and page view needs, and no more)."""
    try:
        check_id(course_code, words.svc_course_code)
        check_id(module_code, words.svc_module_code)
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
            404,
            words.format("svc_no_course_module", course=course_code, module=module_code),
            "no-module",
        )
    return module


def is_trainer(session: Session, course_id: int, account: Account) -> bool:
    from ..catalog.enrolment import is_trainer as trainer_of

    return trainer_of(session, course_id, account.id)


def require_trainer(session: Session, course: Course, account: Account) -> None:
    if not is_trainer(session, course.id, account):
        raise ApiError(403, words.format("svc_trainers_only", course=course.title), "not-trainer")


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
        raise ApiError(404, words.svc_no_submission, "no-submission")
    return submission
