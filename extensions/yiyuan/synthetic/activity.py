"""What synthetic learners did: enrolments, opened lessons, submissions, results, study hours,
completions and attendance, drawn at random for one batch of members."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Table

from ..models import (
    Attendance,
    CompletionEvent,
    CourseCompletion,
    Enrolment,
    ModuleResult,
    ResultStatus,
    StudyHours,
)
from .plan import WINDOW, PlannedCourse, PlannedModule

if TYPE_CHECKING:
    from . import _Writer


class Activity:
    """Enrolments and everything learners did in them, for one batch of members."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng, self.now = rng, now
        self.enrolments: list[dict] = []
        self.results: list[dict] = []
        self.events: list[dict] = []
        self.hours: list[dict] = []
        self.completions: list[dict] = []
        self.attendance: list[dict] = []

    def _between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    def enrol(self, account_id: int, course: PlannedCourse, elective: bool) -> None:
        rng, now = self.rng, self.now
        enrolled_at = course.opens + timedelta(days=rng.uniform(0, 7))
        window = max(enrolled_at, now - WINDOW)
        # 15 % of enrolments never started, a third finish, the others get part of the way
        kind = rng.random()
        if kind < 0.15:
            level, pass_share = 0.0, 0.0
        elif kind < 0.5:
            level, pass_share = 1.0, 0.96
        else:
            level, pass_share = rng.uniform(0.4, 0.95), 0.8
        first_event = len(self.events)  # this enrolment's events are the ones added below
        passed = score_sum = score_count = 0
        hours = 0.0
        required_passed, last_required = 0, None
        for module in course.modules:
            status, score, passed_at = ResultStatus.not_started, None, None
            if module.onsite:
                if level and module.starts <= now and rng.random() < level:
                    status, passed_at = ResultStatus.passed, module.starts
                    self.attendance.append(
                        {
                            "account_id": account_id,
                            "module_id": module.id,
                            "present": True,
                            "recorded_by": "",
                            "recorded_at": passed_at,
                            "session_id": module.session_id,
                            "method": "roster",
                        }
                    )
            else:
                draw = rng.random()
                if draw < level:
                    submitted = self._between(window, now)
                    opened = max(enrolled_at, submitted - timedelta(hours=rng.uniform(0.2, 72)))
                    self._event(account_id, "opened", module, opened)
                    self._event(account_id, "submitted", module, submitted)
                    if draw < level * pass_share:
                        status, score = ResultStatus.passed, float(rng.randint(60, 100))
                        passed_at = min(now, submitted + timedelta(minutes=rng.uniform(1, 2880)))
                    elif draw < level * (pass_share + 1) / 2:
                        status, score = ResultStatus.failed, float(rng.randint(10, 59))
                    else:
                        status = ResultStatus.submitted  # a reflection awaits the trainer
                elif level and rng.random() < 0.3:
                    self._event(account_id, "opened", module, self._between(window, now))
            if status == ResultStatus.passed:
                passed += 1
                hours += module.hours
                self._event(
                    account_id,
                    "module-passed",
                    module,
                    passed_at,
                    {"status": status.value, "score": score},
                )
                self.hours.append(
                    {
                        "account_id": account_id,
                        "hours": module.hours,
                        "source": "module",
                        "module_id": module.id,
                        "rule": f"单元通过，计 {module.hours:.1f} 学时",
                        "reason": "",
                        "approved_by": "",
                        "credited_at": passed_at,
                    }
                )
                if module.required:
                    required_passed += 1
                    last_required = max(filter(None, (last_required, passed_at)))
            if score is not None:
                score_sum += score
                score_count += 1
            self.results.append(
                {
                    "account_id": account_id,
                    "module_id": module.id,
                    "status": status,
                    "submission_id": None,
                    "score": score,
                    "passed_at": passed_at,
                    "updated_at": passed_at or now,
                }
            )
        completed_at = None
        if course.required_modules and required_passed == course.required_modules:
            completed_at = last_required
            self.completions.append(
                {"account_id": account_id, "course_id": course.id, "completed_at": completed_at}
            )
            self.events.append(
                {
                    "account_id": account_id,
                    "kind": "course-completed",
                    "course_id": course.id,
                    "module_id": None,
                    "submission_id": None,
                    "at": completed_at,
                    "detail": {"completed_at": completed_at.isoformat()},
                }
            )
        self.enrolments.append(
            {
                "course_id": course.id,
                "account_id": account_id,
                "source": "self" if elective else "rule",
                "enrolled_at": enrolled_at,
                "active": True,
                "modules_passed": passed,
                "score_sum": float(score_sum),
                "score_count": score_count,
                "hours": hours,
                "completed_at": completed_at,
                "last_active_at": max(
                    (event["at"] for event in self.events[first_event:]), default=None
                ),
            }
        )

    def _event(
        self,
        account_id: int,
        kind: str,
        module: PlannedModule,
        at: datetime,
        detail: dict | None = None,
    ) -> None:
        self.events.append(
            {
                "account_id": account_id,
                "kind": kind,
                "course_id": module.course_id,
                "module_id": module.id,
                "submission_id": None,
                "at": at,
                "detail": detail or {},
            }
        )

    def write(self, writer: _Writer) -> None:
        tables: Iterable[tuple[Table, list[dict]]] = (
            (Enrolment.__table__, self.enrolments),
            (ModuleResult.__table__, self.results),
            (StudyHours.__table__, self.hours),
            (CourseCompletion.__table__, self.completions),
            (Attendance.__table__, self.attendance),
            (CompletionEvent.__table__, self.events),
        )
        for table, rows in tables:
            writer.insert(table, rows)
