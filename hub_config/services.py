"""Hub-managed services: the yiyuan service, the grading workers, roster sync, idle culler."""

from __future__ import annotations

from traitlets.config import Config

from yiyuan.settings import Settings

from .hub import HostFacts

#: the platform service's name: its URL prefix is /services/yiyuan/
YIYUAN_SERVICE = "yiyuan"


def platform_environment(settings: Settings, facts: HostFacts) -> dict[str, str]:
    """Services get a clean environment: hand over where the settings and the database are."""
    environment = {
        "YIYUAN_DATA_DIR": str(settings.data_dir),
        "YIYUAN_DB_URL": settings.platform_db_url,
        "PATH": f"{facts.bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    if facts.config_file:
        environment["YIYUAN_CONFIG"] = facts.config_file
    return environment


def service_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.service.port}"


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
    c.JupyterHub.services = services
