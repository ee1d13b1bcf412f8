"""The lesson's submit button, on the platform: pack the module folder and submit it through
the yiyuan service, as the learner whose kernel this is.

``Lesson`` uses :func:`submit_handler` by itself when ``YIYUAN_SERVICE_URL`` is set (the hub's
spawner sets it); the module folder is the lesson notebook's folder,
``<home>/<course>/<module>/``, as fetched by the exchange.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..exchange.client import URL_ENV, ServiceClient, ServiceError
from ..exchange.modulefolder import BadName, module_of, pack_module
from .outcome import Outcome, SubmitError

SUCCESS = "提交成功，正在评分……"
AWAITING_TRAINER = "已提交，学习心得待教师评阅。"
STILL_GRADING = "评分还没有完成，请稍后在“我的学习”查看结果。"
FEEDBACK_LINK = "查看评分反馈"
BEST_COUNTS = "本次提交已评分{score}。本单元已经通过，成绩按您最好的一次计算。"
#: how long, and how often, the lesson asks the service for the grading result
POLL_SECONDS = 180.0
POLL_INTERVAL = 1.0
UNKNOWN_MODULE = (
    "无法确定本课属于哪门课程的哪个单元：请从“我的课程”重新打开本单元后再提交；"
    "如果一直这样，请联系服务中心。"
)


def platform_enabled() -> bool:
    return bool(os.environ.get(URL_ENV))


def submit_folder(folder: str | os.PathLike, client: ServiceClient | None = None) -> dict:
    """Submit the module in ``folder``; returns the service's answer (id, timestamp …).

    Raises ``SubmitError`` with a Chinese message when it cannot.
    """

    try:
        ref = module_of(Path(folder))
    except BadName:
        raise SubmitError(UNKNOWN_MODULE) from None
    try:
        data = pack_module(Path(folder))
        client = client or ServiceClient()
        return client.submit(ref.course_id, ref.assignment_id, data, release=ref.release)
    except ServiceError as error:
        raise SubmitError(f"提交没有成功：{error.message}") from None


def submit_handler(folder: str | os.PathLike) -> Callable[[dict], Any]:
    """A ``Lesson.on_submit`` handler for the module in ``folder`` (the answers are already
    saved in its ``answers.json``, which is submitted with the notebooks). Its outcome follows
    the grading: the message under the button changes to the result when there is one."""

    def handler(_answers: dict) -> Any:
        client = ServiceClient()
        submitted = submit_folder(folder, client)
        submission_id = submitted.get("id")
        # late work the course's policy took: say so with the receipt
        said = " ".join(filter(None, [SUCCESS, submitted.get("late_message")]))
        if not isinstance(submission_id, int):
            return said

        def follow(show: Callable[[Outcome], None]) -> None:
            follow_submission(client, submission_id, show)

        return Outcome(True, said, follow=follow)

    return handler


def follow_submission(
    client: ServiceClient,
    submission_id: int,
    show: Callable[[Any], None],
    seconds: float = POLL_SECONDS,
    interval: float = POLL_INTERVAL,
) -> None:
    """Ask the service for the submission's state until it is final (passed, failed, grading
    failed) or ``seconds`` are over, showing each new outcome."""

    deadline = time.monotonic() + seconds
    shown = None
    while True:
        try:
            state = client.get_json(f"api/submissions/{int(submission_id)}")
        except ServiceError:
            state = None  # a hiccup of the service: ask again
        outcome, final = (None, False) if state is None else result_outcome(state, client.url)
        if outcome is not None and outcome != shown:
            show(outcome)
            shown = outcome
        if final:
            return
        if time.monotonic() + interval > deadline:
            if shown is None:
                show(Outcome(True, STILL_GRADING))
            return
        time.sleep(interval)


def result_outcome(state: dict, service_url: str) -> tuple[Any, bool]:
    """What to show for the service's ``api/submissions/<id>`` answer, and whether it is final
    (None: nothing new to show yet)."""

    grading = state.get("grading") or ""
    if grading == "failed":
        error = state.get("grading_error") or "平台没能为本次提交评分。"
        return Outcome(False, f"评分失败：{error}请联系任课教师或服务中心。"), True
    result = state.get("result") or {}
    grade = state.get("grade") or {}
    if grading != "done" or not result:
        return None, False
    link = _feedback_link(service_url, state.get("id"))
    if not result.get("latest", True):
        # the module's result rests on another submission (an earlier, better one, or a newer
        # one): this one is graded all the same, and says so
        own = _score_text({}, grade)
        if result.get("status") == "passed":
            return Outcome(True, f"{BEST_COUNTS.format(score=own)}", link=link), True
        return Outcome(True, f"本次提交已评分{own}。", link=link), True
    status = result.get("status")
    score = _score_text(result, grade)
    if status == "passed":
        return Outcome(True, f"已通过{score}。", link=link), True
    if status == "failed":
        message = f"未通过{score}：请查看反馈，修改后可以重新提交。"
        return Outcome(False, message, link=link), True
    if grade.get("needs_manual"):
        # not final: the trainer's grade may come while the page is open
        return Outcome(True, AWAITING_TRAINER, link=link), False
    return None, False


def _score_text(result: dict, grade: dict) -> str:
    score = result.get("score")
    if score is None:
        # this submission's own score, late penalty included (the service computes it)
        score = grade.get("score")
    if score is None:
        return ""
    # whole percent, as the portal, the feedback page and the messages show it
    return f"（{grade.get('score_name') or '测验得分'} {round(float(score))}%）"


def _feedback_link(service_url: str, submission_id: Any) -> tuple[str, str] | None:
    if not isinstance(submission_id, int):
        return None
    # the browser reaches the service through the hub's proxy, at the same path; the page
    # (「学习反馈」) names each question and the teacher's comment
    path = urlparse(service_url).path.rstrip("/")
    return FEEDBACK_LINK, f"{path}/feedback/{submission_id}"
