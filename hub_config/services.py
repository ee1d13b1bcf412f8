"""Hub-managed services: the yiyuan service, the grading workers, roster sync, dashboards,
idle culler."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from traitlets.config import Config

from yiyuan.clock import ZONE_ENV
from yiyuan.dashboards import SERVICE_NAME as DASHBOARDS_SERVICE
from yiyuan.dashboards import template_path as dashboards_template_path
from yiyuan.errors import SettingsError
from yiyuan.lifecycle import launcher_command
from yiyuan.settings import Settings

from .hub import HostFacts

#: the platform service's name: its URL prefix is /services/yiyuan/
YIYUAN_SERVICE = "yiyuan"
#: the hub's environment variable holding the API token of an external yiyuan service
#: (``service.external_url``); each replica has the same token as ``JUPYTERHUB_API_TOKEN``
SERVICE_TOKEN_ENV = "YIYUAN_SERVICE_API_TOKEN"
#: the same for dashboards that run outside the hub (``dashboards.external_url``)
DASHBOARDS_TOKEN_ENV = "YIYUAN_DASHBOARDS_API_TOKEN"


def platform_environment(settings: Settings, facts: HostFacts) -> dict[str, str]:
    """Services get a clean environment: hand over where the settings and the database are."""
    environment = {
        "YIYUAN_DATA_DIR": str(settings.data_dir),
        "YIYUAN_DB_URL": settings.platform_db_url,
        # they read the settings too; their children (dashboard kernels) may not (yiyuan.clock)
        ZONE_ENV: settings.time_zone,
        "PATH": facts.path,
        "LANG": "C.UTF-8",
    }
    if facts.config_file:
        environment["YIYUAN_CONFIG"] = facts.config_file
    return environment


def service_url(settings: Settings) -> str:
    """Where the hub's proxy (and learners' servers) reach the yiyuan service: its loopback
    port, or ``service.external_url`` when it runs outside the hub."""
    if settings.service.external_url:
        return settings.service.external_url.rstrip("/")
    return f"http://127.0.0.1:{settings.service.port}"


def external_service_token(settings: Settings, environ: Mapping[str, str]) -> str:
    """The API token of an external yiyuan service (``service.external_url``), from the hub's
    environment; "" when the hub starts the service itself. Read by ``jupyterhub_config.py``,
    which hands it to :func:`configure_services`."""
    url = settings.service.external_url
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise SettingsError(
            f"配置项 service.external_url 的值 {url!r} 无效：应为平台服务副本前的地址，"
            "如 http://yiyuan:8090（不带路径）。"
        )
    token = environ.get(SERVICE_TOKEN_ENV, "").strip()
    if not token:
        raise SettingsError(
            f"配置项 service.external_url 已设置（{url}），但 JupyterHub 的环境变量 "
            f"{SERVICE_TOKEN_ENV} 为空：请给出平台服务的 API 令牌（与各副本的 "
            "JUPYTERHUB_API_TOKEN 相同，例如用 openssl rand -hex 32 生成）。"
        )
    return token


def yiyuan_service(settings: Settings, facts: HostFacts, api_token: str = "") -> dict:
    """The yiyuan service's entry: started by the hub, or (``service.external_url``) an
    external service the hub only routes to and knows by its token."""
    spec = {
        # REST API, nbgrader exchange, learner pages (yiyuan.service)
        "name": YIYUAN_SERVICE,
        "url": service_url(settings),
        "oauth_no_confirm": True,
        # the service only needs to know who the caller is
        "oauth_client_allowed_scopes": ["read:users:name!user"],
        "display": False,
    }
    if not settings.service.external_url:
        return {
            **spec,
            "command": [str(facts.bin_dir / "yiyuan"), "service", "run"],
            "environment": platform_environment(settings, facts),
        }
    if not api_token:
        raise SettingsError(
            f"配置项 service.external_url 已设置，但没有平台服务的 API 令牌（{SERVICE_TOKEN_ENV}）。"
        )
    # browsers reach it through the hub's proxy (/services/yiyuan/ → external_url), so the
    # OAuth callback is JupyterHub's default, /services/yiyuan/oauth_callback, answered by
    # whichever replica the request reaches (the sign-in's state is in the platform database)
    return {**spec, "api_token": api_token, "oauth_client_id": f"service-{YIYUAN_SERVICE}"}


def dashboards_environment(settings: Settings, facts: HostFacts) -> dict[str, str]:
    """The platform environment, with the dashboards' own read-only database when there is
    one (so neither the service nor its kernels hold the read-write URL), and the Jupyter data
    path holding the dashboards' Voila template."""
    environment = platform_environment(settings, facts)
    if settings.dashboards.db_url:
        environment["YIYUAN_DB_URL"] = settings.dashboards.db_url
    environment["JUPYTER_PATH"] = dashboards_template_path()
    return environment


