"""The subqueries every participation report starts from, with scope and filters applied.

Two grains:

- **people**: (account, association, presidium) for every active membership the viewer may
  see and the filters keep; a member of two associations has two rows.
- **facts**: one row per visible enrolment (account, course) with its measures: passed
  modules, score sum and count, hours, completed. Without a date range they come from the
  enrolment rollups (:mod:`yiyuan.completion.rollup`); with one, from the module results and
  the hours ledger inside the range.

What a viewer may see (:class:`~yiyuan.reports.scope.Scope`): a person is visible when they
belong to an association the viewer manages or are enrolled in a course the viewer teaches;
an enrolment is visible when its course is the viewer's or its learner belongs to one of the
viewer's associations. Administrators see everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, case, false, func, or_, select, tuple_
from sqlalchemy.orm import Session

from ..models import (
    Association,
    Cohort,
    CohortCourse,
    CohortMember,
    CompletionEvent,
    Course,
    Enrolment,
    Member,
    Membership,
    Module,
    ModuleResult,
    Programme,
    ResultStatus,
    Standing,
    StudyHours,
    utcnow,
)
from .filters import BadFilter, ReportFilter
from .scope import Scope

#: "active" means some learning activity (opened, submitted, graded …) in this many days
ACTIVE_DAYS = 30


@dataclass(frozen=True)
class Resolved:
    """Filters turned into ids, checked against the database (unknown names are errors)."""

    association_ids: tuple[int, ...] | None
    course_ids: tuple[int, ...] | None
    cohort_ids: tuple[int, ...] | None
    start: datetime | None
    end: datetime
    dated: bool
    #: the report ends now: "active" can be read from the rollups' latest activity
    ends_now: bool


def resolve(session: Session, filters: ReportFilter, now: datetime | None = None) -> Resolved:
    now = now or utcnow()
    start, end = filters.window(now)
    cohort_codes = list(filters.cohorts)
    if filters.programmes:
        found = dict(
            session.execute(
                select(Programme.code, Programme.id).where(Programme.code.in_(filters.programmes))
            ).all()
        )
        _check_known(filters.programmes, found, "培训项目")
        cohort_codes += session.scalars(
            select(Cohort.code).where(Cohort.programme_id.in_(found.values()))
        ).all()
        if not cohort_codes:
            cohort_codes = ["\0none"]  # a programme without cohorts selects nobody
    return Resolved(
        association_ids=_association_ids(session, filters.associations),
        course_ids=_ids(session, Course, filters.courses, "课程"),
        cohort_ids=_ids(session, Cohort, tuple(cohort_codes), "期次", known=filters.cohorts),
        start=start,
        end=end,
        dated=filters.dated,
        ends_now=filters.date_to is None,
    )


def _check_known(asked, found, what: str) -> None:
    unknown = [name for name in asked if name not in found]
    if unknown:
        raise BadFilter(f"没有这个{what}：{'、'.join(unknown)}。")


def _ids(session, model, codes, what: str, known=None) -> tuple[int, ...] | None:
    if not codes:
        return None
    found = dict(session.execute(select(model.code, model.id).where(model.code.in_(codes))).all())
    _check_known(known if known is not None else codes, found, what)
    return tuple(found.values())


def _association_ids(session: Session, names: tuple[str, ...]) -> tuple[int, ...] | None:
    if not names:
        return None
    ids = []
    for name in names:
        found = session.scalar(
            select(Association.id).where(
                or_(
                    Association.code == name,
                    Association.short_name == name,
                    Association.full_name == name,
                )
            )
        )
        if found is None:
            raise BadFilter(f"没有这个协会：{name}。请写协会简称（如“书协”）或全称。")
        ids.append(found)
    return tuple(ids)


# --- visibility ---------------------------------------------------------------------------


def _member_of_scope(scope: Scope, account_id):
    """SQL truth: the account belongs to one of the viewer's associations."""
    if not scope.association_ids:
        return false()
    # IN (subquery), not a correlated EXISTS: evaluated once, not once per enrolment
    return account_id.in_(
        select(Member.account_id)
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.active.is_(True), Membership.association_id.in_(scope.association_ids))
    )


