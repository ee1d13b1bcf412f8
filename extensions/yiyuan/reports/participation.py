"""Participation reports (各协会参训情况): by association, course and cohort; trend; laggards.

Each function is a few GROUP BY queries over :mod:`yiyuan.reports.sources`; Python only names
and orders the rows and divides for the rates. The totals row counts every person once: a
member of two associations appears in both association rows and once in 合计.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    distinct,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from ..models import (
    Association,
    Cohort,
    CohortCourse,
    CohortMember,
    Course,
    Programme,
)
from . import columns as C
from . import sources
from .filters import ReportFilter
from .laggards import laggards
from .scope import Scope
from .table import Table
from .trend import weekly_trend

# the trend and the laggards live in their own modules; callers find every report here
__all__ = [
    "FilterOptions",
    "by_association",
    "by_cohort",
    "by_course",
    "laggards",
    "options",
    "weekly_trend",
]

_EMPTY = ReportFilter()


# --- by association -----------------------------------------------------------------------


def by_association(
    session: Session, scope: Scope, filters: ReportFilter = _EMPTY, now: datetime | None = None
) -> Table:
    resolved = sources.resolve(session, filters, now)
    people = sources.people(scope, filters, resolved)
    per_account = _per_account(sources.facts(scope, resolved))
    manual = None if _course_bound(resolved) else sources.manual_hours(resolved)

    def measures(base):
        joined = base.outerjoin(per_account, per_account.c.account_id == base.c.account_id)
        joined, active = _active(joined, scope, resolved, base.c.account_id, per_account)
        if manual is not None:
            joined = joined.outerjoin(manual, manual.c.account_id == base.c.account_id)
        extra_hours = None if manual is None else func.coalesce(func.sum(manual.c.hours), 0.0)
        return joined, _people_measures(base, per_account, active, extra_hours)

    joined, measured = measures(people)
    by_row = (
        select(people.c.association_id, *measured)
        .select_from(joined)
        .group_by(people.c.association_id)
    )
    joined, measured = measures(sources.persons(people))
    overall = select(cast(null(), Integer).label("association_id"), *measured).select_from(joined)
    # one statement, so the per-learner rollup (a CTE) is computed once for rows and totals
    grouped, totals = {}, _derive({})
    for row in session.execute(union_all(by_row, overall)):
        if row.association_id is None:
            totals = _derive(row._asdict())
        else:
            grouped[row.association_id] = _derive(row._asdict())

    shown = select(Association).where(Association.active.is_(True))
    if resolved.association_ids is not None:
        shown = shown.where(Association.id.in_(resolved.association_ids))
    if not scope.everything and not scope.course_ids:
        shown = shown.where(Association.id.in_(scope.association_ids))
    rows = []
    for association in session.scalars(shown.order_by(Association.sort_order, Association.id)):
        row = grouped.get(association.id)
        if row is None:
            if not scope.everything and scope.course_ids:
                continue  # a trainer sees the associations their learners come from
            row = _derive({})
        rows.append({"association": association.short_name, **row})
    return Table(
        title="各协会参训情况",
        columns=(C.ASSOCIATION, *C.MEASURES),
        rows=rows,
        totals={"association": "合计", **totals},
    )


# --- by course ----------------------------------------------------------------------------

COURSE_MEASURES = (
    C.ENROLLED,
    C.ACTIVE,
    C.MODULES_PASSED,
    C.COURSES_COMPLETED,
    C.COMPLETION_RATE,
    C.HOURS,
    C.AVERAGE_SCORE,
    C.PRESIDIUM_ENROLLED,
)


def by_course(
    session: Session, scope: Scope, filters: ReportFilter = _EMPTY, now: datetime | None = None
) -> Table:
    resolved = sources.resolve(session, filters, now)
    persons = sources.persons(sources.people(scope, filters, resolved))
    facts = sources.facts(scope, resolved)
    joined = facts.join(persons, persons.c.account_id == facts.c.account_id)
    if resolved.ends_now:
        active_account = case(
            (facts.c.last_active_at >= sources.active_since(resolved), facts.c.account_id)
        )
    else:
        act = sources.active(scope, resolved, by_course=True)
        joined = joined.outerjoin(
            act,
            and_(act.c.account_id == facts.c.account_id, act.c.course_id == facts.c.course_id),
        )
        active_account = act.c.account_id

    def measures(distinct_people: bool):
        people = distinct(facts.c.account_id) if distinct_people else facts.c.account_id
        actives = distinct(active_account) if distinct_people else active_account
        return [
            func.count(people).label("enrolled"),
            func.count(actives).label("active"),
            func.count(facts.c.account_id).label("enrolments"),
            func.coalesce(func.sum(facts.c.modules_passed), 0).label("modules_passed"),
            func.coalesce(func.sum(facts.c.completed), 0).label("courses_completed"),
            func.coalesce(func.sum(facts.c.hours), 0.0).label("hours"),
            func.coalesce(func.sum(facts.c.score_sum), 0.0).label("score_sum"),
            func.coalesce(func.sum(facts.c.score_count), 0).label("score_count"),
            func.count(
                distinct(case((persons.c.presidium == 1, facts.c.account_id)))
                if distinct_people
                else case((persons.c.presidium == 1, facts.c.account_id))
            ).label("presidium_enrolled"),
        ]

    grouped = {
        row.course_id: _derive(row._asdict())
        for row in session.execute(
            select(facts.c.course_id, *measures(False))
            .select_from(joined)
            .group_by(facts.c.course_id)
        )
    }
    totals = _derive(session.execute(select(*measures(True)).select_from(joined)).one()._asdict())
    shown = select(Course).where(Course.active.is_(True))
    if resolved.course_ids is not None:
        shown = shown.where(Course.id.in_(resolved.course_ids))
    if resolved.cohort_ids is not None:
        shown = shown.where(
            Course.id.in_(
                select(CohortCourse.course_id).where(
                    CohortCourse.cohort_id.in_(resolved.cohort_ids)
                )
            )
        )
    restriction = sources.visible_courses(scope, Course.id)
    if restriction is not None:
        shown = shown.where(restriction)
    rows = [
        {"course": course.title, "course_code": course.code, **grouped.get(course.id, _derive({}))}
        for course in session.scalars(shown.order_by(Course.code))
    ]
    return Table(
        title="各课程参训情况",
        columns=(C.COURSE, *COURSE_MEASURES),
        rows=rows,
        totals={"course": "合计", **totals},
    )


# --- by cohort ----------------------------------------------------------------------------


def by_cohort(
    session: Session, scope: Scope, filters: ReportFilter = _EMPTY, now: datetime | None = None
) -> Table:
    resolved = sources.resolve(session, filters, now)
    persons = sources.persons(sources.people(scope, filters, resolved))
    facts = sources.facts(scope, resolved)
    members = select(CohortMember.cohort_id, CohortMember.account_id, persons.c.presidium).join(
        persons, persons.c.account_id == CohortMember.account_id
    )
    if resolved.cohort_ids is not None:
        members = members.where(CohortMember.cohort_id.in_(resolved.cohort_ids))
    members = members.subquery("cohort_people")
    # each member's facts in their cohort's courses
    cohort_facts = (
        select(CohortCourse.cohort_id, facts.c.account_id, *_summed(facts))
        .join(facts, facts.c.course_id == CohortCourse.course_id)
        .group_by(CohortCourse.cohort_id, facts.c.account_id)
        .subquery("cohort_facts")
    )
    joined = members.outerjoin(
        cohort_facts,
        and_(
            cohort_facts.c.cohort_id == members.c.cohort_id,
            cohort_facts.c.account_id == members.c.account_id,
        ),
    )
    joined, active = _active(joined, scope, resolved, members.c.account_id, cohort_facts)
    measured = _people_measures(members, cohort_facts, active)
    grouped = {
        row.cohort_id: _derive(row._asdict())
        for row in session.execute(
            select(members.c.cohort_id, *measured).select_from(joined).group_by(members.c.cohort_id)
        )
    }
    totals = _cohort_totals(session, scope, resolved, members, facts)
    shown = select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.code)
    if resolved.cohort_ids is not None:
        shown = shown.where(Cohort.id.in_(resolved.cohort_ids))
    rows = []
    for cohort in session.scalars(shown):
        row = grouped.get(cohort.id)
        if row is None and not scope.everything:
            continue  # a cohort with nobody the viewer may see
        rows.append({"cohort": cohort.name, "cohort_code": cohort.code, **(row or _derive({}))})
    return Table(
        title="各期次参训情况",
        columns=(C.COHORT, *C.MEASURES),
        rows=rows,
        totals={"cohort": "合计", **totals},
    )


def _cohort_totals(session: Session, scope: Scope, resolved, members, facts) -> dict:
    """Every person once, every (person, course) of their cohorts once."""
    people = (
        select(members.c.account_id, func.max(members.c.presidium).label("presidium"))
        .group_by(members.c.account_id)
        .subquery("cohort_persons")
    )
    pairs = (
        select(members.c.account_id, CohortCourse.course_id)
        .join(CohortCourse, CohortCourse.cohort_id == members.c.cohort_id)
        .distinct()
        .subquery("cohort_pairs")
    )
    per_account = _per_account(
        select(facts)
        .join(
            pairs,
            and_(pairs.c.account_id == facts.c.account_id, pairs.c.course_id == facts.c.course_id),
        )
        .subquery("cohort_pair_facts")
    )
    joined = people.outerjoin(per_account, per_account.c.account_id == people.c.account_id)
    joined, active = _active(joined, scope, resolved, people.c.account_id, per_account)
    row = session.execute(
        select(*_people_measures(people, per_account, active)).select_from(joined)
    ).one()
    return {"cohort": "合计", **_derive(row._asdict())}


# --- filter choices -----------------------------------------------------------------------


@dataclass(frozen=True)
class FilterOptions:
    """What the viewer may pick in the filter widgets: (code, Chinese name) pairs."""

    associations: list[tuple[str, str]]
    courses: list[tuple[str, str]]
    cohorts: list[tuple[str, str]]
    programmes: list[tuple[str, str]]


def options(session: Session, scope: Scope) -> FilterOptions:
    associations = select(Association.code, Association.short_name).where(
        Association.active.is_(True)
    )
    if not scope.everything and not scope.course_ids:
        associations = associations.where(Association.id.in_(scope.association_ids))
    courses = select(Course.code, Course.title).where(Course.active.is_(True))
    restriction = sources.visible_courses(scope, Course.id)
    if restriction is not None:
        courses = courses.where(restriction)
    cohorts = select(Cohort.code, Cohort.name)
    if restriction is not None:
        cohorts = cohorts.where(
            Cohort.id.in_(
                select(CohortCourse.cohort_id).where(CohortCourse.course_id.in_(scope.course_ids))
            )
        )
    return FilterOptions(
        associations=_pairs(session, associations.order_by(Association.sort_order)),
        courses=_pairs(session, courses.order_by(Course.code)),
        cohorts=_pairs(session, cohorts.order_by(Cohort.starts_on.desc(), Cohort.code)),
        programmes=_pairs(session, select(Programme.code, Programme.name).order_by(Programme.code)),
    )


# --- helpers ------------------------------------------------------------------------------


def _pairs(session: Session, query) -> list[tuple[str, str]]:
    return [(code, name) for code, name in session.execute(query)]


def _course_bound(resolved: sources.Resolved) -> bool:
    """Reports limited to some courses leave out hours credited outside any course."""
    return resolved.course_ids is not None or resolved.cohort_ids is not None


def _people_measures(people, rollup, active, extra_hours=None) -> list:
    """The measures of a table whose rows are people: ``people`` has ``account_id`` and
    ``presidium``; ``rollup`` (outer-joined, one row per person) their summed facts."""
    hours = func.coalesce(func.sum(rollup.c.hours), 0.0)
    if extra_hours is not None:
        hours = hours + extra_hours
    return [
        func.count(people.c.account_id).label("members"),
        func.count(rollup.c.account_id).label("enrolled"),
        active,
        func.coalesce(func.sum(rollup.c.enrolments), 0).label("enrolments"),
        func.coalesce(func.sum(rollup.c.modules_passed), 0).label("modules_passed"),
        func.coalesce(func.sum(rollup.c.completed), 0).label("courses_completed"),
        hours.label("hours"),
        func.coalesce(func.sum(rollup.c.score_sum), 0.0).label("score_sum"),
        func.coalesce(func.sum(rollup.c.score_count), 0).label("score_count"),
        func.coalesce(func.sum(people.c.presidium), 0).label("presidium"),
        func.count(case((people.c.presidium == 1, rollup.c.account_id))).label(
            "presidium_enrolled"
        ),
    ]


def _active(joined, scope: Scope, resolved: sources.Resolved, account_id, rollup):
    """The "active" measure: from the rollup's latest activity when the report ends now, else
    from the events inside the window (joined on)."""
    if resolved.ends_now:
        since = sources.active_since(resolved)
        return joined, func.count(case((rollup.c.last_active_at >= since, 1))).label("active")
    act = sources.active(scope, resolved)
    joined = joined.outerjoin(act, act.c.account_id == account_id)
    return joined, func.count(act.c.account_id).label("active")


def _summed(facts) -> list:
    """A learner's enrolment facts added up (grouped by the caller)."""
    return [
        func.count().label("enrolments"),
        func.sum(facts.c.modules_passed).label("modules_passed"),
        func.sum(facts.c.completed).label("completed"),
        func.sum(facts.c.hours).label("hours"),
        func.sum(facts.c.score_sum).label("score_sum"),
        func.sum(facts.c.score_count).label("score_count"),
        func.max(facts.c.last_active_at).label("last_active_at"),
    ]


def _per_account(facts):
    return (
        select(facts.c.account_id, *_summed(facts)).group_by(facts.c.account_id).cte("per_account")
    )


def _ratio(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def _derive(raw: dict) -> dict:
    """Integers and rounded figures from the SQL sums, plus the rates."""
    row = {key: int(raw.get(key) or 0) for key in _COUNTS}
    row["hours"] = round(float(raw.get("hours") or 0.0), 1)
    score_count = int(raw.get("score_count") or 0)
    row["average_score"] = (
        round(float(raw.get("score_sum") or 0.0) / score_count, 1) if score_count else None
    )
    row["enrolment_rate"] = _ratio(row["enrolled"], row["members"])
    row["completion_rate"] = _ratio(row["courses_completed"], row["enrolments"])
    row["presidium_rate"] = _ratio(row["presidium_enrolled"], row["presidium"])
    return row


_COUNTS: Sequence[str] = (
    "members",
    "enrolled",
    "active",
    "enrolments",
    "modules_passed",
    "courses_completed",
    "presidium",
    "presidium_enrolled",
)
