"""Hub-managed services."""

from __future__ import annotations

from traitlets.config import Config

from yiyuan.settings import Settings

from .hub import HostFacts


def configure_services(c: Config, settings: Settings, facts: HostFacts) -> None:
    services = [
        {
            # keeps hub groups in line with the roster (yiyuan.members.hubsync)
            "name": "roster-sync",
            "api_token": facts.roster_sync_token,
            "command": [str(facts.bin_dir / "yiyuan"), "members", "sync", "--watch"],
            # services get a clean environment: hand over where the platform database is
            "environment": {
                "YIYUAN_DATA_DIR": str(settings.data_dir),
                "YIYUAN_DB_URL": settings.platform_db_url,
            },
        }
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
