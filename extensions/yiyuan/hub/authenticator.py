"""JupyterHub login against the platform's own accounts.

Built on JupyterHub's ``Authenticator`` base class (its login page, cookie handling and
``manage_groups`` sync) and argon2-cffi for hashing; the platform adds what the stock
authenticators lack together: accounts created by administrators only, login throttling
stored in the database (so it survives a hub restart and is shared by replicas) that slows
guessers without locking the owner out (accounts/login.py), and a forced password change at
first login. See README "账号与登录" for why not NativeAuthenticator.
"""

from __future__ import annotations

import asyncio
import pwd

from jupyterhub.auth import Authenticator, LocalAuthenticator
from tornado import web
from traitlets import Integer, Unicode, default

from ..accounts import service
from ..accounts.clients import COOKIE
from ..accounts.login import Client, LoginOutcome, attempt
from ..accounts.throttle import ThrottlePolicy, policy_of
from ..db import Database
from ..hubgroups import groups_of
from ..i18n import get_catalogue
from .handlers import ChangePasswordHandler, YiyuanLoginHandler


class YiyuanAuthenticator(Authenticator):
    """Password login against ``accounts`` in the platform database.

    Enable with::

        c.JupyterHub.authenticator_class = "yiyuan.hub.authenticator.YiyuanAuthenticator"
        c.YiyuanAuthenticator.db_url = "sqlite:////srv/yiyuan/yiyuan.sqlite"
    """

    db_url = Unicode(
        help="""Platform database URL, e.g. ``sqlite:////srv/yiyuan/yiyuan.sqlite`` or
        ``postgresql+psycopg://yiyuan@db/yiyuan``. Set by hub_config from the settings.""",
    ).tag(config=True)

    max_failed_logins = Integer(
        5,
        help="""Failed logins on one account from clients that never logged in to it (or
        from one known client) before it is blocked for them (default 5).""",
    ).tag(config=True)

    lockout_minutes = Integer(
        10, help="First block in minutes; each further failure doubles it (default 10)."
    ).tag(config=True)

    max_lockout_minutes = Integer(60, help="Longest block in minutes (default 60).").tag(
        config=True
    )

    address_max_failures = Integer(
        50,
        help="Failed logins from one client address before it is blocked (default 50).",
    ).tag(config=True)

    failure_window_minutes = Integer(
        1440, help="Failures are forgotten after this many quiet minutes (default 1440)."
    ).tag(config=True)

    known_client_days = Integer(
        180,
        help="""Days a browser that logged in stays a known client of the account
        (its device cookie's lifetime; default 180).""",
    ).tag(config=True)

    min_password_length = Integer(
        8, help="Shortest password accepted on a password change (default 8)."
    ).tag(config=True)

    language = Unicode(
        "zh_CN", help="Catalogue for login messages: ``zh_CN`` (default) or ``en``."
    ).tag(config=True)

    @default("allow_all")
    def _allow_all_default(self):
        # Every account in the platform database was created by an administrator; the
        # database, not an allow list, decides who may log in.
        return True

    @default("manage_groups")
    def _manage_groups_default(self):
        # The platform database is the source of truth for role groups; each login syncs them.
        return True

    _database: Database | None = None

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.db_url)
        return self._database

    @property
    def catalogue(self):
        return get_catalogue(self.language)

    @property
    def throttle_policy(self) -> ThrottlePolicy:
        # the traits carry the auth settings' own names: one mapping, in throttle.policy_of
        return policy_of(self)

    def normalize_username(self, username):
        return service.normalise_username(super().normalize_username(username))

    async def authenticate(self, handler, data):
        username = self.normalize_username(data.get("username", ""))
        password = data.get("password", "")
        client = Client()
        if handler is not None:
            client = Client(handler.request.remote_ip or "", handler.get_cookie(COOKIE) or "")
        # argon2 takes tens of milliseconds: keep the hub's event loop free meanwhile.
        outcome, groups = await asyncio.to_thread(self._login, username, password, client)
        if not outcome.ok:
            self.log.warning(
                "Refused login for %r from %s: %s%s",
                username[:32],
                client.address,
                outcome.key,
                f" (blocked by {','.join(outcome.refused_by)})" if outcome.refused_by else "",
            )
            error = web.HTTPError(403)
            # JupyterHub's login page shows this text in place of its English default.
            error.jupyterhub_message = self.catalogue.format(outcome.key, **outcome.params)
            raise error
        if handler is not None:
            # the device cookie that makes this browser a known client of the account
            handler.set_cookie(
                COOKIE,
                outcome.device,
                path=handler.hub.base_url,
                expires_days=self.known_client_days,
                httponly=True,
                secure=handler.request.protocol == "https",
                samesite="Lax",
            )
        return {"name": outcome.account.username, "groups": groups, "admin": False}

    def _login(self, entered: str, password: str, client: Client) -> tuple[LoginOutcome, list[str]]:
        with self.database.session() as session:
            outcome = attempt(session, entered, password, client, self.throttle_policy)
            groups = groups_of(session, outcome.account) if outcome.ok else []
            return outcome, groups

    def must_change_password(self, username: str) -> bool:
        with self.database.session() as session:
            account = service.find_account(session, username)
            return bool(account and account.must_change_password)

    async def refresh_user(self, user, handler=None, **kwargs):
        # A deactivated account loses its session at the next refresh (auth_refresh_age).
        def active() -> bool:
            with self.database.session() as session:
                account = service.find_account(session, user.name)
                return bool(account and account.active)

        return await asyncio.to_thread(active)

    def pre_spawn_start(self, user, spawner):
        if self.must_change_password(user.name):
            error = web.HTTPError(403)
            error.jupyterhub_message = self.catalogue["password_must_change"]
            raise error

    def get_handlers(self, app):
        return [
            (r"/login", YiyuanLoginHandler),
            (r"/change-password", ChangePasswordHandler),
        ]


class YiyuanLocalAuthenticator(LocalAuthenticator, YiyuanAuthenticator):
    """Production on one machine: each platform account is also a system user.

    With ``create_system_users`` (set by hub_config in production mode) the hub runs
    ``adduser`` the first time an account logs in, and LocalProcessSpawner starts the
    user's server as that user, so learners cannot read each other's files or the
    platform's data directory.
    """

    min_uid = Integer(
        1000,
        help="""Existing system users below this uid (root, postgres, www-data …) never
        log in: their servers would run with the system's own privileges (default 1000).""",
    ).tag(config=True)

    async def authenticate(self, handler, data):
        model = await super().authenticate(handler, data)
        try:
            uid = pwd.getpwnam(model["name"]).pw_uid
        except KeyError:
            return model  # a new system user is created for it at first login
        if uid < self.min_uid:
            self.log.error("Refused login of %r: a system account (uid %s)", model["name"], uid)
            error = web.HTTPError(403)
            error.jupyterhub_message = self.catalogue["account_system_name"]
            raise error
        return model
