"""The lesson player's entry point, a server extension of each single-user server.

``GET {base_url}yiyuan/open/<course>/<module>`` fetches the module from the yiyuan service the
first time (into ``<root_dir>/<course>/<module>/``, as ``nbgrader fetch_assignment`` would) and
redirects to its first lesson rendered by Voila. A learner never sees a traceback: every
failure is a Chinese page saying what happened and what to do.

Enabled by ``jupyter_config/jupyter_server_config.json``. Runs inside single-user servers:
imports neither the models nor the database layer (nor nbgrader, to keep startup quick).
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .archives import ArchiveError
from .client import URL_ENV, ServiceClient, ServiceError
from .lockdown import LessonAuthorizer, install_gate
from .modulefolder import UNPACK_LIMIT, ModuleRef, unpack_release
from .names import BadName, check_id

log = logging.getLogger(__name__)

PORTAL_PATH = "/services/yiyuan/"


class PlayerError(Exception):
    """A failure to show the learner (title and Chinese explanation)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def first_lesson(folder: Path, module: str) -> str:
    """The notebook to open first: ``<module>.ipynb`` if there is one, else the first by name."""
    notebooks = sorted(p.name for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not notebooks:
        raise PlayerError(404, "本单元没有课件", "这个单元里没有可以打开的课件，请联系任课教师。")
    preferred = f"{module}.ipynb"
    return preferred if preferred in notebooks else notebooks[0]


def fetch_module(
    folder: Path, course: str, module: str, client: ServiceClient | None = None
) -> None:
    """Download the module's release into ``folder`` (absent) with its marker."""
    try:
        client = client or ServiceClient()
        data, release = client.release(course, module)
        unpack_release(data, folder, ModuleRef(course, module, release), UNPACK_LIMIT)
    except ServiceError as error:
        if error.status == 404:
            raise PlayerError(404, "没有找到这个单元", error.message) from None
        if error.status in (401, 403):
            raise PlayerError(403, "无法打开这个单元", error.message) from None
        raise PlayerError(503, "暂时无法获取课件", error.message) from None
    except (ArchiveError, OSError) as error:
        if isinstance(error, OSError) and folder.is_dir():
            return  # opened twice at once: the other request fetched it
        what = (
            "平台发来的课件包无法解开"
            if isinstance(error, ArchiveError)
            else "课件无法保存到您的学习空间"
        )
        message = f"{what}。请稍后再试；如果一直不成功，请联系服务中心。"
        raise PlayerError(500, "课件获取失败", message) from None


def mark_opened(course: str, module: str) -> None:
    """Best effort: the portal shows 学习中 for a module opened and not yet submitted; a
    failure here must never keep the learner from the lesson."""
    try:
        ServiceClient().opened(course, module)
    except Exception:
        log.warning("could not tell the service that %s/%s was opened", course, module)


def portal_url() -> str:
    """The portal's path, as the browser sees it (the service URL's path)."""
    path = urlparse(os.environ.get(URL_ENV, "")).path.rstrip("/")
    return f"{path}/" if path else PORTAL_PATH


def error_page(title: str, message: str) -> str:
    portal = html.escape(portal_url(), quote=True)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · 艺苑</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  margin: 0; padding: 2em 1em; background: #f7f5f0; color: #222; }}
main {{ max-width: 36em; margin: 0 auto; background: #fff; padding: 1.5em 1.5em 2em;
  border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.1); }}
