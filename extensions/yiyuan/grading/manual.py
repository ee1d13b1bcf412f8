"""Manual grading: trainers score the items the autograder cannot (reflections, task cells).

Scores go into the course's nbgrader gradebook (``manual_score``, comments), so nbgrader stays
the record, and into the submission's ``Grade``; the feedback pages are made again and the
completion engine re-applies the module's rule. Only the learner's latest graded submission
of a module can be graded by hand: the course directory (and nbgrader's gradebook) holds that
one.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit
from ..completion import lateness
from ..i18n import get_catalogue
from ..lesson.sidecar import FILENAME as ANSWERS
from ..lesson.sidecar import parse
from ..models import CompletionEvent, Course, Grade, Module, Submission
from ..models.base import utcnow
from ..platform import open_storage
from ..settings import Settings
from .autograde import load_work, publish_feedback, update_completion
from .coursedir import GradingError, course_lock, learner_lock, nbgrader_config

words = get_catalogue()


class ManualGradingError(GradingError):
    """A manual grade that cannot be accepted; the message says which item and why."""


@dataclass(frozen=True)
class ManualItem:
    """A submission waiting for the trainer, or graded by one, as the grading page lists it."""

    submission_id: int
    username: str
    display_name: str
    module_code: str
    module_title: str
    submitted_at: datetime
    #: reflection question id → what the learner wrote ("" when nothing)
    reflections: dict[str, str]
    #: manual items: grade_id → {"max", "score", "comment", "lesson"}
    items: dict[str, dict] = field(default_factory=dict)
    #: when and by whom (login name) the trainer last graded it; None while waiting
    graded_at: datetime | None = None
    graded_by: str = ""
    #: handed in after the due date: ``迟交 N 天`` and any penalty ("" when on time)
    late: str = ""


def grade_manually(
    settings: Settings,
    session: Session,
    submission_id: int,
    scores: dict[str, float],
    comments: dict[str, str],
    grader: str,
) -> Grade:
    """Record a trainer's scores (and comments) for manual items of one submission. Works in
    the caller's transaction (flushes, does not commit)."""
    grade = session.scalar(select(Grade).where(Grade.submission_id == submission_id))
    if grade is None:
        raise ManualGradingError(words.format("grader_not_autograded", submission_id=submission_id))
    submission = grade.submission
    _require_latest(session, submission)
    manual = {gid: item for gid, item in grade.items.items() if not item.get("auto")}
    for grade_id in list(scores) + list(comments):
        if grade_id not in manual:
            names = words.grader_list_separator.join(sorted(manual)) or words.grader_none
            raise ManualGradingError(
                words.format("grader_not_manual_item", item=grade_id, names=names)
            )
    for grade_id, score in scores.items():
        maximum = float(manual[grade_id]["max"])
        if not isinstance(score, int | float) or isinstance(score, bool) or score != score:
            raise ManualGradingError(words.format("grader_score_not_number", item=grade_id))
        if score < 0 or score > maximum:
            raise ManualGradingError(
                words.format(
                    "grader_score_out_of_range", item=grade_id, maximum=maximum, score=score
                )
            )
    work = load_work(session, submission_id)
    with course_lock(settings, work.course_code, exclusive=False):
        with learner_lock(settings, work.course_code, work.username, work.module_code):
            _write_gradebook(settings, work, manual, scores, comments)
            feedback = publish_feedback(settings, work)
    before = {gid: grade.items[gid].get("score") for gid in scores}
    items = {gid: dict(item) for gid, item in grade.items.items()}
    for grade_id, score in scores.items():
        items[grade_id]["score"] = float(score)
    for grade_id, comment in comments.items():
        items[grade_id]["comment"] = comment
    manual_items = [item for item in items.values() if not item.get("auto")]
    graded = [item["score"] for item in manual_items if item["score"] is not None]
    grade.items = items
    grade.manual_score = sum(graded) if graded else None
    grade.needs_manual = any(item["score"] is None for item in manual_items)
    grade.manual_graded_at = utcnow()
    grade.manual_graded_by = grader
    grade.feedback_path = feedback
    session.add(
        CompletionEvent(
            account_id=work.account_id,
            kind="manual-graded",
            course_id=work.course_id,
            module_id=work.module_id,
            submission_id=work.submission_id,
            detail={"scores": dict(scores), "grader": grader},
        )
    )
    changed = words.grader_list_separator.join(
        f"{gid} {before[gid] if before[gid] is not None else words.grader_not_graded}"
        f"→{scores[gid]:g}"
        for gid in scores
    )
    audit.record(
        session,
        grader,
        "grade.manual",
        words.format(
            "grader_audit_manual",
            learner=submission.account.display_name or work.username,
            module=submission.module.title,
            changes=changed,
        ),
        course_id=work.course_id,
        account_id=work.account_id,
        target=f"{work.course_code}/{work.module_code} {work.username}",
        detail={
            "submission": work.submission_id,
            "before": before,
            "after": dict(scores),
            "comments": dict(comments),
        },
    )
    session.flush()
    update_completion(session, work.account_id, work.module_id)
    return grade


