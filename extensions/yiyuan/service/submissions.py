"""A learner's submission, wherever it comes from (the exchange's upload from a Jupyter server,
or a compiled lesson's answers packed by the service): who may submit now, and recording it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ..catalog.enrolment import is_enrolled
from ..completion.rollup import refresh_enrolments
from ..grading import queue
from ..models import CompletionEvent, Module, ModuleKind, Submission, utcnow
from .access import course_by_code, module_by_code
from .base import ApiError
from .storage import write_atomic

#: due dates are days in the federation's city: a module is late after the end of that day
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def deadline(due: datetime | None) -> datetime | None:
    """The end of the due day, Asia/Shanghai (the first instant that is late)."""
    if due is None:
        return None
    day = due.astimezone(LOCAL_ZONE).date()
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_ZONE)


def submittable(session, course_code: str, module_code: str, account) -> Module:
    """The module, if ``account`` may submit it now (enrolled, released, before the deadline);
    else ApiError with the reason in Chinese."""
    course = course_by_code(session, course_code)
    module = module_by_code(session, course, module_code)
    if not is_enrolled(session, course.id, account.id):
        raise ApiError(403, f"您没有参加课程“{course.title}”，不能提交它的单元。", "not-enrolled")
    if module.kind != ModuleKind.online or module.release <= 0 or module.released_at is None:
        raise ApiError(404, f"单元“{module.title}”尚未发布，不能提交。", "not-released")
    late_from = deadline(course.due)
    if late_from is not None and utcnow() >= late_from:
        due_day = course.due.astimezone(LOCAL_ZONE).date()
        raise ApiError(
            403,
            f"课程“{course.title}”的提交截止日期是 {due_day:%Y年%m月%d日}，已经截止，"
            "不能再提交。如有特殊情况，请联系任课教师。",
            "late",
        )
    return module


def record_submission(
    session, storage, module: Module, account, data: bytes, release: int, claimed: str = ""
) -> Submission:
    """Keep the archive, record the submission and queue its grading, and commit: either all
    of it is there, or nothing (the file is removed when anything fails)."""
    submission = Submission(
        module_id=module.id,
        account_id=account.id,
        submitted_at=utcnow(),
        client_timestamp=claimed,
        release=release if 0 < release <= module.release else module.release,
        size=len(data),
        late=False,  # late submissions are refused by submittable()
    )
    path: Path | None = None
    try:
        session.add(submission)
        session.flush()  # the id names the file
        path = storage.submission(module.course.code, module.code, account.username, submission.id)
        submission.checksum = write_atomic(path, data)
        submission.path = storage.relative(path)
        queue.enqueue(session, submission.id)
        session.add(
            CompletionEvent(
                account_id=account.id,
                kind="submitted",
                course_id=module.course_id,
                module_id=module.id,
                submission_id=submission.id,
                at=submission.submitted_at,
                detail={"release": submission.release, "size": submission.size},
            )
        )
        session.flush()
        # the dashboards count the learner as active from this moment
        refresh_enrolments(session, account_id=account.id, course_ids=[module.course_id])
        session.commit()
    except BaseException:
        session.rollback()
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return submission
