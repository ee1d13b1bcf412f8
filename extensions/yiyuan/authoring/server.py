"""The author page, a server extension of each single-user server: ``{base_url}yiyuan/author/``.

A Chinese page over the trainer's workspace folder ``<root_dir>/courses/`` (layout ``<id>.yml``
+ ``notebooks/<id>/<module>/``): each course with 检查 (the platform's checker, problems inline),
预览 per lesson (the student version, rendered by the learner's Voila and template) and
上传并发布 (to the yiyuan service, which checks and publishes); and a 新建课程 form.

Only trainers and administrators may use it. The server learns its user's platform roles from
the service (``api/me`` with the server's own token, cached for a minute); the service checks
again on upload, so this check only keeps learners from a page that is not for them.

Enabled by ``exchange/jupyter_config/jupyter_server_config.json`` beside the lesson player. Runs
inside single-user servers: imports neither the models nor the database layer at import time,
nor nbgrader (the checker, loaded when a course is checked, pulls in the model classes through
the association names it matches, but never a database connection).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import YiyuanError
from ..exchange.client import ServiceError
from ..exchange.names import BadName, check_id
from . import preview, upload
from .template import new_course

log = logging.getLogger(__name__)

#: the trainer's workspace folder below the server's root_dir
WORKSPACE = "courses"
ALLOWED_ROLES = {"trainer", "administrator"}
#: seconds the roles from ``api/me`` are trusted
ROLES_TTL = 60.0
_roles_cache: dict[str, tuple[float, frozenset[str]]] = {}

STYLE = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  margin: 0; padding: 1.5em 1em; background: #f7f5f0; color: #222; }
main { max-width: 60em; margin: 0 auto; }
h1 { font-size: 1.5em; color: #8c1c13; }
section { background: #fff; padding: 1em 1.5em; margin: 1em 0; border-radius: 8px;
  box-shadow: 0 1px 4px rgba(0,0,0,.1); }
h2 { font-size: 1.2em; margin: .2em 0 .6em; } h2 small { color: #666; font-weight: normal; }
form { display: inline-block; margin: .3em .6em .3em 0; }
button { font-size: 1em; padding: .45em 1em; border-radius: 6px; border: 1px solid #8c1c13;
  background: #8c1c13; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #8c1c13; }
input[type=text] { font-size: 1em; padding: .4em; margin-right: .6em; }
.ok { color: #1b5e20; } .bad { color: #b3261e; } .hint { color: #555; font-size: .95em; }
ul.problems li { color: #b3261e; margin: .2em 0; } pre { white-space: pre-wrap; }
"""


def page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · 艺苑</title><style>{STYLE}</style></head>
<body><main role="main">{body}</main></body></html>"""


def message_page(title: str, message: str) -> str:
    return page(
        title,
        f'<section class="yiyuan-error"><h1>{html.escape(title)}</h1>'
        f"<p>{html.escape(message)}</p></section>",
    )


def course_entries(courses: Path) -> list[dict[str, Any]]:
    """What the page lists of each manifest in the workspace (read leniently: the checker
    says what is wrong)."""
    entries = []
    for path in sorted(courses.glob("*.yml")) if courses.is_dir() else []:
        entry: dict[str, Any] = {"code": path.stem, "title": "", "modules": []}
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None
        if isinstance(data, dict):
            entry["title"] = str(data.get("title") or "")
            for module in data.get("modules") or []:
                if isinstance(module, dict) and module.get("id"):
                    lessons = module.get("lessons") or []
                    entry["modules"].append(
                        {
                            "id": str(module["id"]),
                            "title": str(module.get("title") or ""),
                            "kind": str(module.get("kind") or ""),
                            "lessons": [str(x) for x in lessons if isinstance(x, str)],
                        }
                    )
        entries.append(entry)
    return entries


def check_sources(courses: Path, code: str) -> list[dict[str, str]]:
    """The checker's problems for one course of the workspace ([] when it passes)."""
    from ..courses.check import check_courses
    from ..members.matching import standard_matcher

    # no database here: the usual associations stand in (the service checks with the real ones)
    matcher = standard_matcher(os.environ.get("YIYUAN_CITY", ""))
    (checked,) = check_courses(courses, matcher, [code])
    return [{"file": p.file, "where": p.where, "message": p.message} for p in checked.problems]


def user_roles() -> frozenset[str]:
    """The platform roles of this server's user, from the service (cached)."""
    user = os.environ.get("JUPYTERHUB_USER", "")
    cached = _roles_cache.get(user)
    if cached and time.monotonic() - cached[0] < ROLES_TTL:
        return cached[1]
    roles = frozenset(upload.AuthoringClient().me().get("roles") or [])
    _roles_cache[user] = (time.monotonic(), roles)
    return roles


