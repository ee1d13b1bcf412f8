"""The completion engine: a learner's result in a module, study hours and course completion.

A result is a function of the data, so that recomputing it changes nothing:

- **online modules**: the learner's graded submissions (``Grade`` rows) under the module's pass
  rule (the manifest's ``pass``): ``quiz: N`` holds when the autograded points reach N percent
  (a grade with no autograded points has no quiz, so the condition does not apply);
  ``reflection: true`` holds when every reflection of the module was written, unless the
  trainer has graded the manual items of that submission with 0 (rejected: the learner redoes
  it). ``total: N`` holds when all the points, autograded and the trainer's, reach N percent
  of all the release's points; it is judged once the trainer has graded (until then the
  submission shows as ``submitted``), and the module's score is then that percentage.
  A latest submission not graded yet shows as ``submitted``. Work handed in after the
  module's due date loses the late penalty the course's 迟交 policy sets (``lateness``) from
  its quiz percentage, before the rule is applied: the score everyone sees is that one.
- **on-site modules** (and any rule with ``attendance: true``): an ``Attendance`` row with
  ``present=True``.

**The best result stands.** A module passes when *any* graded submission satisfies the rule,
not only the latest: a learner who passed and resubmits something worse (or whose resubmission
is still being graded) keeps the pass, its score and its hours. A trainer's 0 on the reflection
of the passing submission takes that submission's pass away (and with it the hours, by a
reversal in the ledger) unless another submission still passes. A republish that changes the
rule re-applies it to every submission.

Times come from the evidence (``passed_at``: when the first passing submission was graded or
the attendance recorded; course completion: when its last required module was passed), so a
recompute from scratch gives the same dates; events and ledger rows carry the time they were
written.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from ..certificates import issuing as certificates
from ..errors import YiyuanError
from ..models import (
    Attendance,
    CompletionEvent,
    Course,
    CourseCompletion,
    Grade,
    Module,
    ModuleKind,
    ModuleResult,
    ResultStatus,
    StudyHours,
    Submission,
    utcnow,
)
from . import hours, lateness
from .rollup import refresh_enrolments

# quiz percentages are compared at this precision: 3/5 of the points is 60 %, not 59.999…
_PERCENT_PLACES = 6


@dataclass(frozen=True)
class Attempt:
    """One submission with what grading said about it (``graded`` False: not graded yet)."""

    submission_id: int
    submitted_at: datetime
    graded: bool = False
    auto_score: float = 0.0
    auto_max: float = 0.0
    manual_score: float | None = None
    manual_max: float = 0.0
    reflections_written: Sequence[str] = ()
    graded_at: datetime | None = None
    #: percentage points the late policy takes off (lateness.judge_module)
    penalty: float = 0.0
    #: manual items still waiting for the trainer (Grade.needs_manual)
    awaiting_trainer: bool = False

    @property
    def score(self) -> float | None:
        """Quiz percent after any late penalty; None when not graded or without autograded
        points."""
        if not self.graded or not self.auto_max:
            return None
        return quiz_percent(self.auto_score, self.auto_max, self.penalty)

    @property
    def total(self) -> float | None:
        """All points as a percent of the release's, after any late penalty; None until graded
        and while the trainer has still to grade, or without points."""
        if not self.graded or self.awaiting_trainer:
            return None
        return total_percent(
            self.auto_score, self.auto_max, self.manual_score, self.manual_max, self.penalty
        )

    @property
    def reflection_rejected(self) -> bool:
        """The trainer graded the manual items (the reflection) with 0."""
        return self.manual_score is not None and self.manual_max > 0 and self.manual_score <= 0


@dataclass(frozen=True)
class Presence:
    present: bool
    recorded_at: datetime


@dataclass(frozen=True)
class Outcome:
    status: ResultStatus
    submission_id: int | None = None
    score: float | None = None
    #: when the rule first held on the evidence (None unless passed)
    passed_at: datetime | None = None


@dataclass
class Counts:
    results_changed: int = 0
    hours_credited: int = 0
    hours_reversed: int = 0
    courses_completed: int = 0
    events: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "results_changed": self.results_changed,
            "hours_credited": self.hours_credited,
            "hours_reversed": self.hours_reversed,
            "courses_completed": self.courses_completed,
        }


def quiz_percent(auto_score: float, auto_max: float, penalty: float = 0.0) -> float | None:
    """The one definition of a submission's score: its autograded points as a percentage of
    the release's autograded points, less the late penalty. None without autograded points."""
    if not auto_max:
        return None
    raw = round(auto_score / auto_max * 100, _PERCENT_PLACES)
    return lateness.penalised(raw, penalty)


