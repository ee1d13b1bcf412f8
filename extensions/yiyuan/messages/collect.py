"""Turn what happened into messages: completion events, enrolments by others, due dates.

Each message is keyed by what it tells of (``event:<id>``, ``enrolment:<id>``,
``due<days>:<course>:<due>``) and written with INSERT … ON CONFLICT DO NOTHING on
(account, key): collecting twice, or in two processes at once, writes each message once.
Only the last :data:`WINDOW` is looked at, so a platform upgraded to messages does not greet
its learners with years of old news.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, cast, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..clock import local_zone
from ..completion.lateness import LatePolicy
from ..models import (
    Certificate,
    CompletionEvent,
    Course,
    Enrolment,
    Grade,
    Message,
    Module,
    StudyHours,
)
from . import compose

WINDOW = timedelta(days=30)

#: completion events a learner is told of, and the words for each (hours-credited events
#: are folded into the pass they belong to)
EVENT_KINDS = (
    "module-passed",
    "module-failed",
    "manual-graded",
    "course-completed",
    "grading-failed",
)


def collect(
    session: Session,
    now: datetime | None = None,
    account_id: int | None = None,
    remind_days: tuple[int, ...] = (7, 1),
) -> int:
    """Write the messages not yet written, for one account or everyone; returns how many
    were new. The caller commits."""
    now = now or datetime.now(UTC)
    rows = [
        *_from_events(session, now, account_id),
        *_from_enrolments(session, now, account_id),
        *_reminders(session, now, account_id, remind_days),
    ]
    return _insert(session, rows)


def _row(account_id: int, key: str, draft: compose.Draft, at: datetime, event_id=None) -> dict:
    return {
        "account_id": account_id,
        "key": key,
        "kind": draft.kind,
        "title": draft.title[:200],
        "body": draft.body,
        "link": draft.link,
        "event_id": event_id,
        "created_at": at,
    }


def _from_events(session: Session, now: datetime, account_id: int | None) -> list[dict]:
    told = exists().where(Message.event_id == CompletionEvent.id)
    query = (
        select(CompletionEvent, Module.title, Course.title, Course.code)
        .outerjoin(Module, Module.id == CompletionEvent.module_id)
        .outerjoin(Course, Course.id == CompletionEvent.course_id)
        .where(
            CompletionEvent.kind.in_(EVENT_KINDS),
            CompletionEvent.at >= now - WINDOW,
            ~told,
        )
        .order_by(CompletionEvent.id)
    )
    if account_id is not None:
        query = query.where(CompletionEvent.account_id == account_id)
    found = session.execute(query).all()
    if not found:
        return []
    credited = _hours_credited(session, [e for e, *_ in found if e.kind == "module-passed"])
    grades = _grades(session, [e.submission_id for e, *_ in found if e.kind == "manual-graded"])
    completions = [e for e, *_ in found if e.kind == "course-completed"]
    hours_of_course = _course_hours(session, completions)
    certified = _certified(session, completions)
    rows = []
    for event, module, course, code in found:
        score = (event.detail or {}).get("score")
        if event.kind == "module-passed":
            hours = credited.get((event.account_id, event.module_id, event.submission_id), 0.0)
            draft = compose.passed(module or "", score, hours, event.submission_id)
        elif event.kind == "module-failed":
            draft = compose.failed(module or "", score, event.submission_id)
        elif event.kind == "grading-failed":
            draft = compose.grading_failed(module or "", event.submission_id)
        elif event.kind == "course-completed":
            hours = hours_of_course.get((event.account_id, event.course_id), 0.0)
            draft = compose.course_completed(
                course or "", code or "", hours, (event.account_id, event.course_id) in certified
            )
        else:  # manual-graded
            grade = grades.get(event.submission_id)
            if grade is None:
                continue
            manual = [item for item in (grade.items or {}).values() if not item.get("auto")]
            comments = [
                str(i["comment"]).strip() for i in manual if (i.get("comment") or "").strip()
            ]
            draft = compose.teacher_graded(
                module or "", grade.manual_score, grade.manual_max, comments, event.submission_id
            )
        rows.append(_row(event.account_id, f"event:{event.id}", draft, event.at, event.id))
    return rows


def _hours_credited(session: Session, passes: list[CompletionEvent]) -> dict:
    """(account, module, submission) → hours credited by the pass (its hours-credited event)."""
    if not passes:
        return {}
    found: dict = defaultdict(float)
    for event in session.scalars(
        select(CompletionEvent).where(
            CompletionEvent.kind == "hours-credited",
            CompletionEvent.account_id.in_({e.account_id for e in passes}),
            CompletionEvent.module_id.in_({e.module_id for e in passes}),
        )
    ):
        key = (event.account_id, event.module_id, event.submission_id)
        found[key] += float((event.detail or {}).get("hours") or 0)
    return found


def _grades(session: Session, submission_ids: list[int]) -> dict[int, Grade]:
    if not submission_ids:
        return {}
    return {
        grade.submission_id: grade
        for grade in session.scalars(select(Grade).where(Grade.submission_id.in_(submission_ids)))
    }


def _certified(session: Session, completions: list[CompletionEvent]) -> set:
    """(account, course) pairs of these completions that earned a certificate."""
    if not completions:
        return set()
    query = select(Certificate.account_id, Certificate.course_id).where(
        Certificate.account_id.in_({c.account_id for c in completions}),
        Certificate.course_id.in_({c.course_id for c in completions}),
    )
    return set(session.execute(query).all())


def _course_hours(session: Session, completions: list[CompletionEvent]) -> dict:
    """(account, course) → the hours the ledger holds for the course's modules (what
    「我的学时」 adds up)."""
    if not completions:
        return {}
    query = (
        select(StudyHours.account_id, Module.course_id, func.sum(StudyHours.hours))
        .join(Module, Module.id == StudyHours.module_id)
        .where(
            StudyHours.account_id.in_({c.account_id for c in completions}),
            Module.course_id.in_({c.course_id for c in completions}),
        )
        .group_by(StudyHours.account_id, Module.course_id)
    )
    return {(who, course): float(total or 0) for who, course, total in session.execute(query)}


def _from_enrolments(session: Session, now: datetime, account_id: int | None) -> list[dict]:
    """Enrolments someone else made (the audience rule at publish, a cohort, an
    administrator): the learner chose the ones marked ``self`` and saw 报名成功 then."""
    key = literal("enrolment:") + cast(Enrolment.id, String)
    told = exists().where(Message.account_id == Enrolment.account_id, Message.key == key)
    query = (
        select(Enrolment, Course)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Enrolment.active.is_(True),
            Enrolment.source != "self",
            Enrolment.enrolled_at >= now - WINDOW,
            Course.active.is_(True),
            ~told,
        )
        .order_by(Enrolment.id)
    )
    if account_id is not None:
        query = query.where(Enrolment.account_id == account_id)
    return [
        _row(
            enrolment.account_id,
            f"enrolment:{enrolment.id}",
            compose.enrolled(course.title, course.code, _local_day(course.due)),
            enrolment.enrolled_at,
        )
        for enrolment, course in session.execute(query)
    ]


def _reminders(
    session: Session, now: datetime, account_id: int | None, remind_days: tuple[int, ...]
) -> list[dict]:
    """A reminder for each course due within the largest of ``remind_days``, to everyone
    enrolled who has not completed it: the nearest reminder day that has come (a learner
    first seen two days before sees 还有 2 天, not also a 7-day reminder)."""
    if not remind_days:
        return []
    today = now.astimezone(local_zone()).date()
    rows = []
    for course in session.scalars(
        select(Course).where(
            Course.active.is_(True),
            Course.due > now,
            Course.due <= now + timedelta(days=max(remind_days)),
        )
    ):
        due_day = _local_day(course.due)
        days_left = (due_day - today).days
        step = min(d for d in remind_days if d >= days_left)
        key = f"due{step}:{course.id}:{due_day:%Y%m%d}"
        after = LatePolicy.of(course.late_policy).describe()
        draft = compose.due(course.title, course.code, due_day, days_left, after)
        told = exists().where(Message.account_id == Enrolment.account_id, Message.key == key)
        query = (
            select(Enrolment.account_id)
            .where(
                Enrolment.course_id == course.id,
                Enrolment.active.is_(True),
                Enrolment.completed_at.is_(None),
                ~told,
            )
            .order_by(Enrolment.account_id)
        )
        if account_id is not None:
            query = query.where(Enrolment.account_id == account_id)
        rows.extend(_row(who, key, draft, now) for who in session.scalars(query))
    return rows


def _local_day(moment: datetime | None):
    return moment.astimezone(local_zone()).date() if moment else None


def _insert(session: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    written = 0
    for start in range(0, len(rows), 500):  # SQLite takes at most 32,766 bound values
        statement = (
            dialect.insert(Message)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=["account_id", "key"])
            .returning(Message.id)  # what was new (rowcount is -1 here on PostgreSQL)
        )
        written += len(session.execute(statement).all())
    return written