def dashboards_service(settings: Settings, facts: HostFacts) -> dict:
    spec = {
        # Voila over dashboards.dir, hub OAuth, per-viewer scope (yiyuan.dashboards)
        "name": DASHBOARDS_SERVICE,
        "url": f"http://127.0.0.1:{settings.dashboards.port}",
        "oauth_no_confirm": True,
        # the service only needs to know who the viewer is
        "oauth_client_allowed_scopes": ["read:users:name!user"],
        "display": False,
    }
    external = settings.dashboards.external_url
    if not external:
        return {
            **spec,
            "command": [str(facts.bin_dir / "yiyuan"), "dashboards", "run"],
            "environment": dashboards_environment(settings, facts),
        }
    if not facts.dashboards_api_token:
        raise SettingsError(
            f"配置项 dashboards.external_url 已设置，但没有统计报表服务的 API 令牌（{DASHBOARDS_TOKEN_ENV}）。"
        )
    # its own Deployment (deploy/kubernetes/dashboards.yaml), reached through the hub's proxy
    return {
        **spec,
        "url": external.rstrip("/"),
        "api_token": facts.dashboards_api_token,
        "oauth_client_id": f"service-{DASHBOARDS_SERVICE}",
    }


def configure_services(
    c: Config, settings: Settings, facts: HostFacts, service_api_token: str = ""
) -> None:
    """The hub's services. ``service_api_token``: the external yiyuan service's token
    (:func:`external_service_token`), needed when ``service.external_url`` is set."""
    environment = platform_environment(settings, facts)
    services = [yiyuan_service(settings, facts, service_api_token)]
    if settings.grading.run_by_hub:
        services.append(
            {
                # autograding worker pool (yiyuan.grading); no URL: a process the hub keeps
                "name": "grader",
                "command": [str(facts.bin_dir / "yiyuan"), "grading", "run"],
                "environment": environment,
            }
        )
    services += [
        {
            # keeps hub groups in line with the roster (yiyuan.members.hubsync)
            "name": "roster-sync",
            "api_token": facts.roster_sync_token,
            "command": [str(facts.bin_dir / "yiyuan"), "members", "sync", "--watch"],
            "environment": environment,
        },
    ]
    if settings.messages.every:
        services.append(
            {
                # collects messages, sends deadline reminders and outside channels
                # (yiyuan.messages); no URL
                "name": "messages",
                "command": [str(facts.bin_dir / "yiyuan"), "messages", "run"],
                "environment": environment,
            }
        )
    if settings.dashboards.enabled:
        services.append(dashboards_service(settings, facts))
    if settings.culler.enabled:
        services.append(
            {
                "name": "idle-culler",
                "command": [
                    str(facts.bin_dir / "python"),
                    "-m",
                    "jupyterhub_idle_culler",
                    f"--timeout={settings.culler.idle_timeout}",
                    f"--cull-every={settings.culler.every}",
                ],
            }
        )
    for service in services:
        if "command" not in service:  # external: the hub does not start it
            continue
        # each service ends with the hub, even when the hub is killed (yiyuan.lifecycle)
        service["command"] = launcher_command(
            facts.bin_dir / "python", facts.hub_pid, settings.data_dir, service["command"]
        )
    if settings.mode == "production" and settings.service.user:
        # only the hub needs root: the platform's own processes run as its system user
        # (yiyuan.serviceuser; the data directory is handed to it at every start). The grader
        # starts as root and works as that user too, keeping root only as its real uid to give
        # each sandboxed kernel a uid of its own (yiyuan.grading.sandbox.keep_root_for_kernels)
        for service in services:
            if "command" in service and service["name"] != "grader":
                service["user"] = settings.service.user
    c.JupyterHub.services = services