def total_percent(
    auto_score: float,
    auto_max: float,
    manual_score: float | None,
    manual_max: float,
    penalty: float = 0.0,
) -> float | None:
    """Autograded and trainer's points as a percentage of all the release's points, less the
    late penalty (a ``total`` rule's score). None without points."""
    points = (auto_max or 0.0) + (manual_max or 0.0)
    if not points:
        return None
    earned = (auto_score or 0.0) + (manual_score or 0.0)
    return lateness.penalised(round(earned / points * 100, _PERCENT_PLACES), penalty)


def score_of(rule: dict | None, attempt: Attempt) -> float | None:
    """The score a module's pass rule reads: the total under ``total``, else the quiz's."""
    return attempt.total if (rule or {}).get("total") is not None else attempt.score


def score_name(rule: dict | None) -> str:
    """What that score is called on the pages (测验得分 / 总分)."""
    return "总分" if (rule or {}).get("total") is not None else "测验得分"


def submission_score(module: Module, grade, submitted_at: datetime) -> float | None:
    """One graded submission's score as its module's rule reads it, late penalty included:
    what the feedback and the lesson say of that submission."""
    attempt = Attempt(
        submission_id=0,
        submitted_at=submitted_at,
        graded=True,
        auto_score=grade.auto_score or 0.0,
        auto_max=grade.auto_max or 0.0,
        manual_score=grade.manual_score,
        manual_max=grade.manual_max or 0.0,
        penalty=lateness.judge_module(module, submitted_at).penalty,
        awaiting_trainer=bool(grade.needs_manual),
    )
    return score_of(module.pass_rule, attempt)


def evaluate(module: Module, attempts: Sequence[Attempt], attendance: Presence | None) -> Outcome:
    """The result the pass rule gives; ``attempts`` in submission order (oldest first)."""
    attempts = [
        replace(a, penalty=lateness.judge_module(module, a.submitted_at).penalty) for a in attempts
    ]
    rule = module.pass_rule or {}
    quiz = rule.get("quiz")
    total = rule.get("total")
    needs_submission = (
        module.kind == ModuleKind.online
        or quiz is not None
        or total is not None
        or rule.get("reflection")
    )
    needs_attendance = bool(rule.get("attendance")) or module.kind == ModuleKind.onsite

    def passes(attempt: Attempt) -> bool:
        if not attempt.graded:
            return False
        if quiz is not None and attempt.score is not None and attempt.score < quiz:
            return False
        if total is not None and (attempt.total is None or attempt.total < total):
            return False  # not judged before the trainer has graded
        if rule.get("reflection"):
            if not set(module.reflections or ()) <= set(attempt.reflections_written or ()):
                return False
            if attempt.reflection_rejected:
                return False
        return True

    passing = [a for a in attempts if passes(a)]
    present = attendance is not None and attendance.present
    latest = attempts[-1] if attempts else None
    if (passing or not needs_submission) and (present or not needs_attendance):
        times = []
        shown = None
        if needs_submission:
            # the best score stands; among equals the earliest
            _, _, shown = max((score_of(rule, a) or 0.0, -n, a) for n, a in enumerate(passing))
            times.append(passing[0].graded_at or passing[0].submitted_at)
        if needs_attendance:
            times.append(attendance.recorded_at)
        return Outcome(
            ResultStatus.passed,
            shown.submission_id if shown else None,
            score_of(rule, shown) if shown else None,
            max(times),
        )
    if latest is None and attendance is None:
        return Outcome(ResultStatus.not_started)
    if needs_submission and latest is None:
        return Outcome(ResultStatus.not_started)
    if needs_submission and (not latest.graded or (total is not None and latest.awaiting_trainer)):
        return Outcome(ResultStatus.submitted, latest.submission_id)
    return Outcome(
        ResultStatus.failed,
        latest.submission_id if latest else None,
        score_of(rule, latest) if latest else None,
    )