def _require_latest(session: Session, submission: Submission) -> None:
    latest = session.scalar(
        select(func.max(Submission.id))
        .join(Grade, Grade.submission_id == Submission.id)
        .where(
            Submission.account_id == submission.account_id,
            Submission.module_id == submission.module_id,
        )
    )
    if latest != submission.id:
        raise ManualGradingError(words.format("grader_not_latest", submission_id=submission.id))


def _write_gradebook(settings, work, manual: dict, scores: dict, comments: dict) -> None:
    from nbgrader.api import Gradebook

    url = nbgrader_config(settings, work.course_code).CourseDirectory.db_url
    with Gradebook(url, work.course_code) as gradebook:
        for grade_id, score in scores.items():
            lesson = manual[grade_id].get("lesson", "")
            row = gradebook.find_grade(grade_id, lesson, work.module_code, work.username)
            row.manual_score = float(score)
            row.needs_manual_grade = False
        for grade_id, text in comments.items():
            lesson = manual[grade_id].get("lesson", "")
            row = gradebook.find_comment(grade_id, lesson, work.module_code, work.username)
            row.manual_comment = text
        gradebook.db.commit()


def manual_queue(session: Session, course_code: str, settings: Settings) -> list[ManualItem]:
    """The course's submissions still waiting for the trainer: each learner's latest graded
    submission per module, oldest first, with what the learner wrote."""
    return _manual_items(
        session,
        course_code,
        settings,
        Grade.needs_manual.is_(True),
        (Submission.submitted_at, Submission.id),
    )


def graded_items(
    session: Session, course_code: str, settings: Settings, limit: int = 100
) -> list[ManualItem]:
    """What the trainers already graded (each learner's latest submission per module), the
    latest grading first: to read again, and to change a score or a comment."""
    return _manual_items(
        session,
        course_code,
        settings,
        Grade.needs_manual.is_(False) & Grade.manual_graded_at.is_not(None),
        (Grade.manual_graded_at.desc(), Submission.id.desc()),
        limit,
    )


def _manual_items(session, course_code, settings, which, order, limit=None) -> list[ManualItem]:
    latest = (
        select(func.max(Submission.id).label("id"))
        .join(Grade, Grade.submission_id == Submission.id)
        .join(Module, Module.id == Submission.module_id)
        .join(Course, Course.id == Module.course_id)
        .where(Course.code == course_code)
        .group_by(Submission.account_id, Submission.module_id)
        .subquery()
    )
    rows = session.execute(
        select(Submission, Grade)
        .join(latest, latest.c.id == Submission.id)
        .join(Grade, Grade.submission_id == Submission.id)
        .where(which)
        .order_by(*order)
        .limit(limit)
    ).all()
    items = []
    for submission, grade in rows:
        answers = stored_answers(settings, submission)
        module = submission.module
        items.append(
            ManualItem(
                submission_id=submission.id,
                username=submission.account.username,
                display_name=submission.account.display_name,
                module_code=module.code,
                module_title=module.title,
                submitted_at=submission.submitted_at,
                reflections={
                    q: answers.get(q) if isinstance(answers.get(q), str) else ""
                    for q in (module.reflections or [])
                },
                items={
                    gid: {
                        "max": i["max"],
                        "score": i["score"],
                        "comment": i.get("comment", ""),
                        "lesson": i.get("lesson", ""),
                    }
                    for gid, i in grade.items.items()
                    if not i.get("auto")
                },
                graded_at=grade.manual_graded_at,
                graded_by=grade.manual_graded_by,
                late=lateness.late_label(lateness.judge_module(module, submission.submitted_at)),
            )
        )
    return items


def stored_answers(settings: Settings, submission: Submission) -> dict:
    """The answers file inside the stored archive (never unpacked to disk)."""
    try:
        data = open_storage(settings).get(submission.path)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive:
                if member.isfile() and member.name.rsplit("/", 1)[-1] == ANSWERS:
                    stream = archive.extractfile(member)
                    if stream is not None and member.size <= 5 * 1024 * 1024:
                        return parse(stream.read().decode("utf-8"))
    except (OSError, ValueError, tarfile.TarError, UnicodeDecodeError):
        pass
    return {}
