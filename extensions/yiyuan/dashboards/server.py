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
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
from jupyter_server.utils import url_path_join
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider
from tornado import web
from traitlets.config import Config

from ..errors import SettingsError
from ..reports.scope import ReportAccessDenied, viewer_scope
from ..settings import Settings
from . import SERVICE_NAME, TEMPLATE, template_path
from .readonly import dashboards_db_url, read_only_session

log = logging.getLogger(__name__)

#: how often idle kernels are looked for, in seconds (at most the idle timeout itself)
CULL_INTERVAL = 60
#: environment variables the kernels must not inherit (Voila gives kernels os.environ)
SECRET_ENV = ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN")

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
    """Voila's ``prelaunch_hook``: refuse viewers without a report scope, bind the others."""

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
        return bound

    return prelaunch_hook


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
    c.Voila.ip = "127.0.0.1"
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
    # the hook needs the viewer's request; a preheated kernel would start before there is one
    c.VoilaConfiguration.preheat_kernel = False
    c.VoilaConfiguration.prelaunch_hook = hook
    # each view is a kernel of its own (~135 MB): shut it down when nobody uses it, even with
    # the tab still open (reloading the page starts a fresh one)
    c.MappingKernelManager.cull_idle_timeout = dashboards.kernel_idle_timeout
    c.MappingKernelManager.cull_interval = max(
        1, min(CULL_INTERVAL, dashboards.kernel_idle_timeout)
    )
    c.MappingKernelManager.cull_connected = True
    return c


def run(settings: Settings) -> None:
    """Serve the dashboards until the hub stops the service (SIGTERM)."""
    from voila.app import Voila  # heavy: only when serving
    from voila.tornado.contentshandler import VoilaContentsHandler

    class DashboardsVoila(Voila):
        def init_handlers(self) -> list:
            # the contents API of Voila's JavaScript tree page: our list is server-rendered
            kept = [h for h in super().init_handlers() if h[1] is not VoilaContentsHandler]
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
    c = voila_config(
        settings,
        service_prefix(os.environ),
        make_prelaunch_hook(dashboards_db_url(settings)),
    )
    # the service's hub token is for the OAuth client only; kernels get os.environ
    token = ""
    for name in SECRET_ENV:
        token = os.environ.pop(name, "") or token
    c.HubOAuth.api_token = token
    app = DashboardsVoila(config=c)
    app.initialize([])
    app.start()
