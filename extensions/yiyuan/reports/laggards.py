"""The laggards list (逾期未完成名单): learners of a required course past its due date."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import local_zone
from ..models import Account, Association, Course, Member, Membership, Module, utcnow
from . import columns as C
from . import sources
from .filters import ReportFilter
from .scope import Scope
from .table import Table

_EMPTY = ReportFilter()


def laggards(
    session: Session,
    scope: Scope,
    filters: ReportFilter = _EMPTY,
    now: datetime | None = None,
    limit: int = 200,
) -> Table:
    """Learners enrolled in a required course whose due date has passed without completing it,
    most overdue first."""
    now = now or utcnow()
    resolved = sources.resolve(session, filters, now)
    persons = sources.persons(sources.people(scope, filters, resolved))
    # overdue is about now: the rollups, whatever the date range
    facts = sources.facts(scope, dataclasses.replace(resolved, dated=False))
    required = (
        select(Module.course_id, func.count().label("modules_required"))
        .where(Module.active.is_(True), Module.required.is_(True))
        .group_by(Module.course_id)
        .subquery("required_modules")
    )
    names = (
        select(
            Member.account_id,
            func.aggregate_strings(Association.short_name, "、").label("associations"),
        )
        .join(Membership, Membership.member_id == Member.id)
        .join(Association, Association.id == Membership.association_id)
        .where(Membership.active.is_(True))
        .group_by(Member.account_id)
    )
    if scope.association_ids and not scope.course_ids:
        # a manager learns nothing of the learner's other associations
        names = names.where(Membership.association_id.in_(scope.association_ids))
    names = names.subquery("association_names")
    query = (
        select(
            Member.name,
            Account.username,
            names.c.associations,
            Course.title,
            Course.due,
            facts.c.modules_passed,
            func.coalesce(required.c.modules_required, 0),
        )
        .select_from(facts)
        .join(persons, persons.c.account_id == facts.c.account_id)
        .join(Course, Course.id == facts.c.course_id)
        .join(Account, Account.id == facts.c.account_id)
        .join(Member, Member.account_id == facts.c.account_id)
        .outerjoin(names, names.c.account_id == facts.c.account_id)
        .outerjoin(required, required.c.course_id == facts.c.course_id)
        .where(
            Course.enrolment == "required",
            Course.active.is_(True),
            Course.due.is_not(None),
            Course.due < now,
            facts.c.completed == 0,
        )
        .order_by(Course.due, Member.name, Account.username)
        .limit(limit)
    )
    rows = [
        {
            "name": name,
            "username": username,
            "associations": associations or "",
            "course": title,
            "due": due.astimezone(local_zone()).date(),
            "modules_passed": passed,
            "modules_required": wanted,
            "days_overdue": (now - due).days,
        }
        for name, username, associations, title, due, passed, wanted in session.execute(query)
    ]
    return Table(title="逾期未完成名单", columns=C.LAGGARD_COLUMNS, rows=rows)
