"""Who may log in, and how."""

from __future__ import annotations

from traitlets.config import Config

from yiyuan.settings import Settings

AUTHENTICATORS = {
    # demo: every account shares the hub's system user, so no system accounts are needed
    "demo": "yiyuan.hub.authenticator.YiyuanAuthenticator",
    # production: each account is also a system user, created at first login
    "production": "yiyuan.hub.authenticator.YiyuanLocalAuthenticator",
    # kubernetes: each server is a pod of its own (KubeSpawner), no system users anywhere
    "kubernetes": "yiyuan.hub.authenticator.YiyuanAuthenticator",
}


def configure_authenticator(c: Config, settings: Settings) -> None:
    c.JupyterHub.authenticator_class = AUTHENTICATORS[settings.mode]
    for section in ("YiyuanAuthenticator", "YiyuanLocalAuthenticator"):
        auth = c[section]
        auth.db_url = settings.platform_db_url
        auth.max_failed_logins = settings.auth.max_failed_logins
        auth.lockout_minutes = settings.auth.lockout_minutes
        auth.max_lockout_minutes = settings.auth.max_lockout_minutes
        auth.address_max_failures = settings.auth.address_max_failures
        auth.failure_window_minutes = settings.auth.failure_window_minutes
        auth.known_client_days = settings.auth.known_client_days
        auth.min_password_length = settings.auth.min_password_length
        auth.language = settings.language
    c.YiyuanLocalAuthenticator.create_system_users = settings.mode == "production"
    # No one becomes a JupyterHub admin by logging in; administrators get a scoped role.
    c.Authenticator.admin_users = set()
