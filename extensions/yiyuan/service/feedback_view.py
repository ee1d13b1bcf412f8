"""「学习反馈」: one submission's result as a person reads it.

Built from the platform's own records, not from nbgrader's feedback HTML (which stays one link
away): the module's name as the title; the reflection first, with 待教师评阅 or the teacher's
score and comment; then each question by its own prompt, with the learner's answer and
回答正确 / 回答不正确; and the score the portal and the lesson show for the same result.

Grade items are matched to the lesson's questions by their id (``q1`` ↔ ``q1-check``, ``r1`` ↔
``r1-task``, as lessons and the authoring template name them); items that match no question
are listed as 其他检查 with their points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..catalog import compile as compiled
from ..completion import lateness, progress
from ..completion.engine import score_name, submission_score
from ..grading.manual import stored_answers
from ..i18n import get_catalogue
from ..models import Grade, ModuleResult, Submission
from ..settings import Settings
from ..storage import Storage

#: question types that are checked (ratings and the like are asked, not graded)
CHECKED = {"SingleChoice", "MultipleChoice", "TrueFalse", "FillIn"}

words = get_catalogue()


@dataclass
class Question:
    kind: str
    prompt: str
    answer: str
    #: "right", "wrong", "partly" or "unchecked"
    verdict: str
    score: float | None = None
    max: float | None = None


@dataclass
class Reflection:
    prompt: str
    text: str
    max: float
    #: None until a teacher has scored it
    score: float | None = None
    comment: str = ""


@dataclass
class Check:
    """An item of the submission that no question of the lesson names: in a trainer's own
    nbgrader assignment, an autograder test (``auto``) or an answer the trainer grades."""

    name: str
    score: float | None
    max: float
    auto: bool
    #: what a failed test said (the error's name and message; never the test's source)
    message: str = ""
    #: the trainer's comment on a graded answer
    comment: str = ""

    @property
    def passed(self) -> bool:
        return self.auto and self.score is not None and self.score >= self.max


@dataclass
class Feedback:
    submission_id: int
    course_title: str
    module_title: str
    course_code: str
    module_code: str
    submitted_at: datetime
    graded: bool
    #: the module's status label now (已通过 / 未通过 / 已提交), "" before any result
    status: str = ""
    status_label: str = ""
    #: the score in percent, as the portal and the lesson show it (None: no quiz, or a
    #: ``total`` the trainer has still to grade); what it is called (测验得分 / 总分)
    quiz_percent: float | None = None
    score_name: str = words.svc_quiz_score
    #: handed in after the due date: how late and what it cost ("" when on time)
    late: str = ""
    #: the module's result rests on another submission (an earlier better one, or a newer one)
    other_counts: bool = False
    reflections: list[Reflection] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    #: checks that belong to no question: (name, score, max)
    others: list[Check] = field(default_factory=list)
    #: nbgrader's feedback pages (the whole lesson with the checks' messages)
    pages: list[str] = field(default_factory=list)

    @property
    def right(self) -> int:
        return sum(q.verdict == "right" for q in self.questions)

    @property
    def awaiting_teacher(self) -> bool:
        return any(r.score is None for r in self.reflections)


def feedback_of(
    session,
    settings: Settings,
    storage: Storage,
    submission: Submission,
    grade: Grade | None,
    pages: list[str],
) -> Feedback:
    """The view of ``submission``, whose ``grade`` (None: not graded yet) the caller read."""
    module = submission.module
    view = Feedback(
        submission_id=submission.id,
        course_title=module.course.title,
        module_title=module.title,
        course_code=module.course.code,
        module_code=module.code,
        submitted_at=submission.submitted_at,
        graded=grade is not None,
        pages=pages,
    )
    late = lateness.judge_module(module, submission.submitted_at)
    view.late = lateness.late_text(late)
    if grade is None:
        return view
    result = session.scalars(
        select(ModuleResult).where(
            ModuleResult.account_id == submission.account_id,
            ModuleResult.module_id == submission.module_id,
        )
    ).one_or_none()
    if result is not None:
        view.status = result.status.value
        view.status_label = progress.STATUS_LABELS[result.status]
        view.other_counts = result.submission_id != submission.id
    if result is not None and not view.other_counts and result.score is not None:
        view.quiz_percent = float(result.score)
    else:
        view.quiz_percent = submission_score(module, grade, submission.submitted_at)
    view.score_name = score_name(module.pass_rule)

    answers = stored_answers(settings, submission)
    items = dict(grade.items or {})
    for question in _questions(storage, submission):
        own = {k: items.pop(k) for k in list(items) if _belongs(k, question["id"])}
        answer = answers.get(question["id"])
        if question.get("type") == "Reflection":
            manual = next((i for i in own.values() if not i.get("auto")), None)
            view.reflections.append(
                Reflection(
                    prompt=question.get("prompt", ""),
                    text=answer if isinstance(answer, str) else "",
                    max=float(manual["max"]) if manual else 0.0,
                    score=None if not manual or manual.get("score") is None else manual["score"],
                    comment=(manual or {}).get("comment", ""),
                )
            )
        elif question.get("type") in CHECKED:
            view.questions.append(_question(question, answer, list(own.values())))
    view.others = [
        Check(
            name=name,
            score=None if item.get("score") is None else float(item["score"]),
            max=float(item.get("max") or 0),
            auto=bool(item.get("auto")),
            message=item.get("message", ""),
            comment=item.get("comment", ""),
        )
        # in the lesson's order: autograde keeps the notebooks' order of cells
        for name, item in items.items()
    ]
    return view


def _questions(storage: Storage, submission: Submission) -> list[dict]:
    """The questions of the release the learner worked on, in lesson order."""
    spec = compiled.spec_of(storage, submission.module, release=submission.release)
    if spec is None:
        spec = compiled.spec_of(storage, submission.module) or {}
    return compiled.questions_of(spec)


def _belongs(item: str, question_id: str) -> bool:
    return item == question_id or item.startswith(question_id + "-")


def _question(question: dict, answer, items: list[dict]) -> Question:
    view = Question(
        kind=question.get("kind", ""),
        prompt=question.get("prompt", ""),
        answer=answer_text(answer),
        verdict="unchecked",
    )
    checked = [i for i in items if i.get("auto")]
    if checked:
        view.score = sum(float(i.get("score") or 0) for i in checked)
        view.max = sum(float(i.get("max") or 0) for i in checked)
        if view.max and view.score >= view.max:
            view.verdict = "right"
        elif view.score > 0:
            view.verdict = "partly"
        else:
            view.verdict = "wrong"
    return view


def answer_text(answer) -> str:
    """An answer as the learner chose or wrote it."""
    if answer is None or answer == "" or answer == []:
        return words.svc_no_answer
    if isinstance(answer, bool):
        return words.svc_true if answer else words.svc_false
    if isinstance(answer, list):
        return words.svc_list_separator.join(str(a) for a in answer)
    return str(answer)