def update(
    session: Session, account_id: int, module_id: int, now: datetime | None = None
) -> ModuleResult:
    """Recompute one learner's result in one module, then hours and course completion."""
    now = now or utcnow()
    module = session.get(Module, module_id)
    if module is None:
        raise LookupError(f"no module {module_id}")
    # the row lock serialises concurrent updates of one (learner, module) on PostgreSQL, so
    # two workers cannot both see the ledger short and credit the hours twice
    result = _locked_result(session, account_id, module_id, now)
    attempts = _attempts(
        session, Submission.account_id == account_id, Submission.module_id == module_id
    )[(account_id, module_id)]
    row = session.scalar(
        select(Attendance).where(
            Attendance.account_id == account_id, Attendance.module_id == module_id
        )
    )
    presence = Presence(row.present, row.recorded_at) if row is not None else None
    credited = session.scalar(
        select(func.coalesce(func.sum(StudyHours.hours), 0.0)).where(
            StudyHours.account_id == account_id,
            StudyHours.module_id == module_id,
            StudyHours.source == hours.SOURCE,
        )
    )
    counts = Counts()
    _apply(session, module, result, evaluate(module, attempts, presence), credited, now, counts)
    session.flush()
    if result.status == ResultStatus.passed:
        _complete_course(session, account_id, module.course_id, now, counts)
    refresh_enrolments(session, account_id=account_id, course_ids=[module.course_id])
    return result


def recompute(session: Session, course_code: str | None = None) -> dict:
    """Recompute every (learner, module) with a submission, an attendance or a result.

    Loads each course's data in a few bulk queries; returns the counts of results changed,
    ledger rows credited and reversed, and courses completed.
    """
    query = select(Course).order_by(Course.code)
    if course_code is not None:
        query = query.where(Course.code == course_code)
    courses = list(session.scalars(query))
    if course_code is not None and not courses:
        raise YiyuanError(f"找不到已发布的课程 {course_code}：请先运行 yiyuan courses publish。")
    counts = Counts()
    now = utcnow()
    for course in courses:
        _recompute_course(session, course, now, counts)
    session.flush()
    # completions from before the course (or a class) had a certificate get theirs now
    certificates.issue_due(session)
    refresh_enrolments(session, course_ids=[course.id for course in courses])
    return counts.as_dict()


def record_attendance(
    session: Session,
    account_id: int,
    module_id: int,
    present: bool,
    recorded_by: str,
    *,
    session_id: int | None = None,
    method: str = "roster",
    now: datetime | None = None,
) -> ModuleResult:
    """Record (or correct) a learner's presence at a module's on-site session: the sitting
    (``session_id``, an ``OnsiteSession``) and how (``roster`` or ``checkin``)."""
    now = now or utcnow()
    row = session.scalar(
        select(Attendance).where(
            Attendance.account_id == account_id, Attendance.module_id == module_id
        )
    )
    if row is None:
        row = Attendance(account_id=account_id, module_id=module_id)
        session.add(row)
    row.present = present
    row.recorded_by = recorded_by
    row.recorded_at = now
    row.session_id = session_id
    row.method = method
    session.flush()
    return update(session, account_id, module_id, now)


# --- internals ------------------------------------------------------------------------------


