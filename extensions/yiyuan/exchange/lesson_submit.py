"""The lesson's submit button, on the platform: pack the module folder and submit it through
the yiyuan service, as the learner whose kernel this is.

``Lesson`` uses :func:`submit_handler` by itself when ``YIYUAN_SERVICE_URL`` is set (the hub's
spawner sets it); the module folder is the lesson notebook's folder,
``<home>/<course>/<module>/``, as fetched by the exchange.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .client import URL_ENV, ServiceClient, ServiceError
from .modulefolder import BadName, module_of, pack_module

SUCCESS = "提交成功，正在评分……"
UNKNOWN_MODULE = (
    "无法确定本课属于哪门课程的哪个单元：请从“我的课程”重新打开本单元后再提交；"
    "如果一直这样，请联系服务中心。"
)


def platform_enabled() -> bool:
    return bool(os.environ.get(URL_ENV))


def submit_folder(folder: str | os.PathLike, client: ServiceClient | None = None) -> dict:
    """Submit the module in ``folder``; returns the service's answer (id, timestamp …).

    Raises ``SubmitError`` (yiyuan.lesson) with a Chinese message when it cannot.
    """
    from ..lesson.submit import SubmitError  # the lesson package is the caller

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
    saved in its ``answers.json``, which is submitted with the notebooks)."""

    def handler(_answers: dict) -> str:
        submit_folder(folder)
        return SUCCESS

    return handler