h1 {{ font-size: 1.4em; color: #8c1c13; }}
p {{ line-height: 1.7; font-size: 1.05em; }}
a.back {{ display: inline-block; margin-top: 1em; padding: .6em 1.2em; background: #8c1c13;
  color: #fff; text-decoration: none; border-radius: 6px; }}
</style></head>
<body><main role="main" class="yiyuan-error">
<h1>{html.escape(title)}</h1>
<p>{html.escape(message)}</p>
<p><a class="back" href="{portal}">回到“我的学习”</a></p>
</main></body></html>"""


class OpenModuleHandler(JupyterHandler):
    """Fetch (first time) and open a module's first lesson."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # anything unforeseen: still a Chinese page, the traceback only in the server's log
        self.finish(
            error_page(
                "出了点问题",
                "打开单元时出现了意外错误。请稍后再试；如果一直不成功，请联系服务中心。",
            )
        )

    @web.authenticated
    async def get(self, course: str, module: str) -> None:
        try:
            target = await self._open(course, module)
        except PlayerError as error:
            self.set_status(error.status)
            self.set_header("Cache-Control", "no-store")
            self.finish(error_page(error.title, error.message))
            return
        self.redirect(target)

    async def _open(self, course: str, module: str) -> str:
        try:
            check_id(course, "课程代码")
            check_id(module, "单元代码")
        except BadName as error:
            raise PlayerError(404, "没有找到这个单元", str(error)) from None
        root = Path(self.contents_manager.root_dir).expanduser()
        folder = root / course / module
        if not folder.is_dir():
            # the service call and the unpacking block: keep the server responsive meanwhile
            await asyncio.to_thread(fetch_module, folder, course, module)
        lesson = first_lesson(folder, module)
        await asyncio.to_thread(mark_opened, course, module)
        path = "/".join(quote(part) for part in (course, module, lesson))
        if self.get_argument("lab", ""):  # a module where learners write code (player: jupyterlab)
            return url_path_join(self.base_url, "lab/tree", path)
        return url_path_join(self.base_url, "voila/render", path)


def where_of(courses: list[dict[str, Any]], course: str, module: str) -> str:
    """「课程 · 第 N / M 单元：单元」 from the portal's ``api/me/courses``, as compiled lessons
    head their page (service/lesson_handlers.py); "" when the learner is not in it."""
    found = next((c for c in courses if c.get("code") == course), None)
    codes = [m.get("code") for m in (found or {}).get("modules", [])]
    if module not in codes:
        return ""
    place = codes.index(module)
    title = found["modules"][place].get("title", "")
    return f"{found.get('title', '')} · 第 {place + 1} / {len(codes)} 单元：{title}"


class WhereHandler(JupyterHandler):
    """``{base_url}yiyuan/where/<course>/<module>``: the live lesson's header asks where the
    learner is (the service, behind its own cookie and XSRF rules, is asked by the server with
    its token). Best effort: ``{"where": ""}`` on any failure."""

    @web.authenticated
    async def get(self, course: str, module: str) -> None:
        try:
            data = await asyncio.to_thread(ServiceClient().get_json, "api/me/courses")
            where = where_of(data.get("courses", []), course, module)
        except Exception:
            log.warning("could not ask the service where %s/%s is", course, module)
            where = ""
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"where": where}, ensure_ascii=False))


class PortalHandler(JupyterHandler):
    """``{base_url}yiyuan/portal``: learners' servers start here (``Spawner.default_url``) and
    are sent on to「我的学习」— a learner never lands in JupyterLab."""

    @web.authenticated
    def get(self) -> None:
        self.redirect(portal_url())


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "yiyuan.exchange.player"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    web_app = server_app.web_app
    # Voila loads MathJax from a public CDN unless both are "null": then its bundled typesetter
    # is used (intranet users cannot reach the CDN)
    web_app.settings["mathjax_url"] = "null"
    web_app.settings["mathjax_config"] = "null"
    pattern = url_path_join(web_app.settings["base_url"], r"yiyuan/open/([^/]+)/([^/]+)/?")
    portal = url_path_join(web_app.settings["base_url"], "yiyuan/portal")
    where = url_path_join(web_app.settings["base_url"], r"yiyuan/where/([^/]+)/([^/]+)/?")
    web_app.add_handlers(
        ".*$",
        [(pattern, OpenModuleHandler), (portal, PortalHandler), (where, WhereHandler)],
    )
    if isinstance(server_app.authorizer, LessonAuthorizer):
        # a learner's server: only what playing a lesson needs (yiyuan.exchange.lockdown)
        install_gate(web_app, Path(server_app.root_dir).expanduser())
