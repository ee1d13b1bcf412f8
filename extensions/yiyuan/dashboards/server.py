"""The dashboards service: standalone Voila over ``dashboards.dir``, started by the hub.

Why standalone Voila and not Voila inside ``jupyterhub-singleuser``: the latter hands every
viewer JupyterLab, terminals and the contents API as well. Standalone Voila serves rendered
notebooks and only what their widgets need (kernel websockets; no kernel list, contents or
terminals).

Who may look: JupyterHub's own ``JupyterHubIdentityProvider`` does the hub OAuth and refuses
(403) anyone without ``access:services!service=dashboards`` (administrators, trainers and
managers: ``hub_config/roles.py``). What they see: the prelaunch hook resolves the viewer's
report scope from the platform database — refusing learners and trainers without a course
before any kernel starts — and puts a first cell into the notebook that binds the viewer in
the kernel (``yiyuan.dashboards.context``), which the report layer then scopes by.

How many kernels: ``yiyuan.dashboards.kernels`` (warm kernels claimed by a view, one per
viewer and dashboard, shut down soon after their page, a cap answered with a Chinese 503).
What the viewer sees first: the page's first table drawn by the service itself
(``yiyuan.dashboards.previews``) while the kernel runs the notebook; the page's templates are
compiled once (``yiyuan.dashboards.exporter``), and kernels start once the pages being served
have sent their first table (``DashboardsKernelManager.head_sent``). A kernel's websocket,
model and shutdown are refused to anyone but the viewer it was claimed for.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async
from jupyter_server.utils import url_path_join
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider
from tornado import web
from tornado.ioloop import IOLoop
from traitlets.config import Config

from ..errors import SettingsError
from ..reports.scope import ReportAccessDenied, viewer_scope
from ..settings import Settings
from . import SERVICE_NAME, TEMPLATE, template_path
from .kernels import DashboardsKernelManager, Owner, current_claim
from .previews import SharedPreviews, page_of, viewer_scope_of
from .readonly import dashboards_db_url, read_only_session
from .stall import until_stalled

log = logging.getLogger(__name__)

#: how often idle kernels are looked for, in seconds (at most the idle timeout itself)
CULL_INTERVAL = 60
#: environment variables the kernels must not inherit (Voila gives kernels os.environ)
SECRET_ENV = ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN")
#: seconds the busy page asks the browser to wait before trying again
RETRY_AFTER = 30
#: notebook metadata key under which the hook hands the template the first table's HTML
PREVIEW_KEY = "yiyuan_preview"
#: the element Voila's page opens right after the loading area (with the first table): once it
#: is sent, the page's kernel may start (``DashboardsKernelManager.head_sent``)
AFTER_LOADING_AREA = 'id="rendered_cells"'

Hook = Callable[[web.RequestHandler, nbformat.NotebookNode, str], nbformat.NotebookNode]


class DashboardsIdentityProvider(JupyterHubIdentityProvider):
    """Hub OAuth for standalone Voila.

    Voila registers the identity provider's handlers as they come, without its ``base_url``;
    the hub sends the OAuth callback to ``<service prefix>oauth_callback``, so mount them there.
    """

    def get_handlers(self) -> list[tuple[Any, ...]]:
        base_url = getattr(self.parent, "base_url", "/")
        return [(url_path_join(base_url, path), *rest) for path, *rest in super().get_handlers()]


def not_found_handler() -> type:
    """A last route: unknown paths (``/lab``, ``/tree``, ``/api/contents``…) get the Chinese
    404 page of the template instead of tornado's bare English one."""
    from voila.handler import BaseVoilaHandler

    class NotFound(BaseVoilaHandler):
        async def get(self, path: str = "") -> None:
            raise web.HTTPError(404)

    return NotFound


def binding_cell(username: str) -> nbformat.NotebookNode:
    """The first cell of every dashboard: binds the viewer in the kernel."""
    source = f"import yiyuan.dashboards.context as _c; _c.bind({json.dumps(username)})"
    return nbformat.v4.new_code_cell(source, metadata={"yiyuan": {"binding": True}})


def make_prelaunch_hook(db_url: str) -> Hook:
    """Voila's ``prelaunch_hook``: refuse viewers without a report scope, bind the others (and
    hand the template the first table the render handler drew, if any)."""

    def prelaunch_hook(
        handler: web.RequestHandler, notebook: nbformat.NotebookNode, cwd: str
    ) -> nbformat.NotebookNode:
        user = handler.current_user
        username = getattr(user, "username", "") if user else ""
        if not username:
            raise web.HTTPError(403, "no hub user")
        try:
            with read_only_session(db_url) as session:
                viewer_scope(session, username)
        except ReportAccessDenied as refusal:
            # raised before Voila starts the kernel: nothing runs for this viewer
            log.info("dashboards: %s refused: %s", username, refusal)
            raise web.HTTPError(403, str(refusal)) from None
        # a copy: the notebook Voila read stays as it was
        bound = nbformat.from_dict(notebook)
        bound.cells.insert(0, binding_cell(username))
        bound.metadata[PREVIEW_KEY] = getattr(handler, "yiyuan_preview", "")
        return bound

    return prelaunch_hook


