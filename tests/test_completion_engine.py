"""The completion engine: pass rules, best-result-stands, the hours ledger, course completion,
idempotent update and recompute. Expectations are computed by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learningdata import T0, account, course, grade, submit
from yiyuan.completion import engine
from yiyuan.completion.engine import Attempt, Presence, evaluate
from yiyuan.errors import YiyuanError
from yiyuan.models import (
    CompletionEvent,
    CourseCompletion,
    Module,
    ModuleKind,
    ModuleResult,
    ResultStatus,
    StudyHours,
)

# --- the pass rule, without a database ------------------------------------------------------


def module(rule, kind="online", reflections=("r1",)):
    return Module(
        id=1, course_id=1, code="m", kind=ModuleKind(kind), hours=1.0,
        pass_rule=rule, reflections=list(reflections),
    )  # fmt: skip


def attempt(sid=1, auto=(60, 100), written=("r1",), manual=None, manual_max=2.0, graded=True):
    return Attempt(
        submission_id=sid,
        submitted_at=T0 + timedelta(minutes=sid),
        graded=graded,
        auto_score=auto[0],
        auto_max=auto[1],
        manual_score=manual,
        manual_max=manual_max,
        reflections_written=written,
        graded_at=T0 + timedelta(minutes=sid, seconds=30),
    )


QUIZ = {"quiz": 60}
BOTH = {"quiz": 60, "reflection": True}


@pytest.mark.parametrize(
    ("auto", "status", "score"),
    [
        ((59, 100), "failed", 59.0),
        ((60, 100), "passed", 60.0),
        ((3, 5), "passed", 60.0),  # 3/5*100 is 60.00000000000001 in floats
        ((2, 5), "failed", 40.0),
        ((5, 5), "passed", 100.0),
    ],
)
def test_quiz_threshold(auto, status, score):
    outcome = evaluate(module(QUIZ), [attempt(auto=auto)], None)
    assert (outcome.status, outcome.score) == (status, score)


def test_quiz_of_seven_points():
    # 4/7 = 57.1 % fails, 5/7 = 71.4 % passes a 60 % rule
    assert evaluate(module(QUIZ), [attempt(auto=(4, 7))], None).status == "failed"
    assert evaluate(module(QUIZ), [attempt(auto=(5, 7))], None).status == "passed"


def test_reflection_written_not_written_and_trainer_zero():
    m = module(BOTH, reflections=("r1", "r2"))
    assert evaluate(m, [attempt(written=("r1", "r2"))], None).status == "passed"
    assert evaluate(m, [attempt(written=("r1",))], None).status == "failed"
    assert evaluate(m, [attempt(written=())], None).status == "failed"
    # written and graded by the trainer: 0 rejects it, anything above accepts it
    assert evaluate(m, [attempt(written=("r1", "r2"), manual=0.0)], None).status == "failed"
    assert evaluate(m, [attempt(written=("r1", "r2"), manual=1.0)], None).status == "passed"


def test_no_quiz_points_means_no_quiz():
    outcome = evaluate(module(BOTH), [attempt(auto=(0, 0))], None)
    assert (outcome.status, outcome.score) == ("passed", None)
    no_reflection = evaluate(module(BOTH), [attempt(auto=(0, 0), written=())], None)
    assert no_reflection.status == "failed"


def test_not_graded_yet_is_submitted_and_nothing_is_not_started():
    assert evaluate(module(BOTH), [], None).status == "not-started"
    outcome = evaluate(module(BOTH), [attempt(graded=False)], None)
    assert (outcome.status, outcome.submission_id, outcome.score) == ("submitted", 1, None)


def test_attendance():
    onsite = module({"attendance": True}, kind="onsite", reflections=())
    assert evaluate(onsite, [], None).status == "not-started"
    assert evaluate(onsite, [], Presence(False, T0)).status == "failed"
    outcome = evaluate(onsite, [], Presence(True, T0))
    assert (outcome.status, outcome.passed_at, outcome.score) == ("passed", T0, None)


def test_best_result_stands():
    m = module(BOTH)
    passing, worse = attempt(1, auto=(80, 100)), attempt(2, auto=(10, 100))
    outcome = evaluate(m, [passing, worse], None)
    assert (outcome.status, outcome.submission_id, outcome.score) == ("passed", 1, 80.0)
    assert outcome.passed_at == passing.graded_at
    # a better pass later shows its score; the pass still dates from the first one
    better = attempt(3, auto=(100, 100))
    outcome = evaluate(m, [passing, worse, better], None)
    assert (outcome.submission_id, outcome.score, outcome.passed_at) == (
        3,
        100.0,
        passing.graded_at,
    )
    # a resubmission still being graded does not hide the pass
    assert evaluate(m, [passing, attempt(4, graded=False)], None).status == "passed"
    # the trainer's 0 on the passing submission's reflection takes the pass away
    rejected = attempt(1, auto=(80, 100), manual=0.0)
    outcome = evaluate(m, [rejected, worse], None)
    assert (outcome.status, outcome.submission_id, outcome.score) == ("failed", 2, 10.0)


# --- with the database ----------------------------------------------------------------------


def counts(session):
    return (
        session.scalar(select(func.count()).select_from(StudyHours)),
        session.scalar(select(func.count()).select_from(CompletionEvent)),
        session.scalar(select(func.count()).select_from(CourseCompletion)),
    )


def ledger(session, acc):
    return [
        (row.hours, row.rule)
        for row in session.scalars(
            select(StudyHours).where(StudyHours.account_id == acc.id).order_by(StudyHours.id)
        )
    ]


def events(session, acc):
    return [
        e.kind
        for e in session.scalars(
            select(CompletionEvent)
            .where(CompletionEvent.account_id == acc.id)
            .order_by(CompletionEvent.id)
        )
    ]


def test_update_from_submission_to_pass_and_idempotent(database):
    with database.session() as session:
        learner = account(session, "wangfang")
        c = course(session, modules=[{"code": "m1"}])
        m1 = c.modules[0]
        result = engine.update(session, learner.id, m1.id)
        assert result.status == ResultStatus.not_started
        assert events(session, learner) == []
        first = submit(session, learner, m1)
        result = engine.update(session, learner.id, m1.id)
        assert (result.status, result.submission_id, result.score) == ("submitted", first.id, None)
        assert events(session, learner) == [] and ledger(session, learner) == []
        g = grade(session, first, auto=(3, 5))
        result = engine.update(session, learner.id, m1.id)
        assert (result.status, result.score, result.passed_at) == ("passed", 60.0, g.graded_at)
        assert ledger(session, learner) == [(1.0, "单元通过，计 1.0 学时")]
        # the only required module passed: the course is complete
        assert events(session, learner) == ["module-passed", "hours-credited", "course-completed"]
        before = counts(session)
        updated_at = result.updated_at
        for _ in range(2):
            engine.update(session, learner.id, m1.id)
        assert counts(session) == before
        assert result.updated_at == updated_at


def test_worse_resubmission_does_not_unpass(database):
    with database.session() as session:
        learner = account(session, "liuyang")
        m1 = course(session, modules=[{"code": "m1"}, {"code": "m2"}]).modules[0]
        grade(session, submit(session, learner, m1, minutes=0), auto=(4, 5))
        first = engine.update(session, learner.id, m1.id)
        passed_at = first.passed_at
        worse = submit(session, learner, m1, minutes=60)
        assert engine.update(session, learner.id, m1.id).status == "passed"
        grade(session, worse, auto=(1, 5), written=())
        result = engine.update(session, learner.id, m1.id)
        assert (result.status, result.score, result.passed_at) == ("passed", 80.0, passed_at)
        assert events(session, learner) == ["module-passed", "hours-credited"]
        assert ledger(session, learner) == [(1.0, "单元通过，计 1.0 学时")]


def test_failed_then_redo_and_trainer_zero_reverses_hours(database):
    with database.session() as session:
        learner = account(session, "zhaolei")
        m1 = course(session, modules=[{"code": "m1", "hours": 1.5}]).modules[0]
        grade(session, submit(session, learner, m1, minutes=0), auto=(2, 5))
        assert engine.update(session, learner.id, m1.id).status == "failed"
        assert ledger(session, learner) == []
        redo = submit(session, learner, m1, minutes=30)
        g = grade(session, redo, auto=(5, 5))
        assert engine.update(session, learner.id, m1.id).status == "passed"
        # the trainer rejects the reflection of the passing submission
        g.manual_score = 0.0
        result = engine.update(session, learner.id, m1.id)
        assert (result.status, result.passed_at) == ("failed", None)
        # accepted after all (the trainer corrects the grade)
        g.manual_score = 2.0
        assert engine.update(session, learner.id, m1.id).status == "passed"
        engine.update(session, learner.id, m1.id)
        assert ledger(session, learner) == [
            (1.5, "单元通过，计 1.5 学时"),
            (-1.5, "单元不再通过，冲销 1.5 学时"),
            (1.5, "单元通过，计 1.5 学时"),
        ]
        assert events(session, learner) == [
            "module-failed",
            "module-passed",
            "hours-credited",
            "course-completed",
            "module-failed",
            "hours-reversed",
            "module-passed",
            "hours-credited",
        ]
        # completed once, and it stays (a certificate may have been issued)
        assert counts(session)[2] == 1


def test_course_completion_needs_every_required_module_once(database):
    with database.session() as session:
        learner = account(session, "sunli")
        c = course(
            session,
            modules=[
                {"code": "m1"},
                {"code": "m2", "hours": 2.0},
                {
                    "code": "onsite",
                    "kind": "onsite",
                    "hours": 3.0,
                    "required": False,
                    "pass_rule": {"attendance": True},
                    "reflections": [],
                },
            ],
        )
        m1, m2, onsite = c.modules
        grade(session, submit(session, learner, m1), auto=(5, 5))
        engine.update(session, learner.id, m1.id)
        assert counts(session)[2] == 0
        result = engine.record_attendance(session, learner.id, onsite.id, True, "lihua")
        assert (result.status, result.score) == ("passed", None)
        assert counts(session)[2] == 0  # the on-site module is not required
        g = grade(session, submit(session, learner, m2, minutes=5), auto=(3, 5))
        engine.update(session, learner.id, m2.id)
        done = session.scalars(select(CourseCompletion)).all()
        assert len(done) == 1 and done[0].completed_at == g.graded_at
        assert sum(h for h, _ in ledger(session, learner)) == 6.0
        engine.update(session, learner.id, m2.id)
        assert counts(session)[2] == 1
        # absent after all: the attendance is corrected, its hours reversed
        result = engine.record_attendance(session, learner.id, onsite.id, False, "lihua")
        assert result.status == "failed"
        assert sum(h for h, _ in ledger(session, learner)) == 3.0


def test_recompute_builds_results_and_is_idempotent(database):
    with database.session() as session:
        learners = [account(session, f"learner{i}") for i in range(6)]
        c = course(session, "c1", modules=[{"code": "m1"}, {"code": "m2"}])
        other = course(session, "c2", modules=[{"code": "x1", "pass_rule": {"quiz": 80}}])
        m1, m2 = c.modules
        for i, learner in enumerate(learners):
            grade(session, submit(session, learner, m1), auto=(i, 5))  # 0 … 100 %
            if i % 2:
                grade(session, submit(session, learner, m2), auto=(5, 5))
            else:
                submit(session, learner, m2)  # not graded yet
            grade(session, submit(session, learner, other.modules[0]), auto=(4, 5), written=())
        engine.update(session, learners[0].id, m1.id)  # one result exists already
        only_c2 = engine.recompute(session, "c2")
        assert only_c2 == {
            "results_changed": 6,
            "hours_credited": 6,
            "hours_reversed": 0,
            "courses_completed": 6,
        }
        changed = engine.recompute(session)
        # m1 passes for 3, 4, 5 of 5 points; m2 is passed by learners 1, 3, 5: both by 3 and 5
        assert changed == {
            "results_changed": 11,  # 12 results, one was up to date
            "hours_credited": 3 + 3,
            "hours_reversed": 0,
            "courses_completed": 2,
        }
        statuses = {
            (r.account_id, r.module_id): r.status for r in session.scalars(select(ModuleResult))
        }
        assert statuses[(learners[2].id, m2.id)] == "submitted"
        assert statuses[(learners[2].id, m1.id)] == "failed"
        assert statuses[(learners[5].id, m2.id)] == "passed"
        before = counts(session)
        assert engine.recompute(session) == dict.fromkeys(changed, 0)
        assert counts(session) == before
        # update() agrees with recompute(): nothing left to change
        for learner in learners:
            for m in (m1, m2):
                engine.update(session, learner.id, m.id)
        assert counts(session) == before


def test_recompute_after_a_rule_change_and_of_an_unknown_course(database):
    with database.session() as session:
        learner = account(session, "wangfang")
        m1 = course(session, modules=[{"code": "m1", "required": False}]).modules[0]
        grade(session, submit(session, learner, m1), auto=(3, 5))
        engine.recompute(session)
        assert ledger(session, learner) == [(1.0, "单元通过，计 1.0 学时")]
        m1.pass_rule = {"quiz": 80, "reflection": True}  # a republish raised the bar
        m1.hours = 2.0
        assert engine.recompute(session)["hours_reversed"] == 1
        m1.pass_rule = {"quiz": 60}
        assert engine.recompute(session)["hours_credited"] == 1
        assert ledger(session, learner)[1:] == [
            (-1.0, "单元不再通过，冲销 1.0 学时"),
            (2.0, "单元通过，计 2.0 学时"),
        ]
        m1.hours = 1.5
        engine.recompute(session)
        assert ledger(session, learner)[-1] == (-0.5, "单元学时调整为 1.5，冲销 0.5 学时")
        with pytest.raises(YiyuanError, match="找不到已发布的课程 nope"):
            engine.recompute(session, "nope")


def test_a_total_rule_counts_the_trainers_points_once_graded():
    rule = {"total": 60}
    waiting = Attempt(
        submission_id=1, submitted_at=T0, graded=True, auto_score=3, auto_max=6,
        manual_score=None, manual_max=4, awaiting_trainer=True, graded_at=T0,
    )  # fmt: skip
    # autograded 3 of 6, the trainer still to grade 4 points: not judged yet
    outcome = evaluate(module(rule, reflections=()), [waiting], None)
    assert (outcome.status, outcome.submission_id, outcome.score) == ("submitted", 1, None)
    # the trainer gives 3 of 4: (3 + 3) / 10 = 60 %, a pass, and that is the score
    graded = replace(waiting, manual_score=3, awaiting_trainer=False)
    outcome = evaluate(module(rule, reflections=()), [graded], None)
    assert (outcome.status, outcome.score) == ("passed", 60.0)
    # 2 of 4: 50 %, a fail with its score
    outcome = evaluate(module(rule, reflections=()), [replace(graded, manual_score=2)], None)
    assert (outcome.status, outcome.score) == ("failed", 50.0)
    # quiz and total together: both must hold
    both = module({"quiz": 60, "total": 50}, reflections=())
    assert evaluate(both, [graded], None).status == "failed"  # quiz 3/6 = 50 %
    assert engine.score_name(rule) == "总分" and engine.score_name({"quiz": 60}) == "测验得分"
