"""What a cohort has produced: members, and per course enrolled, completed and the
completion rate — for the workspace's pages and ``yiyuan cohorts list/show``, each figure one
GROUP BY query."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from ..associations import ALL_ASSOCIATIONS
from ..clock import local_zone
from ..members.normalise import STANDING_LABELS
from ..models import (
    Account,
    Association,
    Cohort,
    CohortCourse,
    CohortMember,
    Course,
    Enrolment,
    Member,
    Membership,
)
from .cohorts import SOURCE_LABELS, get_cohort, in_cohort

#: at most this many members are listed by :func:`cohort_detail` (the counts are complete)
MEMBER_LIST_LIMIT = 1000

# --- figures ---------------------------------------------------------------------------------


def _course_figures(cohort_ids=None) -> Select:
    """Per (cohort, course): the members enrolled (active enrolment) and those who completed."""
    query = (
        select(
            CohortCourse.cohort_id,
            CohortCourse.course_id,
            func.count(Enrolment.id).label("enrolled"),
            func.count(Enrolment.completed_at).label("completed"),
        )
        .join(CohortMember, CohortMember.cohort_id == CohortCourse.cohort_id)
        .join(
            Enrolment,
            and_(
                Enrolment.course_id == CohortCourse.course_id,
                Enrolment.account_id == CohortMember.account_id,
                Enrolment.active.is_(True),
            ),
        )
        .group_by(CohortCourse.cohort_id, CohortCourse.course_id)
    )
    if cohort_ids is not None:
        query = query.where(CohortCourse.cohort_id.in_(cohort_ids))
    return query


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def state_label(cohort: Cohort, today: date | None = None) -> str:
    """已结束 once closed; 未开始 before its first day (China's date); 进行中 otherwise."""
    if not cohort.active:
        return "已结束"
    today = today or datetime.now(local_zone()).date()
    if cohort.starts_on and cohort.starts_on > today:
        return "未开始"
    return "进行中"


def cohort_summary(session: Session) -> list[dict]:
    """Every cohort, newest first: dates, state, members, courses, completion rate (the
    share of its members' enrolments in its courses that are completed)."""
    members = dict(
        session.execute(
            select(CohortMember.cohort_id, func.count(CohortMember.id)).group_by(
                CohortMember.cohort_id
            )
        ).all()
    )
    courses = dict(
        session.execute(
            select(CohortCourse.cohort_id, func.count(CohortCourse.id)).group_by(
                CohortCourse.cohort_id
            )
        ).all()
    )
    figures = _course_figures().subquery()
    done = {
        row.cohort_id: (int(row.enrolled or 0), int(row.completed or 0))
        for row in session.execute(
            select(
                figures.c.cohort_id,
                func.sum(figures.c.enrolled).label("enrolled"),
                func.sum(figures.c.completed).label("completed"),
            ).group_by(figures.c.cohort_id)
        )
    }
    rows = []
    for cohort in session.scalars(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.code)):
        enrolled, completed = done.get(cohort.id, (0, 0))
        rows.append(
            {
                **_head(cohort),
                "members": int(members.get(cohort.id, 0)),
                "courses": int(courses.get(cohort.id, 0)),
                "enrolments": enrolled,
                "completed": completed,
                "completion_rate": _rate(completed, enrolled),
            }
        )
    return rows


def _head(cohort: Cohort) -> dict:
    return {
        "code": cohort.code,
        "name": cohort.name,
        "programme": cohort.programme.code if cohort.programme else "",
        "programme_name": cohort.programme.name if cohort.programme else "",
        "starts_on": cohort.starts_on.isoformat() if cohort.starts_on else "",
        "ends_on": cohort.ends_on.isoformat() if cohort.ends_on else "",
        "active": cohort.active,
        "state": state_label(cohort),
        "closed_at": cohort.closed_at.isoformat() if cohort.closed_at else "",
    }


def cohort_detail(session: Session, code: str) -> dict:
    """One cohort: its targets, courses with per-course progress, and its members."""
    cohort = get_cohort(session, code)
    short = dict(session.execute(select(Association.code, Association.short_name)).all())
    figures = {row.course_id: row for row in session.execute(_course_figures([cohort.id]))}
    courses = []
    for course in session.scalars(
        select(Course)
        .join(CohortCourse, CohortCourse.course_id == Course.id)
        .where(in_cohort(cohort))
        .order_by(Course.code)
    ):
        row = figures.get(course.id)
        enrolled = int(row.enrolled) if row else 0
        completed = int(row.completed) if row else 0
        courses.append(
            {
                "code": course.code,
                "title": course.title,
                "enrolled": enrolled,
                "completed": completed,
                "completion_rate": _rate(completed, enrolled),
            }
        )
    total = session.scalar(
        select(func.count(CohortMember.id)).where(CohortMember.cohort_id == cohort.id)
    )
    listed = session.execute(
        select(Account.id, Account.username, Account.display_name, CohortMember.source)
        .join(CohortMember, CohortMember.account_id == Account.id)
        .where(CohortMember.cohort_id == cohort.id)
        .order_by(CohortMember.added_at, Account.username)
        .limit(MEMBER_LIST_LIMIT)
    ).all()
    of_member: dict[int, list[str]] = {}
    for account_id, name in session.execute(
        select(Member.account_id, Association.short_name)
        .join(Membership, Membership.member_id == Member.id)
        .join(Association, Association.id == Membership.association_id)
        .where(
            Membership.active.is_(True),
            Member.account_id.in_(
                select(CohortMember.account_id).where(CohortMember.cohort_id == cohort.id)
            ),
        )
        .order_by(Association.sort_order)
    ):
        of_member.setdefault(account_id, []).append(name)
    enrolled = sum(c["enrolled"] for c in courses)
    completed = sum(c["completed"] for c in courses)
    return {
        **_head(cohort),
        "description": cohort.description,
        "associations": [
            "全部协会" if c == ALL_ASSOCIATIONS else short.get(c, c) for c in cohort.associations
        ],
        "association_codes": list(cohort.associations),
        "standings": [STANDING_LABELS.get(s, s) for s in cohort.standings],
        "standing_codes": list(cohort.standings),
        "courses": courses,
        "members": int(total or 0),
        "enrolments": enrolled,
        "completed": completed,
        "completion_rate": _rate(completed, enrolled),
        "member_list": [
            {
                "username": username,
                "name": display or username,
                "associations": of_member.get(account_id, []),
                "source": source,
                "source_label": SOURCE_LABELS.get(source, source),
            }
            for account_id, username, display, source in listed
        ],
        "member_list_limit": MEMBER_LIST_LIMIT,
    }