def viewer_name(handler: web.RequestHandler) -> str:
    user = handler.current_user
    return getattr(user, "username", "") if user else ""


def render_handler(db_url: str) -> type:
    """Voila's page handler, with a place under the cap claimed first and the first table."""
    from voila.tornado.handler import TornadoVoilaHandler

    previews = SharedPreviews(db_url)

    class DashboardHandler(TornadoVoilaHandler):
        yiyuan_preview = ""
        _claim = None
        _head_written = False

        @web.authenticated
        async def get(self, path: str | None = None) -> None:
            username = viewer_name(self)
            if not username:
                raise web.HTTPError(403, "no hub user")
            notebook = (path or "").strip("/")
            page = await self._page(notebook)
            try:
                # off the event loop: ten viewers arrive at once
                scope = await asyncio.to_thread(viewer_scope_of, db_url, username)
            except ReportAccessDenied as refusal:
                log.info("dashboards: %s refused: %s", username, refusal)
                raise web.HTTPError(403, str(refusal)) from None
            try:
                self.yiyuan_preview = await previews.html(scope, page)
            except Exception:
                # the page still opens: its kernel draws the same table a little later
                log.exception("dashboards: the first table of %s for %s failed", notebook, username)
                self.yiyuan_preview = ""
            manager: DashboardsKernelManager = self.kernel_manager
            claim = manager.reserve(Owner(username, notebook))  # Busy → 503
            self._claim = claim
            token = current_claim.set(claim)
            try:
                await super().get(path)
            finally:
                current_claim.reset(token)
                manager.release(claim)
                if claim.kernel_id is not None and manager.owner(claim.kernel_id):
                    manager.served(claim.kernel_id)

        def get_generator(self, *args: Any, **kwargs: Any):
            # Voila's page never ends when its kernel fails to start: end it ourselves
            return until_stalled(super().get_generator(*args, **kwargs), self._stalled)

        def _stalled(self) -> None:
            claim = self._claim
            if claim is not None and claim.kernel_id is not None:
                self.kernel_manager.stalled(claim.kernel_id)

        def write(self, chunk: Any) -> None:
            if not self._head_written and isinstance(chunk, str) and AFTER_LOADING_AREA in chunk:
                self._head_written = True
            super().write(chunk)

        def flush(self, *args: Any, **kwargs: Any):
            sent = super().flush(*args, **kwargs)
            if self._head_written and self._claim is not None:
                self.kernel_manager.head_sent(self._claim)
            return sent

        async def _page(self, notebook: str) -> str:
            try:
                model = await ensure_async(self.contents_manager.get(path=notebook))
            except web.HTTPError:
                return ""  # Voila answers 404 for it
            content = model.get("content") if model.get("type") == "notebook" else None
            return page_of(content.metadata) if content is not None else ""

        def write_error(self, status_code: int, **kwargs: Any) -> None:
            if status_code == 503:
                self.set_header("Retry-After", str(RETRY_AFTER))
            super().write_error(status_code, **kwargs)

    return DashboardHandler


def _owned_by_viewer(handler: web.RequestHandler, kernel_id: str) -> None:
    """403 unless the kernel was claimed for the hub user making this request."""
    owner = handler.kernel_manager.owner(kernel_id)
    if owner is None or owner.viewer != viewer_name(handler):
        raise web.HTTPError(403, "not this viewer's kernel")


def kernel_handlers() -> dict[type, type]:
    """Voila's kernel routes (websocket, model, shutdown on page close), each refusing a
    kernel that is not the viewer's own: a kernel id is no key to someone else's view."""
    from jupyter_server.services.kernels.handlers import KernelHandler
    from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
    from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

    class OwnKernelWebsocket(VoilaKernelWebsocketHandler):
        async def pre_get(self) -> None:
            _owned_by_viewer(self, self.kernel_id)
            await super().pre_get()

        def write_error(self, status_code: int, **kwargs: Any) -> None:
            # jupyter_server's HTML error page needs a static_path Voila does not set
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(str(status_code))

    class OwnKernel(KernelHandler):
        async def prepare(self) -> None:
            await ensure_async(super().prepare())
            if self.current_user and self.path_kwargs.get("kernel_id"):
                _owned_by_viewer(self, self.path_kwargs["kernel_id"])

    class OwnKernelShutdown(VoilaShutdownKernelHandler):
        async def prepare(self) -> None:
            await ensure_async(super().prepare())
            if self.current_user and self.path_args:
                _owned_by_viewer(self, self.path_args[0])

    return {
        VoilaKernelWebsocketHandler: OwnKernelWebsocket,
        KernelHandler: OwnKernel,
        VoilaShutdownKernelHandler: OwnKernelShutdown,
    }


