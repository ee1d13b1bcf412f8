"""Question widgets: one class per question type.

Every input is a stock ipywidget whose ``description`` is the prompt (a real ``<label>``, shown
as plain text: ``description_allow_html=False``), so it is labelled for screen readers and works
with the keyboard (Tab to move, Space/Enter to choose, typing in text boxes). The stylesheet
below puts the label above the input and lets long Chinese prompts wrap instead of being cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import ipywidgets as w

from .text import count_chars, escape, shorten

QUESTION = "yiyuan-question"

STYLESHEET = """<style>
.yiyuan-question { flex-direction: column !important; align-items: stretch !important;
  width: 100% !important; max-width: 48em; margin: 0.8em 0 0.2em 0 !important; }
.yiyuan-question > .widget-label, .yiyuan-prompt { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; width: auto !important;
  max-width: 100% !important; height: auto !important; line-height: 1.6 !important;
  text-align: left !important; font-size: 1.05em; font-weight: 600; margin: 0 0 0.4em 0; }
.yiyuan-question .widget-radio-box { margin-bottom: 0 !important; }
.yiyuan-question .widget-radio-box label, .yiyuan-choice .widget-label-basic span {
  white-space: normal !important; line-height: 1.6; }
.yiyuan-question .widget-toggle-button { width: auto !important; min-width: 5em;
  padding: 0 1em; }
.yiyuan-question input, .yiyuan-question textarea { font-size: 1em; }
.yiyuan-question textarea { min-height: 10em; }
.yiyuan-count, .yiyuan-status, .yiyuan-caption { white-space: normal !important;
  line-height: 1.6; }
