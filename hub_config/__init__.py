"""Pure, set-only functions that fill a traitlets ``Config`` from a :class:`Settings` object.

Each function only *sets* values (never appends or mutates what is there), so the result
depends on the settings alone and each function is tested against a bare ``Config()``.
``apply`` is what ``jupyterhub_config.py`` calls.
"""

from __future__ import annotations

from traitlets.config import Config

from yiyuan.settings import Settings

from .auth import configure_authenticator
from .hub import HostFacts, configure_hub
from .roles import configure_roles
from .services import configure_services
from .spawner import configure_spawner

__all__ = [
    "HostFacts",
    "apply",
    "configure_authenticator",
    "configure_hub",
    "configure_roles",
    "configure_services",
    "configure_spawner",
]


def apply(c: Config, settings: Settings, facts: HostFacts, service_api_token: str = "") -> None:
    """``service_api_token``: an external yiyuan service's token (``service.external_url``,
    read from the hub's environment by ``services.external_service_token``)."""
    configure_hub(c, settings, facts)
    configure_authenticator(c, settings)
    configure_spawner(c, settings, facts)
    configure_services(c, settings, facts, service_api_token)
    configure_roles(c, settings)
