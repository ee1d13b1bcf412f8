"""Single sign-on with the platform database still in charge.

With an OAuth/OIDC authenticator (oauthenticator) the identity provider checks passwords, but
the platform database must still decide who may use the platform and which groups they are
in, or roster imports would mean nothing. :func:`platform_accounts_hook` does that as the
authenticator's ``post_auth_hook``. In ``jupyterhub_config.d/50-sso.py`` (docs/deploy.md)::

    import os
    from yiyuan.hub.sso import platform_accounts_hook
    from yiyuan.settings import load_settings

    c.JupyterHub.authenticator_class = "generic-oauth"
    # … the provider's client id, secret, URLs, and which claim is the user name …
    c.GenericOAuthenticator.allow_all = True  # the hook turns away anyone not on the roster
    c.GenericOAuthenticator.manage_groups = True  # groups come from the hook, as at password login
    c.GenericOAuthenticator.post_auth_hook = platform_accounts_hook(
        load_settings(os.environ).platform_db_url
    )
"""

from __future__ import annotations

from tornado import web

from ..accounts import service
from ..db import Database
from ..hubgroups import groups_of
from ..i18n import get_catalogue
from ..models import utcnow


def platform_accounts_hook(db_url: str, language: str = "zh_CN"):
    """A ``post_auth_hook``: the provider's user name (or a member's mobile number) must name
    an active platform account; the login then gets that account's name and groups."""
    database = Database(db_url)
    catalogue = get_catalogue(language)

    def hook(authenticator, handler, authentication: dict) -> dict:
        with database.session() as session:
            account = service.find_login_account(session, authentication["name"])
            if account is None or not account.active:
                authenticator.log.warning(
                    "SSO login of %r: no active platform account", authentication["name"][:32]
                )
                error = web.HTTPError(403)
                error.jupyterhub_message = catalogue["sso_no_account"]
                raise error
            account.last_login_at = utcnow()
            authentication["name"] = account.username
            authentication["groups"] = groups_of(session, account)
            authentication["admin"] = False
        return authentication

    return hook