.yiyuan-count { color: #555; }
.yiyuan-status { color: #b3261e; }
.yiyuan-caption { color: #555; text-align: center; margin: 0.3em 0 1em 0; }
.yiyuan-message { line-height: 1.6; margin-top: 0.5em; }
</style>"""


def _text_list(values: Sequence[Any], what: str, minimum: int) -> list[str]:
    items = [str(value) for value in values]
    if len(items) < minimum:
        raise ValueError(f"{what}至少需要 {minimum} 个。")
    if any(not item.strip() for item in items):
        raise ValueError(f"{what}不能为空。")
    if len(set(items)) != len(items):
        raise ValueError(f"{what}不能重复。")
    return items


def _labelled(widget: w.DOMWidget) -> w.DOMWidget:
    widget.add_class(QUESTION)
    return widget


def html_line(text: str, css_class: str) -> w.HTML:
    """A wrapping line of plain text (escaped) as a widget."""
    return w.HTML(value=f'<div class="{css_class}">{escape(text)}</div>' if text else "")


class Question:
    """A question's widgets, its answer as saved in the sidecar, and its completeness."""

    kind = "题目"

    def __init__(self, question_id: str, prompt: str):
        self.question_id = question_id
        self.prompt = str(prompt)
        self.status = w.HTML(value="", layout=w.Layout(display="none"))  # a save error
        self.input: Any = None

    @cached_property
    def box(self) -> w.VBox:
        return w.VBox([self.input, self.status])

    def answer(self) -> Any:
        """The JSON value to save, or None when unanswered."""
        return self.input.value

    def restore(self, value: Any) -> None:
        """Put a saved answer back; values that no longer fit the question are ignored."""

    def observe(self, callback: Callable[[], None]) -> None:
        self.input.observe(lambda change: callback(), names="value")

    def missing(self) -> str | None:
        if self.answer() is None:
            return f"{self.kind}「{shorten(self.prompt)}」尚未作答"
        return None

    def model_ids(self) -> list[str]:
        return [self.input.model_id]

    def spec(self) -> dict[str, Any]:
        """What a compiled lesson's page needs to read and restore this question in the
        browser: its input widgets' model ids and the words it shows (yiyuan.lesson.compiled)."""
        return {
            "id": self.question_id,
            "type": type(self).__name__,
            "kind": self.kind,
            "prompt": self.prompt,
            "models": self.model_ids(),
            "status": self.status.model_id,
            "unanswered": f"{self.kind}「{shorten(self.prompt)}」尚未作答",
        }

    def show_status(self, text: str) -> None:
        self.status.value = f'<div class="yiyuan-status">{escape(text)}</div>' if text else ""
        self.status.layout.display = None if text else "none"


class SingleChoice(Question):
    kind = "单选题"

    def __init__(self, question_id: str, prompt: str, options: Sequence[str]):
        super().__init__(question_id, prompt)
        self.options = _text_list(options, "选项", 2)
        self.input = _labelled(
            w.RadioButtons(
                options=self.options,
                value=None,
                description=self.prompt,
                description_allow_html=False,
            )
        )

    def restore(self, value: Any) -> None:
        if isinstance(value, str) and value in self.options:
            self.input.value = value

    def spec(self) -> dict[str, Any]:
        return {**super().spec(), "values": list(self.options)}


class MultipleChoice(Question):
    kind = "多选题"

    def __init__(self, question_id: str, prompt: str, options: Sequence[str]):
        super().__init__(question_id, prompt)
        self.options = _text_list(options, "选项", 2)
        self.input = [
            w.Checkbox(value=False, description=option, description_allow_html=False, indent=False)
            for option in self.options
        ]
        for checkbox in self.input:
            checkbox.add_class("yiyuan-choice")

    @cached_property
    def box(self) -> w.VBox:
        group = _labelled(w.VBox([html_line(self.prompt, "yiyuan-prompt"), *self.input]))
        return w.VBox([group, self.status])

    def answer(self) -> list[str] | None:
        chosen = [box.description for box in self.input if box.value]
        return chosen or None

    def restore(self, value: Any) -> None:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            for box in self.input:
                box.value = box.description in value

    def observe(self, callback: Callable[[], None]) -> None:
        for box in self.input:
            box.observe(lambda change: callback(), names="value")

    def model_ids(self) -> list[str]:
        return [box.model_id for box in self.input]

    def spec(self) -> dict[str, Any]:
        return {**super().spec(), "values": list(self.options)}


class Buttons(Question):
    """A row of toggle buttons (true/false, rating): each button is focusable and pressable."""

    def __init__(self, question_id: str, prompt: str, options: list[tuple[str, Any]]):
        super().__init__(question_id, prompt)
        self.values = [value for _, value in options]
        self.input = _labelled(
            w.ToggleButtons(
                options=options,
                value=None,
                description=self.prompt,
                description_allow_html=False,
                style={"button_width": "auto"},
            )
        )

    def spec(self) -> dict[str, Any]:
        # ToggleButtons keep the chosen option's index: the page maps it back to the value
        return {**super().spec(), "values": list(self.values)}


class TrueFalse(Buttons):
    kind = "判断题"

    def __init__(self, question_id: str, prompt: str):
        super().__init__(question_id, prompt, [("正确", True), ("错误", False)])

    def restore(self, value: Any) -> None:
        if isinstance(value, bool):
            self.input.value = value


class Rating(Buttons):
    kind = "评价"

    def __init__(self, question_id: str, prompt: str, labels: Sequence[str]):
        labels = _text_list(labels, "评价等级", 2)
        super().__init__(question_id, prompt, [(label, n) for n, label in enumerate(labels, 1)])

    def restore(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value in self.values:
            self.input.value = value


class FillIn(Question):
    kind = "填空题"

    def __init__(self, question_id: str, prompt: str, placeholder: str):
        super().__init__(question_id, prompt)
        self.input = _labelled(
            w.Text(
                value="",
                placeholder=str(placeholder),
                description=self.prompt,
                description_allow_html=False,
                continuous_update=True,
                layout=w.Layout(width="100%"),
            )
        )

    def answer(self) -> str | None:
        return self.input.value if self.input.value.strip() else None

    def restore(self, value: Any) -> None:
        if isinstance(value, str):
            self.input.value = value


class Reflection(FillIn):
    kind = "学习心得"

    def __init__(self, question_id: str, prompt: str, min_length: int):
        Question.__init__(self, question_id, prompt)
        if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 0:
            raise ValueError("min_length（最少字数）必须是不小于 0 的整数。")
        self.min_length = min_length
        self.input = _labelled(
            w.Textarea(
                value="",
                placeholder="请在这里写……",
                description=self.prompt,
                description_allow_html=False,
                continuous_update=True,
                rows=10,
                layout=w.Layout(width="100%"),
            )
        )
        self.count = w.HTML()
        self.input.observe(lambda change: self._count(), names="value")
        self._count()

    @cached_property
    def box(self) -> w.VBox:
        return w.VBox([self.input, self.count, self.status])

    def count_text(self) -> str:
        written = count_chars(self.input.value)
        if self.min_length:
            return f"已写 {written} 字，至少 {self.min_length} 字"
        return f"已写 {written} 字"

    def _count(self) -> None:
        self.count.value = f'<div class="yiyuan-count">{escape(self.count_text())}</div>'

    def spec(self) -> dict[str, Any]:
        return {
            **super().spec(),
            "count": self.count.model_id,
            "min_length": self.min_length,
            "unanswered": f"{self.kind}「{shorten(self.prompt)}」尚未填写",
        }

    def missing(self) -> str | None:
        if self.answer() is None:
            return f"{self.kind}「{shorten(self.prompt)}」尚未填写"
        if count_chars(self.input.value) < self.min_length:
            return f"{self.kind}「{shorten(self.prompt)}」{self.count_text()}"
        return None
