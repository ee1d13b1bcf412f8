"""``Lesson``: the object a lesson notebook talks to.

It runs inside the learner's kernel (Voila) and inside nbgrader's grading kernels: it knows
only the lesson's folder and its answers file, never the platform's database or settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from IPython.display import HTML, Markdown, display

from . import compiled, media
from .sidecar import FILENAME, Sidecar
from .submit import (
    NOT_OPEN,
    NOT_SAVED,
    Outcome,
    SubmitPanel,
    find_handler,
    log_exception,
    platform_handler,
    platform_submits,
    run_handler,
)
from .text import escape, markdown_escape
from .widgets import (
    STYLESHEET,
    FillIn,
    MultipleChoice,
    Question,
    Rating,
    Reflection,
    SingleChoice,
    TrueFalse,
)

SATISFACTION = ["很不满意", "不满意", "一般", "满意", "很满意"]
SAVE_FAILED = "这道题的答案没有保存成功，请稍后再改一次；如果一直这样，请联系服务中心。"


UNREADABLE = "无法读取之前保存的答案，本页从空白开始，新的作答可能也无法保存。请联系服务中心。"
KEPT_ASIDE = (
    "之前保存的答案文件无法读取，已原样另存为 {name}；本页从空白开始。"
    "如需找回原来的答案，请联系服务中心。"
)


def _notice(text: str) -> HTML:
    return HTML(f'<div class="yiyuan-status" style="color:#b3261e">{escape(text)}</div>')


def under_nbgrader() -> bool:
    """True while nbgrader executes the notebook (autograde, validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


class Lesson:
    """Questions, media and a submit button for one lesson notebook.

    ``Lesson()`` keeps its answers in ``answers.json`` in the current directory (Voila and
    nbgrader run a notebook in its own folder); ``Lesson(folder=path)`` elsewhere. Relative
    media paths are also taken from that folder.
    """

    #: Set by the platform: called with the answers when the learner submits (see submit.py).
    on_submit: Callable[[dict], Any] | None = None

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else Path.cwd()
        self.sidecar = Sidecar(self.folder / FILENAME)
        try:
            self.saved: dict[str, Any] = self.sidecar.load()
        except OSError:  # a directory, no permission …: the page must still open
            log_exception()
            self.saved = {}
            display(_notice(UNREADABLE))
        #: question id → its input widget (a list of Checkbox for multiple choice)
        self.widgets: dict[str, Any] = {}
        #: what the media helpers displayed, in order (for tests)
        self.media: list[Any] = []
        self.submit_panels: list[SubmitPanel] = []
        self._questions: dict[str, Question] = {}
        display(HTML(STYLESHEET))
        for backup in self.sidecar.backups:
            display(_notice(KEPT_ASIDE.format(name=backup.name)))

    # -- questions ---------------------------------------------------------------------------

    def single_choice(self, question_id: str, prompt: str, options: Sequence[str]) -> None:
        self._add(question_id, lambda: SingleChoice(question_id, prompt, options))

    def multiple_choice(self, question_id: str, prompt: str, options: Sequence[str]) -> None:
        self._add(question_id, lambda: MultipleChoice(question_id, prompt, options))

    def true_false(self, question_id: str, prompt: str) -> None:
        self._add(question_id, lambda: TrueFalse(question_id, prompt))

    def fill_in(self, question_id: str, prompt: str, placeholder: str = "请填写") -> None:
        self._add(question_id, lambda: FillIn(question_id, prompt, placeholder))

    def rating(self, question_id: str, prompt: str, labels: Sequence[str] | None = None) -> None:
        self._add(question_id, lambda: Rating(question_id, prompt, labels or SATISFACTION))

    def reflection(self, question_id: str, prompt: str, min_length: int = 0) -> None:
        self._add(question_id, lambda: Reflection(question_id, prompt, min_length))
        if under_nbgrader():
            display(Markdown(self._reflection_markdown(self._questions[question_id])))

    def _add(self, question_id: str, make: Callable[[], Question]) -> None:
        if not isinstance(question_id, str) or not question_id.strip():
            raise ValueError('题目编号必须是非空的文字，例如 "q1"。')
        if question_id in self._questions:
            raise ValueError(f"题目编号“{question_id}”重复了：同一课件中每道题的编号必须不同。")
        question = make()
        if question_id in self.saved:  # before observing: restoring writes nothing
            question.restore(self.saved[question_id])
        question.observe(lambda: self._changed(question))
        self._questions[question_id] = question
        self.widgets[question_id] = question.input
        display(question.box)
        if compiled.compiling():
            compiled.announce(question)

    def _changed(self, question: Question) -> None:
        try:
            self.sidecar.update({question.question_id: question.answer()})
        except Exception:
            log_exception()
            question.show_status(SAVE_FAILED)
        else:
            if question.status.value:
                question.show_status("")

    def _reflection_markdown(self, question: Reflection) -> str:
        """What the trainer reads in formgrader: the saved text, shown literally."""
        text = question.input.value
        lines = [
            f"**学习心得（{markdown_escape(question.question_id)}）**："
            f"{markdown_escape(question.prompt)}",
            "",
            f"（{question.count_text()}）",
            "",
        ]
        paragraphs = [line for line in text.splitlines() if line.strip()]
        if not paragraphs:
            lines.append("> （学员没有填写）")
        for number, line in enumerate(paragraphs):
            if number:
                lines.append(">")
            lines.append("> " + markdown_escape(line.strip()))
        return "\n".join(lines)

    # -- answers and submitting ------------------------------------------------------------

    @property
    def answers(self) -> dict[str, Any]:
        """This lesson's current answers (unanswered questions absent)."""
        answers = {}
        for question_id, question in self._questions.items():
            value = question.answer()
            if value is not None:
                answers[question_id] = value
        return answers

    def missing(self) -> list[str]:
        """What the learner still has to do, in the order of the questions, in Chinese."""
        return [m for q in self._questions.values() if (m := q.missing()) is not None]

    def save(self) -> None:
        """Write every question's current answer to the answers file."""
        self.sidecar.update({question_id: q.answer() for question_id, q in self._questions.items()})

    def incomplete(self) -> Outcome | None:
        """What stops a submission (the list of what is missing), or None."""
        missing = self.missing()
        if missing:
            return Outcome(False, f"还有 {len(missing)} 项没有完成，请补充后再提交：", missing)
        return None

    def submit(self) -> Outcome:
        """What the submit button does; returns the outcome shown under it."""
        incomplete = self.incomplete()
        if incomplete is not None:
            return incomplete
        try:
            self.save()
        except Exception:
            log_exception()
            return Outcome(False, NOT_SAVED)
        handler = find_handler(self) or platform_handler(self.folder)
        if handler is None:
            return Outcome(True, NOT_OPEN)
        return run_handler(handler, self.answers)

    def submit_button(self) -> None:
        if compiled.compiling():  # the compiled page draws its own button (the service submits)
            compiled.submit_slot()
            return
        # on the platform a submission is graded and counted: ask before sending it
        precheck = self.incomplete if platform_submits() else None
        panel = SubmitPanel(self.submit, precheck)
        self.submit_panels.append(panel)
        display(panel.box)

    # -- media -------------------------------------------------------------------------------

    def _show(self, item: Any) -> None:
        self.media.append(item)
        display(item)

    def image(
        self, source: str | os.PathLike, caption: str | None = None, alt: str | None = None
    ) -> None:
        """A local image file (relative to the lesson's folder), caption below."""
        path = media.local_file(self.folder, source, "图片", media.IMAGE_TYPES)
        mime = media.IMAGE_TYPES[path.suffix.lower()]
        self._show(HTML(media.figure_html(path.read_bytes(), mime, caption, alt)))

    def image_figure(self, figure: Any, caption: str | None = None, alt: str | None = None) -> None:
        """A matplotlib Figure as an image, caption below."""
        png = media.figure_png(figure)
        width = media.png_display_width(png)
        self._show(HTML(media.figure_html(png, "image/png", caption, alt, width)))

    def audio(self, source: Any, rate: int | None = None, caption: str | None = None) -> None:
        """A local audio file, or samples in [-1, 1] (numpy array) at ``rate`` Hz as WAV."""
        if isinstance(source, (str, os.PathLike)):
            path = media.local_file(self.folder, source, "音频", media.AUDIO_FORMATS)
            data, fmt = path.read_bytes(), media.AUDIO_FORMATS[path.suffix.lower()]
        else:
            if rate is None:
                raise ValueError("用数组生成声音时必须给出采样率 rate，例如 rate=22050。")
            data, fmt = media.wav_bytes(source, rate), "wav"
        self._show(media.player("audio", data, fmt, caption))

    def video(self, source: str | os.PathLike, caption: str | None = None) -> None:
        """A local video file (mp4, webm), caption below."""
        path = media.local_file(self.folder, source, "视频", media.VIDEO_FORMATS)
        fmt = media.VIDEO_FORMATS[path.suffix.lower()]
        self._show(media.player("video", path.read_bytes(), fmt, caption))
