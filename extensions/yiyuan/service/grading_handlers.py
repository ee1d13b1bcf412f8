"""Manual grading by the course's trainers: the queue of reflections and the grading form.

An equivalent of nbgrader's formgrader that lives in the service (JupyterHub ≥ 4.1 blocks the
formgrader's iframe, and a formgrader per course would be one more server per course that gives
trainers a shell next to the platform's data). Grades are written into the course's nbgrader
gradebook as well, so nbgrader stays the record of scores.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select
from tornado import web

from ..catalog import compile as compiled_lessons
from ..clock import local_zone
from ..grading import manual
from ..grading.coursedir import course_root
from ..i18n import get_catalogue
from ..models import Account
from . import answer_view
from .access import course_by_code, require_trainer, submission_for
from .base import ApiError, ApiHandler, PageHandler

words = get_catalogue()


def _plain(item: Any) -> Any:
    return dataclasses.asdict(item) if dataclasses.is_dataclass(item) else item


class QueueHandler(ApiHandler):
    @web.authenticated
    def get(self, code: str) -> None:
        course = course_by_code(self.session, code)
        require_trainer(self.session, course, self.account)
        items = manual.manual_queue(self.session, course.code, self.settings_)
        self.write_json({"course": course.code, "items": [_plain(i) for i in items]})


class GradeHandler(ApiHandler):
    """``POST {"scores": {"r1-task": 2}, "comments": {"r1-task": "写得好"}}``"""

    @web.authenticated
    def post(self, submission_id: str) -> None:
        submission = submission_for(self.session, int(submission_id), self.account)
        require_trainer(self.session, submission.module.course, self.account)
        body = self.json_body()
        scores, comments = body.get("scores", {}), body.get("comments", {})
        if not isinstance(scores, dict) or not isinstance(comments, dict) or not scores:
            raise ApiError(400, words.svc_scores_missing, "bad-scores")
        for value in scores.values():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ApiError(400, words.svc_score_not_number, "bad-scores")
        grade = manual.grade_manually(
            self.settings_,
            self.session,
            submission.id,
            {str(k): float(v) for k, v in scores.items()},
            {str(k): str(v) for k, v in comments.items()},
            grader=self.account.username,
        )
        self.commit()
        self.write_json(
            {
                "submission": submission.id,
                "manual_score": grade.manual_score,
                "manual_max": grade.manual_max,
                "needs_manual": grade.needs_manual,
            }
        )


class GradingPageHandler(PageHandler):
    """待评阅 (the queue) and, with ``?show=graded``, 已评阅: what was graded, to read again
    and to change."""

    page_title = words.svc_title_grading

    @web.authenticated
    def get(self, code: str) -> None:
        course = course_by_code(self.session, code)
        require_trainer(self.session, course, self.account)
        show = self.get_argument("show", "waiting")
        if show not in ("waiting", "graded"):
            raise ApiError(404, words.svc_no_such_page, "no-page")
        self.xsrf_token  # sets the _xsrf cookie the page's script sends back  # noqa: B018
        waiting = manual.manual_queue(self.session, course.code, self.settings_)
        graded = manual.graded_items(self.session, course.code, self.settings_)
        graders = {
            a.username: a.display_name or a.username
            for a in self.session.scalars(
                select(Account).where(Account.username.in_({i.graded_by for i in graded}))
            )
        }
        listed = graded if show == "graded" else waiting
        specs = _specs(self.storage, course)
        self.render(
            "grading.html",
            account=self.account,
            roles=[words.svc_role_trainer],
            course=course,
            show=show,
            counts={"waiting": len(waiting), "graded": len(graded)},
            items=[_plain(i) for i in listed],
            written={i.submission_id: _written(self.settings_, course.code, i) for i in listed},
            code_style=answer_view.code_style(),
            graders=graders,
            prompts=_reflection_prompts(specs),
            work=_graded_work(specs),
            zone=local_zone(),
            prefix=self.prefix,
        )


def _written(settings, course_code: str, item: manual.ManualItem) -> dict:
    """grade_id → what the learner wrote (answer_view.Written) for the item's manual answers
    in notebook cells — all but the reflections, which the lesson's answers file holds."""
    wanted: dict[str, set[str]] = {}
    for grade_id, part in item.items.items():
        if grade_id.removesuffix("-task") not in item.reflections:
            wanted.setdefault(part.get("lesson", ""), set()).add(grade_id)
    folder = course_root(settings, course_code) / "autograded" / item.username / item.module_code
    found = {}
    for lesson, grade_ids in wanted.items():
        found.update(answer_view.written_answers(folder / f"{lesson}.ipynb", grade_ids))
    return found


def _specs(storage, course) -> dict[str, dict]:
    """module code → its compiled lessons' spec (``lessons.json``; {} before a release)."""
    return {
        module.code: (compiled_lessons.spec_of(storage, module) if module.release else None) or {}
        for module in course.modules
    }


def _graded_work(specs: dict[str, dict]) -> str:
    """What the trainer grades here, in the page's title: 作业 in a course where learners
    write code (nbgrader assignments, in JupyterLab), else 学习心得."""
    code = any(spec.get("player") == "jupyterlab" for spec in specs.values())
    return words.svc_graded_work_code if code else words.svc_graded_work_reflections


def _reflection_prompts(specs: dict[str, dict]) -> dict[str, dict[str, str]]:
    """module code → reflection id → the question the learner answered (the trainer grades
    the answer against it)."""
    return {
        code: {
            q["id"]: q.get("prompt", "")
            for q in compiled_lessons.questions_of(spec)
            if q.get("type") == "Reflection"
        }
        for code, spec in specs.items()
    }


routes = [
    (r"api/grading/([a-z][a-z0-9-]{1,39})/queue", QueueHandler),
    (r"api/grading/submissions/(\d+)", GradeHandler),
    (r"grading/([a-z][a-z0-9-]{1,39})", GradingPageHandler),
]
