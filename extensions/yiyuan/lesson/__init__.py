"""Lesson widgets for learners' notebooks: quizzes, reflections, media, a submit button.

    from yiyuan.lesson import Lesson
    lesson = Lesson()
    lesson.single_choice("q1", "题目文字", ["选项甲", "选项乙", "选项丙"])

Runs inside learners' kernels (Voila) and nbgrader's grading kernels, so it imports neither the
platform's models nor its database layer, and reads no settings. Importing this package is
cheap: ipywidgets and IPython are loaded when ``Lesson`` is first used, and
``yiyuan.lesson.grading`` (for hidden tests) needs neither. See docs/authoring.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Lesson
    from .outcome import Outcome, SubmitError

__all__ = ["Lesson", "Outcome", "SubmitError"]


def __getattr__(name: str) -> Any:
    if name == "Lesson":
        from .core import Lesson

        return Lesson
    if name in ("Outcome", "SubmitError"):
        from . import outcome

        return getattr(outcome, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