def _recompute_course(session: Session, course: Course, now: datetime, counts: Counts) -> None:
    modules = {
        m.id: m for m in session.scalars(select(Module).where(Module.course_id == course.id))
    }
    if not modules:
        return
    ids = list(modules)
    attempts = _attempts(session, Submission.module_id.in_(ids))
    presences = {
        (a, m): Presence(present, at)
        for a, m, present, at in session.execute(
            select(
                Attendance.account_id,
                Attendance.module_id,
                Attendance.present,
                Attendance.recorded_at,
            ).where(Attendance.module_id.in_(ids))
        )
    }
    results = {
        (r.account_id, r.module_id): r
        for r in session.scalars(
            select(ModuleResult)
            .where(ModuleResult.module_id.in_(ids))
            .options(lazyload(ModuleResult.module))
        )
    }
    credited = {
        (a, m): total
        for a, m, total in session.execute(
            select(StudyHours.account_id, StudyHours.module_id, func.sum(StudyHours.hours))
            .where(StudyHours.module_id.in_(ids), StudyHours.source == hours.SOURCE)
            .group_by(StudyHours.account_id, StudyHours.module_id)
        )
    }
    pairs = set(attempts) | set(presences) | set(results)
    for account_id, module_id in sorted(pairs):
        result = results.get((account_id, module_id))
        if result is None:
            result = _new_result(account_id, module_id, now)
            session.add(result)
            results[(account_id, module_id)] = result
        module = modules[module_id]
        outcome = evaluate(
            module,
            attempts.get((account_id, module_id), []),
            presences.get((account_id, module_id)),
        )
        _apply(
            session,
            module,
            result,
            outcome,
            credited.get((account_id, module_id), 0.0),
            now,
            counts,
        )
    # course completion, from the results in memory
    required = [m.id for m in modules.values() if m.active and m.required]
    if not required:
        return
    completed = set(
        session.scalars(
            select(CourseCompletion.account_id).where(CourseCompletion.course_id == course.id)
        )
    )
    passed: dict[int, list[datetime]] = defaultdict(list)
    for (account_id, module_id), result in results.items():
        if module_id in required and result.status == ResultStatus.passed:
            passed[account_id].append(result.passed_at or now)
    for account_id, times in sorted(passed.items()):
        if account_id not in completed and len(times) == len(required):
            _add_completion(session, account_id, course.id, max(times), now, counts)


def _attempts(session: Session, *where) -> dict[tuple[int, int], list[Attempt]]:
    """Submissions (with their grades) by (account, module), oldest first: one query."""
    rows = session.execute(
        select(
            Submission.account_id,
            Submission.module_id,
            Submission.id,
            Submission.submitted_at,
            Grade.id,
            Grade.auto_score,
            Grade.auto_max,
            Grade.manual_score,
            Grade.manual_max,
            Grade.reflections_written,
            Grade.graded_at,
            Grade.needs_manual,
        )
        .outerjoin(Grade, Grade.submission_id == Submission.id)
        .where(*where)
        .order_by(Submission.submitted_at, Submission.id)
    )
    found: dict[tuple[int, int], list[Attempt]] = defaultdict(list)
    for (
        account_id,
        module_id,
        sid,
        at,
        grade_id,
        auto,
        auto_max,
        manual,
        manual_max,
        written,
        graded_at,
        needs_manual,
    ) in rows:
        found[(account_id, module_id)].append(
            Attempt(
                submission_id=sid,
                submitted_at=at,
                graded=grade_id is not None,
                auto_score=auto or 0.0,
                auto_max=auto_max or 0.0,
                manual_score=manual,
                manual_max=manual_max or 0.0,
                reflections_written=tuple(written or ()),
                graded_at=graded_at,
                awaiting_trainer=bool(needs_manual),
            )
        )
    return found


def _new_result(account_id: int, module_id: int, now: datetime) -> ModuleResult:
    return ModuleResult(
        account_id=account_id,
        module_id=module_id,
        status=ResultStatus.not_started,
        updated_at=now,
    )


def _locked_result(session: Session, account_id: int, module_id: int, now: datetime):
    query = (
        select(ModuleResult)
        .where(ModuleResult.account_id == account_id, ModuleResult.module_id == module_id)
        .options(lazyload(ModuleResult.module))
        .with_for_update(of=ModuleResult)
    )
    result = session.scalar(query)
    if result is not None:
        return result
    try:
        with session.begin_nested():
            result = _new_result(account_id, module_id, now)
            session.add(result)
    except IntegrityError:
        # another process created it meanwhile: use theirs
        result = session.scalar(query)
    return result