def _enrolled_in_scope(scope: Scope, account_id):
    if not scope.course_ids:
        return false()
    return account_id.in_(
        select(Enrolment.account_id).where(
            Enrolment.active.is_(True), Enrolment.course_id.in_(scope.course_ids)
        )
    )


def visible_courses(scope: Scope, course_id):
    """Enrolment-level visibility by course alone (trainers); None when no restriction."""
    if scope.everything or scope.association_ids:
        return None
    return course_id.in_(scope.course_ids)


# --- people -------------------------------------------------------------------------------


def people(scope: Scope, filters: ReportFilter, resolved: Resolved):
    """(account_id, association_id, presidium) of visible, filtered active memberships."""
    query = (
        select(
            Member.account_id.label("account_id"),
            Membership.association_id.label("association_id"),
            case((Membership.standing == Standing.presidium, 1), else_=0).label("presidium"),
        )
        .join(Membership, Membership.member_id == Member.id)
        .where(Member.active.is_(True), Membership.active.is_(True))
    )
    if resolved.association_ids is not None:
        query = query.where(Membership.association_id.in_(resolved.association_ids))
    if filters.standings:
        query = query.where(Membership.standing.in_(filters.standings))
    if resolved.cohort_ids is not None:
        query = query.where(
            Member.account_id.in_(
                select(CohortMember.account_id).where(
                    CohortMember.cohort_id.in_(resolved.cohort_ids)
                )
            )
        )
    if not scope.everything:
        if scope.course_ids:
            query = query.where(
                or_(
                    Membership.association_id.in_(scope.association_ids),
                    _enrolled_in_scope(scope, Member.account_id),
                )
            )
        else:
            query = query.where(Membership.association_id.in_(scope.association_ids))
    return query.cte("people")


def persons(people_subquery):
    """One row per visible person: (account_id, presidium in any association)."""
    return (
        select(
            people_subquery.c.account_id,
            func.max(people_subquery.c.presidium).label("presidium"),
        )
        .group_by(people_subquery.c.account_id)
        .cte("persons")
    )


# --- facts --------------------------------------------------------------------------------


def facts(scope: Scope, resolved: Resolved):
    """One row per visible enrolment with its measures (see the module docstring)."""
    e = Enrolment
    query: Select = select(e.account_id.label("account_id"), e.course_id.label("course_id"))
    query = query.where(e.active.is_(True))
    if not resolved.ends_now:
        # (a report ending now needs no such test, and the rollup index then covers the scan)
        query = query.where(e.enrolled_at < resolved.end)
    if resolved.course_ids is not None:
        query = query.where(e.course_id.in_(resolved.course_ids))
    if resolved.cohort_ids is not None:
        # a cohort's participation: its members in its courses
        query = query.where(
            tuple_(e.account_id, e.course_id).in_(
                select(CohortMember.account_id, CohortCourse.course_id)
                .join(CohortCourse, CohortCourse.cohort_id == CohortMember.cohort_id)
                .where(CohortMember.cohort_id.in_(resolved.cohort_ids))
            )
        )
    if not scope.everything:
        query = query.where(
            or_(
                e.course_id.in_(scope.course_ids) if scope.course_ids else false(),
                _member_of_scope(scope, e.account_id),
            )
        )
    if not resolved.dated:
        query = query.add_columns(
            e.modules_passed.label("modules_passed"),
            e.score_sum.label("score_sum"),
            e.score_count.label("score_count"),
            e.hours.label("hours"),
            case((e.completed_at.is_not(None), 1), else_=0).label("completed"),
            e.last_active_at.label("last_active_at"),
        )
        return query.subquery("facts")
    return _dated_facts(query, resolved).subquery("facts")


