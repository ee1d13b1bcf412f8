"""Run in the Voila kernel of a preview (the first cell of every previewed lesson): the submit
button answers 预览模式 instead of submitting.

Without it the button would submit for real: a preview folder has no release marker, and the
submit handler then takes the course and module from the folder's place
(``yiyuan-preview/<course>/<module>``), which names the real course.
"""

from __future__ import annotations

from typing import Any

PREVIEW_SUBMIT = (
    "预览模式：这是课件的预览，提交不会发送到平台，也不会评分。"
    "发布后，学员从“我的学习”打开本单元即可提交。"
)


def refuse_submit(_answers: dict) -> Any:
    from ..lesson.submit import SubmitError

    raise SubmitError(PREVIEW_SUBMIT)


def enable() -> None:
    """Every ``Lesson`` in this kernel refuses to submit (class-wide ``on_submit``)."""
    from ..lesson import Lesson

    Lesson.on_submit = refuse_submit
