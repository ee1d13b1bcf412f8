"""The weekly trend (每周学习趋势): active learners, submissions, modules passed and hours
credited per calendar week, grouped by a week number computed in SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Integer, case, cast, distinct, func, literal, select
from sqlalchemy.orm import Session

from ..clock import local_zone
from ..models import CompletionEvent, Module, ModuleResult, ResultStatus, StudyHours
from . import columns as C
from . import sources
from .filters import ReportFilter
from .scope import Scope
from .table import Table

_EMPTY = ReportFilter()


def weekly_trend(
    session: Session,
    scope: Scope,
    filters: ReportFilter = _EMPTY,
    weeks: int = 12,
    now: datetime | None = None,
) -> Table:
    """Per calendar week (local Monday) up to the end of the range: active learners,
    submissions, modules passed and hours credited, among the people the viewer may see."""
    resolved = sources.resolve(session, filters, now)
    last_monday = _monday(resolved.end)
    first = last_monday - timedelta(weeks=weeks - 1)
    last = min(last_monday + timedelta(weeks=1), resolved.end)
    week_of = _week_number(session, first)
    # everyone's rows need no join with the people: only learners have learning events
    persons = None
    if not scope.everything or filters.associations or filters.standings or filters.cohorts:
        persons = sources.persons(sources.people(scope, filters, resolved))

    def counted(query, at, account_id, course_id, *measures):
        week = week_of(at).label("week")
        query = query.add_columns(week, *measures).where(at >= first, at < last)
        if persons is not None:
            query = query.join(persons, persons.c.account_id == account_id)
        if resolved.course_ids is not None:
            query = query.where(course_id.in_(resolved.course_ids))
        restriction = sources.visible_courses(scope, course_id)
        if restriction is not None:
            query = query.where(restriction)
        return {row[0]: row[1:] for row in session.execute(query.group_by(week))}

    e = CompletionEvent
    events = counted(
        # activity in courses (a hand-entered study-hours credit has none)
        select().select_from(e).where(e.course_id.is_not(None)),
        e.at,
        e.account_id,
        e.course_id,
        func.count(distinct(e.account_id)),
        func.count(case((e.kind == "submitted", 1))),
    )
    passed = counted(
        select()
        .select_from(ModuleResult)
        .join(Module, Module.id == ModuleResult.module_id)
        .where(ModuleResult.status == ResultStatus.passed),
        ModuleResult.passed_at,
        ModuleResult.account_id,
        Module.course_id,
        func.count(),
    )
    hours = counted(
        select().select_from(StudyHours).outerjoin(Module, Module.id == StudyHours.module_id),
        StudyHours.credited_at,
        StudyHours.account_id,
        Module.course_id,
        func.sum(StudyHours.hours),
    )
    rows = []
    for number in range(weeks):
        active, submissions = events.get(number, (0, 0))
        rows.append(
            {
                "week": (first + timedelta(weeks=number)).date(),
                "active": int(active),
                "submissions": int(submissions),
                "modules_passed": int(passed.get(number, (0,))[0]),
                "hours": round(float(hours.get(number, (0.0,))[0] or 0.0), 1),
            }
        )
    return Table(
        title="每周学习趋势",
        columns=(C.WEEK, C.WEEK_ACTIVE, C.WEEK_SUBMISSIONS, C.WEEK_MODULES_PASSED, C.WEEK_HOURS),
        rows=rows,
    )


def _week_number(session: Session, first: datetime):
    """SQL for "whole weeks since ``first``" on this database (stored times are naive UTC)."""
    origin = first.astimezone(UTC).replace(tzinfo=None)
    if session.get_bind().dialect.name == "sqlite":
        return lambda at: cast(
            (func.julianday(at) - func.julianday(literal(origin.isoformat(" ")))) / 7, Integer
        )
    return lambda at: func.floor(
        func.extract("epoch", at - literal(origin, DateTime())) / (7 * 24 * 3600)
    )


def _monday(instant: datetime) -> datetime:
    local = instant.astimezone(local_zone())
    day = local.date() - timedelta(days=local.weekday())
    return datetime.combine(day, datetime.min.time(), local_zone())