def _dated_facts(query: Select, resolved: Resolved) -> Select:
    """Measures inside [start, end) from the raw rows (slower than the rollups; exact)."""
    e = Enrolment
    start, end = resolved.start, resolved.end

    def within(column):
        return (column >= start) & (column < end) if start is not None else (column < end)

    results = (
        select(
            ModuleResult.account_id,
            Module.course_id,
            func.sum(
                case(
                    (
                        (ModuleResult.status == ResultStatus.passed)
                        & within(ModuleResult.passed_at),
                        1,
                    ),
                    else_=0,
                )
            ).label("modules_passed"),
            func.sum(case((within(ModuleResult.updated_at), ModuleResult.score), else_=None)).label(
                "score_sum"
            ),
            func.count(
                case((within(ModuleResult.updated_at), ModuleResult.score), else_=None)
            ).label("score_count"),
        )
        .join(Module, Module.id == ModuleResult.module_id)
        .where(within(ModuleResult.passed_at) | within(ModuleResult.updated_at))
        .group_by(ModuleResult.account_id, Module.course_id)
        .subquery("dated_results")
    )
    ledger = (
        select(
            StudyHours.account_id,
            Module.course_id,
            func.sum(StudyHours.hours).label("hours"),
        )
        .join(Module, Module.id == StudyHours.module_id)
        .where(within(StudyHours.credited_at))
        .group_by(StudyHours.account_id, Module.course_id)
        .subquery("dated_hours")
    )
    return (
        query.outerjoin(
            results,
            (results.c.account_id == e.account_id) & (results.c.course_id == e.course_id),
        )
        .outerjoin(
            ledger, (ledger.c.account_id == e.account_id) & (ledger.c.course_id == e.course_id)
        )
        .add_columns(
            func.coalesce(results.c.modules_passed, 0).label("modules_passed"),
            func.coalesce(results.c.score_sum, 0.0).label("score_sum"),
            func.coalesce(results.c.score_count, 0).label("score_count"),
            func.coalesce(ledger.c.hours, 0.0).label("hours"),
            case((within(e.completed_at), 1), else_=0).label("completed"),
            e.last_active_at.label("last_active_at"),
        )
    )


def manual_hours(resolved: Resolved):
    """(account_id, hours) credited by hand (not tied to a course), inside the window."""
    query = select(
        StudyHours.account_id.label("account_id"), func.sum(StudyHours.hours).label("hours")
    ).where(StudyHours.module_id.is_(None), StudyHours.credited_at < resolved.end)
    if resolved.start is not None:
        query = query.where(StudyHours.credited_at >= resolved.start)
    return query.group_by(StudyHours.account_id).subquery("manual_hours")


def active_since(resolved: Resolved) -> datetime:
    return resolved.end - timedelta(days=ACTIVE_DAYS)


def active(scope: Scope, resolved: Resolved, by_course: bool = False):
    """Accounts (and courses) with learning activity in the ACTIVE_DAYS before the end, from
    the events: for reports that end in the past (the rollups only know the latest activity,
    which is enough when the report ends now — see ``facts.last_active_at``)."""
    columns = [CompletionEvent.account_id.label("account_id")]
    if by_course:
        columns.append(CompletionEvent.course_id.label("course_id"))
    query = (
        select(*columns)
        .where(
            CompletionEvent.at >= active_since(resolved),
            CompletionEvent.at < resolved.end,
            # learning in a course: a study-hours credit an administrator entered by hand
            # (no course) is not the learner's activity on the platform
            CompletionEvent.course_id.is_not(None),
        )
        .distinct()
    )
    if resolved.course_ids is not None:
        query = query.where(CompletionEvent.course_id.in_(resolved.course_ids))
    restriction = visible_courses(scope, CompletionEvent.course_id)
    if restriction is not None:
        query = query.where(restriction)
    return query.subquery("active")