def service_prefix(environ: Mapping[str, str]) -> str:
    """The URL prefix the hub gives the service (``/services/dashboards/``)."""
    prefix = environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{SERVICE_NAME}/")
    return prefix if prefix.endswith("/") else prefix + "/"


def voila_config(settings: Settings, base_url: str, hook: Hook) -> Config:
    """The whole Voila configuration (no config files are read)."""
    dashboards = settings.dashboards
    c = Config()
    c.Voila.config_file_paths = []
    c.Voila.root_dir = str(dashboards.dir)
    c.Voila.base_url = base_url
    # loopback behind the hub's proxy; in a pod of its own (dashboards.external_url, Kubernetes)
    # the hub's proxy reaches it through a Service, on the pod's address
    c.Voila.ip = "0.0.0.0" if dashboards.external_url else "127.0.0.1"
    c.Voila.port = dashboards.port
    # the hub proxies exactly this port: never drift to another one
    c.Voila.port_retries = 0
    c.Voila.open_browser = False
    c.Voila.identity_provider_class = DashboardsIdentityProvider
    c.VoilaConfiguration.template = TEMPLATE
    c.VoilaConfiguration.theme = "light"
    c.VoilaConfiguration.allow_template_override = "NO"
    c.VoilaConfiguration.allow_theme_override = "NO"
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.classic_tree = True  # our Chinese list, not the English tree app
    # voila/files/ is a static handler without login: serve nothing from the folder
    c.VoilaConfiguration.file_allowlist = []
    # the hook needs the viewer's request; Voila's preheated kernels run the notebook before
    # there is one. Ours (DashboardsKernelManager.pool_size) only import, and are claimed.
    c.VoilaConfiguration.preheat_kernel = False
    c.VoilaConfiguration.prelaunch_hook = hook
    c.VoilaConfiguration.multi_kernel_manager_class = DashboardsKernelManager
    c.DashboardsKernelManager.pool_size = dashboards.warm_kernels
    c.DashboardsKernelManager.max_kernels = dashboards.max_kernels
    c.DashboardsKernelManager.close_grace = float(dashboards.kernel_close_grace)
    c.DashboardsKernelManager.connect_timeout = float(dashboards.kernel_connect_timeout)
    # each view is a kernel of its own (~135 MB): shut it down when nobody uses it, even with
    # the tab still open (reloading the page starts a fresh one)
    c.MappingKernelManager.cull_idle_timeout = dashboards.kernel_idle_timeout
    c.MappingKernelManager.cull_interval = max(
        1, min(CULL_INTERVAL, dashboards.kernel_idle_timeout)
    )
    c.MappingKernelManager.cull_connected = True
    # a dashboard kernel holds nothing to save: when the service stops (and the hub waits for
    # it), kernels get 1 s to end before they are killed, not 5
    c.KernelManager.shutdown_wait_time = 1.0
    return c


def run(settings: Settings) -> None:
    """Serve the dashboards until the hub stops the service (SIGTERM)."""
    from voila.app import Voila  # heavy: only when serving
    from voila.tornado.contentshandler import VoilaContentsHandler

    from . import exporter

    exporter.install()  # the pages' templates compiled once, not once per page

    db_url = dashboards_db_url(settings)
    replaced = kernel_handlers()

    class DashboardsVoila(Voila):
        def init_settings(self) -> dict:
            settings = super().init_settings()
            # warm kernels start once the event loop runs (Voila starts it in listen())
            IOLoop.current().add_callback(self.kernel_manager.fill)
            return settings

        def init_handlers(self) -> list:
            from voila.tornado.handler import TornadoVoilaHandler

            pages = render_handler(db_url)
            kept = []
            for route in super().init_handlers():
                if route[1] is VoilaContentsHandler:
                    continue  # the contents API of Voila's JavaScript tree: ours is HTML
                if route[1] is TornadoVoilaHandler:
                    route = (route[0], pages, *route[2:])
                elif route[1] in replaced:
                    route = (route[0], replaced[route[1]], *route[2:])
                kept.append(route)
            return [
                *kept,
                (
                    url_path_join(self.base_url, r"/(.*)"),
                    not_found_handler(),
                    {"voila_configuration": self.voila_configuration},
                ),
            ]

    folder = Path(settings.dashboards.dir)
    if not folder.is_dir():
        raise SettingsError(
            f"统计报表目录 {folder} 不存在：请检查配置项 dashboards.dir，或创建该目录。"
        )
    # Voila looks for templates on the Jupyter data path, read when it starts
    existing = os.environ.get("JUPYTER_PATH", "")
    os.environ["JUPYTER_PATH"] = template_path() + (os.pathsep + existing if existing else "")
    c = voila_config(settings, service_prefix(os.environ), make_prelaunch_hook(db_url))
    # the service's hub token is for the OAuth client only; kernels get os.environ
    token = ""
    for name in SECRET_ENV:
        token = os.environ.pop(name, "") or token
    c.HubOAuth.api_token = token
    app = DashboardsVoila(config=c)
    app.initialize([])
    app.start()