def _apply(
    session: Session,
    module: Module,
    result: ModuleResult,
    outcome: Outcome,
    credited: float,
    now: datetime,
    counts: Counts,
) -> None:
    """Bring ``result`` and the ledger in line with ``outcome``, with an event per change."""
    old_status, old_submission = result.status, result.submission_id
    passed_at = None
    if outcome.status == ResultStatus.passed:
        # the first time it passed stands while it stays passed
        kept = result.passed_at if old_status == ResultStatus.passed else None
        passed_at = kept or outcome.passed_at or now
    new = (outcome.status, outcome.submission_id, outcome.score, passed_at)
    if (result.status, result.submission_id, result.score, result.passed_at) != new:
        result.status, result.submission_id, result.score, result.passed_at = new
        result.updated_at = now
        counts.results_changed += 1
    account_id = result.account_id
    detail = {"status": outcome.status.value, "score": outcome.score}
    if outcome.status == ResultStatus.passed and old_status != ResultStatus.passed:
        _event(session, "module-passed", account_id, module, outcome.submission_id, now, detail)
        counts.events["module-passed"] += 1
    elif outcome.status == ResultStatus.failed and (
        old_status != ResultStatus.failed or old_submission != outcome.submission_id
    ):
        _event(session, "module-failed", account_id, module, outcome.submission_id, now, detail)
        counts.events["module-failed"] += 1
    entry = hours.ledger_entry(
        account_id,
        module,
        float(credited or 0.0),
        hours.due_hours(module, outcome.status),
        now,
        reason=f"提交 #{outcome.submission_id}" if outcome.submission_id else "",
    )
    if entry is not None:
        session.add(entry)
        kind = "hours-credited" if entry.hours > 0 else "hours-reversed"
        if entry.hours > 0:
            counts.hours_credited += 1
        else:
            counts.hours_reversed += 1
        _event(
            session,
            kind,
            account_id,
            module,
            outcome.submission_id,
            now,
            {"hours": entry.hours, "rule": entry.rule},
        )


def _complete_course(
    session: Session, account_id: int, course_id: int, now: datetime, counts: Counts
) -> None:
    done = session.scalar(
        select(CourseCompletion.id).where(
            CourseCompletion.account_id == account_id, CourseCompletion.course_id == course_id
        )
    )
    if done is not None:
        return
    required = select(Module.id).where(
        Module.course_id == course_id, Module.active.is_(True), Module.required.is_(True)
    )
    wanted = session.scalar(select(func.count()).select_from(required.subquery()))
    passed, last = session.execute(
        select(func.count(ModuleResult.id), func.max(ModuleResult.passed_at)).where(
            ModuleResult.account_id == account_id,
            ModuleResult.status == ResultStatus.passed,
            ModuleResult.module_id.in_(required),
        )
    ).one()
    if wanted and passed == wanted:
        try:
            with session.begin_nested():
                _add_completion(session, account_id, course_id, last or now, now, counts)
        except IntegrityError:
            pass  # completed by a concurrent update: once is enough


def _add_completion(
    session: Session,
    account_id: int,
    course_id: int,
    completed_at: datetime,
    now: datetime,
    counts: Counts,
) -> None:
    session.add(
        CourseCompletion(account_id=account_id, course_id=course_id, completed_at=completed_at)
    )
    session.add(
        CompletionEvent(
            account_id=account_id,
            kind="course-completed",
            course_id=course_id,
            at=now,
            detail={"completed_at": completed_at.isoformat()},
        )
    )
    session.flush()
    # what completing it earns (结业证书), in this transaction: rows only, never a failure
    certificates.on_course_completed(session, account_id, course_id, completed_at)
    counts.courses_completed += 1


def _event(
    session: Session,
    kind: str,
    account_id: int,
    module: Module,
    submission_id: int | None,
    now: datetime,
    detail: dict,
) -> None:
    session.add(
        CompletionEvent(
            account_id=account_id,
            kind=kind,
            course_id=module.course_id,
            module_id=module.id,
            submission_id=submission_id,
            at=now,
            detail=detail,
        )
    )


def results_of(session: Session, account_ids: Iterable[int]) -> list[ModuleResult]:
    """Results of these learners (for the CLI and portal), by course and module position."""
    return list(
        session.scalars(
            select(ModuleResult)
            .join(Module, Module.id == ModuleResult.module_id)
            .where(ModuleResult.account_id.in_(list(account_ids)))
            .order_by(ModuleResult.account_id, Module.course_id, Module.position)
        )
    )
