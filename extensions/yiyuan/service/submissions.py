"""A learner's submission, wherever it comes from (the exchange's upload from a Jupyter server,
or a compiled lesson's answers packed by the service): who may submit now, and recording it."""

from __future__ import annotations

import contextlib

from ..catalog.enrolment import is_enrolled
from ..clock import local_zone
from ..completion import lateness
from ..completion.rollup import refresh_enrolments
from ..grading import queue
from ..i18n import get_catalogue
from ..models import CompletionEvent, Module, ModuleKind, Submission, utcnow
from .access import course_by_code, module_by_code
from .base import ApiError

words = get_catalogue()


def submittable(session, course_code: str, module_code: str, account) -> Module:
    """The module, if ``account`` may submit it now (enrolled, released, and before its due
    date or late work taken by the course's 迟交 policy); else ApiError with the reason in
    Chinese."""
    course = course_by_code(session, course_code)
    module = module_by_code(session, course, module_code)
    if not is_enrolled(session, course.id, account.id):
        raise ApiError(
            403, words.format("svc_submit_not_enrolled", course=course.title), "not-enrolled"
        )
    if module.kind != ModuleKind.online or module.release <= 0 or module.released_at is None:
        raise ApiError(
            404, words.format("svc_submit_not_released", module=module.title), "not-released"
        )
    late = lateness.judge_module(module, utcnow())
    if not late.accepted:
        due_day = lateness.due_of(module).astimezone(local_zone()).date()
        raise ApiError(
            403,
            words.format("svc_submit_closed", module=module.title, due_day=due_day),
            "late",
        )
    return module


def late_message(submission: Submission) -> str:
    """What the learner is told with the receipt of late work the policy took ("" on time)."""
    return lateness.late_text(lateness.judge_module(submission.module, submission.submitted_at))


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
    )
    # on the service's clock, as submittable() judged it a moment ago
    submission.late = lateness.judge_module(module, submission.submitted_at).late
    key: str | None = None
    try:
        session.add(submission)
        session.flush()  # the id names the file
        key = storage.submission(module.course.code, module.code, account.username, submission.id)
        submission.checksum = storage.put(key, data)
        submission.path = key
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
        if key is not None:
            with contextlib.suppress(OSError):  # the first failure is the one to report
                storage.delete(key)
        raise
    return submission
