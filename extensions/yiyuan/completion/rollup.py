"""Per-enrolment rollups: a learner's passed modules, scores, hours and completion in a course.

The completion engine refreshes them in the same transaction as the result they summarise, so
reports read one row per enrolment (about 200,000 for 20,000 members) instead of a million
module results, and still see a submission's effect within seconds.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from ..models import (
    CompletionEvent,
    CourseCompletion,
    Enrolment,
    Module,
    ModuleResult,
    ResultStatus,
    StudyHours,
)


def refresh_enrolments(
    session: Session,
    *,
    account_id: int | None = None,
    course_ids: Iterable[int] | None = None,
) -> int:
    """Recompute the rollup columns of the matching enrolments (all when no argument) in one
    set-based UPDATE; returns the number of enrolments touched."""
    results = ModuleResult.__table__
    modules = Module.__table__
    ledger = StudyHours.__table__
    completions = CourseCompletion.__table__
    enrolments = Enrolment.__table__

    def of_course(*where):
        # module results of this enrolment's learner in this enrolment's course
        return (
            select()
            .select_from(results.join(modules, modules.c.id == results.c.module_id))
            .where(
                results.c.account_id == enrolments.c.account_id,
                modules.c.course_id == enrolments.c.course_id,
                *where,
            )
        )

    passed = of_course(results.c.status == ResultStatus.passed.value).add_columns(func.count())
    score_sum = of_course(results.c.score.is_not(None)).add_columns(
        func.coalesce(func.sum(results.c.score), 0.0)
    )
    score_count = of_course(results.c.score.is_not(None)).add_columns(func.count(results.c.score))
    hours = (
        select(func.coalesce(func.sum(ledger.c.hours), 0.0))
        .select_from(ledger.join(modules, modules.c.id == ledger.c.module_id))
        .where(
            ledger.c.account_id == enrolments.c.account_id,
            modules.c.course_id == enrolments.c.course_id,
        )
    )
    completed = select(func.min(completions.c.completed_at)).where(
        and_(
            completions.c.account_id == enrolments.c.account_id,
            completions.c.course_id == enrolments.c.course_id,
        )
    )
    events = CompletionEvent.__table__
    last_active = select(func.max(events.c.at)).where(
        events.c.account_id == enrolments.c.account_id,
        events.c.course_id == enrolments.c.course_id,
    )
    statement = update(enrolments).values(
        modules_passed=passed.scalar_subquery(),
        score_sum=score_sum.scalar_subquery(),
        score_count=score_count.scalar_subquery(),
        hours=hours.scalar_subquery(),
        completed_at=completed.scalar_subquery(),
        last_active_at=last_active.scalar_subquery(),
    )
    if account_id is not None:
        statement = statement.where(enrolments.c.account_id == account_id)
    if course_ids is not None:
        statement = statement.where(enrolments.c.course_id.in_(list(course_ids)))
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount
