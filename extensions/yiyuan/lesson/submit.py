"""The submit button: completeness check, save, then the platform's handler (if any).

The learner never sees a stack trace: whatever goes wrong is shown as a Chinese message and
the traceback goes to the server's log (the kernel process's original stderr).
"""

from __future__ import annotations

import inspect
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w

from .text import escape

NOT_OPEN = "答案已保存。本课程尚未开放在线提交，请等待平台通知。"
SUBMITTED = "提交成功。"
SUBMITTING = "正在提交……"
FAILED = (
    "提交没有成功：平台出现了意外错误。您的答案已保存在本机，请稍后再试；"
    "如果一直不成功，请联系服务中心。"
)
NOT_SAVED = "答案没有保存成功，所以没有提交。请稍后再试；如果一直不成功，请联系服务中心。"


class SubmitError(Exception):
    """Raised by a platform's ``on_submit`` handler; its (Chinese) message is shown as is."""


@dataclass
class Outcome:
    """What a submit attempt led to: ``ok`` only when the answers were handed over (or
    saved, when there is no handler); ``missing`` lists what the learner still has to do."""

    ok: bool
    message: str
    missing: list[str] = field(default_factory=list)


def log_exception() -> None:
    if sys.__stderr__ is not None:
        traceback.print_exc(file=sys.__stderr__)


def find_handler(lesson: Any) -> Callable[[dict], Any] | None:
    """``on_submit`` set on the instance or on the class, called with the answers only.

    ``Lesson.on_submit = handler`` stores a plain function on the class; looking it up
    statically avoids turning it into a method that would also receive the lesson.
    """
    handler = inspect.getattr_static(lesson, "on_submit", None)
    if isinstance(handler, (staticmethod, classmethod)):
        handler = handler.__get__(lesson, type(lesson))
    return handler if callable(handler) else None


def platform_handler(folder: Any) -> Callable[[dict], Any] | None:
    """The platform's submit (through the yiyuan service) when this kernel runs in a hub
    server that has one (``YIYUAN_SERVICE_URL``); None otherwise."""
    from ..exchange import lesson_submit  # no HTTP client is loaded for plain notebooks

    if not lesson_submit.platform_enabled():
        return None
    return lesson_submit.submit_handler(folder)


def run_handler(handler: Callable[[dict], Any], answers: dict) -> Outcome:
    try:
        result = handler(answers)
    except SubmitError as error:
        return Outcome(False, str(error) or FAILED)
    except Exception:
        log_exception()
        return Outcome(False, FAILED)
    if isinstance(result, str) and result.strip():
        return Outcome(True, result)
    return Outcome(True, SUBMITTED)


def outcome_html(outcome: Outcome) -> str:
    if outcome.missing:
        items = "".join(f"<li>{escape(item)}</li>" for item in outcome.missing)
        body = f"<div>{escape(outcome.message)}</div><ul>{items}</ul>"
    else:
        body = f"<div>{escape(outcome.message)}</div>"
    color = "#1b5e20" if outcome.ok else "#b3261e"
    return f'<div class="yiyuan-message" role="status" style="color:{color}">{body}</div>'


class SubmitPanel:
    """The button 「提交本单元」 and the message area below it."""

    def __init__(self, submit: Callable[[], Outcome]):
        self._submit = submit
        self.button = w.Button(
            description="提交本单元",
            button_style="primary",
            tooltip="检查是否都已作答，然后提交本单元",
            layout=w.Layout(width="auto", margin="1.5em 0 0 0"),
        )
        self.message = w.HTML(value="")
        self.button.on_click(self._clicked)
        self.box = w.VBox([self.button, self.message], layout=w.Layout(align_items="flex-start"))
        self.outcome: Outcome | None = None

    def _clicked(self, _button: Any = None) -> None:
        self.button.disabled = True
        self.message.value = outcome_html(Outcome(True, SUBMITTING))
        try:
            self.outcome = self._submit()
        except Exception:
            log_exception()
            self.outcome = Outcome(False, FAILED)
        finally:
            self.button.disabled = False
        self.message.value = outcome_html(self.outcome)