class AuthorHandler(JupyterHandler):
    """Common to the author page's routes: the permission check and Chinese errors."""

    @property
    def courses_dir(self) -> Path:
        return Path(self.contents_manager.root_dir).expanduser() / WORKSPACE

    def author_url(self, *parts: str) -> str:
        return url_path_join(self.base_url, "yiyuan/author", *(quote(p) for p in parts))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # never a traceback: the details stay in the server's log
        self.finish(
            message_page(
                "出了点问题",
                "课程编写页面出现了意外错误。请稍后再试；如果一直不成功，请联系服务中心。",
            )
        )

    def refuse(self, status: int, title: str, message: str) -> None:
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.finish(message_page(title, message))

    async def may_author(self) -> bool:
        """True for trainers and administrators; otherwise the refusal is already written."""
        try:
            roles = await asyncio.to_thread(user_roles)
        except ServiceError as error:
            if error.status in (401, 403):  # e.g. an account the platform has deactivated
                self.refuse(403, "没有权限", error.message)
            else:
                self.refuse(503, "暂时无法确认您的身份", error.message)
            return False
        if not roles & ALLOWED_ROLES:
            self.refuse(
                403,
                "没有权限",
                "课程编写页面只供教师和管理员使用。如果您是教师，请联系服务中心开通教师权限。",
            )
            return False
        return True

    def form(self, action: str, label: str, css: str = "") -> str:
        cls = f' class="{css}"' if css else ""
        return (
            f'<form method="post" action="{html.escape(action, quote=True)}">'
            f'<input type="hidden" name="_xsrf" value="{html.escape(self.xsrf_token.decode())}">'
            f"<button{cls}>{html.escape(label)}</button></form>"
        )

    def render_list(self, results: dict[str, str] | None = None, notice: str = "") -> None:
        results = results or {}
        sections = []
        for entry in course_entries(self.courses_dir):
            code = entry["code"]
            title = html.escape(entry["title"] or "（标题未填写）")
            lessons = []
            for module in entry["modules"]:
                if module["kind"] != "online":
                    label = html.escape(module["title"] or module["id"])
                    lessons.append(f"<li>{label}（现场教学）</li>")
                    continue
                for lesson in module["lessons"]:
                    href = self.author_url("preview", code, module["id"], lesson)
                    lessons.append(
                        f"<li>{html.escape(module['title'] or module['id'])} · "
                        f'{html.escape(lesson)}：<a href="{html.escape(href, quote=True)}" '
                        f'target="_blank" rel="noopener">预览</a></li>'
                    )
            sections.append(
                f'<section class="course" data-course="{html.escape(code, quote=True)}">'
                f"<h2>{title} <small>{html.escape(code)}</small></h2>"
                f"<ul>{''.join(lessons)}</ul>"
                + self.form(self.author_url("check", code), "检查", "secondary")
                + self.form(self.author_url("publish", code), "上传并发布")
                + results.get(code, "")
                + "</section>"
            )
        if not sections:
            sections.append(
                "<section><p>您的课程文件夹（courses/）里还没有课程。"
                "请用下面的表单新建一门课程。</p></section>"
            )
        new = (
            f'<section class="new"><h2>新建课程</h2>'
            f'<form method="post" action="{html.escape(self.author_url("new"), quote=True)}">'
            f'<input type="hidden" name="_xsrf" value="{html.escape(self.xsrf_token.decode())}">'
            '<label>课程代码 <input type="text" name="code" required pattern="[a-z][a-z0-9-]{2,39}"'
            ' placeholder="如 shufa-rumen"></label>'
            '<label>课程标题 <input type="text" name="title" required placeholder="如 书法入门">'
            "</label><button>新建</button></form>"
            '<p class="hint">课程代码用小写拼音字母、数字和连字符（3–40 个字符），发布后不能再改。'
            "新课程会按模板生成一个线上单元（含各种题型的示例）和一个现场教学单元，"
            "课件在 courses/notebooks/&lt;课程代码&gt;/ 中，用 JupyterLab 打开修改。</p></section>"
        )
        notice_html = f'<section class="notice">{notice}</section>' if notice else ""
        self.set_header("Cache-Control", "no-store")
        self.finish(
            page(
                "课程编写",
                "<h1>课程编写</h1>"
                '<p class="hint">这里列出您的课程文件夹 courses/ 中的课程。'
                "“检查”找出课程清单和课件中的问题；“预览”显示学员将看到的页面；"
                "“上传并发布”把课程交给平台检查并发布给学员。</p>"
                + notice_html
                + "".join(sections)
                + new,
            )
        )


def problems_html(problems: list[dict[str, str]]) -> str:
    items = "".join(
        "<li>"
        + html.escape(p.get("file", ""))
        + (f"（{html.escape(p['where'])}）" if p.get("where") else "")
        + "："
        + html.escape(p.get("message", ""))
        + "</li>"
        for p in problems
    )
    return f'<ul class="problems">{items}</ul>'


