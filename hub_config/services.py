"""Hub-managed services."""

from __future__ import annotations

from traitlets.config import Config

from yiyuan.settings import Settings

from .hub import HostFacts


def configure_services(c: Config, settings: Settings, facts: HostFacts) -> None:
    services = []
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
