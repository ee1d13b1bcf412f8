"""What a submit attempt led to, and the error a submit handler raises: shared by the submit
button (yiyuan.lesson.submit) and the platform's handler (yiyuan.lesson.platform_submit),
without loading ipywidgets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class SubmitError(Exception):
    """Raised by a platform's ``on_submit`` handler; its (Chinese) message is shown as is."""


@dataclass
class Outcome:
    """What a submit attempt led to: ``ok`` only when the answers were handed over (or
    saved, when there is no handler); ``missing`` lists what the learner still has to do."""

    ok: bool
    message: str
    missing: list[str] = field(default_factory=list)
    #: (text, href): a link shown after the message, opened in a new tab (e.g. the feedback)
    link: tuple[str, str] | None = None
    #: set by the platform after a submission: called in a background thread with a function
    #: that shows a newer outcome (the grading result) in place of this one
    follow: Callable[[Callable[[Outcome], None]], None] | None = field(
        default=None, repr=False, compare=False
    )