class ListHandler(AuthorHandler):
    @web.authenticated
    async def get(self) -> None:
        if await self.may_author():
            self.render_list()


class NewCourseHandler(AuthorHandler):
    @web.authenticated
    async def post(self) -> None:
        if not await self.may_author():
            return
        code = self.get_body_argument("code", "").strip()
        title = self.get_body_argument("title", "").strip()
        trainer = os.environ.get("JUPYTERHUB_USER") or self.current_user.username
        try:
            files = await asyncio.to_thread(new_course, self.courses_dir, code, title, trainer)
        except (YiyuanError, OSError) as error:
            message = str(error) if isinstance(error, YiyuanError) else "课程文件无法写入。"
            self.set_status(400)
            self.render_list(notice=f'<p class="bad result">{html.escape(message)}</p>')
            return
        names = "、".join(str(p.relative_to(self.courses_dir.resolve())) for p in files)
        self.render_list(
            notice=f'<p class="ok result">已新建课程 {html.escape(code)}：{html.escape(names)}。'
            "请在 JupyterLab 中打开课程清单和课件修改，然后点“检查”和“预览”。</p>"
        )


class CheckHandler(AuthorHandler):
    @web.authenticated
    async def post(self, code: str) -> None:
        if not await self.may_author():
            return
        try:
            check_id(code, "课程代码")
        except BadName as error:
            self.refuse(404, "没有找到这门课程", str(error))
            return
        problems = await asyncio.to_thread(check_sources, self.courses_dir, code)
        if problems:
            result = (
                f'<div class="result bad"><p>检查发现 {len(problems)} 个问题：</p>'
                f"{problems_html(problems)}</div>"
            )
        else:
            result = '<p class="result ok">✓ 检查通过，可以预览或上传并发布。</p>'
        self.render_list({code: result})


class PublishHandler(AuthorHandler):
    @web.authenticated
    async def post(self, code: str) -> None:
        if not await self.may_author():
            return
        try:
            check_id(code, "课程代码")
            if not (self.courses_dir / f"{code}.yml").is_file():
                raise BadName(f"课程文件夹中没有 {code}.yml。")
        except BadName as error:
            self.refuse(404, "没有找到这门课程", str(error))
            return
        try:
            data = await asyncio.to_thread(upload.pack_sources, self.courses_dir, code)
            outcome = await asyncio.to_thread(
                lambda: upload.AuthoringClient().upload_sources(code, data)
            )
        except ServiceError as error:
            outcome = {"published": False, "error": error.message, "problems": []}
        except OSError:
            outcome = {"published": False, "error": "课程文件无法读取。", "problems": []}
        if outcome.get("published"):
            # what changed in words (the service's summary), not the command's lines
            items = "".join(f"<li>{html.escape(line)}</li>" for line in outcome.get("items") or [])
            result = (
                '<div class="result ok"><p>✓ 已上传并发布。</p>'
                f"<p>{html.escape(outcome.get('summary') or '')}</p><ul>{items}</ul></div>"
            )
        else:
            self.set_status(400)
            result = (
                f'<div class="result bad"><p>{html.escape(outcome.get("error") or "没有发布。")}</p>'
                f"{problems_html(outcome.get('problems') or [])}</div>"
            )
        self.render_list({code: result})


class PreviewHandler(AuthorHandler):
    @web.authenticated
    async def get(self, code: str, module: str, lesson: str) -> None:
        if not await self.may_author():
            return
        root = Path(self.contents_manager.root_dir).expanduser()
        try:
            folder = await asyncio.to_thread(
                preview.build_preview,
                self.courses_dir,
                root / preview.PREVIEW_DIR,
                code,
                module,
            )
            if lesson.startswith(".") or not (folder / lesson).is_file():
                raise preview.PreviewError(
                    404, "没有找到这篇课件", f"单元 {module} 中没有课件 {lesson}。"
                )
        except preview.PreviewError as error:
            self.refuse(error.status, error.title, error.message)
            return
        except OSError:
            log.exception("preview of %s/%s failed", code, module)
            self.refuse(500, "课件无法预览", "预览文件无法写入您的工作空间，请检查磁盘空间。")
            return
        path = "/".join(quote(p) for p in (preview.PREVIEW_DIR, code, module, lesson))
        self.redirect(url_path_join(self.base_url, "voila/render", path))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "yiyuan.authoring.server"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    web_app = server_app.web_app
    base = url_path_join(web_app.settings["base_url"], "yiyuan/author")
    name = r"([^/]+)"
    web_app.add_handlers(
        ".*$",
        [
            (base + "/?", ListHandler),
            (base + "/new", NewCourseHandler),
            (f"{base}/check/{name}", CheckHandler),
            (f"{base}/publish/{name}", PublishHandler),
            (f"{base}/preview/{name}/{name}/{name}", PreviewHandler),
        ],
    )
