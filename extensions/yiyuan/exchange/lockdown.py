"""Learners' single-user servers, locked down to playing lessons.

A learner's server exists only to play live lessons (Voila over a fetched module folder). The
hub starts it with ``--ServerApp.authorizer_class`` naming :class:`LessonAuthorizer` and
``--ServerApp.kernel_manager_class`` naming :class:`LessonKernelManager`
(``yiyuan.hub.learnerservers``); trainers' and administrators' servers keep the stock classes
and full JupyterLab.

Two layers, because jupyter-server consults its ``Authorizer`` only in handlers decorated with
``@authorized`` (contents, kernels, sessions, terminals, nbconvert, files, kernelspecs, config,
events…), while JupyterLab's and the notebook app's pages, Voila's tree and its contents API
never ask it:

- :class:`LessonAuthorizer` answers every resource check: only the websocket and the model of
  a kernel this server runs (Voila's, the only way a kernel starts here) and files inside
  module folders;
- :func:`install_gate`, called by the player extension when the server runs that authorizer,
  puts an allow-list in front of every route: what playing a lesson needs passes, anything
  else (``/lab``, ``/tree``, ``/notebooks``, ``/terminals``, ``/api/contents``, ``/voila/tree``,
  routes of extensions installed later…) gets :func:`deny`.

A denied page is a Chinese page linking to「我的学习」; a denied API call is 403 JSON with a
Chinese message. :class:`LessonKernelManager` lets the browser send only the widget messages
Voila's own standalone app allows, keeps one live lesson kernel per learner, and shuts a kernel
down soon after its page has gone.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.base.handlers import APIHandler
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
from tornado import web
from tornado.httputil import HTTPServerRequest
from tornado.routing import Matcher, Rule
from traitlets import Integer, default

from .modulefolder import MARKER
from .names import ID_PATTERN

#: shown to a learner for any page of their server that is not a lesson
DENIED_TITLE = "这里只能学习课件"
DENIED_PAGE = (
    "您的学习环境只用来打开课程里的课件，不提供编程工具、终端或文件管理。"
    "请回到“我的学习”，从课程里打开要学习的单元。"
)
#: the JSON ``message`` of a denied API call
DENIED_API = "学员的学习环境只能打开课件，不能使用这个接口。"

#: kernel messages a lesson page may send: the widgets' comms (what Voila's standalone app
#: allows, ``voila.app``); never ``execute_request``, so the page cannot run code of its own
LESSON_MESSAGES = [
    "comm_open",
    "comm_close",
    "comm_msg",
    "comm_info_request",
    "kernel_info_request",
    "shutdown_request",
]


def deny(handler: web.RequestHandler) -> None:
    """Finish ``handler`` with 403: JSON for API calls, else the Chinese page."""
    from .player import error_page  # the player's page look; imported late (player imports us)

    handler.clear()
    handler.set_status(403)
    handler.set_header("Cache-Control", "no-store")
    if _is_api(handler):
        handler.set_header("Content-Type", "application/json; charset=UTF-8")
        handler.finish(json.dumps({"message": DENIED_API}, ensure_ascii=False))
    else:
        handler.set_header("Content-Type", "text/html; charset=UTF-8")
        handler.finish(error_page(DENIED_TITLE, DENIED_PAGE))


def _is_api(handler: web.RequestHandler) -> bool:
    if isinstance(handler, APIHandler):
        return True
    path = handler.request.path
    base = handler.settings.get("base_url", "/")
    rest = path[len(base) :] if path.startswith(base) else path.lstrip("/")
    return (
        rest.startswith("api/")
        or "/api/" in rest
        or "application/json" in (handler.request.headers.get("Accept", ""))
    )


class DeniedHandler(web.RequestHandler):
    """Whatever the gate stops (any method)."""

    def prepare(self) -> None:
        deny(self)


def module_file(root: Path, relative: str) -> bool:
    """``relative`` (URL-decoded, below the server's root) lies inside a module folder:
    ``<course>/<module>/…`` whose folder holds the player's marker."""
    parts = relative.split("/")
    if len(parts) < 3 or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return False
    course, module = parts[0], parts[1]
    if not (ID_PATTERN.match(course) and ID_PATTERN.match(module)):
        return False
    return (root / course / module / MARKER).is_file()


_KERNEL = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#: routes (below base_url) a learner's server serves to anyone; the player's, Voila's assets,
#: jupyter-server's static files, the hub's OAuth callback and logout, the kernel websocket
_OPEN = re.compile(
    r"(?:"
    r"|yiyuan/(?:open|where)/[^/]+/[^/]+/?|yiyuan/portal"
    r"|voila/(?:static|templates|labextensions|api/themes)/.*"
    rf"|voila/api/shutdown/{_KERNEL}"
    rf"|api/kernels/{_KERNEL}(?:/channels)?"
    r"|static/.*|favicon\.ico|oauth_callback|logout|api"
    r")"
)
#: routes serving a file of the server's root: allowed inside module folders only
_IN_MODULE = re.compile(r"(?:voila/render|voila/files|files)/(.+)")


def allowed_path(path: str, base_url: str, root: Path) -> bool:
    """What the gate lets through (``path`` as requested, with ``base_url``)."""
    if not path.startswith(base_url):
        return True  # not this server's (never routed here behind the hub)
    rest = path[len(base_url) :]
    if _OPEN.fullmatch(rest):
        return True
    found = _IN_MODULE.fullmatch(rest)
    if not found:
        return False
    relative = unquote(found.group(1))
    if rest.startswith("voila/render/") and not relative.endswith(".ipynb"):
        return False
    return module_file(root, relative)


class _Denied(Matcher):
    """Matches the requests the gate stops: the router then serves them with DeniedHandler;
    for any other request it matches nothing and routing goes on as usual."""

    def __init__(self, base_url: str, root: Path) -> None:
        self.base_url, self.root = base_url, root

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        return None if allowed_path(request.path, self.base_url, self.root) else {}


def install_gate(web_app: web.Application, root: Path) -> None:
    """Put the allow-list in front of every route of ``web_app``, including routes added
    after this call (extensions add theirs behind it)."""
    rule = Rule(_Denied(web_app.settings["base_url"], root), DeniedHandler)
    web_app.default_router.rules.insert(0, rule)


class LessonAuthorizer(Authorizer):
    """``ServerApp.authorizer_class`` of learners' servers (jupyter-server's resource check)."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        if resource == "kernels" and isinstance(handler, KernelWebsocketHandler | KernelHandler):
            # a lesson's kernel (only Voila starts kernels here): its websocket, and its model,
            # which the page reads when it connects; never a restart, interrupt or delete
            kernel_id = handler.path_kwargs.get("kernel_id", "")
            websocket = isinstance(handler, KernelWebsocketHandler)
            if kernel_id in handler.kernel_manager and (websocket or action == "read"):
                return True
        elif resource in ("files", "contents") and action == "read" and not _is_api(handler):
            # /files/… (jupyter-server serves it as "contents", read): a lesson's picture
            root = Path(handler.contents_manager.root_dir).expanduser()
            relative = unquote(handler.path_args[0] if handler.path_args else "")
            if module_file(root, relative.strip("/")):
                return True
        if getattr(handler, "auth_resource", None) != resource:
            return False  # a question (e.g. which permissions to show), not the request's check
        self.log.info(
            "learner's server refused %s on %s: %s", action, resource, handler.request.path
        )
        deny(handler)
        raise web.Finish()


class LessonKernelManager(AsyncMappingKernelManager):
    """``ServerApp.kernel_manager_class`` of learners' servers.

    - the browser may send only widget messages (``LESSON_MESSAGES``);
    - one live lesson at a time: when a lesson's kernel has started, the learner's earlier
      kernels are shut down (opening another lesson frees the last one at once);
    - a kernel nobody is connected to is culled ``cull_idle_timeout`` seconds after its last
      activity (set by the hub from the settings; stock jupyter-server never culls), except
      that a page that has not connected yet gets ``connect_grace`` seconds from the start.
    """

    connect_grace = Integer(
        120,
        config=True,
        help="""Seconds a new lesson kernel waits for its page to connect before it may be
        culled (a slow phone downloading Voila's scripts). Default 120.""",
    )

    @default("allowed_message_types")
    def _lesson_messages(self) -> list[str]:
        return list(LESSON_MESSAGES)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._order = itertools.count()
        #: kernel id → (order of start, time.monotonic() at start)
        self._started: dict[str, tuple[int, float]] = {}
        self._connected_once: set[str] = set()

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        kernel_id = await super().start_kernel(*args, **kwargs)
        mine = next(self._order)
        self._started[kernel_id] = (mine, time.monotonic())
        for other, (order, _) in list(self._started.items()):
            if order < mine and other in self:
                self.log.info("another lesson opened: shutting down kernel %s", other)
                await self.shutdown_kernel(other)
        return kernel_id

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
        self._started.pop(kernel_id, None)
        self._connected_once.discard(kernel_id)
        await super().shutdown_kernel(kernel_id, *args, **kwargs)

    def notify_connect(self, kernel_id: str) -> None:
        self._connected_once.add(kernel_id)
        super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        if kernel_id not in self._connected_once and kernel_id in self._started:
            if time.monotonic() - self._started[kernel_id][1] < self.connect_grace:
                return  # its page may still be loading
        await super().cull_kernel_if_idle(kernel_id)
