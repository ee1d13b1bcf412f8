"""Hub-managed services: the yiyuan service, the grading workers, roster sync, dashboards,
idle culler."""

from __future__ import annotations

from traitlets.config import Config

from yiyuan.clock import ZONE_ENV
from yiyuan.dashboards import SERVICE_NAME as DASHBOARDS_SERVICE
from yiyuan.dashboards import template_path as dashboards_template_path
from yiyuan.lifecycle import launcher_command
from yiyuan.settings import Settings

from .hub import HostFacts

#: the platform service's name: its URL prefix is /services/yiyuan/
YIYUAN_SERVICE = "yiyuan"


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
    return f"http://127.0.0.1:{settings.service.port}"


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
    return {
        # Voila over dashboards.dir, hub OAuth, per-viewer scope (yiyuan.dashboards)
        "name": DASHBOARDS_SERVICE,
        "url": f"http://127.0.0.1:{settings.dashboards.port}",
        "command": [str(facts.bin_dir / "yiyuan"), "dashboards", "run"],
        "environment": dashboards_environment(settings, facts),
        "oauth_no_confirm": True,
        # the service only needs to know who the viewer is
        "oauth_client_allowed_scopes": ["read:users:name!user"],
        "display": False,
    }


def configure_services(c: Config, settings: Settings, facts: HostFacts) -> None:
    environment = platform_environment(settings, facts)
    services = [
        {
            # REST API, nbgrader exchange, learner pages (yiyuan.service)
            "name": YIYUAN_SERVICE,
            "url": service_url(settings),
            "command": [str(facts.bin_dir / "yiyuan"), "service", "run"],
            "environment": environment,
            "oauth_no_confirm": True,
            # the service only needs to know who the caller is
            "oauth_client_allowed_scopes": ["read:users:name!user"],
            "display": False,
        },
        {
            # autograding worker pool (yiyuan.grading); no URL: a process the hub keeps
            "name": "grader",
            "command": [str(facts.bin_dir / "yiyuan"), "grading", "run"],
            "environment": environment,
        },
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
            if service["name"] != "grader":
                service["user"] = settings.service.user
    c.JupyterHub.services = services
