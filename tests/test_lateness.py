"""Due dates and late work (yiyuan.completion.lateness), and the engine's score after a late
penalty. Expectations are computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from yiyuan.completion.engine import Attempt, evaluate
from yiyuan.completion.lateness import (
    LatePolicy,
    due_text,
    judge,
    judge_module,
    late_days,
    late_text,
)
from yiyuan.models import Course, Module, ModuleKind

CITY = ZoneInfo("Asia/Shanghai")
#: how publish stores a due date: the end of the day in the city
DUE = datetime(2027, 1, 15, 23, 59, 59, tzinfo=CITY)
MIDNIGHT = datetime(2027, 1, 16, tzinfo=CITY)


@pytest.mark.parametrize(
    ("at", "days"),
    [
        (DUE, 0),
        (MIDNIGHT - timedelta(microseconds=1), 0),
        (MIDNIGHT, 1),
        (MIDNIGHT + timedelta(hours=23, minutes=59), 1),
        (MIDNIGHT + timedelta(days=1), 2),
        (MIDNIGHT + timedelta(days=9, hours=3), 10),
        # the same instant in UTC: 2027-01-15 16:00 UTC is midnight in the city
        (datetime(2027, 1, 15, 15, 59, tzinfo=UTC), 0),
        (datetime(2027, 1, 15, 16, 0, tzinfo=UTC), 1),
    ],
)
def test_late_days_count_days_begun_after_the_due_day_in_the_city(at, days):
    assert late_days(DUE, at) == days


def test_no_due_date_is_never_late():
    assert late_days(None, MIDNIGHT + timedelta(days=400)) == 0
    assert judge(None, LatePolicy(), MIDNIGHT).accepted


@pytest.mark.parametrize(
    ("written", "policy"),
    [
        (None, LatePolicy("refuse")),
        ({}, LatePolicy("refuse")),
        ("refuse", LatePolicy("refuse")),
        ("accept", LatePolicy("accept")),
        ({"penalty": 10}, LatePolicy("penalty", 10.0)),
        ({"penalty": 5, "days": 7}, LatePolicy("penalty", 5.0, 7)),
        ({"days": 3}, LatePolicy("accept", 0.0, 3)),
        ({"policy": "accept", "days": 3}, LatePolicy("accept", 0.0, 3)),
        ({"policy": "refuse"}, LatePolicy("refuse")),
    ],
)
def test_the_manifest_forms_of_the_policy(written, policy):
    assert LatePolicy.of(written) == policy
    # what publish stores reads back as the same policy
    assert LatePolicy.of(policy.as_dict()) == policy


def test_refuse_accept_and_penalty():
    two_days = MIDNIGHT + timedelta(days=1, hours=1)
    assert judge(DUE, LatePolicy("refuse"), DUE).accepted
    assert not judge(DUE, LatePolicy("refuse"), two_days).accepted
    accepted = judge(DUE, LatePolicy("accept"), two_days)
    assert (accepted.days, accepted.accepted, accepted.penalty) == (2, True, 0.0)
    penalty = judge(DUE, LatePolicy("penalty", 15), two_days)
    assert (penalty.days, penalty.accepted, penalty.penalty) == (2, True, 30.0)
    # never more than everything
    assert judge(DUE, LatePolicy("penalty", 40), two_days + timedelta(days=5)).penalty == 100.0
    # the policy's days: day 3 still taken, day 4 not
    limited = LatePolicy("penalty", 10, 3)
    assert judge(DUE, limited, MIDNIGHT + timedelta(days=2, hours=23)).accepted
    assert not judge(DUE, limited, MIDNIGHT + timedelta(days=3)).accepted


def test_what_learners_are_told():
    course = Course(code="c", title="课", due=DUE, late_policy={"policy": "penalty", "penalty": 10})
    module = Module(code="m", title="单元", kind=ModuleKind.online, course=course)
    assert due_text(module) == (
        "截止日期：2027年1月15日；截止后仍可提交，每迟交一天，得分率扣 10 个百分点。"
    )
    late = judge_module(module, MIDNIGHT + timedelta(days=1))
    assert late_text(late) == "已过截止日期，迟交 2 天，得分率扣 20 个百分点。"
    assert late_text(judge_module(module, DUE)) == ""
    course.late_policy = {"policy": "accept", "days": 7}
    assert due_text(module).endswith("截止后 7 天内仍可提交，记为迟交。")
    course.late_policy = None
    assert due_text(module).endswith("截止后不能再提交。")
    # the module's own due date comes first
    module.due = datetime(2027, 1, 5, 23, 59, 59, tzinfo=CITY)
    assert due_text(module).startswith("截止日期：2027年1月5日")
    assert judge_module(module, datetime(2027, 1, 6, 8, tzinfo=CITY)).days == 1
    assert due_text(Module(code="m", title="t", kind=ModuleKind.online, course=Course())) == ""


def _module_with(policy) -> Module:
    course = Course(code="c", title="课", due=DUE, late_policy=policy)
    return Module(
        id=1, course_id=1, code="m", kind=ModuleKind.online, hours=1.0, course=course,
        pass_rule={"quiz": 60}, reflections=[],
    )  # fmt: skip


def _attempt(sid: int, points: float, at: datetime) -> Attempt:
    return Attempt(
        submission_id=sid, submitted_at=at, graded=True, auto_score=points, auto_max=10,
        graded_at=at + timedelta(minutes=1),
    )  # fmt: skip


def test_the_engine_scores_late_work_after_its_penalty():
    module = _module_with({"policy": "penalty", "penalty": 10})
    # 8 of 10 points, two days late: 80 - 20 = 60, still a pass at quiz 60
    two_days = _attempt(1, 8, MIDNIGHT + timedelta(days=1))
    outcome = evaluate(module, [two_days], None)
    assert (outcome.status, outcome.score) == ("passed", 60.0)
    # three days late: 50, a fail
    three_days = _attempt(1, 8, MIDNIGHT + timedelta(days=2))
    outcome = evaluate(module, [three_days], None)
    assert (outcome.status, outcome.score) == ("failed", 50.0)
    # an on-time 70 beats a late 100 (100 - 40)
    on_time, late = _attempt(1, 7, DUE), _attempt(2, 10, MIDNIGHT + timedelta(days=3))
    outcome = evaluate(module, [on_time, late], None)
    assert (outcome.submission_id, outcome.score) == (1, 70.0)
    # accepted without a penalty: the points as they are
    outcome = evaluate(_module_with("accept"), [three_days], None)
    assert outcome.score == 80.0
