"""Compiled lessons, the lesson's side: what a lesson shows while the platform compiles it,
and the rules its page's answers follow.

The platform runs each lesson once at publish (``yiyuan.catalog.compile``) with
:func:`start` called first. Then every question also displays its description (its widgets'
model ids, options, words) as ``QUESTION_MIME`` output for the compiler, and the submit button
becomes a slot that the page fills with a button talking to the service. In a learner's Voila
kernel and in nbgrader nothing here is active.

:func:`check_answers` and :func:`missing` are what the service applies to answers that come
from a page: the same rules the widgets apply in a kernel (``widgets.Question.missing``).
"""

from __future__ import annotations

from typing import Any

from .text import count_chars, shorten

QUESTION_MIME = "application/vnd.yiyuan.question+json"
SUBMIT_MIME = "application/vnd.yiyuan.submit+json"
SUBMIT_SLOT = '<div class="yiyuan-submit-slot"></div>'
#: the longest text answer kept (a reflection of a few pages)
MAX_TEXT = 20000

_compiling = False


def start() -> None:
    """Called by the compiler before the lesson's first cell."""
    global _compiling
    _compiling = True


def compiling() -> bool:
    return _compiling


def announce(question: Any) -> None:
    from IPython.display import display

    display({QUESTION_MIME: question.spec()}, raw=True)


def submit_slot() -> None:
    from IPython.display import display

    display({"text/html": SUBMIT_SLOT, SUBMIT_MIME: {"submit": True}}, raw=True)


class BadAnswer(ValueError):
    """An answer a page sent that no question of the lesson accepts (Chinese message)."""


def _fits(question: dict, value: Any) -> bool:
    kind = question["type"]
    values = question.get("values", [])
    if kind == "SingleChoice":
        return isinstance(value, str) and value in values
    if kind == "MultipleChoice":
        return (
            isinstance(value, list)
            and all(isinstance(item, str) and item in values for item in value)
            and len(set(value)) == len(value)
        )
    if kind == "TrueFalse":
        return isinstance(value, bool)
    if kind == "Rating":
        return isinstance(value, int) and not isinstance(value, bool) and value in values
    if kind in ("FillIn", "Reflection"):
        return isinstance(value, str) and len(value) <= MAX_TEXT
    return False


def check_answers(questions: list[dict], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` (question id → answer, None to clear) checked against the questions;
    BadAnswer names the first that does not fit."""
    by_id = {question["id"]: question for question in questions}
    checked: dict[str, Any] = {}
    for question_id, value in changes.items():
        question = by_id.get(question_id)
        if question is None:
            raise BadAnswer(f"本课没有编号为“{shorten(str(question_id))}”的题目，答案没有保存。")
        if value is not None and not _fits(question, value):
            raise BadAnswer(
                f"{question['kind']}「{shorten(question['prompt'])}」的答案无效，没有保存。"
            )
        if isinstance(value, str) and not value.strip():
            value = None  # a blank text is no answer (as FillIn.answer says)
        if value == []:
            value = None
        checked[question_id] = value
    return checked


def missing(questions: list[dict], answers: dict[str, Any]) -> list[str]:
    """What the learner still has to do, in the order of the questions."""
    out = []
    for question in questions:
        value = answers.get(question["id"])
        if value is None or value == [] or (isinstance(value, str) and not value.strip()):
            out.append(question["unanswered"])
            continue
        minimum = question.get("min_length") or 0
        if question["type"] == "Reflection" and count_chars(value) < minimum:
            written = count_chars(value)
            prefix = f"{question['kind']}「{shorten(question['prompt'])}」"
            out.append(f"{prefix}已写 {written} 字，至少 {minimum} 字")
    return out
