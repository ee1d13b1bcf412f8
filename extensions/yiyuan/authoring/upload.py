"""上传并发布 from the trainer's server: pack a course's sources and send them to the service.

The archive holds exactly what the service accepts: ``<code>.yml`` and ``notebooks/<code>/``,
without the trainer's own answer files, checkpoints and hidden files.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import requests

from ..exchange import archives
from ..exchange.client import UPLOAD_TIMEOUT, ServiceClient, ServiceError
from ..exchange.names import check_id

#: left out of an upload (the trainer's answers while trying a lesson, editor leftovers)
EXCLUDED = ("answers.json", "answers.json.bad-*", ".*")


def pack_sources(courses: Path, code: str) -> bytes:
    """``<code>.yml`` and ``notebooks/<code>/`` below ``courses`` as tar.gz bytes."""
    check_id(code, "课程代码")
    manifest = f"{code}.yml"
    notebooks = PurePosixPath("notebooks", code)

    def exclude(path: PurePosixPath) -> bool:
        if str(path) == manifest:
            return False
        if path.parts[:2] != notebooks.parts:
            return True
        return any(fnmatch.fnmatch(part, p) for part in path.parts for p in EXCLUDED)

    return archives.pack(Path(courses), exclude=exclude)


class AuthoringClient(ServiceClient):
    """The service client with the authoring call: its answer carries the checker's
    problems, which the generic error handling would drop."""

    def upload_sources(self, code: str, data: bytes) -> dict[str, Any]:
        """The publish outcome (``published``, ``lines`` or ``error`` + ``problems``);
        ServiceError when the service refuses otherwise or cannot be reached."""
        url = f"{self.url}/api/authoring/courses/{quote(code, safe='')}/sources"
        try:
            response = self.session.post(
                url,
                data=data,
                headers={"Content-Type": "application/gzip"},
                timeout=UPLOAD_TIMEOUT,
            )
        except requests.ConnectionError:
            raise ServiceError(
                "上传没有完成：连接被平台服务中断。课件可能太大，或服务暂时不可用；请稍后再试。"
            ) from None
        except requests.Timeout:
            raise ServiceError("平台服务没有及时回应，请稍后再试。") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code in (200, 201) or (
            response.status_code == 400 and "problems" in body
        ):
            return body
        message = body.get("error") or (
            "上传的课件太大，已被平台拒收。"
            if response.status_code == 413
            else f"平台服务出错（{response.status_code}），请稍后再试。"
        )
        raise ServiceError(message, response.status_code, body.get("code", ""))

    def me(self) -> dict[str, Any]:
        return self.get_json("api/me")
