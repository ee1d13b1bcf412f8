"""The submit button: completeness check, save, then the platform's handler (if any).

The learner never sees a stack trace: whatever goes wrong is shown as a Chinese message and
the traceback goes to the server's log (the kernel process's original stderr).
"""

from __future__ import annotations

import inspect
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from .outcome import Outcome, SubmitError
from .text import escape

NOT_OPEN = "答案已保存。本课程尚未开放在线提交，请等待平台通知。"
SUBMITTED = "提交成功。"
SUBMITTING = "正在提交……"
FAILED = (
    "提交没有成功：平台出现了意外错误。您的答案已保存在本机，请稍后再试；"
    "如果一直不成功，请联系服务中心。"
)
NOT_SAVED = "答案没有保存成功，所以没有提交。请稍后再试；如果一直不成功，请联系服务中心。"
CONFIRM = "提交后将由平台评分。确定现在提交本单元吗？"
CANCELLED = "已取消，本单元尚未提交（您的答案已自动保存）。"


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
    from . import platform_submit  # no HTTP client is loaded for plain notebooks

    if not platform_submit.platform_enabled():
        return None
    return platform_submit.submit_handler(folder)


def platform_submits() -> bool:
    """Whether this kernel submits to the platform (a hub server with ``YIYUAN_SERVICE_URL``)."""
    from . import platform_submit

    return platform_submit.platform_enabled()


def run_handler(handler: Callable[[dict], Any], answers: dict) -> Outcome:
    try:
        result = handler(answers)
    except SubmitError as error:
        return Outcome(False, str(error) or FAILED)
    except Exception:
        log_exception()
        return Outcome(False, FAILED)
    if isinstance(result, Outcome):
        return result
    if isinstance(result, str) and result.strip():
        return Outcome(True, result)
    return Outcome(True, SUBMITTED)


def outcome_html(outcome: Outcome) -> str:
    if outcome.missing:
        items = "".join(f"<li>{escape(item)}</li>" for item in outcome.missing)
        body = f"<div>{escape(outcome.message)}</div><ul>{items}</ul>"
    else:
        body = f"<div>{escape(outcome.message)}</div>"
    if outcome.link:
        text, href = outcome.link
        body += (
            f'<div><a href="{escape(href)}" target="_blank" rel="noopener">{escape(text)}</a></div>'
        )
    color = "#1b5e20" if outcome.ok else "#b3261e"
    return f'<div class="yiyuan-message" role="status" style="color:{color}">{body}</div>'


class SubmitPanel:
    """The button 「提交本单元」 and the message area below it.

    With ``precheck`` (the platform's submit), a click first checks that everything is
    answered (``precheck`` returns what is missing, or None), then asks for confirmation with a
    「确认提交」/「取消」 pair of ordinary buttons (keyboard usable, labelled by their text).
    """

    def __init__(
        self,
        submit: Callable[[], Outcome],
        precheck: Callable[[], Outcome | None] | None = None,
    ):
        self._submit = submit
        self._precheck = precheck
        self.button = w.Button(
            description="提交本单元",
            button_style="primary",
            tooltip="检查是否都已作答，然后提交本单元",
            layout=w.Layout(width="auto", margin="1.5em 0 0 0"),
        )
        self.message = w.HTML(value="")
        self.confirm_button = w.Button(
            description="确认提交", button_style="danger", tooltip="确认提交本单元"
        )
        self.cancel_button = w.Button(description="取消", tooltip="暂不提交")
        self.confirm_box = w.VBox(
            [
                w.HTML(value=f'<div class="yiyuan-confirm" role="alert">{escape(CONFIRM)}</div>'),
                w.HBox([self.confirm_button, self.cancel_button]),
            ],
            layout=w.Layout(display="none", margin="0.5em 0"),
        )
        self.button.on_click(self._clicked)
        self.confirm_button.on_click(self._confirmed)
        self.cancel_button.on_click(self._cancelled)
        self.box = w.VBox(
            [self.button, self.confirm_box, self.message],
            layout=w.Layout(align_items="flex-start"),
        )
        self.outcome: Outcome | None = None
        self._generation = 0  # a newer submission stops an older one's result updates

    def _clicked(self, _button: Any = None) -> None:
        if self._precheck is None:
            self._run()
            return
        try:
            incomplete = self._precheck()
        except Exception:
            log_exception()
            incomplete = Outcome(False, FAILED)
        if incomplete is not None:
            self._show(incomplete)
            return
        self.message.value = ""
        self.confirm_box.layout.display = "flex"

    def _confirmed(self, _button: Any = None) -> None:
        self.confirm_box.layout.display = "none"
        self._run()

    def _cancelled(self, _button: Any = None) -> None:
        self.confirm_box.layout.display = "none"
        self._show(Outcome(True, CANCELLED))

    def _show(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.message.value = outcome_html(outcome)

    def _run(self) -> None:
        self._generation += 1
        self.button.disabled = True
        self.message.value = outcome_html(Outcome(True, SUBMITTING))
        try:
            outcome = self._submit()
        except Exception:
            log_exception()
            outcome = Outcome(False, FAILED)
        finally:
            self.button.disabled = False
        self._show(outcome)
        if outcome.ok and outcome.follow is not None:
            self._follow(outcome.follow)

    def _follow(self, follow: Callable[[Callable[[Outcome], None]], None]) -> None:
        generation = self._generation

        def show(newer: Outcome) -> None:
            if generation == self._generation:
                self._show(newer)

        def run() -> None:
            try:
                follow(show)
            except Exception:
                log_exception()

        threading.Thread(target=run, name="yiyuan-result", daemon=True).start()
