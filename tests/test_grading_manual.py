"""Manual grading of reflections: validation, the gradebook, the Grade row, the trainer's queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gradingdata import (
    DEMO_COURSE,
    DEMO_MODULE,
    REFLECTION,
    RIGHT,
    demo_manifest,
    learner,
    publish,
    settings_for,
    submit,
)
from yiyuan.grading.autograde import grade_submission
from yiyuan.grading.coursedir import course_root
from yiyuan.grading.manual import ManualGradingError, grade_manually, manual_queue
from yiyuan.models import CompletionEvent, Grade

#: runs kernels or nbgrader: make test-fast leaves it out (pytest.ini)
pytestmark = pytest.mark.kernel


@pytest.fixture
def graded(database, tmp_path):
    """Two learners' graded submissions of the demo module; the first one wrote r1."""
    settings = settings_for(tmp_path)
    with database.session() as session:
        module = publish(session, settings, demo_manifest(), DEMO_MODULE, ["r1"])
        first = submit(
            session, settings, module, learner(session, "zhao", "赵一"), {**RIGHT, "r1": REFLECTION}
        ).id
        second = submit(session, settings, module, learner(session, "qian", "钱二"), RIGHT).id
    for submission_id in (first, second):
        grade_submission(settings, database, submission_id)
    return settings, first, second


BAD = [
    ({"q1-check": 1}, {}, "不是这次提交中需要教师评阅的项目"),  # autograded, not manual
    ({"r9-task": 1}, {}, "不是这次提交中需要教师评阅的项目"),
    ({"r1-task": 3}, {}, "0 到 2 分之间"),
    ({"r1-task": -1}, {}, "0 到 2 分之间"),
    ({"r1-task": 1}, {"nope": "好"}, "nope"),
]


def test_manual_grading(graded, database):
    """Bad grades refused (nothing written), a good one recorded everywhere, and only the
    learner's latest graded submission can be graded by hand."""
    settings, first, second = graded
    for scores, comments, message in BAD:
        with database.session() as session:
            with pytest.raises(ManualGradingError, match=message):
                grade_manually(settings, session, first, scores, comments, grader="lihua")
    with database.session() as session:
        grade = session.scalars(select(Grade).where(Grade.submission_id == first)).one()
        assert grade.needs_manual and grade.manual_score is None

    with database.session() as session:
        queued = manual_queue(session, DEMO_COURSE, settings)
        assert [item.submission_id for item in queued] == [first, second]
        assert queued[0].display_name == "赵一" and queued[0].reflections == {"r1": REFLECTION}
        assert queued[1].reflections == {"r1": ""}
        assert queued[0].items == {
            "r1-task": {"max": 2.0, "score": None, "comment": "", "lesson": DEMO_MODULE}
        }

        grade = grade_manually(
            settings,
            session,
            first,
            {"r1-task": 1.5},
            {"r1-task": "联系了本课内容，很好。"},
            grader="lihua",
        )
        assert (grade.manual_score, grade.needs_manual, grade.manual_graded_by) == (
            1.5,
            False,
            "lihua",
        )
        assert grade.items["r1-task"]["score"] == 1.5
    with database.session() as session:
        assert [item.submission_id for item in manual_queue(session, DEMO_COURSE, settings)] == [
            second
        ]
        assert session.scalar(
            select(CompletionEvent.kind).where(
                CompletionEvent.submission_id == first, CompletionEvent.kind == "manual-graded"
            )
        )
        grade = session.scalars(select(Grade).where(Grade.submission_id == first)).one()
        html = (settings.exchange_dir / grade.feedback_path / f"{DEMO_MODULE}.html").read_text(
            encoding="utf-8"
        )
        assert "联系了本课内容，很好。" in html and "得分：6.5 / 7.0" in html

    from nbgrader.api import Gradebook

    url = f"sqlite:///{course_root(settings, DEMO_COURSE) / 'gradebook.db'}"
    with Gradebook(url, DEMO_COURSE) as gradebook:
        row = gradebook.find_grade("r1-task", DEMO_MODULE, DEMO_MODULE, "zhao")
        assert row.manual_score == 1.5 and not row.needs_manual_grade
        comment = gradebook.find_comment("r1-task", DEMO_MODULE, DEMO_MODULE, "zhao")
        assert comment.manual_comment == "联系了本课内容，很好。"

    with database.session() as session:
        grade = session.scalars(select(Grade).where(Grade.submission_id == first)).one()
        module, account = grade.submission.module, grade.submission.account
        newer = submit(session, settings, module, account, {**RIGHT, "r1": REFLECTION}).id
    grade_submission(settings, database, newer)
    with database.session() as session:
        with pytest.raises(ManualGradingError, match="最新"):
            grade_manually(settings, session, first, {"r1-task": 2}, {}, grader="lihua")
        with pytest.raises(ManualGradingError, match="还没有自动评分"):
            grade_manually(settings, session, 12345, {"r1-task": 2}, {}, grader="lihua")
