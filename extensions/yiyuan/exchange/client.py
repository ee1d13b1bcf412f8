"""A small HTTP client for the yiyuan service, as the learner or trainer whose server it runs in.

It reads ``YIYUAN_SERVICE_URL`` (e.g. ``http://127.0.0.1:8090/services/yiyuan``, set by the
hub's spawner) and ``JUPYTERHUB_API_TOKEN`` (the server's own token, scoped to the service)
from the environment. Every failure becomes a :class:`ServiceError` whose message is Chinese
and can be shown to the user as is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

URL_ENV = "YIYUAN_SERVICE_URL"
TOKEN_ENV = "JUPYTERHUB_API_TOKEN"

#: seconds to wait for the service: listing is quick, uploads of a module may take a while
TIMEOUT = 60
UPLOAD_TIMEOUT = 600


class ServiceError(Exception):
    """The service refused a request or could not be reached (message in Chinese)."""

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class ServiceClient:
    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        url = url if url is not None else os.environ.get(URL_ENV, "")
        token = token if token is not None else os.environ.get(TOKEN_ENV, "")
        if not url:
            raise ServiceError(
                f"没有配置平台服务的地址（环境变量 {URL_ENV}），无法获取或提交单元。请联系服务中心。"
            )
        if not token:
            raise ServiceError(f"没有平台的访问令牌（环境变量 {TOKEN_ENV}）。请重新登录后再试。")
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"
        self.session.headers["Accept"] = "application/json"

    # -- the exchange API -----------------------------------------------------------------
    def assignments(self, course_id: str = "") -> list[dict[str, Any]]:
        return self.get_json("api/exchange/assignments", {"course_id": course_id})["assignments"]

    def release(self, course_id: str, assignment_id: str) -> tuple[bytes, int]:
        """The release archive and its number."""
        response = self._request("GET", _path("api/exchange/release", course_id, assignment_id))
        return response.content, int(response.headers.get("X-Yiyuan-Release", "0") or 0)

    def put_release(self, course_id: str, assignment_id: str, data: bytes) -> dict[str, Any]:
        path = _path("api/exchange/release", course_id, assignment_id)
        return self._request("PUT", path, data=data, upload=True).json()

    def withdraw(self, course_id: str, assignment_id: str) -> dict[str, Any]:
        path = _path("api/exchange/release", course_id, assignment_id)
        return self._request("DELETE", path).json()

    def submit(
        self,
        course_id: str,
        assignment_id: str,
        data: bytes,
        release: int = 0,
        client_timestamp: str = "",
    ) -> dict[str, Any]:
        headers = {}
        if release:
            headers["X-Yiyuan-Release"] = str(release)
        if client_timestamp:
            headers["X-Yiyuan-Client-Timestamp"] = client_timestamp
        path = _path("api/exchange/submissions", course_id, assignment_id)
        return self._request("POST", path, data=data, headers=headers, upload=True).json()

    def opened(self, course_id: str, assignment_id: str) -> dict[str, Any]:
        """Tell the service the learner opened the module (the portal shows 学习中)."""
        path = _path("api/me/modules", course_id, assignment_id) + "/opened"
        return self._request("POST", path).json()

    def submissions(self, course_id: str = "", assignment_id: str = "") -> list[dict[str, Any]]:
        params = {"course_id": course_id, "assignment_id": assignment_id}
        return self.get_json("api/exchange/submissions", params)["submissions"]

    def submission_archive(self, submission_id: int) -> bytes:
        return self._request(
            "GET", f"api/exchange/submissions/{int(submission_id)}/archive"
        ).content

    def put_feedback(self, submission_id: int, data: bytes) -> dict[str, Any]:
        path = f"api/exchange/feedback/{int(submission_id)}"
        return self._request("PUT", path, data=data, upload=True).json()

    def feedback(self, course_id: str = "", assignment_id: str = "") -> list[dict[str, Any]]:
        params = {"course_id": course_id, "assignment_id": assignment_id}
        return self.get_json("api/exchange/feedback", params)["submissions"]

    def feedback_archive(self, submission_id: int) -> bytes:
        return self._request("GET", f"api/exchange/feedback/{int(submission_id)}/archive").content

    # -- plumbing -------------------------------------------------------------------------
    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        params = {key: value for key, value in (params or {}).items() if value}
        return self._request("GET", path, params=params).json()

    def _request(
        self, method: str, path: str, *, upload: bool = False, **kwargs: Any
    ) -> requests.Response:
        if upload:
            headers = kwargs.setdefault("headers", {})
            headers["Content-Type"] = "application/gzip"
        try:
            response = self.session.request(
                method,
                f"{self.url}/{path}",
                timeout=UPLOAD_TIMEOUT if upload else TIMEOUT,
                **kwargs,
            )
        except requests.ConnectionError:
            if upload:
                # the service closes the connection on an upload it refuses half-way
                raise ServiceError(
                    "上传没有完成：连接被平台服务中断。内容可能太大，或服务暂时不可用；请稍后再试，"
                    "如果一直不成功，请联系服务中心。"
                ) from None
            raise ServiceError(
                "无法连接平台服务，请稍后再试；如果一直不成功，请联系服务中心。"
            ) from None
        except requests.Timeout:
            raise ServiceError("平台服务没有及时回应，请稍后再试。") from None
        if response.status_code >= 400:
            raise _error(response)
        return response


def _path(prefix: str, *names: str) -> str:
    # names are checked by the service; quoting keeps a bad one from changing the URL's shape
    return "/".join([prefix, *(quote(name, safe="") for name in names)])


def _error(response: requests.Response) -> ServiceError:
    try:
        body = response.json()
        message = body.get("error") or ""
        code = body.get("code") or ""
    except ValueError:
        message, code = "", ""
    if not message:
        if response.status_code in (401, 403):
            message = "平台服务拒绝了请求：登录已失效或没有权限。请重新登录后再试。"
        elif response.status_code == 413:
            message = "上传的内容太大，已被平台拒收。"
        else:
            message = f"平台服务出错（{response.status_code}），请稍后再试；如果一直不成功，请联系服务中心。"
    return ServiceError(message, response.status_code, code)
