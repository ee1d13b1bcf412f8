"""The hub process itself: addresses, databases, proxy, pages."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from traitlets.config import Config

from yiyuan.db import normalise_url
from yiyuan.hub.landing import default_url
from yiyuan.hub.waiting import SPAWN_QUEUE, waiting_texts
from yiyuan.i18n import get_catalogue
from yiyuan.lifecycle import PROXY_PID_FILE, launcher_command
from yiyuan.settings import Settings


@dataclass(frozen=True)
class HostFacts:
    """What the config needs to know about the machine, found once by jupyterhub_config.py."""

    #: the project checkout (for node_modules/.bin/configurable-http-proxy)
    project_root: Path
    #: the folder holding the venv's executables (jupyterhub-singleuser, python)
    bin_dir: Path
    #: the hub runs as root (tests and the demo do): servers then need --allow-root
    as_root: bool
    #: API token of the roster-sync service (kept in the data directory, see yiyuan.secrets)
    roster_sync_token: str = ""
    #: the settings file (``YIYUAN_CONFIG``), handed on to the platform's services
    config_file: str = ""
    #: the hub's own process id: the proxy and the services end when it does
    #: (yiyuan.lifecycle); 0 when unknown (the processes then only end on the hub's death)
    hub_pid: int = 0
    #: API token of dashboards that run outside the hub (``dashboards.external_url``), from
    #: the hub's environment (``YIYUAN_DASHBOARDS_API_TOKEN``)
    dashboards_api_token: str = ""

    @property
    def path(self) -> str:
        """``PATH`` for what the hub starts (services, servers): the venv's executables first,
        whatever PATH the hub itself was started with."""
        return f"{self.bin_dir}:/usr/local/bin:/usr/bin:/bin"

    @property
    def proxy_command(self) -> Path:
        return self.project_root / "node_modules" / ".bin" / "configurable-http-proxy"


def templates_dir() -> str:
    return str(files("yiyuan.hub").joinpath("templates"))


def configure_hub(c: Config, settings: Settings, facts: HostFacts) -> None:
    hub = settings.hub
    if settings.mode != "kubernetes":
        # on Kubernetes the Zero to JupyterHub chart's own configuration sets these: the
        # addresses in the pod, the proxy's pod, the hub database (hub.db, its password in
        # PGPASSWORD), the cookie secret and CryptKeeper keys from its Secret, and it keeps
        # users' pods running across a restart of the hub (cleanup_servers False)
        configure_local_hub(c, settings, facts)
    c.JupyterHub.template_paths = [templates_dir()]
    c.JupyterHub.template_vars = {
        "t": get_catalogue(settings.language),
        "site_name": settings.site_name,
        "federation_name": settings.federation_name,
        "language": settings.language,
        # the 429 page of error.html (yiyuan.hub.waiting)
        "spawn_queue": {**waiting_texts(settings.language), "place": SPAWN_QUEUE.place},
    }
    # a burst of learners queues instead of thrashing the cores; the one over the limit gets
    # a waiting page that retries by itself after a random pause in the range
    c.JupyterHub.concurrent_spawn_limit = hub.concurrent_spawn_limit
    c.JupyterHub.spawn_throttle_retry_range = (hub.spawn_retry_min, hub.spawn_retry_max)
    # a waiting page asks again within spawn_retry_max: one silent for longer has gone
    SPAWN_QUEUE.forget_after = hub.spawn_retry_max + 15
    c.JupyterHub.shutdown_on_logout = False
    # learners land on「我的学习」, the others in their own server (yiyuan.hub.landing)
    c.JupyterHub.default_url = default_url


def configure_local_hub(c: Config, settings: Settings, facts: HostFacts) -> None:
    """The hub as processes of one machine (demo, production): its addresses, databases and
    the configurable-http-proxy it starts."""
    hub = settings.hub
    c.JupyterHub.ip = hub.ip
    c.JupyterHub.port = hub.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = hub.hub_port
    # psycopg 3 for PostgreSQL, as for the platform database
    c.JupyterHub.db_url = normalise_url(settings.hub_db_url)
    c.JupyterHub.cookie_secret_file = str(settings.data_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(settings.data_dir / "jupyterhub.pid")
    # the proxy ends with the hub (a restarted hub would stop it anyway, by its pid file)
    c.ConfigurableHTTPProxy.command = launcher_command(
        facts.bin_dir / "python", facts.hub_pid, settings.data_dir, [str(facts.proxy_command)]
    )
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(settings.data_dir / PROXY_PID_FILE)
    # a full stop (SIGTERM, Ctrl-C) stops learners' servers and the proxy too; after a crash
    # the servers keep running and the restarted hub adopts them (their pids are in its db)
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True
